/// The size of what a model is fitted on, known before anything is fitted: from it and its own
/// parameters every algorithm estimates the peak memory of a fit (`AlgorithmConfig.estimatedPeakBytes`),
/// so the runner can refuse a trial that cannot fit and `recbench plan` can show the cost up front.
/// Estimates count the arrays a fit adds to the training data already in memory; they are bounds
/// for planning, not accounting to the byte.
public struct DataShape: Sendable, Hashable {
    public var users: Int
    public var items: Int
    /// Training interactions (non-zeros of the user × item matrix).
    public var interactions: Int
    /// Columns of the user and item feature tables together.
    public var featureColumns: Int
    /// Threads the fit runs on (per-thread buffers grow with them).
    public var threads: Int
    /// The task fitted for (rating prediction keeps residuals and copies some models do not need for ranking).
    public var task: RecommendationTask

    public init(
        users: Int, items: Int, interactions: Int, featureColumns: Int = 0, threads: Int = 1,
        task: RecommendationTask = .ranking
    ) {
        self.users = max(0, users); self.items = max(0, items); self.interactions = max(0, interactions)
        self.featureColumns = max(0, featureColumns); self.threads = max(1, threads); self.task = task
    }

    /// One CSR matrix over the interactions with `rows` rows: Int offsets, Int32 indices, Float values.
    public func sparseBytes(rows: Int) -> Int { 8 * (rows + 1) + 8 * interactions }
    /// A full copy of the training matrix, by user and by item, with its 8-byte source order
    /// (what `InteractionMatrix.binarized()` makes).
    public var matrixCopyBytes: Int { sparseBytes(rows: users) + sparseBytes(rows: items) + 8 * interactions }
    /// Bytes of `count` 4-byte floats (or Int32s).
    public static func floats(_ count: Int) -> Int { 4 * count }
    /// Bytes of `count` 8-byte doubles (or Ints).
    public static func doubles(_ count: Int) -> Int { 8 * count }
}
