import RecbenchCore
import RecbenchAlgorithms
import Dispatch

/// SASRec (Kang & McAuley 2018): item + learned positional embeddings, a causal transformer
/// encoder, and next-item scores by the shared item embedding. Trained on every position of each
/// user's (left-padded, truncated) history at once, with BCE against sampled negatives (as the
/// paper) or softmax cross-entropy over all items or over sampled negatives.
public final class SASRec: Recommender {
    public struct Config: AlgorithmConfig {
        public static let parameters: [ParameterSpec] = [
            .integer("embedding_size", default: 64, min: 1, max: 4096, "Item embedding and hidden size D."),
            .integer("blocks", default: 2, min: 1, max: 64, "Transformer blocks."),
            .integer("heads", default: 2, min: 1, max: 64, "Attention heads (must divide embedding_size)."),
            .integer("inner_size", default: 256, min: 1, max: 65536, "Feed-forward hidden size."),
            .integer("max_length", default: 50, min: 2, max: 4096, "Most recent items kept per sequence."),
            .real("dropout", default: 0.5, min: 0, max: 0.95, "Dropout on embeddings, attention and residual branches."),
            .real("learning_rate", default: 1e-3, exclusiveMin: true, "Adam step size."),
            .real("weight_decay", default: 0, "Decoupled weight decay (AdamW) when > 0."),
            .real("clip_norm", default: 5, "Global gradient-norm clip; 0 disables."),
            .integer("batch_size", default: 128, min: 1, max: 1 << 20, "Sequences per step."),
            .integer("epochs", default: 200, min: 1, max: 100_000, "Most passes over the sequences."),
            .choice("loss", ["bce", "softmax"], default: "softmax",
                    "bce: binary cross-entropy, one positive and `negatives` sampled negatives per position; softmax: cross-entropy over all items (negatives = 0) or over `negatives` sampled ones."),
            .integer("negatives", default: 0, min: 0, max: 100_000, "Sampled negatives per position (bce needs ≥ 1; 0 with softmax = full softmax)."),
            .integer("patience", default: 20, min: 0, max: 100_000, "Epochs without validation gain before stopping (0 = never stop early)."),
            .integer("validate_every", default: 1, min: 1, max: 100_000, "Epochs between validation evaluations."),
            .boolean("sliding_window", default: false, "Also train on earlier max_length windows of longer histories."),
        ]
        public var embeddingSize: Int, blocks: Int, heads: Int, innerSize: Int, maxLength: Int
        public var dropout: Double, learningRate: Double, weightDecay: Double, clipNorm: Double
        public var batchSize: Int, epochs: Int, loss: String, negatives: Int, patience: Int, validateEvery: Int
        public var slidingWindow: Bool
        public init(_ v: ParameterValues) {
            embeddingSize = v.int("embedding_size"); blocks = v.int("blocks"); heads = v.int("heads")
            innerSize = v.int("inner_size"); maxLength = v.int("max_length"); dropout = v.real("dropout")
            learningRate = v.real("learning_rate"); weightDecay = v.real("weight_decay"); clipNorm = v.real("clip_norm")
            batchSize = v.int("batch_size"); epochs = v.int("epochs"); loss = v.text("loss")
            negatives = v.int("negatives"); patience = v.int("patience"); validateEvery = v.int("validate_every")
            slidingWindow = v.bool("sliding_window")
        }
        public init(_ overrides: [String: ParameterValue] = [:]) {
            self.init(ParameterValues(specs: Self.parameters, overrides: overrides))
        }
    }
    public static let name = "SASRec"
    public static let summary = "Self-attentive sequential recommendation (causal transformer over item histories)."
    public static let tasks: Set<Task> = [.sequential]

    public let config: Config
    let state = SequenceState()
    let graphs = GraphCache()
    var itemEmbedding: Parameter!
    var positionEmbedding: Parameter!
    var encoder: TransformerEncoder!
    var allParameters: [Parameter] = []

    public init(config: Config) { self.config = config }

    func build(itemCount: Int, seed: UInt64) {
        var rng = RandomSource(seed: seed, stream: "sasrec-init")
        let d = config.embeddingSize
        itemEmbedding = Parameter("item", Shape(itemCount, d)); itemEmbedding.fillNormal(std: 0.02, rng: &rng)
        positionEmbedding = Parameter("position", Shape(config.maxLength, d)); positionEmbedding.fillNormal(std: 0.02, rng: &rng)
        encoder = TransformerEncoder(dim: d, blocks: config.blocks, heads: config.heads, innerSize: config.innerSize,
                                     dropout: Float(config.dropout), rng: &rng)
        allParameters = [itemEmbedding, positionEmbedding] + encoder.parameters
    }

    /// Hidden states B × L × D for left-padded item windows (−1 = padding).
    func encode(_ g: Graph, items: UnsafeBufferPointer<Int32>, keyValid: UnsafeBufferPointer<Int32>, batch: Int) -> Tensor {
        let l = config.maxLength, d = config.embeddingSize
        var x = g.gatherRows(g.parameter(itemEmbedding), items, shape: Shape(batch, l, d))
        x = g.dropout(g.addBias(x, g.parameter(positionEmbedding)), Float(config.dropout))
        return encoder(g, x, keyValid: keyValid, causal: true)
    }

    public func fit(_ data: TrainingData, context: FitContext) throws {
        state.load(data)
        state.includeValidation = false
        let nItems = data.itemCount, l = config.maxLength, d = config.embeddingSize
        build(itemCount: nItems, seed: context.seed)
        if config.loss == "bce" && config.negatives == 0 { throw RecbenchError.invalid("SASRec: loss \"bce\" needs negatives ≥ 1") }

        // Samples: (user, end) = the window of input/target pairs ending before `end`.
        var samples: [(user: Int, end: Int)] = []
        for (u, h) in state.training.enumerated() where h.count >= 2 {
            let pairs = h.count - 1
            if config.slidingWindow {
                var end = pairs
                while end > 0 { samples.append((u, end)); end -= l }
            } else { samples.append((u, pairs)) }
        }
        guard !samples.isEmpty else { state.includeValidation = true; return }

        let adam = Adam(parameters: allParameters, learningRate: Float(config.learningRate),
                        weightDecay: Float(config.weightDecay), decoupledWeightDecay: config.weightDecay > 0,
                        clipNorm: Float(config.clipNorm), noDecay: Set(encoder.noDecay.map(ObjectIdentifier.init)))
        let g = Graph(training: true, threads: context.threads, seed: context.seed)
        var rng = context.random("sasrec-batches")
        let sampler = NegativeSampler(histories: state.training, itemCount: nItems)
        let bs = config.batchSize, k = config.negatives
        var inputs = [Int32](repeating: -1, count: bs * l), targets = [Int32](repeating: -1, count: bs * l)
        var keyValid = [Int32](repeating: 0, count: bs * l), owner = [Int32](repeating: 0, count: bs * l)
        var rows = [Int32](), compactTargets = [Int32](), candidates = [Int32]()
        var bceTargets = [Float](), bceWeights = [Float]()
        var stopper = EarlyStopping(patience: config.patience)
        let validating = state.hasValidation || context.validate != nil

        for epoch in 1...config.epochs {
            if context.isCancelled { throw RecbenchError.cancelled }
            let start = DispatchTime.now().uptimeNanoseconds
            rng.shuffle(&samples)
            var lossSum = 0.0, steps = 0
            for first in stride(from: 0, to: samples.count, by: bs) {
                let b = min(bs, samples.count - first)
                rows.removeAll(keepingCapacity: true); compactTargets.removeAll(keepingCapacity: true)
                for r in 0..<b {
                    let (u, end) = samples[first + r], h = state.training[u]
                    let begin = max(0, end - l), w = end - begin, pad = l - w
                    for s in 0..<l {
                        let slot = r * l + s
                        if s < pad { inputs[slot] = -1; targets[slot] = -1; keyValid[slot] = 0; continue }
                        let t = begin + s - pad
                        inputs[slot] = h[t]; targets[slot] = h[t + 1]; keyValid[slot] = 1; owner[slot] = Int32(u)
                        rows.append(Int32(slot)); compactTargets.append(h[t + 1])
                    }
                }
                g.reset()
                let hidden = inputs.withUnsafeBufferPointer { inp in keyValid.withUnsafeBufferPointer { kv in
                    encode(g, items: UnsafeBufferPointer(rebasing: inp[0..<(b * l)]),
                           keyValid: UnsafeBufferPointer(rebasing: kv[0..<(b * l)]), batch: b)
                } }
                let nv = rows.count
                // Only real positions reach the output layer.
                let hv = g.gatherRows(hidden, rows, shape: Shape(nv, d))
                let table = g.parameter(itemEmbedding)
                let loss: Tensor
                if config.loss == "softmax" && k == 0 {
                    loss = g.softmaxCrossEntropy(logits: g.matmul(hv, table, transposeB: true, bRows: nItems), targets: compactTargets)
                } else {
                    candidates.removeAll(keepingCapacity: true)
                    for (j, slot) in rows.enumerated() {
                        candidates.append(compactTargets[j])
                        for _ in 0..<k { candidates.append(sampler.draw(for: Int(owner[Int(slot)]), rng: &rng)) }
                    }
                    let logits = g.gatherDot(hv, table, candidates, perRow: 1 + k)
                    if config.loss == "softmax" {
                        loss = g.softmaxCrossEntropy(logits: logits, targets: [Int32](repeating: 0, count: nv))
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
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            var point: [String: Double] = ["loss": lossSum / Double(max(1, steps)), "epoch_seconds": seconds]
            var stop = false
            if validating && (epoch % config.validateEvery == 0 || epoch == config.epochs) {
                let metric: Double
                if let validate = context.validate { metric = validate(self); point["validation"] = metric }
                else { metric = state.validationNDCG(self); point["val_ndcg10"] = metric }
                stop = stopper.observe(metric, epoch: epoch, parameters: allParameters)
            }
            context.record(iteration: epoch, point)
            context.progress(Double(epoch) / Double(config.epochs))
            if stop { break }
        }
        stopper.restoreBest(allParameters)
        state.includeValidation = true
    }

    /// Scores of every item as the next one after each user's history (see `SequenceState`):
    /// the encoder's last position times the item embeddings, one sgemm per block of users.
    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        let l = config.maxLength, d = config.embeddingSize, n = state.itemCount
        var items = [Int32](repeating: -1, count: users.count * l), valid = [Int32](repeating: 0, count: users.count * l)
        for (r, u) in users.enumerated() {
            let h = state.scoringHistory(Int(u)), w = min(l, h.count)
            for s in 0..<w { items[r * l + l - w + s] = h[h.count - w + s]; valid[r * l + l - w + s] = 1 }
        }
        graphs.withGraph { g in
            let hidden = items.withUnsafeBufferPointer { it in valid.withUnsafeBufferPointer { encode(g, items: it, keyValid: $0, batch: users.count) } }
            let last = g.gatherRows(hidden, (0..<users.count).map { Int32($0 * l + l - 1) }, shape: Shape(users.count, d))
            BLAS.sgemm(transB: true, m: users.count, n: n, k: d, a: g.value(last), lda: d, b: itemEmbedding.value, ldb: d,
                       c: scores.baseAddress!, ldc: n)
        }
    }
}
