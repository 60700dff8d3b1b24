import RecbenchCore

/// Uniformly random scores: the floor every model must clear. Scores depend only on the seed and
/// the user, so batches and threads do not change them.
public final class RandomRecommender: Recommender {
    public struct Config: AlgorithmConfig {
        public static let parameters: [ParameterSpec] = []
        public init(_ values: ParameterValues) {}
        /// Nothing beyond the training data: scores are drawn per call.
        public func estimatedPeakBytes(_ s: DataShape) -> Int { 0 }
    }
    public static let name = "Random"
    public static let summary = "Uniformly random ranking (a sanity floor)."
    public static let tasks: Set<RecommendationTask> = [.ranking, .sequential]

    private var seed: UInt64 = 0
    private var itemCount = 0

    public init(config: Config) {}

    public func fit(_ data: TrainingData, context: FitContext) throws {
        seed = context.seed; itemCount = data.itemCount
    }

    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        for (r, u) in users.enumerated() {
            var rng = RandomSource(seed: seed, stream: "random-user-\(u)")
            for i in 0..<itemCount { scores[r * itemCount + i] = rng.nextFloat() }
        }
    }
}
