import Testing
import RecbenchCore
import RecbenchData
import RecbenchAlgorithms
import RecbenchEval
import RecbenchConfig

/// The contract every registered algorithm keeps, checked for each one from its defaults (with
/// its epoch/iteration budget cut to a few, so the suite stays fast). A new algorithm gets these
/// tests by its registry line alone.
@Suite struct ConformanceTests {
    /// Planted latent-factor data: 150 users × 90 items, ratings 1–5, timestamps, side features.
    static let dataset = SyntheticData.generate(
        SyntheticConfig(users: 150, items: 90, interactions: 4000, factors: 4, seed: 3))

    /// Training = every interaction but each user's latest; validation = the latest.
    static let parts: (train: InteractionMatrix, validation: InteractionMatrix) = {
        let d = dataset
        var latest = [Int: Int]()
        for p in 0..<d.count {
            let u = Int(d.users[p])
            if let q = latest[u], d.timestamps![q] > d.timestamps![p] { continue }
            latest[u] = p
        }
        let held = Set(latest.values)
        return (
            d.matrix(positions: (0..<d.count).filter { !held.contains($0) }.map { Int32($0) }),
            d.matrix(positions: held.sorted().map { Int32($0) })
        )
    }()

    /// The fit budget cut to three iterations/epochs wherever the algorithm declares one.
    static func values(_ d: AlgorithmDescriptor, _ extra: [String: ParameterValue] = [:]) -> ParameterValues {
        var overrides = extra
        for p in d.parameters where ["epochs", "iterations"].contains(p.name) { overrides[p.name] = .int(3) }
        if d.name == "FM" { overrides["burn_in"] = .int(1) }
        return ParameterValues(specs: d.parameters, overrides: overrides)
    }

    static func data(_ task: RecommendationTask, validation: Bool) -> TrainingData {
        TrainingData(
            task: task, interactions: parts.train, userFeatures: dataset.userFeatures,
            itemFeatures: dataset.itemFeatures, validation: validation ? parts.validation : nil)
    }

    /// A real validation metric (NDCG@10 of the held-out item), as the runner passes one.
    static let validator: @Sendable (any Recommender) -> Double = { model in
        let v = parts.validation, users = (0..<v.userCount).map(Int32.init)
        let lists = ScoringCore.topK(
            model: model, users: users, itemCount: v.itemCount, k: 10, exclude: [parts.train.byUser],
            threads: 1)
        return Evaluator.ranking(lists: lists, test: v, train: parts.train, metrics: [MetricSpec(name: "ndcg", k: 10)])
            .metrics[0].value
    }

    /// Fits a fresh model and returns it with its context and the scores of five users.
    static func fitAndScore(
        _ d: AlgorithmDescriptor, task: RecommendationTask, threads: Int = 1,
        validate: Bool = false
    ) throws -> (any Recommender, FitContext, [Float]) {
        let model = d.make(values(d))
        let context = FitContext(threads: threads, seed: 11, validate: validate ? validator : nil)
        try model.fit(data(task, validation: task == .sequential || validate), context: context)
        let users: [Int32] = [0, 1, 7, 42, 149]
        var scores = [Float](repeating: .nan, count: users.count * parts.train.itemCount)
        scores.withUnsafeMutableBufferPointer { model.score(users: users, into: $0) }
        return (model, context, scores)
    }

    static var names: [String] { AlgorithmRegistry.all.map(\.name) }
    static func descriptor(_ name: String) -> AlgorithmDescriptor { AlgorithmRegistry.descriptor(named: name)! }
    static func task(_ d: AlgorithmDescriptor) -> RecommendationTask {
        d.tasks.contains(.ranking) ? .ranking : d.tasks.contains(.sequential) ? .sequential : .rating
    }

    @Test(arguments: names) func fitsAndScoresEveryItemFinitely(_ name: String) throws {
        let d = Self.descriptor(name)
        let (_, _, scores) = try Self.fitAndScore(d, task: Self.task(d))
        #expect(scores.count == 5 * 90)
        #expect(scores.allSatisfy { $0.isFinite }, "\(name) left non-finite scores")
    }

    @Test(arguments: names) func sameSeedSameScores(_ name: String) throws {
        let d = Self.descriptor(name)
        for threads in [1, 2] {
            let a = try Self.fitAndScore(d, task: Self.task(d), threads: threads).2
            let b = try Self.fitAndScore(d, task: Self.task(d), threads: threads).2
            #expect(a == b, "\(name) is not deterministic at \(threads) threads")
        }
    }

    /// A model serves the rating task exactly when it is a `RatingPredictor`.
    @Test(arguments: names) func ratingTaskMeansRatingPredictor(_ name: String) throws {
        let d = Self.descriptor(name)
        #expect(
            d.tasks.contains(.rating) == (d.make(Self.values(d)) is any RatingPredictor),
            "\(name): tasks and capability disagree")
    }

    static var ratingNames: [String] { AlgorithmRegistry.all.filter { $0.tasks.contains(.rating) }.map(\.name) }

    /// Rating predictions are finite and on the scale of the training ratings (1–5).
    @Test(arguments: ratingNames) func predictsFiniteRatings(_ name: String) throws {
        let d = Self.descriptor(name)
        let model = try #require(d.make(Self.values(d)) as? any RatingPredictor)
        try model.fit(Self.data(.rating, validation: false), context: FitContext(seed: 11))
        let p = model.predict(users: [0, 5, 9, 149], items: [0, 1, 2, 89])
        #expect(p.count == 4 && p.allSatisfy { $0.isFinite && $0 > 0 && $0 < 6 }, "\(name): \(p)")
    }

    /// Iterative models: those declaring an epoch or iteration budget.
    static var iterativeNames: [String] {
        AlgorithmRegistry.all.filter { $0.parameters.contains { ["epochs", "iterations"].contains($0.name) } }.map(
            \.name)
    }

    /// Iterative models record one curve point per iteration with keys from the shared vocabulary,
    /// and stop with `cancelled` when asked before their first iteration.
    @Test(arguments: iterativeNames) func iterativeModelsCancelAndShareCurveKeys(_ name: String) throws {
        let d = Self.descriptor(name)
        let (_, context, _) = try Self.fitAndScore(d, task: Self.task(d), validate: true)
        #expect(context.curve.map(\.iteration) == Array(1...3), "\(name) did not record its three iterations")
        let vocabulary: Set<String> = ["loss", "validation", "train_rmse", "learning_rate", "epoch_seconds", "alpha"]
        for point in context.curve {
            #expect(Set(point.values.keys).isSubset(of: vocabulary), "\(name): \(point.values.keys)")
        }
        let cancelled = FitContext(seed: 11, isCancelled: { true })
        #expect(throws: RecbenchError.cancelled) {
            try d.make(Self.values(d)).fit(Self.data(Self.task(d), validation: true), context: cancelled)
        }
        #expect(cancelled.curve.isEmpty)
    }

    /// Models that declare `patience` stop early on the runner's metric, so they record it under
    /// `validation` whenever the runner passes one.
    static var validatingNames: [String] {
        AlgorithmRegistry.all.filter { $0.parameters.contains { $0.name == "patience" } }.map(\.name)
    }

    @Test(arguments: validatingNames) func validatingModelsRecordTheRunnersMetric(_ name: String) throws {
        let d = Self.descriptor(name)
        let (_, context, _) = try Self.fitAndScore(d, task: Self.task(d), validate: true)
        #expect(context.curve.last?.values["validation"] != nil, "\(name) did not validate")
    }

    /// Models that declare `validate_every` validate on its multiples and at the last iteration
    /// only (their validation pass can cost far more than an epoch).
    static var intervalNames: [String] {
        AlgorithmRegistry.all.filter { $0.parameters.contains { $0.name == "validate_every" } }.map(\.name)
    }

    @Test(arguments: intervalNames) func validateEveryValidatesOnItsMultiplesAndTheLast(_ name: String) throws {
        let d = Self.descriptor(name)
        let model = d.make(Self.values(d, ["validate_every": .int(2), "patience": .int(0)]))
        final class Count: @unchecked Sendable { var n = 0 }
        let passes = Count()
        let context = FitContext(
            seed: 11,
            validate: { m in
                passes.n += 1; return Self.validator(m)
            })
        try model.fit(Self.data(Self.task(d), validation: true), context: context)
        #expect(passes.n == 2, "\(name) validated \(passes.n) times in 3 iterations at validate_every 2")
        #expect(context.curve.filter { $0.values["validation"] != nil }.map(\.iteration) == [2, 3], "\(name)")
    }
}
