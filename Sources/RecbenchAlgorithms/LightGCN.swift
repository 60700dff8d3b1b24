import Foundation
import RecbenchCore
internal import CIntrinsics

/// LightGCN (He et al. 2020): user and item embeddings E⁰ propagated over the normalised
/// bipartite graph Â = D^−1/2 A D^−1/2 without transforms or nonlinearities, the final embedding
/// the mean of layers 0…K, E = (1/(K+1)) Σ_k Âᵏ E⁰, and scores e_u·e_i. Trained with the BPR loss
/// on (user, positive, negative) triples with a uniformly drawn unseen negative, as many per epoch
/// as there are training interactions, in mini-batches, plus λ/(2B) Σ ‖e⁰‖² over the batch's
/// layer-0 rows (RecBole's form), by Adam or SGD. The positives are the interactions in shuffled
/// order (RecBole) or uniformly drawn users each with one of their items (the authors' code).
///
/// Every batch propagates the whole graph (K sparse products, multithreaded over rows) and, since
/// E is linear in E⁰ and Â symmetric, maps the gradient back with the same K products: ∂L/∂E⁰ =
/// (1/(K+1)) Σ_k Âᵏ ∂L/∂E. Defaults follow RecBole's LightGCN (64 factors, 2 layers, Adam at
/// 0.001, batches of 2048, λ = 1e-5, Xavier-normal initialisation, at most 300 epochs, early
/// stopping after 10 epochs without a validation gain).
public final class LightGCN: FactorModel {
    public struct Config: AlgorithmConfig {
        public static let budgetParameter: String? = "epochs"
        public static let parameters: [ParameterSpec] = [
            .integer("factors", default: 64, min: 1, max: 4096, "Embedding dimension d."),
            .integer(
                "layers", default: 2, min: 0, max: 16, "Propagation layers K (0 = matrix factorisation with BPR)."),
            .integer("epochs", default: 300, min: 1, max: 100_000, "Passes over the training interactions."),
            .integer(
                "batch_size", default: 2048, min: 1, "Triples per gradient step (each step propagates the whole graph)."
            ),
            .real("learning_rate", default: 0.001, exclusiveMin: true, "Step size of the optimizer."),
            .real("regularization", default: 1e-5, "λ on the batch's layer-0 embeddings: λ/(2B) Σ ‖e⁰‖²."),
            .choice("optimizer", default: OptimizerKind.adam, "Adam (β = 0.9, 0.999, ε = 1e-8) or plain SGD."),
            .choice(
                "sampling", default: Sampling.interactions,
                "Positives of an epoch: every interaction once, shuffled (RecBole), or users drawn uniformly among those with a training item, each with one of its items drawn uniformly (the authors' code: every user weighs the same, as in a per-user mean metric)."
            ),
            .real(
                "init_std", default: 0,
                "Standard deviation of the initial embeddings (0 = Xavier normal, √(2/(rows + d)))."),
            .patience(default: 10, unit: "epochs"),
            .validateEvery()
        ]
        public var factors: Int, layers: Int, epochs: Int, batchSize: Int, learningRate: Double, regularization: Double
        public enum OptimizerKind: String, CaseIterable, Sendable { case adam, sgd }
        public enum Sampling: String, CaseIterable, Sendable { case interactions, users }
        public var optimizer: OptimizerKind, sampling: Sampling, initStd: Double, patience: Int, validateEvery: Int
        public init(_ v: ParameterValues) {
            factors = v.int("factors"); layers = v.int("layers"); epochs = v.int("epochs");
            batchSize = v.int("batch_size")
            learningRate = v.real("learning_rate"); regularization = v.real("regularization")
            optimizer = v.choice("optimizer"); sampling = v.choice("sampling"); initStd = v.real("init_std");
            patience = v.int("patience")
            validateEvery = v.int("validate_every")
        }
        /// Six (users + items) × d work buffers, two Adam moments, the factors, the normalised
        /// graph (both directions), the positive pairs and a binarised copy.
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            let nodes = s.users + s.items
            return 4 * nodes * factors * (6 + 2 + 1) + (8 * nodes + 16 * s.interactions) + 8 * s.interactions
                + s.matrixCopyBytes + 12 * batchSize
        }
    }
    public static let name = "LightGCN"
    public static let summary =
        "Graph convolution without transforms: layer-mean embeddings over the user–item graph, BPR loss (He et al. 2020)."
    public static let tasks: Set<RecommendationTask> = [.ranking]

    public let config: Config
    public private(set) var userFactors = DenseMatrix(rows: 0, columns: 0)
    public private(set) var itemFactors = DenseMatrix(rows: 0, columns: 0)

    public init(config: Config) { self.config = config }

    public var factors: LatentFactors { LatentFactors(users: userFactors, items: itemFactors) }

    public func fit(_ data: TrainingData, context: FitContext) throws {
        let m = data.interactions.binarized(), d = config.factors, threads = context.threads
        let graph = NormalizedGraph(m, threads: threads)
        let users = m.userCount, items = m.itemCount, nodes = graph.nodes, nnz = m.nnz
        func initial(_ rows: Int, _ stream: String) -> [Float] {
            let std = config.initStd > 0 ? config.initStd : (2 / Double(rows + d)).squareRoot()
            return FactorKernels.gaussianFactors(rows: rows, d: d, std: Float(std), context: context, stream: stream)
                .values
        }
        let buffers = Buffers(count: nodes * d)
        defer { buffers.deallocate() }
        buffers.e0.initialize(
            from: initial(users, "lightgcn-init-users") + initial(items, "lightgcn-init-items"),
            count: nodes * d)
        publish(graph, buffers, d: d, threads: threads)
        guard nnz > 0, items > 1 else { return }

        let sampler = TripleDraw(m.byUser, items: items, sampling: config.sampling)
        let batch = min(config.batchSize, nnz)
        var optimizer = Optimizer(
            adam: config.optimizer == .adam, learningRate: Float(config.learningRate), count: nodes * d)
        defer { optimizer.deallocate() }
        var triples = [SIMD3<Int32>](repeating: .zero, count: batch)

        try TrainingLoop(
            iterations: config.epochs, patience: config.patience, validateEvery: config.validateEvery,
            unit: "epoch"
        ).run(
            context: context, model: self,
            snapshot: { (userFactors, itemFactors) }, restore: { (userFactors, itemFactors) = $0 }
        ) { epoch in
            let started = DispatchTime.now().uptimeNanoseconds
            var rng = context.random("lightgcn-epoch-\(epoch)")
            var order = config.sampling == .interactions ? Array(0..<nnz) : []
            rng.shuffle(&order)
            var loss = 0.0, regLoss = 0.0
            for start in stride(from: 0, to: nnz, by: batch) {
                if context.isCancelled { throw RecbenchError.cancelled }
                let count = min(batch, nnz - start)
                sampler.draw(into: &triples, count: count, from: start, of: order, rng: &rng)
                let (l, r) = triples.withUnsafeBufferPointer {
                    Self.lossAndGradient(
                        graph, buffers, triples: UnsafeBufferPointer(rebasing: $0[0..<count]), d: d,
                        layers: config.layers, regularization: Float(config.regularization), threads: threads)
                }
                loss += l * Double(count); regLoss += r * Double(count)
                optimizer.step(buffers.e0, gradient: buffers.grad0, threads: threads)
            }
            publish(graph, buffers, d: d, threads: threads)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            return ["loss": (loss + regLoss) / Double(nnz), "epoch_seconds": seconds]
        }
    }

    /// Draws a batch's (user, positive, negative) node triples (item nodes follow the users).
    struct TripleDraw {
        let seen: SparseMatrix, items: Int, sampling: Config.Sampling
        /// Training pairs (user, item node) in byUser order, and the users with a training item.
        let pairs: [SIMD2<Int32>], activeUsers: [Int32]

        init(_ byUser: SparseMatrix, items: Int, sampling: Config.Sampling) {
            seen = byUser; self.items = items; self.sampling = sampling
            var pairs = [SIMD2<Int32>](), active = [Int32]()
            pairs.reserveCapacity(byUser.nnz)
            for u in 0..<byUser.rows where !byUser.rowRange(u).isEmpty {
                active.append(Int32(u))
                for i in byUser.rowIndices(u) { pairs.append(SIMD2(Int32(u), Int32(byUser.rows) + i)) }
            }
            self.pairs = pairs; activeUsers = active
        }

        /// `order`: the epoch's shuffled pair indices, of which the batch takes `count` from `start`
        /// (read by `interactions` only). The negative is redrawn while it is one of the user's
        /// items, at most 100 times.
        func draw(
            into triples: inout [SIMD3<Int32>], count: Int, from start: Int, of order: [Int], rng: inout RandomSource
        ) {
            for t in 0..<count {
                let p: SIMD2<Int32>
                switch sampling {
                case .interactions: p = pairs[order[start + t]]
                case .users:
                    let u = Int(activeUsers[rng.nextInt(below: activeUsers.count)])
                    let row = seen.rowIndices(u)
                    p = SIMD2(Int32(u), Int32(seen.rows) + row[row.startIndex + rng.nextInt(below: row.count)])
                }
                let u = Int(p.x)
                var j = rng.nextInt(below: items), tries = 0
                while tries < 100 && seen.position(row: u, column: j) != nil {
                    j = rng.nextInt(below: items); tries += 1
                }
                triples[t] = SIMD3(p.x, p.y, Int32(seen.rows + j))
            }
        }
    }

    /// The fit's n_nodes × d work buffers: E⁰, the layer mean, two propagation scratches, the
    /// gradient with respect to the layer mean and the one with respect to E⁰.
    final class Buffers: @unchecked Sendable {
        let count: Int
        let e0, mean, a, b, grad, grad0: UnsafeMutablePointer<Float>
        init(count: Int) {
            self.count = count
            func make() -> UnsafeMutablePointer<Float> {
                let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count));
                p.initialize(repeating: 0, count: count)
                return p
            }
            e0 = make(); mean = make(); a = make(); b = make(); grad = make(); grad0 = make()
        }
        func deallocate() { [e0, mean, a, b, grad, grad0].forEach { $0.deallocate() } }
    }

    /// Propagates E⁰ and makes the layer mean the model's factors.
    private func publish(_ graph: NormalizedGraph, _ s: Buffers, d: Int, threads: Int) {
        graph.layerMean(s.e0, layers: config.layers, into: s.mean, scratch: (s.a, s.b), d: d, threads: threads)
        userFactors = DenseMatrix(
            rows: graph.users, columns: d, values: Array(UnsafeBufferPointer(start: s.mean, count: graph.users * d)))
        itemFactors = DenseMatrix(
            rows: graph.items, columns: d,
            values: Array(UnsafeBufferPointer(start: s.mean + graph.users * d, count: graph.items * d)))
    }

    /// Mean BPR loss of the triples (user, positive, negative node indices) at the current E⁰ and
    /// the mean regularisation term λ/2 Σ ‖e⁰‖²; leaves ∂(loss + reg)/∂E⁰ in `s.grad0`.
    ///
    /// The triples' scores are computed in parallel; their gradients are then added by parts that
    /// each own a range of node rows and walk every triple in order, so each row receives the
    /// serial loop's sum, bit for bit, at any thread count (triples share rows: popular items).
    static func lossAndGradient(
        _ graph: NormalizedGraph, _ s: Buffers, triples: UnsafeBufferPointer<SIMD3<Int32>>, d: Int,
        layers: Int, regularization: Float, threads: Int
    ) -> (loss: Double, reg: Double) {
        graph.layerMean(s.e0, layers: layers, into: s.mean, scratch: (s.a, s.b), d: d, threads: threads)
        s.grad.update(repeating: 0, count: s.count)
        let n = triples.count, scale = 1 / Float(n), r = regularization * scale
        // Per triple: −log σ(x), ∂(batch mean)/∂x = (σ(x) − 1)/B, and Σ ‖e⁰‖² over its three rows.
        var terms = [SIMD3<Double>](repeating: .zero, count: n)
        terms.withUnsafeMutableBufferPointer { tp in
            let p = UncheckedSendable(tp)
            parallelChunks(count: n, threads: threads) { _, range in
                for k in range {
                    let t = triples[k]
                    let eu = s.mean + Int(t.x) * d, ei = s.mean + Int(t.y) * d, ej = s.mean + Int(t.z) * d
                    var x: Float = 0
                    for c in 0..<d { x += eu[c] * (ei[c] - ej[c]) }
                    // −log σ(x) = log(1 + e^−x), computed without overflow on either side.
                    let loss = x > 0 ? Double(log1p(exp(-x))) : Double(-x + log1p(exp(x)))
                    var squares = 0.0
                    if regularization > 0 {
                        for node in [t.x, t.y, t.z] {
                            let e = s.e0 + Int(node) * d
                            for c in 0..<d { squares += Double(e[c] * e[c]) }
                        }
                    }
                    p.value[k] = SIMD3(loss, Double(-scale / (1 + exp(x))), squares)
                }
            }
        }
        let parts = rowRanges(graph.nodes, threads: threads)
        parallelFor(count: parts.count, threads: threads, grain: 1) { part in
            let rows = parts[part]
            for (k, t) in triples.enumerated() {
                let g = Float(terms[k].y)
                let eu = s.mean + Int(t.x) * d, ei = s.mean + Int(t.y) * d, ej = s.mean + Int(t.z) * d
                if rows.contains(Int(t.x)) {
                    let gu = s.grad + Int(t.x) * d
                    for c in 0..<d { gu[c] += g * (ei[c] - ej[c]) }
                }
                if rows.contains(Int(t.y)) { let gi = s.grad + Int(t.y) * d; for c in 0..<d { gi[c] += g * eu[c] } }
                if rows.contains(Int(t.z)) { let gj = s.grad + Int(t.z) * d; for c in 0..<d { gj[c] -= g * eu[c] } }
            }
        }
        graph.layerMean(s.grad, layers: layers, into: s.grad0, scratch: (s.a, s.b), d: d, threads: threads)
        var loss = 0.0, reg = 0.0
        for t in terms { loss += t.x; reg += t.z }
        guard regularization > 0 else { return (loss / Double(n), 0) }
        parallelFor(count: parts.count, threads: threads, grain: 1) { part in
            let rows = parts[part]
            for t in triples {
                for node in [t.x, t.y, t.z] where rows.contains(Int(node)) {
                    let e = s.e0 + Int(node) * d, g = s.grad0 + Int(node) * d
                    for c in 0..<d { g[c] += r * e[c] }
                }
            }
        }
        return (loss / Double(n), reg * Double(regularization) / 2 / Double(n))
    }

    /// Node rows cut into a few ranges per thread, for the row-owning gradient parts.
    private static func rowRanges(_ nodes: Int, threads: Int) -> [Range<Int>] {
        let parts = max(1, min(nodes, 4 * threads))
        return (0..<parts).map { nodes * $0 / parts..<nodes * ($0 + 1) / parts }
    }

    /// Adam (Kingma & Ba) with bias correction, or SGD, over one flat parameter array. The
    /// correction is folded into the step size and ε (lr·√c₂/c₁, ε·√c₂), as in RecbenchNN's Adam,
    /// whose AVX2 kernel this step runs; the scalar loop does the same operations.
    struct Optimizer {
        let adam: Bool, learningRate: Float, count: Int
        let m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
        var t = 0
        /// Whether the step runs the AVX2 kernel (a test compares it with the Swift lanes).
        var vectorKernel = CPUFeatures.avx2FMA

        init(adam: Bool, learningRate: Float, count: Int) {
            self.adam = adam; self.learningRate = learningRate; self.count = count
            let n = adam ? count : 0
            m = .allocate(capacity: max(1, n)); m.initialize(repeating: 0, count: n)
            v = .allocate(capacity: max(1, n)); v.initialize(repeating: 0, count: n)
        }

        func deallocate() { m.deallocate(); v.deallocate() }

        /// One step from `g`, which it may overwrite (the kernel zeroes what it reads).
        mutating func step(_ x: UnsafeMutablePointer<Float>, gradient g: UnsafeMutablePointer<Float>, threads: Int) {
            t += 1
            guard adam else {
                let lr = learningRate, p = UncheckedSendable((x, g))
                parallelChunks(count: count, threads: threads) { _, range in
                    let (x, g) = p.value
                    for k in range { x[k] -= lr * g[k] }
                }
                return
            }
            let b1: Float = 0.9, b2: Float = 0.999
            let c1 = 1 - pow(b1, Float(t)), c2 = 1 - pow(b2, Float(t))
            let rule = AdamRule(
                beta1: b1, beta2: b2, learningRate: learningRate * c2.squareRoot() / c1,
                epsilon: 1e-8 * c2.squareRoot(),
                vectorKernel: vectorKernel)
            let p = UncheckedSendable((x, g, m, v))
            parallelChunks(count: count, threads: threads) { _, range in
                let (x, g, m, v) = p.value
                _ = rule.apply(x, g, extra: nil, m, v, range.lowerBound, range.upperBound)
            }
        }
    }
}
