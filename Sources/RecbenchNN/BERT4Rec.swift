import RecbenchCore
import RecbenchAlgorithms

/// BERT4Rec (Sun et al. 2019): the SASRec encoder without the causal mask, trained as a cloze
/// task (random positions replaced by a [mask] token and predicted from both sides), and asked
/// for the next item by appending [mask] after the history.
public final class BERT4Rec: SequenceRecommender {
    public struct Config: AlgorithmConfig {
        public static let budgetParameter: String? = "epochs"
        public static let parameters = SequenceSettings.parameters(
            dropout: 0.2, batchSize: 64,
            maxLengthHelp: "Most recent items kept per sequence (the [mask] slot included at prediction).",
            lossHelp:
                "softmax: cross-entropy over all items (negatives = 0) or `negatives` sampled ones; bce: one positive and `negatives` sampled negatives per masked position.",
            negativesHelp: "Sampled negatives per masked position (bce needs ≥ 1; 0 with softmax = full softmax).",
            extra: [
                .real(
                    "mask_probability", default: 0.2, min: 0, max: 1, exclusiveMin: true,
                    "Chance that a position is masked in a training sequence.")
            ])
        public static var constraints: [ParameterConstraint] { SequenceSettings.constraints }
        public var settings: SequenceSettings, maskProbability: Double
        public init(_ v: ParameterValues) {
            settings = SequenceSettings(v); maskProbability = v.real("mask_probability")
        }
        /// The transformer's peak (`SequenceSettings.transformerPeakBytes`).
        public func estimatedPeakBytes(_ s: DataShape) -> Int { settings.transformerPeakBytes(s) }
    }
    public static let name = "BERT4Rec"
    public static let summary = "Bidirectional transformer trained by masked-item (cloze) prediction."
    public static let tasks: Set<RecommendationTask> = [.sequential]

    public let config: Config
    let state = SequenceState()
    let core: TransformerSequenceModel

    public init(config: Config) {
        self.config = config
        core = TransformerSequenceModel(name: "bert4rec", settings: config.settings, causal: false, extraTokens: 1)
    }

    /// The cloze objective: random positions masked and predicted from both sides.
    func train(_ data: TrainingData, context: FitContext) throws {
        let l = config.settings.maxLength, mask = Int32(data.itemCount), p = config.maskProbability
        var samples: [(user: Int, end: Int)] = []
        for (u, h) in state.training.enumerated() where !h.isEmpty {
            if config.settings.slidingWindow {
                var end = h.count
                while end > 0 { samples.append((u, end)); end -= l }
            } else {
                samples.append((u, h.count))
            }
        }
        try core.train(samples: samples.count, state: state, context: context, model: self) {
            sample, inputs, targets, rng in
            let (u, end) = samples[sample], h = self.state.training[u]
            let begin = max(0, end - l), pad = l - (end - begin)
            var masked = 0
            for s in 0..<l {
                if s < pad { inputs[s] = -1; targets[s] = -1; continue }
                let item = h[begin + s - pad]
                if Double(rng.nextFloat()) < p {
                    inputs[s] = mask; targets[s] = item; masked += 1
                } else {
                    inputs[s] = item; targets[s] = -1
                }
            }
            // Every sequence teaches something: without a draw, the last item is masked (the
            // position prediction will use).
            if masked == 0 { targets[l - 1] = inputs[l - 1]; inputs[l - 1] = mask }
            return u
        }
    }

    /// The history (training, plus validation once fitted) followed by [mask]; the mask slot's
    /// output scores the next item.
    func window(_ user: Int) -> [Int32] {
        Array(state.scoringHistory(user).suffix(config.settings.maxLength - 1)) + [Int32(core.itemCount)]
    }
}
