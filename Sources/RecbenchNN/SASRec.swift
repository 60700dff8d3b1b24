import RecbenchCore
import RecbenchAlgorithms

/// SASRec (Kang & McAuley 2018): item + learned positional embeddings, a causal transformer
/// encoder, and next-item scores by the shared item embedding. Trained on every position of each
/// user's (left-padded, truncated) history at once, with BCE against sampled negatives (as the
/// paper) or softmax cross-entropy over all items or over sampled negatives.
public final class SASRec: SequenceRecommender {
    public struct Config: AlgorithmConfig {
        public static let budgetParameter: String? = "epochs"
        public static let parameters = SequenceSettings.parameters(
            dropout: 0.5, batchSize: 128, maxLengthHelp: "Most recent items kept per sequence.",
            lossHelp:
                "bce: binary cross-entropy, one positive and `negatives` sampled negatives per position; softmax: cross-entropy over all items (negatives = 0) or over `negatives` sampled ones.",
            negativesHelp: "Sampled negatives per position (bce needs ≥ 1; 0 with softmax = full softmax).")
        public static var constraints: [ParameterConstraint] { SequenceSettings.constraints }
        public var settings: SequenceSettings
        public init(_ v: ParameterValues) { settings = SequenceSettings(v) }
        /// Item and position embeddings and the blocks' weights (value, gradient, two Adam moments),
        /// the users' sequences, and one batch's activations and output scores.
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            let d = settings.embeddingSize, l = settings.maxLength, b = min(settings.batchSize, max(1, s.users))
            // Full softmax scores every item at every position of the batch (value and gradient).
            let outputs = settings.negatives == 0 ? b * l * s.items : b * l * (1 + settings.negatives)
            let weights = (s.items + 2 + l) * d + settings.blocks * (4 * d * d + 2 * d * settings.innerSize + 8 * d)
            let activations = settings.blocks * b * l * (12 * d + 2 * settings.innerSize + 2 * settings.heads * l)
            return 16 * weights + 4 * s.users * l + 4 * (activations + 2 * outputs)
        }
    }
    public static let name = "SASRec"
    public static let summary = "Self-attentive sequential recommendation (causal transformer over item histories)."
    public static let tasks: Set<RecommendationTask> = [.sequential]

    public let config: Config
    let state = SequenceState()
    let core: TransformerSequenceModel

    public init(config: Config) {
        self.config = config
        core = TransformerSequenceModel(name: "sasrec", settings: config.settings, causal: true, extraTokens: 0)
    }
}
