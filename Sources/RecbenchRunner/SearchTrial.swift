import Foundation
import RecbenchCore
import RecbenchData
import RecbenchAlgorithms
import RecbenchEval
import RecbenchConfig

extension Runner {
    /// A searched configuration on one fold: the search runs on validation data carved from the
    /// fold's training part (`SearchSession` is handed only that), then the chosen parameters are
    /// refitted on training + validation (or kept as trained, with `refit: false`) and evaluated
    /// once on the test part.
    func runSearchedTrial(_ t: Trial, prepared p: PreparedDataset, fold data: FoldData, threads: Int) throws
        -> TrialResult
    {
        let c = t.configuration
        guard let search = c.search, let validation = spec.validation(forDataset: t.datasetIndex) else {
            throw RecbenchError.invalid("\(c.label): a search needs validation data")  // the loader prevents this
        }
        let f = p.folds[t.fold - 1]
        // Everything of the fold that is not test: the split's own validation part belongs to it.
        let outerTrain =
            f.validation.isEmpty ? data.train : p.dataset.matrix(positions: (f.train + f.validation).sorted())
        let searchFold: SearchFold
        switch validation.method {
        case .split:
            guard let v = data.validation else {
                throw RecbenchError.invalid("\(p.spec.label) fold \(t.fold): the split set no validation part aside")
            }
            searchFold = SearchFold(
                task: spec.task, train: data.train, validation: v,
                userFeatures: p.dataset.userFeatures, itemFeatures: p.dataset.itemFeatures)
        case let .predefined(pattern):
            let file = try validationFile(pattern, dataset: p.spec, fold: t.fold)
            let rows = try Splitter.positions(ofFile: file, in: p.dataset)
            let (inner, held) = try ValidationSplit.predefined(
                file: file, positions: rows, trainingPositions: (f.train + f.validation).sorted(), fold: t.fold)
            searchFold = SearchFold(
                task: spec.task, train: p.dataset.matrix(positions: inner),
                validation: p.dataset.matrix(positions: held),
                userFeatures: p.dataset.userFeatures, itemFeatures: p.dataset.itemFeatures)
        default:
            let seed = Self.derivedSeed(validation.seed ?? spec.seed, "validation|\(p.spec.label)|\(t.fold)")
            let (inner, held) = ValidationSplit.carve(outerTrain, method: validation.method, seed: seed)
            searchFold = SearchFold(
                task: spec.task, train: inner, validation: held,
                userFeatures: p.dataset.userFeatures, itemFeatures: p.dataset.itemFeatures)
        }
        guard searchFold.validation.nnz > 0 else {
            throw RecbenchError.invalid(
                "\(p.spec.label) fold \(t.fold): validation (\(validation.label)) holds no interaction")
        }

        let progressSink = progress
        let session = SearchSession(
            spec: spec, search: search, descriptor: c.descriptor, base: c.values,
            dataset: p.spec.label, datasetKey: cache.map { _ in TrialCache.datasetKey(p) } ?? "",
            fold: t.fold, threads: threads, patience: validation.patience, cache: cache, counts: searchCounts,
            isCancelled: { [weak self] in self?.isCancelled ?? true },
            progress: { progressSink.fitProgress(trial: t.index, fraction: $0) })
        let outcome = try session.run(searchFold)
        if isCancelled { throw RecbenchError.cancelled }

        // The test evaluation of the choice.
        let chosen = outcome.evaluated[outcome.chosen]
        var values = chosen.candidate.values.values
        var trainingFold: FoldData
        if search.refit {
            // An early-stopped choice is refitted for as long as it trained best.
            if let name = c.descriptor.budgetParameter, let best = chosen.outcome.bestIteration {
                values[name] = .int(best)
            }
            trainingFold = FoldData(
                train: outerTrain, test: data.test, validation: nil,
                trainingData: TrainingData(
                    task: spec.task, interactions: outerTrain, userFeatures: p.dataset.userFeatures,
                    itemFeatures: p.dataset.itemFeatures))
        } else {
            trainingFold = FoldData(
                train: searchFold.train, test: data.test, validation: searchFold.validation,
                trainingData: TrainingData(
                    task: spec.task, interactions: searchFold.train, userFeatures: p.dataset.userFeatures,
                    itemFeatures: p.dataset.itemFeatures, validation: searchFold.validation))
        }
        let final = Configuration(
            index: c.index, algorithmIndex: c.algorithmIndex, descriptor: c.descriptor,
            values: ParameterValues(values), label: c.label)
        let finalTrial = Trial(
            index: t.index, datasetIndex: t.datasetIndex, fold: t.fold, configuration: final,
            seed: session.seed(for: chosen.candidate))
        var result = try runTrial(finalTrial, prepared: p, fold: trainingFold, threads: threads)
        result.search = SearchRecord(
            strategy: search.label, select: spec.select.label,
            higherIsBetter: MetricCatalog.higherIsBetter(spec.select.label),
            validation: validation.label, refit: search.refit,
            budgetName: search.strategy == .successiveHalving
                ? (c.descriptor.budgetParameter ?? "sample fraction") : nil,
            candidates: outcome.evaluated.map { e in
                SearchRecord.Candidate(
                    index: e.candidate.index, rung: e.candidate.rung,
                    parameters: Dictionary(uniqueKeysWithValues: e.candidate.searched.map { ($0.0, $0.1.description) }),
                    budget: e.candidate.budget, value: e.outcome.value, fitSeconds: e.outcome.fitSeconds,
                    validationSeconds: e.outcome.validationSeconds, bestIteration: e.outcome.bestIteration,
                    curve: e.outcome.curve, failure: e.outcome.failure)
            },
            chosen: outcome.chosen, trainInteractions: searchFold.train.nnz,
            validationInteractions: searchFold.validation.nnz,
            stoppedByTime: outcome.stoppedByTime)
        return result
    }

    /// The validation file of a fold, beside the data set's files.
    func validationFile(_ pattern: String, dataset: DatasetSpec, fold: Int) throws -> String {
        let directory: String
        switch dataset.source {
        case let .file(path, _): directory = (resolve(path) as NSString).deletingLastPathComponent
        case .folds: directory = data.baseDirectory
        case let .registry(name, explicit):
            guard let registry = data.registry else {
                throw RecbenchError.invalid("data set \"\(name)\" is not in the registry")
            }
            directory = try registry.resolve(
                name, explicitPath: explicit.map(resolve), environment: data.environment,
                cacheDirectory: data.cacheDirectory)
        case .synthetic:
            throw RecbenchError.invalid(
                "data set \"\(dataset.label)\": predefined validation files need data read from a folder")
        }
        return (directory as NSString).appendingPathComponent(
            pattern.replacingOccurrences(of: "{fold}", with: String(fold)))
    }
}

/// One fold's search. It is given the search's data (`SearchFold`, which has no test part) and
/// nothing else of the fold; candidates are trained on its training part and scored on its
/// validation part with the selection metric, each stored in the trial cache as it finishes.
struct SearchSession {
    let spec: ExperimentSpec
    let search: SearchSpec
    let descriptor: AlgorithmDescriptor
    let base: ParameterValues
    let dataset: String
    let datasetKey: String
    let fold: Int
    let threads: Int
    let patience: Int?
    let cache: TrialCache?
    let counts: SearchCounts
    let isCancelled: @Sendable () -> Bool
    let progress: (Double) -> Void

    /// A candidate's seed: the experiment seed and the candidate's identity without its budget,
    /// so the rungs of successive halving train the same model for longer.
    func seed(for c: SearchCandidate) -> UInt64 {
        var v = c.values.values
        if let name = descriptor.budgetParameter { v[name] = nil }
        var rng = RandomSource(
            seed: spec.seed, stream: "candidate|\(dataset)|\(fold)|\(descriptor.name)|\(ParameterValues(v).canonical)")
        return rng.next()
    }

    func run(_ data: SearchFold) throws -> SearchDriver.Outcome {
        let driver = SearchDriver(
            spec: search, descriptor: descriptor, base: base,
            higherIsBetter: MetricCatalog.higherIsBetter(spec.select.label))
        let fingerprint = cache == nil ? "" : data.fingerprint
        var samples = [Double: InteractionMatrix]()
        return try driver.run(
            evaluate: { c in
                if isCancelled() { throw RecbenchError.cancelled }
                let seed = seed(for: c)
                let key = cache.map { _ in
                    TrialCache.candidateKey(
                        spec: spec, datasetKey: datasetKey, fold: fold, searchData: fingerprint, candidate: c,
                        algorithm: descriptor.name, seed: seed, patience: patience,
                        threads: descriptor.threadDependent ? threads : nil)
                }
                if let cache, let key, let hit = cache.loadCandidate(key) {
                    counts.count(cached: true)
                    return (hit, true)
                }
                if c.sampleFraction < 1 && samples[c.sampleFraction] == nil {
                    var rng = RandomSource(
                        seed: spec.seed, stream: "budget-sample|\(dataset)|\(fold)|\(c.sampleFraction)")
                    samples[c.sampleFraction] = ValidationSplit.sample(
                        data.train, fraction: c.sampleFraction, seed: rng.next())
                }
                let outcome = try evaluate(c, seed: seed, data: data, train: samples[c.sampleFraction] ?? data.train)
                if isCancelled() { throw RecbenchError.cancelled }
                if let cache, let key { try cache.storeCandidate(outcome, key: key) }
                counts.count(cached: false)
                return (outcome, false)
            }, progress: progress)
    }

    /// Fits a candidate on `train` (the search's training part or a sample of it) and scores it on
    /// the validation part. A fit that fails (diverges, an unsolvable system) scores NaN and never wins.
    func evaluate(_ c: SearchCandidate, seed: UInt64, data: SearchFold, train: InteractionMatrix) throws
        -> CandidateOutcome
    {
        // A drawn point that breaks a cross-parameter rule is not trained (a grid's points were checked at validation).
        if let problem = descriptor.constraints.lazy.compactMap({ $0.violation(c.values) }).first {
            return CandidateOutcome(
                value: .nan, fitSeconds: 0, validationSeconds: 0, bestIteration: nil, curve: [], failure: problem)
        }
        let model = descriptor.make(c.values)
        var clock = Stopwatch()
        let validator = ValidationScore.validator(
            validation: data.validation, train: data.train, metric: spec.select,
            task: spec.task, relevance: spec.relevance, threads: threads)
        let context = FitContext(
            threads: threads, seed: seed, isCancelled: isCancelled, validate: validator, patience: patience)
        let training = TrainingData(
            task: spec.task, interactions: train, userFeatures: data.userFeatures,
            itemFeatures: data.itemFeatures, validation: data.validation)
        var failure: String?
        do { try model.fit(training, context: context) } catch let e as RecbenchError {
            if e == .cancelled { throw e }
            failure = e.description
        }
        if isCancelled() { throw RecbenchError.cancelled }
        let fitSeconds = clock.lap()
        let value =
            failure != nil
            ? .nan
            : ValidationScore.value(
                model: model, validation: data.validation, train: data.train,
                metric: spec.select, task: spec.task,
                relevance: spec.relevance, threads: threads)
        let validationSeconds = clock.lap()
        let curve = context.curve.map { TrialResult.CurveRecord(iteration: $0.iteration, values: $0.values) }
        // The iteration the model kept: the best validation point of its curve (first of equals).
        var best: (Int, Double)?
        for p in context.curve {
            if let v = p.values["validation"], v.isFinite, best == nil || v > best!.1 { best = (p.iteration, v) }
        }
        return CandidateOutcome(
            value: value, fitSeconds: fitSeconds, validationSeconds: validationSeconds,
            bestIteration: best?.0, curve: curve, failure: failure)
    }
}

extension ExperimentSpec {
    /// Key lines that the selection settings add to a trial's cache key: a searched trial's whole
    /// search; a trial with a validation part, the metric and patience it stops early on.
    func selectionKey(_ c: Configuration, dataset d: Int) -> [String] {
        if let s = c.search {
            return [
                "search=" + s.identity, "validation=" + (validation(forDataset: d)?.identity ?? ""),
                "select=" + select.label
            ]
        }
        guard split.hasValidationPart else { return [] }
        return [
            "early-stopping=" + select.label + (validation(forDataset: d)?.patience.map { " patience \($0)" } ?? "")
        ]
    }
}
