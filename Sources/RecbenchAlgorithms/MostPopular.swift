import RecbenchCore

/// Ranks items by their number of training interactions.
public final class MostPopular: Recommender {
    public struct Config: AlgorithmConfig {
        public static let parameters: [ParameterSpec] = []
        public init(_ values: ParameterValues) {}
        /// The per-item counts (Int) and their Float copy.
        public func estimatedPeakBytes(_ s: DataShape) -> Int { 12 * s.items }
    }
    public static let name = "MostPopular"
    public static let summary = "Ranks items by number of training interactions."
    public static let tasks: Set<RecommendationTask> = [.ranking, .sequential]

    private var popularity: [Float] = []

    public init(config: Config) {}

    public func fit(_ data: TrainingData, context: FitContext) throws {
        popularity = data.interactions.itemCounts.map(Float.init)
    }

    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        let n = popularity.count
        for r in 0..<users.count {
            _ = UnsafeMutableBufferPointer(rebasing: scores[(r * n)..<((r + 1) * n)]).update(fromContentsOf: popularity)
        }
    }
}
