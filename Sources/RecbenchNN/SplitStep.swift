import RecbenchCore

/// One training step's examples: pairs and their targets.
struct FieldBatch {
    var users: [Int32] = [], items: [Int32] = [], targets: [Float] = []
    var count: Int { users.count }
    mutating func removeAll() {
        users.removeAll(keepingCapacity: true); items.removeAll(keepingCapacity: true)
        targets.removeAll(keepingCapacity: true)
    }
    mutating func append(_ user: Int32, _ item: Int32, _ target: Float) {
        users.append(user); items.append(item); targets.append(target)
    }
}

/// The field models' and NeuMF's step on a batch cut in parts, each part forward and backward on
/// its own graph, all at once when there are threads for them: most of a step is row loops and
/// small products that one graph runs on one core. Parts after the first accumulate into shadow
/// gradients, which Adam's update adds to the parameters' own as it reads them (`step`); each
/// part's loss (penalties included) is weighted by its share of the examples, so the gradient is
/// the whole batch's. How a batch is cut is the caller's and never depends on the thread count,
/// so neither does the fit.
final class SplitStep {
    let graphs: [Graph]
    let shadows: [ShadowGradients]
    let threads: Int
    let rating: Bool
    /// The parameters the graphs train, which `step`'s optimiser must update: it is what adds and
    /// clears their shadow gradients.
    private let trained: Set<ObjectIdentifier>
    private weak var checkedOptimizer: Adam?

    init(parameters: [Parameter], parts: Int, threads: Int, seed: UInt64, rating: Bool) {
        self.threads = threads; self.rating = rating
        trained = Set(parameters.map(ObjectIdentifier.init))
        let parts = max(1, parts), shadows = (1..<parts).map { _ in ShadowGradients(parameters) }
        graphs = (0..<parts).map { k in
            let g = Graph(training: true, threads: max(1, threads / parts), seed: seed &+ UInt64(k))
            if k > 0 { g.shadow = shadows[k - 1] }
            return g
        }
        self.shadows = shadows
    }

    /// A batch's positions cut in two halves, the first the longer when the count is odd: how the
    /// field models and NeuMF cut a batch of positives (each then followed by its negatives).
    static func halves(_ batch: Range<Int>) -> [Range<Int>] {
        let middle = batch.lowerBound + (batch.count + 1) / 2
        return [batch.lowerBound..<middle, middle..<batch.upperBound]
    }

    /// One optimiser step on the batch's parts: their gradient, then Adam's update, which takes the
    /// shadow gradients in its own pass. `lazy` names tables indexed by the parts' users and by
    /// their items, which the forward pass reads only at those rows: Adam moves only the rows some
    /// part lists (`Adam.update(adding:rows:)`). Returns the loss.
    func step(
        _ parts: [FieldBatch], adam: Adam, lazy: (users: [Parameter], items: [Parameter]) = ([], []),
        forward: PairForward
    ) -> Double {
        if checkedOptimizer !== adam {
            precondition(
                trained.isSubset(of: adam.parameters.map(ObjectIdentifier.init)),
                "SplitStep.step: the optimiser must update every parameter the step trains")
            checkedOptimizer = adam
        }
        let loss = accumulate(parts, forward: forward)
        var rows: [ObjectIdentifier: [Int32]] = [:]
        if !lazy.users.isEmpty || !lazy.items.isEmpty {
            let users = parts.flatMap(\.users), items = parts.flatMap(\.items)
            for p in lazy.users { rows[ObjectIdentifier(p)] = users }
            for p in lazy.items { rows[ObjectIdentifier(p)] = items }
        }
        adam.update(adding: shadows, rows: rows)
        return loss
    }

    /// Adds the gradient of the batch's loss (squared error for ratings, binary cross-entropy
    /// otherwise, plus the forward passes' penalties) to the parameters' gradients, the later parts'
    /// share to the shadow gradients (until `flush` or Adam's update adds them); returns the loss.
    func accumulate(_ parts: [FieldBatch], forward: PairForward) -> Double {
        precondition(parts.count == graphs.count, "SplitStep: \(parts.count) parts for \(graphs.count) graphs")
        let examples = Float(parts.reduce(0) { $0 + $1.count })
        var losses = [Double](repeating: 0, count: parts.count)
        losses.withUnsafeMutableBufferPointer { losses in
            let out = UncheckedSendable(losses)
            parallelChunks(count: parts.count, threads: min(parts.count, threads)) { _, range in
                for k in range {
                    let g = graphs[k], part = parts[k]
                    g.reset()
                    guard part.count > 0 else { continue }
                    let y = forward(g, part.users, part.items)
                    var loss =
                        rating
                        ? g.meanSquaredError(y, targets: part.targets)
                        : g.binaryCrossEntropy(
                            logits: y, targets: part.targets, weights: [Float](repeating: 1, count: part.count))
                    for p in g.penalties { loss = g.add(loss, p) }
                    loss = g.scale(loss, Float(part.count) / examples)
                    g.backward(loss)
                    out.value[k] = Double(g.scalar(loss))
                }
            }
        }
        return losses.reduce(0, +)
    }
}

/// Gradient buffers that stand in for some parameters' own while a second graph back-propagates
/// (see `Graph.shadow`); `flush` adds them to the parameters' gradients and zeroes them.
final class ShadowGradients {
    private var buffers: [ObjectIdentifier: (Parameter, UnsafeMutablePointer<Float>)] = [:]
    init(_ parameters: [Parameter]) {
        for p in parameters {
            let b = UnsafeMutablePointer<Float>.allocate(capacity: max(1, p.count))
            b.initialize(repeating: 0, count: max(1, p.count))
            buffers[ObjectIdentifier(p)] = (p, b)
        }
    }
    deinit { for (_, b) in buffers.values { b.deallocate() } }
    func gradient(of p: Parameter) -> UnsafeMutablePointer<Float>? { buffers[ObjectIdentifier(p)]?.1 }
    func flush(threads: Int) {
        for (p, b) in buffers.values {
            let pointers = UncheckedSendable((p.grad, b))
            parallelChunks(count: p.count, threads: p.count >= 1 << 15 ? threads : 1) { _, range in
                let (g, b) = pointers.value
                for i in range { g[i] += b[i]; b[i] = 0 }
            }
        }
    }
}
