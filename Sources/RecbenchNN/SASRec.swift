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
        /// The transformer's peak (`SequenceSettings.transformerPeakBytes`).
        public func estimatedPeakBytes(_ s: DataShape) -> Int { settings.transformerPeakBytes(s) }
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
