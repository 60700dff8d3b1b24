import RecbenchCore
import RecbenchAlgorithms
import Dispatch

/// The hyper-parameters SASRec and BERT4Rec share, declared once with per-model defaults.
public struct SequenceSettings: Sendable {
    public var embeddingSize: Int, blocks: Int, heads: Int, innerSize: Int, maxLength: Int
    public var dropout: Float, learningRate: Float, weightDecay: Float, clipNorm: Float
    public enum SequenceLoss: String, CaseIterable, Sendable { case bce, softmax }
    public var batchSize: Int, epochs: Int, loss: SequenceLoss, negatives: Int, patience: Int, validateEvery: Int
    public var slidingWindow: Bool

    /// `extra` (a model's own parameters) follows dropout; the help texts name what the loss is
    /// computed on (every position, or the masked ones).
    /// `transformer: false` leaves out blocks, heads and inner_size (a recurrent encoder has none).
    static func parameters(
        dropout: Double, batchSize: Int, maxLengthHelp: String, lossHelp: String,
        negativesHelp: String, extra: [ParameterSpec] = [],
        transformer: Bool = true
    ) -> [ParameterSpec] {
        let encoder: [ParameterSpec] =
            !transformer
            ? []
            : [
                .integer("blocks", default: 2, min: 1, max: 64, "Transformer blocks."),
                .integer("heads", default: 2, min: 1, max: 64, "Attention heads (must divide embedding_size)."),
                .integer("inner_size", default: 256, min: 1, max: 65536, "Feed-forward hidden size.")
            ]
        return [
            .integer("embedding_size", default: 64, min: 1, max: 4096, "Item embedding and hidden size D.")
        ] + encoder + [
            .integer("max_length", default: 50, min: 2, max: 4096, maxLengthHelp),
            .real(
                "dropout", default: dropout, min: 0, max: 0.95,
                "Dropout on embeddings, attention and residual branches.")
        ] + extra + [
            .real("learning_rate", default: 1e-3, exclusiveMin: true, "Adam step size."),
            .real("weight_decay", default: 0, "Decoupled weight decay (AdamW) when > 0."),
            .real("clip_norm", default: 5, "Global gradient-norm clip; 0 disables."),
            .integer("batch_size", default: batchSize, min: 1, max: 1 << 20, "Sequences per step."),
            .integer("epochs", default: 200, min: 1, max: 100_000, "Most passes over the sequences."),
            .choice("loss", default: SequenceLoss.softmax, lossHelp),
            .integer("negatives", default: 0, min: 0, max: 100_000, negativesHelp),
            .patience(default: 20, unit: "epochs"),
            .validateEvery(),
            .boolean("sliding_window", default: false, "Also train on earlier max_length windows of longer histories.")
        ]
    }

    /// Rules over several settings: attention splits the width evenly over the heads, the binary
    /// loss needs negatives, and one step's activations (batch × length × width, and the attention
    /// scores batch × heads × length²) must stay below 2²⁸ floats (1 GiB) each.
    static let constraints: [ParameterConstraint] = [
        .multiple("embedding_size", of: "heads"),
        ParameterConstraint(parameters: ["negatives", "loss"]) { v in
            v.text("loss") == "bce" && v.int("negatives") == 0
                ? "negatives 0 with loss \"bce\": the binary loss needs at least 1" : nil
        },
        .product(["batch_size", "max_length", "embedding_size"], atMost: 1 << 28, "floats in a layer's activations"),
        .product(["batch_size", "max_length", "inner_size"], atMost: 1 << 28, "floats in the feed-forward activations"),
        .product(["batch_size", "heads", "max_length", "max_length"], atMost: 1 << 28, "attention scores")
    ]

    public init(_ v: ParameterValues) {
        // A recurrent model declares no transformer settings (0 = none).
        let declares = v.values["blocks"] != nil
        embeddingSize = v.int("embedding_size"); blocks = declares ? v.int("blocks") : 0
        heads = declares ? v.int("heads") : 0; innerSize = declares ? v.int("inner_size") : 0
        maxLength = v.int("max_length"); dropout = Float(v.real("dropout"))
        learningRate = Float(v.real("learning_rate")); weightDecay = Float(v.real("weight_decay"))
        clipNorm = Float(v.real("clip_norm")); batchSize = v.int("batch_size"); epochs = v.int("epochs")
        loss = v.choice("loss"); negatives = v.int("negatives"); patience = v.int("patience")
        validateEvery = v.int("validate_every"); slidingWindow = v.bool("sliding_window")
    }
}

/// What turns embedded windows (B × L × D) into hidden states (B × L × D): the transformer for
/// SASRec and BERT4Rec, a GRU for GRU4Rec.
protocol SequenceEncoder: AnyObject {
    var parameters: [Parameter] { get }
    var noDecay: [Parameter] { get }
    func encode(_ g: Graph, _ x: Tensor, keyValid: UnsafeBufferPointer<Int32>, causal: Bool) -> Tensor
}

extension TransformerEncoder: SequenceEncoder {
    func encode(_ g: Graph, _ x: Tensor, keyValid: UnsafeBufferPointer<Int32>, causal: Bool) -> Tensor {
        self(g, x, keyValid: keyValid, causal: causal)
    }
}

/// Item (+ positional) embeddings, a sequence encoder (a transformer unless `makeEncoder` says
/// otherwise) and the shared-embedding output layer, with the training loop the sequential models
/// share. A model supplies how one training row is filled (inputs, targets, padding) and which
/// window `score` continues.
final class TransformerSequenceModel: @unchecked Sendable {
    typealias EncoderFactory = (SequenceSettings, inout RandomSource) -> any SequenceEncoder
    let settings: SequenceSettings
    let causal: Bool
    /// Extra embedding rows after the items (BERT4Rec's mask token).
    let extraTokens: Int
    /// False for encoders that know order without them (a recurrent one).
    let positions: Bool
    let makeEncoder: EncoderFactory
    let name: String
    var itemCount = 0
    var itemEmbedding: Parameter!
    var positionEmbedding: Parameter!
    var encoder: (any SequenceEncoder)!
    var parameters: [Parameter] = []
    let graphs = GraphCache()

    init(
        name: String, settings: SequenceSettings, causal: Bool, extraTokens: Int, positions: Bool = true,
        makeEncoder: @escaping EncoderFactory = { s, rng in
            TransformerEncoder(
                dim: s.embeddingSize, blocks: s.blocks, heads: s.heads, innerSize: s.innerSize,
                dropout: s.dropout, rng: &rng)
        }
    ) {
        self.name = name; self.settings = settings; self.causal = causal; self.extraTokens = extraTokens
        self.positions = positions; self.makeEncoder = makeEncoder
    }

    func build(itemCount: Int, seed: UInt64) {
        self.itemCount = itemCount
        var rng = RandomSource(seed: seed, stream: "\(name)-init")
        let d = settings.embeddingSize
        itemEmbedding = Parameter("item", Shape(itemCount + extraTokens, d));
        itemEmbedding.fillNormal(std: 0.02, rng: &rng)
        positionEmbedding = Parameter("position", Shape(settings.maxLength, d))
        if positions { positionEmbedding.fillNormal(std: 0.02, rng: &rng) }
        encoder = makeEncoder(settings, &rng)
        parameters = [itemEmbedding] + (positions ? [positionEmbedding] : []) + encoder.parameters
    }

    /// Whether windows are packed several to a row (`WindowPacking`): a transformer's outputs do
    /// not depend on other windows in the row; a recurrent encoder's state would run across them.
    var packs: Bool { encoder is TransformerEncoder }

    /// Hidden states B × L × D for left-padded windows (−1 = padding), or for packed rows when
    /// `positionIndex` gives each slot's positional row (−1 = none) and keyValid its segment.
    func encode(
        _ g: Graph, items: UnsafeBufferPointer<Int32>, keyValid: UnsafeBufferPointer<Int32>,
        positionIndex: UnsafeBufferPointer<Int32>? = nil, batch: Int
    ) -> Tensor {
        let l = settings.maxLength, d = settings.embeddingSize
        var x = g.gatherRows(g.parameter(itemEmbedding), items, shape: Shape(batch, l, d))
        if positions {
            if let positionIndex {
                x = g.add(x, g.gatherRows(g.parameter(positionEmbedding), positionIndex, shape: Shape(batch, l, d)))
            } else {
                x = g.addBias(x, g.parameter(positionEmbedding))
            }
        }
        x = g.dropout(x, settings.dropout)
        return encoder.encode(g, x, keyValid: keyValid, causal: causal)
    }

    /// Next-item training (SASRec, GRU4Rec): each sample is a window of (h[t], h[t+1]) pairs of a
    /// training history, left-padded to max_length; with sliding_window, also the earlier windows.
    func trainNextItem(state: SequenceState, context: FitContext, model: any Recommender) throws {
        let l = settings.maxLength
        // Samples: (user, end) = the window of input/target pairs ending before `end`.
        var samples: [(user: Int, end: Int)] = []
        for (u, h) in state.training.enumerated() where h.count >= 2 {
            let pairs = h.count - 1
            if settings.slidingWindow {
                var end = pairs
                while end > 0 { samples.append((u, end)); end -= l }
            } else {
                samples.append((u, pairs))
            }
        }
        try train(samples: samples.count, state: state, context: context, model: model) { sample, inputs, targets, _ in
            let (u, end) = samples[sample], h = state.training[u]
            let begin = max(0, end - l), pad = l - (end - begin)
            for s in 0..<l {
                if s < pad { inputs[s] = -1; targets[s] = -1; continue }
                let t = begin + s - pad
                inputs[s] = h[t]; targets[s] = h[t + 1]
            }
            return u
        }
    }

    /// Fills row `row` (L slots starting at inputs/targets) for sample `sample`: inputs −1 for
    /// padding, targets −1 where no loss is taken. Returns the user (for negative sampling).
    typealias Filler = (
        _ sample: Int, _ inputs: UnsafeMutablePointer<Int32>, _ targets: UnsafeMutablePointer<Int32>,
        _ rng: inout RandomSource
    ) -> Int

    func train(
        samples sampleCount: Int, state: SequenceState, context: FitContext, model: any Recommender, fill: Filler
    ) throws {
        let s = settings, l = s.maxLength, d = s.embeddingSize, nItems = itemCount
        if s.loss == .bce && s.negatives == 0 {
            throw RecbenchError.invalid("\(name): loss \"bce\" needs negatives ≥ 1")
        }
        guard sampleCount > 0 else { return }
        var noDecay = Set(encoder.noDecay.map(ObjectIdentifier.init));
        noDecay.insert(ObjectIdentifier(positionEmbedding))
        let adam = Adam(
            parameters: parameters, learningRate: s.learningRate, weightDecay: s.weightDecay,
            decoupledWeightDecay: s.weightDecay > 0, clipNorm: s.clipNorm, noDecay: noDecay, threads: context.threads)
        let g = Graph(training: true, threads: context.threads, seed: context.seed)
        var rng = context.random("\(name)-batches")
        let sampler = NegativeSampler(histories: state.training, itemCount: nItems)
        let bs = s.batchSize, k = s.negatives
        var order = Array(0..<sampleCount)
        var inputs = [Int32](repeating: -1, count: bs * l), targets = [Int32](repeating: -1, count: bs * l)
        var keyValid = [Int32](repeating: 0, count: bs * l), owner = [Int](repeating: 0, count: bs)
        var packing = WindowPacking(length: l), widths = [Int](repeating: 0, count: bs)
        var slotOwner = [Int](), packed = packs
        var rows = [Int32](), compactTargets = [Int32](), candidates = [Int32](), zeros = [Int32]()
        var bceTargets = [Float](), bceWeights = [Float]()

        try trainEpochs(
            s.epochs, patience: s.patience, validateEvery: s.validateEvery, parameters: parameters,
            state: state, context: context, model: model
        ) {
            rng.shuffle(&order)
            var lossSum = 0.0, steps = 0
            for first in stride(from: 0, to: sampleCount, by: bs) {
                let b = min(bs, sampleCount - first)
                rows.removeAll(keepingCapacity: true); compactTargets.removeAll(keepingCapacity: true)
                inputs.withUnsafeMutableBufferPointer { inp in
                    targets.withUnsafeMutableBufferPointer { tg in
                        for r in 0..<b {
                            owner[r] = fill(order[first + r], inp.baseAddress! + r * l, tg.baseAddress! + r * l, &rng)
                        }
                    }
                }
                // Windows are left-padded: a row's tokens are its last `width` slots.
                for r in 0..<b {
                    var pad = 0
                    while pad < l && inputs[r * l + pad] < 0 { pad += 1 }
                    widths[r] = l - pad
                }
                let width = Array(widths[0..<b])
                packed = packs && width.allSatisfy { $0 > 0 }
                var slots = b * l
                if packed {
                    packing.layout(width)
                    inputs.withUnsafeBufferPointer { inp in
                        targets.withUnsafeBufferPointer { tg in
                            for r in 0..<b {
                                packing.fill(r, inputs: inp.baseAddress! + r * l, targets: tg.baseAddress! + r * l)
                            }
                        }
                    }
                    slots = packing.rows * l
                    slotOwner.removeAll(keepingCapacity: true)
                    for slot in 0..<slots {
                        let seg = Int(packing.segments[slot])
                        slotOwner.append(seg > 0 ? owner[seg - 1] : -1)
                        if packing.targets[slot] >= 0 {
                            rows.append(Int32(slot)); compactTargets.append(packing.targets[slot])
                        }
                    }
                } else {
                    for slot in 0..<slots {
                        keyValid[slot] = inputs[slot] >= 0 ? 1 : 0
                        if targets[slot] >= 0 { rows.append(Int32(slot)); compactTargets.append(targets[slot]) }
                    }
                }
                let nv = rows.count
                if nv == 0 { continue }
                g.reset()
                let hidden =
                    packed
                    ? packing.items.withUnsafeBufferPointer { inp in
                        packing.segments.withUnsafeBufferPointer { kv in
                            packing.positions.withUnsafeBufferPointer {
                                encode(g, items: inp, keyValid: kv, positionIndex: $0, batch: packing.rows)
                            }
                        }
                    }
                    : inputs.withUnsafeBufferPointer { inp in
                        keyValid.withUnsafeBufferPointer { kv in
                            encode(
                                g, items: UnsafeBufferPointer(rebasing: inp[0..<slots]),
                                keyValid: UnsafeBufferPointer(rebasing: kv[0..<slots]), batch: b)
                        }
                    }
                // Only positions with a target reach the output layer.
                let hv = g.gatherRows(hidden, rows, shape: Shape(nv, d))
                let table = g.parameter(itemEmbedding)
                let loss: Tensor
                if s.loss == .softmax && k == 0 {
                    loss = g.softmaxCrossEntropy(
                        logits: g.matmul(hv, table, transposeB: true, bRows: nItems), targets: compactTargets)
                } else {
                    candidates.removeAll(keepingCapacity: true)
                    for (j, slot) in rows.enumerated() {
                        candidates.append(compactTargets[j])
                        let u = packed ? slotOwner[Int(slot)] : owner[Int(slot) / l]
                        for _ in 0..<k { candidates.append(sampler.draw(for: u, rng: &rng)) }
                    }
                    let logits = g.gatherDot(hv, table, candidates, perRow: 1 + k)
                    if s.loss == .softmax {
                        if zeros.count < nv { zeros = [Int32](repeating: 0, count: nv) }
                        loss = zeros.withUnsafeBufferPointer {
                            g.softmaxCrossEntropy(logits: logits, targets: UnsafeBufferPointer(rebasing: $0[0..<nv]))
                        }
                    } else {
                        bceTargets.removeAll(keepingCapacity: true); bceWeights.removeAll(keepingCapacity: true)
                        for _ in 0..<nv {
                            bceTargets.append(1); bceWeights.append(1)
                            for _ in 0..<k { bceTargets.append(0); bceWeights.append(1) }
                        }
                        loss = g.binaryCrossEntropy(logits: logits, targets: bceTargets, weights: bceWeights)
                    }
                }
                g.backward(loss)
                adam.update()
                lossSum += Double(g.scalar(loss)); steps += 1
            }
            return lossSum / Double(max(1, steps))
        }
    }

    /// Scores of every item for each user from the encoder's last position over `window(user)`
    /// (at most L items, most recent last): one inference pass and one sgemm per call.
    func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>, window: (Int) -> [Int32]) {
        let l = settings.maxLength, d = settings.embeddingSize, n = itemCount
        guard !users.isEmpty else { return }
        var items = [Int32](repeating: -1, count: users.count * l),
            valid = [Int32](repeating: 0, count: users.count * l)
        var widths = [Int](repeating: 0, count: users.count)
        for (r, u) in users.enumerated() {
            let h = window(Int(u)), w = min(l, h.count)
            widths[r] = w
            for s in 0..<w { items[r * l + l - w + s] = h[h.count - w + s]; valid[r * l + l - w + s] = 1 }
        }
        // An empty window keeps the unpacked layout (its output comes from padding alone).
        var packing = WindowPacking(length: l)
        let packed = packs && widths.allSatisfy { $0 > 0 }
        if packed {
            packing.layout(widths)
            items.withUnsafeBufferPointer { it in
                for r in 0..<users.count { packing.fill(r, inputs: it.baseAddress! + r * l, targets: nil) }
            }
        }
        graphs.withGraph { g in
            let hidden =
                packed
                ? packing.items.withUnsafeBufferPointer { it in
                    packing.segments.withUnsafeBufferPointer { kv in
                        packing.positions.withUnsafeBufferPointer {
                            encode(g, items: it, keyValid: kv, positionIndex: $0, batch: packing.rows)
                        }
                    }
                }
                : items.withUnsafeBufferPointer { it in
                    valid.withUnsafeBufferPointer { encode(g, items: it, keyValid: $0, batch: users.count) }
                }
            let ends = (0..<users.count).map { Int32(packed ? packing.lastSlot($0) : $0 * l + l - 1) }
            let last = g.gatherRows(hidden, ends, shape: Shape(users.count, d))
            BLAS.sgemm(
                transB: true, m: users.count, n: n, k: d, a: g.value(last), lda: d, b: itemEmbedding.value, ldb: d,
                c: scores.baseAddress!, ldc: n)
        }
    }
}

extension SequenceSettings {
    /// Peak memory of a transformer fit (SASRec, BERT4Rec): item and position embeddings and the
    /// blocks' weights (value, gradient, two Adam moments), the users' sequences, and one batch's
    /// activations and output scores.
    public func transformerPeakBytes(_ s: DataShape) -> Int {
        let d = embeddingSize, l = maxLength, b = min(batchSize, max(1, s.users))
        // Full softmax scores every item at every position of the batch (value and gradient).
        let outputs = negatives == 0 ? b * l * s.items : b * l * (1 + negatives)
        let weights = (s.items + 2 + l) * d + blocks * (4 * d * d + 2 * d * innerSize + 8 * d)
        let activations = blocks * b * l * (12 * d + 2 * innerSize + 2 * heads * l)
        return 16 * weights + 4 * s.users * l + 4 * (activations + 2 * outputs)
    }
}
