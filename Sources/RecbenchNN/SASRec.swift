import RecbenchCore
import RecbenchAlgorithms

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
    let core: TransformerSequenceModel

    public init(config: Config) {
        self.config = config
        core = TransformerSequenceModel(name: "sasrec", settings: SequenceSettings(
            embeddingSize: config.embeddingSize, blocks: config.blocks, heads: config.heads, innerSize: config.innerSize,
            maxLength: config.maxLength, dropout: Float(config.dropout), learningRate: Float(config.learningRate),
            weightDecay: Float(config.weightDecay), clipNorm: Float(config.clipNorm), batchSize: config.batchSize,
            epochs: config.epochs, loss: config.loss, negatives: config.negatives, patience: config.patience,
            validateEvery: config.validateEvery), causal: true, extraTokens: 0)
    }

    public func fit(_ data: TrainingData, context: FitContext) throws {
        state.load(data)
        state.includeValidation = false
        defer { state.includeValidation = true }
        core.build(itemCount: data.itemCount, seed: context.seed)
        let l = config.maxLength
        // Samples: (user, end) = the window of input/target pairs (h[t], h[t+1]) ending before `end`.
        var samples: [(user: Int, end: Int)] = []
        for (u, h) in state.training.enumerated() where h.count >= 2 {
            let pairs = h.count - 1
            if config.slidingWindow {
                var end = pairs
                while end > 0 { samples.append((u, end)); end -= l }
            } else { samples.append((u, pairs)) }
        }
        try core.train(samples: samples.count, state: state, context: context, model: self) { sample, inputs, targets, _ in
            let (u, end) = samples[sample], h = self.state.training[u]
            let begin = max(0, end - l), pad = l - (end - begin)
            for s in 0..<l {
                if s < pad { inputs[s] = -1; targets[s] = -1; continue }
                let t = begin + s - pad
                inputs[s] = h[t]; targets[s] = h[t + 1]
            }
            return u
        }
    }

    /// Scores of every item as the next one after each user's history (training history, plus the
    /// validation item once fitting is over; see `SequenceState`).
    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        core.score(users: users, into: scores) { self.state.scoringHistory($0) }
    }
}
