import Foundation
import Dispatch
import RecbenchCore
import RecbenchData
import RecbenchAlgorithms
import RecbenchEval
import RecbenchGSL
import RecbenchConfig

/// Runs a plan: prepares each data set once, then runs its trials (several at once when
/// `jobs` > 1), evaluates them and aggregates over folds.
public final class Runner: @unchecked Sendable {
    public let spec: ExperimentSpec
    public let data: DataEnvironment
    public let progress: ProgressReporter
    private let lock = NSLock()
    private var cancelled = false
    /// Finished trials are looked up here before running and stored here as they finish.
    public var cache: TrialCache?
    /// Trials taken from the cache, and cache entries that failed their checks (recomputed), in the last `run`.
    public private(set) var cacheHits = 0
    public private(set) var corruptEntries = 0
    /// Trials of the last `run` that diverged or threw, in plan order; the rest of the plan ran on.
    public private(set) var failures: [TrialFailure] = []
    /// Search candidates computed and taken from the cache in the last `run`.
    public let searchCounts = SearchCounts()
    /// Where trials write their top-K lists, predictions and model arrays, when the experiment asks
    /// for them (set by `ExperimentRun` to the run folder's `exports/`). The cache keeps no exports,
    /// so with this set every trial is computed (and still stored).
    public var exports: TrialExports?
    /// The machine's memory that trials are checked against (injectable for tests).
    public var memory = MemoryBudget()

    public init(spec: ExperimentSpec, data: DataEnvironment, progress: ProgressReporter = SilentProgress()) {
        self.spec = spec; self.data = data; self.progress = progress
    }

    /// Asks in-flight trials to stop at their next check; no new trial starts.
    public func cancel() { lock.lock(); cancelled = true; lock.unlock() }
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }

    /// The matrices of one fold.
    public struct FoldData: Sendable {
        public let train: InteractionMatrix
        public let test: InteractionMatrix
        public let validation: InteractionMatrix?
        public let trainingData: TrainingData
    }

    public func foldData(_ p: PreparedDataset, fold: Int) -> FoldData {
        let f = p.folds[fold - 1]
        let train = p.dataset.matrix(positions: f.train)
        let test = p.dataset.matrix(positions: f.test)
        let validation = f.validation.isEmpty ? nil : p.dataset.matrix(positions: f.validation)
        return FoldData(
            train: train, test: test, validation: validation,
            trainingData: TrainingData(
                task: spec.task, interactions: train, userFeatures: p.dataset.userFeatures,
                itemFeatures: p.dataset.itemFeatures, validation: validation))
    }

    /// Fits, scores and evaluates one trial.
    public func runTrial(_ trial: Trial, prepared p: PreparedDataset, fold data: FoldData, threads: Int) throws
        -> TrialResult
    {
        let c = trial.configuration
        let model = c.descriptor.make(c.values)
        var clock = Stopwatch()
        SystemInfo.resetPeakMemory()
        let startResident = SystemInfo.residentBytes()
        // Early stopping scores the selection metric on the fold's validation part, if it has one.
        let validator = ValidationScore.validator(
            validation: data.validation, train: data.train, metric: spec.select,
            task: spec.task, relevance: spec.relevance, threads: threads)
        let progressSink = progress
        let context = FitContext(
            threads: threads, seed: trial.seed,
            progress: { progressSink.fitProgress(trial: trial.index, fraction: $0) },
            isCancelled: { [weak self] in self?.isCancelled ?? true }, validate: validator,
            patience: spec.validation(forDataset: trial.datasetIndex)?.patience)
        do { try model.fit(data.trainingData, context: context) } catch let e as RecbenchError { throw e } catch {
            throw RecbenchError.invalid("\(c.label) on \(p.spec.label) fold \(trial.fold): fit failed: \(error)")
        }
        if isCancelled { throw RecbenchError.cancelled }
        if let diverged = Divergence.curve(context.curve) ?? Divergence.factors((model as? any FactorModel)?.factors) {
            throw diverged
        }
        let fitSeconds = clock.lap()

        let evaluation: EvaluationResult
        var scoreSeconds = 0.0
        var exportLists: RankedLists?, exportPredictions: (SparseMatrix, [Float])?
        if spec.task == .rating {
            // The loader admits only algorithms whose tasks include rating, and those are predictors.
            guard let predictor = model as? any RatingPredictor else {
                throw RecbenchError.unsupported("\(c.descriptor.name) does not predict ratings")
            }
            let test = data.test.byUser
            var users = [Int32](repeating: 0, count: test.nnz)
            for u in 0..<test.rows { for k in test.rowRange(u) { users[k] = Int32(u) } }
            let predictions = predictor.predict(users: users, items: test.indices)
            if let diverged = Divergence.predictions(predictions) { throw diverged }
            scoreSeconds = clock.lap()
            evaluation = Evaluator.rating(predictions: predictions, test: data.test, metrics: spec.metrics)
            if let exports {
                exportPredictions = (test, predictions)
                if let k = exports.recommendations {
                    let users = (0..<test.rows).filter { test.rowCount($0) > 0 }.map { Int32($0) }
                    exportLists = ScoringCore.topK(
                        model: model, users: users, itemCount: data.train.itemCount, k: k,
                        exclude: [data.train.byUser] + (data.validation.map { [$0.byUser] } ?? []),
                        threads: threads)
                }
            }
        } else {
            // Every test user is listed; the evaluator skips (and counts) those without a relevant item.
            let users = (0..<data.test.userCount).filter { data.test.byUser.rowCount($0) > 0 }.map { Int32($0) }
            // Exported lists may be longer than the metrics need; the metrics read prefixes.
            let k = max(spec.metrics.compactMap(\.k).max() ?? 10, exports?.recommendations ?? 0)
            var exclude = [data.train.byUser]
            if let v = data.validation { exclude.append(v.byUser) }
            var candidates: SparseMatrix?
            if case let .sampled(n) = spec.candidates {
                candidates = CandidateSampler.sampled(
                    test: data.test, train: data.train, negatives: n,
                    seed: Self.derivedSeed(trial.seed, "candidates"))
            }
            if !(model is any FactorModel) {
                let probe = Divergence.scores(model, users: users, itemCount: data.train.itemCount)
                if let probe { throw probe }
            }
            let needsAUC = spec.metrics.contains { $0.name == "auc" }
            let lists = ScoringCore.topK(
                model: model, users: users, itemCount: data.train.itemCount, k: k, exclude: exclude,
                candidates: candidates,
                aucTest: needsAUC ? spec.relevance.relevant(data.test.byUser) : nil, threads: threads)
            scoreSeconds = clock.lap()
            evaluation = Evaluator.ranking(
                lists: lists, test: data.test, train: data.train, metrics: spec.metrics,
                relevance: spec.relevance)
            exportLists = lists
        }
        let evaluateSeconds = clock.lap()
        if let diverged = Divergence.metrics(
            evaluation.metrics.map(\.spec), evaluation.metrics.map(\.value),
            evaluatedUsers: evaluation.users.count)
        {
            throw diverged
        }

        var exported: [String]?
        if let exports {
            exported = try exports.write(
                stem: TrialExports.stem(
                    trial: trial.index, dataset: p.spec.label,
                    configuration: c.label, fold: trial.fold),
                lists: exportLists, predictions: exportPredictions, test: data.test.byUser, model: model,
                users: p.dataset.userIDs, items: p.dataset.itemIDs)
        }
        var result = TrialResult(
            trial: trial.index, dataset: p.spec.label, fold: trial.fold, configuration: c.label,
            algorithm: c.descriptor.name,
            parameters: c.values.values.mapValues(\.description),
            metricLabels: evaluation.metrics.map(\.spec.label), values: evaluation.metrics.map(\.value),
            users: evaluation.users.map { p.dataset.userIDs.id(at: $0) }, perUser: evaluation.metrics.map(\.perUser),
            skippedUsers: evaluation.skippedUsers, trainInteractions: data.train.nnz, testInteractions: data.test.nnz,
            fitSeconds: fitSeconds, scoreSeconds: scoreSeconds, evaluateSeconds: evaluateSeconds,
            peakResidentBytes: SystemInfo.peakResidentBytes(), threads: threads,
            curve: context.curve.map { TrialResult.CurveRecord(iteration: $0.iteration, values: $0.values) })
        result.exports = exported
        result.startResidentBytes = startResident
        return result
    }

    /// Runs every trial of the plan whose index passes `include` (all by default) and returns
    /// results in plan order. Data sets are prepared once; folds are built once per fold.
    /// `onResult` sees each trial's result as soon as it is finished (the trial cache stores it there).
    public func run(
        plan: Plan, include: (Trial) -> Bool = { _ in true },
        onResult: @escaping @Sendable (TrialResult) -> Void = { _ in }
    ) throws -> (datasets: [DatasetRecord], trials: [TrialResult]) {
        var records = [DatasetRecord]()
        var results = [TrialResult?](repeating: nil, count: plan.trials.count)
        let total = plan.trials.filter(include).count
        progress.start(total: total)
        defer { progress.finish() }
        cacheHits = 0; corruptEntries = 0; failures = []; searchCounts.reset()
        for (d, ds) in spec.datasets.enumerated() {
            let trials = plan.trials.filter { $0.datasetIndex == d && include($0) }
            var prepared = try prepare(ds)
            records.append(prepared.record)
            guard !trials.isEmpty else { continue }
            try exports?.writeIDs(users: prepared.dataset.userIDs, items: prepared.dataset.itemIDs, dataset: ds.label)
            let datasetKey = cache.map { _ in TrialCache.datasetKey(prepared) } ?? ""
            for fold in 1...prepared.folds.count {
                var foldTrials = trials.filter { $0.fold == fold }
                guard !foldTrials.isEmpty else { continue }
                if isCancelled { throw RecbenchError.cancelled }
                // Cached trials are answered before the fold's matrices are built.
                var keys = [Int: String]()
                if let cache {
                    let foldKey = TrialCache.foldKey(prepared.folds[fold - 1])
                    foldTrials = foldTrials.filter { t in
                        let key = TrialCache.key(t, spec: spec, datasetKey: datasetKey, foldKey: foldKey)
                        keys[t.index] = key
                        if exports != nil { return true }
                        switch cache.load(key) {
                        case var .hit(r):
                            // Labels are not part of the key; the current plan names the trial.
                            r.trial = t.index; r.dataset = ds.label; r.configuration = t.configuration.label
                            r.exports = nil  // this run wrote none for it
                            results[t.index] = r
                            cacheHits += 1
                            onResult(r)
                            progress.trialCompleted(r, cached: true)
                            progress.trialFinished(index: t.index)
                            return false
                        case .corrupt: corruptEntries += 1; return true
                        case .miss: return true
                        }
                    }
                    guard !foldTrials.isEmpty else { continue }
                }
                let trialKeys = keys
                let data = foldData(prepared, fold: fold)
                if fold == prepared.folds.count && foldTrials.allSatisfy({ $0.configuration.search == nil }) {
                    prepared.releaseInteractions()
                }
                // Concurrent trials are capped so their estimated peaks fit in memory together.
                let features = featureColumns(prepared.dataset)
                let testByUser = data.test.byUser
                let evaluated = (0..<testByUser.rows).reduce(0) { $0 + (testByUser.rowCount($1) > 0 ? 1 : 0) }
                let planned = spec
                let estimate: @Sendable (Trial, Int) -> Int = { t, threads in
                    MemoryBudget.estimate(
                        t.configuration,
                        shape: MemoryBudget.shape(
                            train: data.train, features: features, threads: threads, task: planned.task),
                        spec: planned,
                        evaluatedUsers: evaluated)
                }
                let requested = max(1, min(spec.jobs, foldTrials.count))
                let jobs = memory.jobs(
                    requested: requested,
                    estimates: foldTrials.map { estimate($0, max(1, spec.threads / requested)) })
                let threadsPerTrial = max(1, spec.threads / jobs)
                let fixedThreads = Self.fixedThreads(spec)
                var failure: Error?
                var failed = [TrialFailure]()
                let box = UncheckedSendable(self)
                let sink = UncheckedSendable(
                    UnsafeMutableBufferPointer<TrialResult?>.allocate(capacity: foldTrials.count))
                sink.value.initialize(repeating: nil)
                defer { sink.value.deinitialize(); sink.value.deallocate() }
                let failureLock = NSLock()
                // `jobs` workers take the fold's trials one at a time; after a cancel or an output
                // failure the remaining ones return at once.
                parallelFor(count: foldTrials.count, threads: jobs, grain: 1) { i in
                    if box.value.isCancelled { return }
                    failureLock.lock(); let stop = failure != nil; failureLock.unlock()
                    if stop { return }
                    let t = foldTrials[i]
                    box.value.progress.trialStarted(
                        index: t.index, label: "\(ds.label) fold \(fold) \(t.configuration.label)")
                    // A thread-dependent model gets a count fixed by the spec alone (see `fixedThreads`).
                    let threads = t.configuration.descriptor.threadDependent ? fixedThreads : threadsPerTrial
                    var r: TrialResult
                    let estimated = estimate(t, threads)
                    do {
                        try box.value.memory.check(
                            "\(t.configuration.label) on \(ds.label) fold \(fold)", estimate: estimated)
                        r =
                            t.configuration.search == nil
                            ? try box.value.runTrial(t, prepared: prepared, fold: data, threads: threads)
                            : try box.value.runSearchedTrial(t, prepared: prepared, fold: data, threads: threads)
                    } catch {
                        // The trial failed (diverged or threw): record it and go on with the others.
                        if !box.value.isCancelled, error as? RecbenchError != .cancelled {
                            let f = TrialFailure(t, dataset: ds.label, reason: error)
                            failureLock.lock(); failed.append(f); failureLock.unlock()
                            box.value.progress.trialFailed(f)
                        }
                        box.value.progress.trialFinished(index: t.index)
                        return
                    }
                    r.estimatedPeakBytes = estimated
                    do {
                        if let cache = box.value.cache, let key = trialKeys[t.index] { try cache.store(r, key: key) }
                        sink.value[i] = r
                        onResult(r)
                        box.value.progress.trialCompleted(r, cached: false)
                    } catch {
                        failureLock.lock(); if failure == nil { failure = error }; failureLock.unlock()
                    }
                    box.value.progress.trialFinished(index: t.index)
                }
                // A trial stopped by cancel() may surface as its own error; report the cancellation.
                if isCancelled { throw RecbenchError.cancelled }
                if let failure { throw failure }
                for (i, t) in foldTrials.enumerated() { results[t.index] = sink.value[i] }
                failures += failed
            }
        }
        failures.sort { $0.trial < $1.trial }
        return (records, results.compactMap { $0 })
    }

    /// Columns of the data set's user and item feature tables together (for `DataShape`).
    func featureColumns(_ d: Dataset) -> Int {
        (d.userFeatures.groups + d.itemFeatures.groups).reduce(0) { $0 + $1.matrix.columns }
    }

    /// Threads of a trial whose result depends on the count (`Recommender.threadDependent`):
    /// threads / jobs from the spec alone, never from how many trials of a fold are left after
    /// cache hits or sharding, so a resume, a shard and a whole run compute the same model.
    public static func fixedThreads(_ spec: ExperimentSpec) -> Int { max(1, spec.threads / max(1, spec.jobs)) }

    /// Mean, standard deviation and 95 % interval over folds for each data set × configuration × metric.
    /// A configuration with a failed fold gets none: a mean over the folds that happened to succeed
    /// would not be comparable with the others'.
    public static func aggregate(_ trials: [TrialResult], plan: Plan, failures: [TrialFailure] = []) -> [Aggregate] {
        var out = [Aggregate]()
        for ds in plan.spec.datasets {
            for c in plan.configurations {
                if failures.contains(where: { $0.dataset == ds.label && $0.configuration == c.label }) { continue }
                let rows = trials.filter { $0.dataset == ds.label && $0.configuration == c.label }
                guard let first = rows.first else { continue }
                for (m, metric) in first.metricLabels.enumerated() {
                    let xs = rows.map { $0.values[m] }
                    let n = Double(xs.count)
                    let mean = xs.reduce(0, +) / n
                    let std =
                        xs.count > 1 ? (xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot() : 0
                    let ci = xs.count > 1 ? GSL.tQuantile(0.975, dof: n - 1) * std / n.squareRoot() : 0
                    out.append(
                        Aggregate(
                            dataset: ds.label, configuration: c.label, metric: metric, mean: mean, std: std, ci95: ci,
                            folds: xs.count))
                }
            }
        }
        return out
    }
}
