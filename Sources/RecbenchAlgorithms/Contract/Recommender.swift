import RecbenchCore

/// What a trial asks of a model.
public enum RecommendationTask: String, Sendable, CaseIterable, Codable {
    /// Predict held-out ratings (RMSE, MAE).
    case rating
    /// Rank unseen items for each user (top-N metrics).
    case ranking
    /// Rank the next item after each user's time-ordered history.
    case sequential
}

/// Everything a model may learn from: interactions (with timestamps, so sequential models get
/// time-ordered histories through `interactions.histories()`), side features for factorization
/// machines, and an optional validation part for early stopping.
public struct TrainingData: Sendable {
    public let task: RecommendationTask
    public let interactions: InteractionMatrix
    public let userFeatures: FeatureTable
    public let itemFeatures: FeatureTable
    public let validation: InteractionMatrix?

    public init(
        task: RecommendationTask, interactions: InteractionMatrix, userFeatures: FeatureTable = FeatureTable(),
        itemFeatures: FeatureTable = FeatureTable(), validation: InteractionMatrix? = nil
    ) {
        self.task = task; self.interactions = interactions; self.userFeatures = userFeatures
        self.itemFeatures = itemFeatures; self.validation = validation
    }

    public var userCount: Int { interactions.userCount }
    public var itemCount: Int { interactions.itemCount }
}

/// One point of a training curve: an iteration and named values (loss, validation metric…).
public struct CurvePoint: Sendable, Equatable {
    public let iteration: Int
    public let values: [String: Double]
    public init(iteration: Int, values: [String: Double]) { self.iteration = iteration; self.values = values }
}

/// The runner's side of a fit: threads, seed, progress, the training curve, cancellation and an
/// optional validation scorer. Algorithms report through it and never touch the console.
public final class FitContext: @unchecked Sendable {
    public let threads: Int
    public let seed: UInt64
    private let onProgress: @Sendable (Double) -> Void
    private let cancelled: @Sendable () -> Bool
    /// Given the model as fitted so far, returns the validation metric (higher is better), when
    /// the trial has a validation part. Iterative models may use it for early stopping.
    public let validate: (@Sendable (any Recommender) -> Double)?
    /// Validation evaluations without improvement before an iterative model stops; set by the
    /// experiment (`validation.patience`), it overrides the model's own patience parameter.
    public let patience: Int?
    public private(set) var curve: [CurvePoint] = []

    public init(
        threads: Int = 1, seed: UInt64 = 42, progress: @escaping @Sendable (Double) -> Void = { _ in },
        isCancelled: @escaping @Sendable () -> Bool = { false },
        validate: (@Sendable (any Recommender) -> Double)? = nil, patience: Int? = nil
    ) {
        self.threads = max(1, threads); self.seed = seed; onProgress = progress; cancelled = isCancelled
        self.validate = validate; self.patience = patience
    }

    /// Fraction of the fit done, 0...1.
    public func progress(_ fraction: Double) { onProgress(min(1, max(0, fraction))) }
    public var isCancelled: Bool { cancelled() }
    public func record(iteration: Int, _ values: [String: Double]) {
        curve.append(CurvePoint(iteration: iteration, values: values))
    }
    /// A random stream for a named purpose, derived from the trial seed.
    public func random(_ stream: String) -> RandomSource { RandomSource(seed: seed, stream: stream) }
}

/// Latent-factor form of a model: score(u, i) = userFactors[u] · itemFactors[i] + itemBias[i].
/// Models that have it get the fused GEMM + top-K scoring path.
public struct LatentFactors: Sendable {
    public let users: DenseMatrix
    public let items: DenseMatrix
    public let itemBias: [Float]?
    public init(users: DenseMatrix, items: DenseMatrix, itemBias: [Float]? = nil) {
        precondition(users.columns == items.columns)
        self.users = users; self.items = items; self.itemBias = itemBias
    }
}

/// The one contract every algorithm implements. A model is fitted once per trial, then asked for
/// scores of all items for batches of users (the scoring core masks seen items and selects the
/// top K). What a model can do beyond that is a type: `RatingPredictor` for the rating task,
/// `FactorModel` for the fused GEMM + top-K path. `score` must be safe to call concurrently after `fit`.
public protocol Recommender: AnyObject, SendableMetatype {
    associatedtype Config: AlgorithmConfig
    /// The name used in experiment files.
    static var name: String { get }
    static var summary: String { get }
    /// The tasks it serves; `.rating` only for a `RatingPredictor` (the conformance tests check).
    static var tasks: Set<RecommendationTask> { get }
    /// True when the fitted model (and so every metric) depends on `FitContext.threads`, e.g. SGD
    /// whose threads each own a random stream and a share of the updates. The trial cache keys such
    /// algorithms on the thread count, so a result is never reused under another one. Default false.
    static var threadDependent: Bool { get }

    init(config: Config)
    func fit(_ data: TrainingData, context: FitContext) throws

    /// Scores of every item for each user, row-major users.count × itemCount.
    func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>)
}

/// A model that predicts ratings (the rating task). Safe to call concurrently after `fit`.
public protocol RatingPredictor: Recommender {
    /// Rating predictions for the pairs (users[k], items[k]).
    func predict(users: [Int32], items: [Int32]) -> [Float]
}

extension Recommender {
    public static var threadDependent: Bool { false }
}

/// A model whose scores are a factor product, score(u, i) = users[u] · items[i] + itemBias[i]: the
/// scoring core fuses GEMM with top-K selection for it, and `score` comes free.
public protocol FactorModel: Recommender {
    var factors: LatentFactors { get }
}

extension FactorModel {
    /// Dense scores from the factor form: one sgemm of the users' rows against every item.
    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        let f = factors, d = f.users.columns, n = f.items.rows
        var block = [Float](repeating: 0, count: users.count * d)
        for (r, u) in users.enumerated() {
            for c in 0..<d { block[r * d + c] = f.users.values[Int(u) * d + c] }
        }
        block.withUnsafeBufferPointer { a in
            f.items.values.withUnsafeBufferPointer { b in
                BLAS.sgemm(
                    transB: true, m: users.count, n: n, k: d, a: a.baseAddress!, lda: d,
                    b: b.baseAddress!, ldb: d, c: scores.baseAddress!, ldc: n)
            }
        }
        if let bias = f.itemBias {
            for r in 0..<users.count { for i in 0..<n { scores[r * n + i] += bias[i] } }
        }
    }
}

/// Registry entry for one algorithm: name, help, parameters and a constructor from validated
/// parameters. The experiment layer keeps the list; this type keeps it free of generics.
public struct AlgorithmDescriptor: Sendable {
    public let name: String
    public let summary: String
    public let tasks: Set<RecommendationTask>
    public let parameters: [ParameterSpec]
    /// Rules over several parameters (checked at validation for every grid point).
    public let constraints: [ParameterConstraint]
    /// See `Recommender.threadDependent`.
    public let threadDependent: Bool
    /// See `AlgorithmConfig.budgetParameter`.
    public let budgetParameter: String?
    public let make: @Sendable (ParameterValues) -> any Recommender
    /// See `AlgorithmConfig.estimatedPeakBytes`.
    public let estimatedPeakBytes: @Sendable (ParameterValues, DataShape) -> Int
    /// A `FactorModel`: scored in sgemm tiles rather than whole-row blocks (the evaluation's memory).
    public let factorModel: Bool

    public init<R: Recommender>(_ type: R.Type) {
        name = R.name; summary = R.summary; tasks = R.tasks; parameters = R.Config.parameters
        constraints = R.Config.constraints; threadDependent = R.threadDependent
        budgetParameter = R.Config.budgetParameter
        make = { R(config: R.Config($0)) }
        estimatedPeakBytes = { R.Config($0).estimatedPeakBytes($1) }
        factorModel = R.self is any FactorModel.Type
    }
}
