import RecbenchCore
import RecbenchAlgorithms

/// GRU4Rec (Hidasi et al. 2016; with cross-entropy over all items as in Hidasi & Karatzoglou 2018
/// and RecBole): item embeddings (dropout), one GRU layer, a dense map back to the embedding size,
/// and next-item scores by the shared item embedding. Trained like SASRec on every position of
/// each user's left-padded, truncated history (the same sequence settings and training loop); the
/// padding steps see zero input, so the state entering a history is one learned constant.
public final class GRU4Rec: SequenceRecommender {
    public struct Config: AlgorithmConfig {
        public static let budgetParameter: String? = "epochs"
        public static let parameters = SequenceSettings.parameters(
            dropout: 0.3, batchSize: 256, maxLengthHelp: "Most recent items kept per sequence.",
            lossHelp: "softmax: cross-entropy over all items (negatives = 0) or over `negatives` sampled ones; "
                + "bce: binary cross-entropy against `negatives` sampled negatives per position.",
            negativesHelp: "Sampled negatives per position (bce needs ≥ 1; 0 with softmax = full softmax).",
            extra: [.integer("hidden_size", default: 128, min: 1, max: 4096, "GRU state size H.")],
            transformer: false)
        /// The shared rules minus the transformer's (heads, inner size, attention scores).
        public static var constraints: [ParameterConstraint] {
            SequenceSettings.constraints.filter { c in !c.parameters.contains { ["heads", "inner_size"].contains($0) } }
                + [.product(["batch_size", "max_length", "hidden_size"], atMost: 1 << 26, "floats in the GRU's gates")]
        }
        public var settings: SequenceSettings
        public var hiddenSize: Int
        public init(_ v: ParameterValues) { settings = SequenceSettings(v); hiddenSize = v.int("hidden_size") }
        /// Item embeddings, the GRU's gates and the output projection (value, gradient, two Adam
        /// moments), the users' sequences, and one batch's gate activations and output scores.
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            let d = settings.embeddingSize, l = settings.maxLength, b = min(settings.batchSize, max(1, s.users))
            // Full softmax scores every item at every position of the batch (value and gradient).
            let outputs = settings.negatives == 0 ? b * l * s.items : b * l * (1 + settings.negatives)
            let h = hiddenSize, weights = (s.items + 2) * d + 3 * (d * h + h * h + h) + h * d
            return 16 * weights + 4 * s.users * l + 4 * (8 * b * l * h + 2 * outputs)
        }
    }
    public static let name = "GRU4Rec"
    public static let summary = "Recurrent (GRU) next-item model with cross-entropy over all items (Hidasi et al.)."
    public static let tasks: Set<RecommendationTask> = [.sequential]

    public let config: Config
    let state = SequenceState()
    let core: TransformerSequenceModel

    public init(config: Config) {
        self.config = config
        let hidden = config.hiddenSize
        core = TransformerSequenceModel(
            name: "gru4rec", settings: config.settings, causal: true, extraTokens: 0,
            positions: false
        ) { s, rng in
            GRUEncoder(dim: s.embeddingSize, hidden: hidden, rng: &rng)
        }
    }
}

/// x (B × L × D) → input gates x W + b (B × L × 3H) → GRU states (B × L × H) → dense back to D.
final class GRUEncoder: SequenceEncoder {
    let input: Linear, output: Linear
    let recurrent: Parameter, recurrentBias: Parameter

    init(dim: Int, hidden: Int, rng: inout RandomSource) {
        input = Linear("gru.input", dim, 3 * hidden, rng: &rng)
        recurrent = Parameter("gru.recurrent", Shape(hidden, 3 * hidden)); recurrent.fillXavier(rng: &rng)
        recurrentBias = Parameter("gru.recurrent.bias", Shape(3 * hidden))
        output = Linear("gru.output", hidden, dim, rng: &rng)
    }

    var parameters: [Parameter] { input.parameters + [recurrent, recurrentBias] + output.parameters }
    var noDecay: [Parameter] { input.noDecay + [recurrentBias] + output.noDecay }

    /// Causal by construction; `keyValid` is not needed (left padding comes first and is zero).
    func encode(_ g: Graph, _ x: Tensor, keyValid: UnsafeBufferPointer<Int32>, causal: Bool) -> Tensor {
        let states = g.gru(
            inputGates: input(g, x), recurrent: g.parameter(recurrent),
            recurrentBias: g.parameter(recurrentBias))
        return output(g, states)
    }
}
