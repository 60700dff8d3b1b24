import RecbenchCore

/// Up to three dimensions, row-major. Every op reads a tensor either flat or as `rows × last`.
public struct Shape: Equatable, Sendable, CustomStringConvertible {
    public let rank: Int
    public let d0: Int, d1: Int, d2: Int
    public init(_ a: Int) { rank = 1; d0 = a; d1 = 1; d2 = 1 }
    public init(_ a: Int, _ b: Int) { rank = 2; d0 = a; d1 = b; d2 = 1 }
    public init(_ a: Int, _ b: Int, _ c: Int) { rank = 3; d0 = a; d1 = b; d2 = c }
    public var count: Int { d0 * d1 * d2 }
    /// Size of the last dimension.
    public var last: Int { rank == 1 ? d0 : rank == 2 ? d1 : d2 }
    /// Everything but the last dimension, flattened.
    public var rows: Int { count / max(1, last) }
    /// The same leading dimensions with a new last one.
    public func withLast(_ n: Int) -> Shape {
        rank == 1 ? Shape(n) : rank == 2 ? Shape(d0, n) : Shape(d0, d1, n)
    }
    public var description: String { rank == 1 ? "[\(d0)]" : rank == 2 ? "[\(d0), \(d1)]" : "[\(d0), \(d1), \(d2)]" }
}

/// A handle to a value in a `Graph` (valid until the graph's next `reset`).
public struct Tensor: Sendable {
    public let id: Int
    public let shape: Shape
}

/// A trainable array that outlives graphs: value, accumulated gradient, and a name for debugging.
public final class Parameter: @unchecked Sendable {
    public let name: String
    public let shape: Shape
    public let value: UnsafeMutablePointer<Float>
    public let grad: UnsafeMutablePointer<Float>
    public var count: Int { shape.count }

    public init(_ name: String, _ shape: Shape) {
        self.name = name; self.shape = shape
        value = .allocate(capacity: max(1, shape.count)); value.initialize(repeating: 0, count: max(1, shape.count))
        grad = .allocate(capacity: max(1, shape.count)); grad.initialize(repeating: 0, count: max(1, shape.count))
    }
    deinit { value.deallocate(); grad.deallocate() }

    public func fillNormal(std: Float, rng: inout RandomSource) {
        for i in 0..<count { value[i] = Float(rng.nextGaussian()) * std }
    }
    /// Glorot/Xavier uniform for a fan-in × fan-out weight.
    public func fillXavier(rng: inout RandomSource) {
        let fanIn = shape.rank == 1 ? shape.d0 : shape.rows, fanOut = shape.last
        let a = (6 / Float(fanIn + fanOut)).squareRoot()
        for i in 0..<count { value[i] = (2 * rng.nextFloat() - 1) * a }
    }
    /// Glorot/Xavier uniform for a block of rows taken as its own fan-in × fan-out weight (several
    /// weights stacked in one parameter, each initialised as if it stood alone).
    public func fillXavier(rows: Range<Int>, rng: inout RandomSource) {
        let fanOut = shape.last, a = (6 / Float(rows.count + fanOut)).squareRoot()
        for i in (rows.lowerBound * fanOut)..<(rows.upperBound * fanOut) { value[i] = (2 * rng.nextFloat() - 1) * a }
    }
    public func fill(_ v: Float) { value.update(repeating: v, count: count) }
    public func zeroGrad() { grad.update(repeating: 0, count: count) }
    public var values: [Float] {
        get { Array(UnsafeBufferPointer(start: value, count: count)) }
        set { precondition(newValue.count == count); for i in 0..<count { value[i] = newValue[i] } }
    }
}

/// Slots of raw memory handed out in call order and reused after `reset`: a training step builds
/// the same graph every time, so once warm no op allocates.
final class Pool<T> {
    private var slots: [(UnsafeMutablePointer<T>, Int)] = []
    private var cursor = 0
    func take(_ count: Int) -> UnsafeMutablePointer<T> {
        let n = max(1, count)
        if cursor < slots.count {
            if slots[cursor].1 < n {
                slots[cursor].0.deallocate()
                slots[cursor] = (.allocate(capacity: n), n)
            }
        } else {
            slots.append((.allocate(capacity: n), n))
        }
        defer { cursor += 1 }
        return slots[cursor].0
    }
    func reset() { cursor = 0 }
    deinit { for s in slots { s.0.deallocate() } }
}

struct Node {
    var value: UnsafeMutablePointer<Float>
    var grad: UnsafeMutablePointer<Float>?
    var shape: Shape
}

enum Op {
    case matmul, add, addBias, mul, scale, concat, gatherRows, gatherDot, layerNorm, gelu, relu, sigmoid, dropout
    case attentionScores, maskedSoftmax, attentionApply, bceWithLogits, softmaxCrossEntropy
    case embeddingBag, tanh, reparameterize, gaussianKL, multinomialNLL, gru
    case weightedPool, meanSquaredError, pairwiseInteraction, squaredNorm, activationWeights
}

/// One recorded op: output, up to four inputs, integer/real parameters and scratch saved for backward.
struct Record {
    var op: Op
    var out: Int
    var a: Int, b: Int = -1, c: Int = -1, d: Int = -1
    var i0 = 0, i1 = 0, i2 = 0
    var f0: Float = 0
    var ints: UnsafeMutablePointer<Int32>? = nil
    var floats: UnsafeMutablePointer<Float>? = nil
    var floats2: UnsafeMutablePointer<Float>? = nil
    var ints2: UnsafeMutablePointer<Int32>? = nil
}

/// A tape-based reverse-mode autodiff graph over Float32 tensors. Build the forward pass with the
/// op methods (extensions by concern), call `backward(loss)`, read gradients from parameters,
/// then `reset()` to reuse every buffer for the next step. With `recordsGradients == false`
/// (inference) nothing is taped and parameters are only read, so several inference graphs may
/// share parameters across threads.
public final class Graph {
    public var training: Bool
    public let recordsGradients: Bool
    /// Threads for the per-(batch, head) attention loops and the large products (`GEMMPanels`).
    public var threads: Int
    public var rng: RandomSource
    var nodes: [Node] = []
    var tape: [Record] = []
    /// Scalar regularisation terms a forward pass adds (`penalize`), for the training loop to add
    /// to its loss; cleared by `reset`.
    public private(set) var penalties: [Tensor] = []
    let floats = Pool<Float>()
    let ints = Pool<Int32>()
    /// Where the parameters' gradients accumulate when not in the parameters' own buffers: two
    /// graphs back-propagating halves of one batch at the same time (`SplitStep`).
    var shadow: ShadowGradients?
    /// Whether the embedding bags run the AVX2 + FMA kernels (the CPU has them and a test has not
    /// asked for the portable loops, which it compares them with).
    var vectorKernels = CPUFeatures.avx2FMA

    public init(training: Bool = true, recordsGradients: Bool = true, threads: Int = 1, seed: UInt64 = 0) {
        self.training = training; self.recordsGradients = recordsGradients; self.threads = max(1, threads)
        rng = RandomSource(seed: seed, stream: "graph")
    }

    public func reset() {
        nodes.removeAll(keepingCapacity: true); tape.removeAll(keepingCapacity: true)
        penalties.removeAll(keepingCapacity: true); floats.reset(); ints.reset()
    }

    /// Adds scale · Σ x² to `penalties` when the graph trains (nothing at inference).
    public func penalize(_ x: Tensor, scale: Float) {
        guard training && recordsGradients && scale > 0 else { return }
        penalties.append(squaredNorm(x, scale: scale))
    }

    /// A new node whose value is uninitialised and whose gradient (when any input needs one) is zero.
    func make(_ shape: Shape, needsGrad: Bool) -> Tensor {
        let v = floats.take(shape.count)
        var g: UnsafeMutablePointer<Float>? = nil
        if needsGrad && recordsGradients {
            g = floats.take(shape.count); g!.update(repeating: 0, count: shape.count)
        }
        nodes.append(Node(value: v, grad: g, shape: shape))
        return Tensor(id: nodes.count - 1, shape: shape)
    }

    func needs(_ ts: Tensor...) -> Bool { recordsGradients && ts.contains { nodes[$0.id].grad != nil } }
    func record(_ r: Record) { if recordsGradients && nodes[r.out].grad != nil { tape.append(r) } }

    /// Copies of integers an op keeps for its backward pass.
    func keep(_ values: UnsafeBufferPointer<Int32>) -> UnsafeMutablePointer<Int32> {
        let p = ints.take(values.count)
        if let base = values.baseAddress { p.update(from: base, count: values.count) }
        return p
    }

    // MARK: leaves

    /// A constant input (no gradient), copied into graph memory.
    public func input(_ shape: Shape, _ values: UnsafeBufferPointer<Float>) -> Tensor {
        precondition(values.count == shape.count, "input: \(values.count) values for \(shape)")
        let t = make(shape, needsGrad: false)
        nodes[t.id].value.update(from: values.baseAddress!, count: shape.count)
        return t
    }
    public func input(_ shape: Shape, _ values: [Float]) -> Tensor {
        values.withUnsafeBufferPointer { input(shape, $0) }
    }
    /// An input whose gradient is kept (for gradient checks and feature inputs).
    public func variable(_ shape: Shape, _ values: [Float]) -> Tensor {
        let t = make(shape, needsGrad: true)
        for i in 0..<shape.count { nodes[t.id].value[i] = values[i] }
        return t
    }

    /// A parameter leaf: reads the parameter's storage in place and accumulates into its gradient.
    public func parameter(_ p: Parameter) -> Tensor {
        nodes.append(
            Node(value: p.value, grad: recordsGradients ? shadow?.gradient(of: p) ?? p.grad : nil, shape: p.shape))
        return Tensor(id: nodes.count - 1, shape: p.shape)
    }

    /// Rows `rows` of a matrix parameter as a tensor of their own, sharing its value and gradient:
    /// a layer applied to a concatenation is the sum of its row blocks applied to the parts.
    public func parameter(_ p: Parameter, rows: Range<Int>) -> Tensor {
        let width = p.shape.last, offset = rows.lowerBound * width
        precondition(rows.lowerBound >= 0 && rows.upperBound <= p.shape.rows, "parameter rows \(rows) of \(p.shape)")
        let grad = recordsGradients ? (shadow?.gradient(of: p) ?? p.grad) + offset : nil
        nodes.append(Node(value: p.value + offset, grad: grad, shape: Shape(rows.count, width)))
        return Tensor(id: nodes.count - 1, shape: Shape(rows.count, width))
    }

    public func value(_ t: Tensor) -> UnsafeMutablePointer<Float> { nodes[t.id].value }
    public func grad(_ t: Tensor) -> UnsafeMutablePointer<Float>? { nodes[t.id].grad }
    public func values(_ t: Tensor) -> [Float] { Array(UnsafeBufferPointer(start: value(t), count: t.shape.count)) }
    public func scalar(_ t: Tensor) -> Float { value(t)[0] }

    // MARK: backward

    /// Back-propagates d(loss)/d(loss) = 1 from a scalar loss.
    public func backward(_ loss: Tensor) {
        precondition(loss.shape.count == 1, "backward needs a scalar; use backward(_:seed:)")
        var one: Float = 1
        withUnsafePointer(to: &one) { backward(loss, seed: UnsafeBufferPointer(start: $0, count: 1)) }
    }

    /// Back-propagates an arbitrary output gradient `seed` (same count as `output`).
    public func backward(_ output: Tensor, seed: UnsafeBufferPointer<Float>) {
        guard let g = nodes[output.id].grad else { return }
        for i in 0..<output.shape.count { g[i] += seed[i] }
        for r in tape.reversed() { backwardStep(r) }
    }

    private func backwardStep(_ r: Record) {
        switch r.op {
        case .matmul: matmulBackward(r)
        case .add: addBackward(r)
        case .addBias: addBiasBackward(r)
        case .mul: mulBackward(r)
        case .scale: scaleBackward(r)
        case .concat: concatBackward(r)
        case .gatherRows: gatherRowsBackward(r)
        case .gatherDot: gatherDotBackward(r)
        case .layerNorm: layerNormBackward(r)
        case .gelu: geluBackward(r)
        case .relu: reluBackward(r)
        case .sigmoid: sigmoidBackward(r)
        case .dropout: dropoutBackward(r)
        case .attentionScores: attentionScoresBackward(r)
        case .maskedSoftmax: maskedSoftmaxBackward(r)
        case .attentionApply: attentionApplyBackward(r)
        case .bceWithLogits: bceBackward(r)
        case .softmaxCrossEntropy: softmaxCrossEntropyBackward(r)
        case .embeddingBag: embeddingBagBackward(r)
        case .tanh: tanhBackward(r)
        case .reparameterize: reparameterizeBackward(r)
        case .gaussianKL: gaussianKLBackward(r)
        case .multinomialNLL: multinomialNLLBackward(r)
        case .gru: gruBackward(r)
        case .weightedPool: weightedPoolBackward(r)
        case .meanSquaredError: meanSquaredErrorBackward(r)
        case .pairwiseInteraction: pairwiseInteractionBackward(r)
        case .squaredNorm: squaredNormBackward(r)
        case .activationWeights: activationWeightsBackward(r)
        }
    }
}
