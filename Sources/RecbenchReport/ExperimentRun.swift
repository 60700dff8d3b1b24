import Foundation
import RecbenchCore
import RecbenchConfig
import RecbenchRunner
import RecbenchAnalysis

/// `recbench run` and `recbench merge`: plan, run (or gather shards), aggregate, and write the run
/// folder. Both end in `finish`, one writer. The folder is assembled as `<run-id>.partial` and
/// renamed only when every file is written, so a failed or interrupted run never leaves
/// something that looks finished.
public enum ExperimentRun {
    /// Runs the plan (or one shard of it), reusing finished trials from
    /// `cacheDirectory` (default `<output root>/<experiment>/cache`) unless `cache` says otherwise.
    /// Keys do not involve the experiment's name, so several experiments may share one folder.
    public static func execute(
        spec: ExperimentSpec, data: DataEnvironment, progress: ProgressReporter,
        outputRoot: String? = nil, runner: Runner? = nil,
        shard: Shard? = nil, cache: TrialCache.Mode = .use, cacheDirectory: String? = nil
    ) throws -> RunResult {
        let started = Date()
        let runner = runner ?? Runner(spec: spec, data: data, progress: progress)
        let root = outputRoot ?? spec.outputs.directory
        // Before any trial: the output (and cache) folders must be writable, and this process is
        // registered so that other runs of the experiment leave its unfinished folder alone.
        let lock = try RunLock(experimentDirectory: (root as NSString).appendingPathComponent(spec.name))
        defer { lock.release() }
        lock.removeStalePartials()
        if cache != .off {
            let directory = cacheDirectory ?? TrialCache.directory(outputRoot: root, experiment: spec.name)
            runner.cache = TrialCache(directory: directory, mode: cache)
            try OutputFolder.checkWritable(runner.cache!.directory)
        }
        // Exports are written by the trials themselves, so their run folder is reserved before the first
        // one; a run that fails removes it (a killed one leaves a `.partial` that the next run cleans up).
        var reserved: (id: String, partial: String)?
        if spec.outputs.exportsAnything {
            let base = RunID.base(started: started, configHash: spec.configHash, shard: shard)
            reserved = try RunID.reserve(base: base, in: (root as NSString).appendingPathComponent(spec.name))
            runner.exports = TrialExports(
                directory: (reserved!.partial as NSString).appendingPathComponent("exports"),
                recommendations: spec.outputs.recommendations,
                saveModels: spec.outputs.saveModels, attentionUsers: spec.outputs.attentionUsers)
        }
        // Fold counts are known only after splitting for some methods; the plan uses the split's own count.
        let plan = Plan(spec: spec)
        let datasets: [DatasetRecord], trials: [TrialResult]
        do { (datasets, trials) = try runner.run(plan: plan, include: { shard?.contains($0) ?? true }) } catch {
            if let reserved { try? FileManager.default.removeItem(atPath: reserved.partial) }
            throw error
        }
        var result = try finish(
            spec: spec, plan: plan, datasets: datasets, trials: trials, failures: runner.failures,
            started: started, wallSeconds: Date().timeIntervalSince(started), shard: shard,
            outputRoot: root, reserved: reserved)
        result.cachedTrials = runner.cacheHits
        result.recomputedCorruptEntries = runner.corruptEntries
        return result
    }

    /// Combines shard run folders (`recbench run --shard i/n`) into one run with the same outputs as
    /// a single-machine run. Refuses folders of different plans, experiment files or data, and a set
    /// that misses a trial or holds one twice.
    public static func merge(_ folders: [String], outputRoot: String? = nil) throws -> RunResult {
        guard !folders.isEmpty else { throw RecbenchError.invalid("merge: give the run folders of the shards") }
        let parts = try folders.map(RunFolder.load)
        let first = parts[0]
        for (p, dir) in zip(parts, folders).dropFirst() {
            guard p.planFingerprint == first.planFingerprint else {
                throw RecbenchError.invalid(
                    "merge: \(dir) comes from a different plan than \(folders[0]) (plan \(p.planFingerprint.prefix(12)) ≠ \(first.planFingerprint.prefix(12)))"
                )
            }
            guard p.spec.configHash == first.spec.configHash else {
                throw RecbenchError.invalid(
                    "merge: \(dir) was run from a different experiment file than \(folders[0]) (config hash differs)")
            }
            for (a, b) in zip(p.datasets, first.datasets)
            where a.dataFingerprint != b.dataFingerprint || a.splitFingerprint != b.splitFingerprint {
                throw RecbenchError.invalid(
                    "merge: data set \"\(a.label)\" differs between \(dir) and \(folders[0]) (data or split fingerprint)"
                )
            }
        }
        let plan = first.plan
        guard plan.fingerprint == first.planFingerprint else {
            throw RecbenchError.invalid(
                "merge: \(folders[0]) was written by a Recbench whose plan differs from this one; rerun the shards")
        }
        var owner = [Int: String](), trials = [TrialResult](), failures = [TrialFailure]()
        for (p, dir) in zip(parts, folders) {
            for f in p.failures {
                if let other = owner[f.trial] {
                    throw RecbenchError.invalid("merge: trial \(f.trial + 1) is in both \(other) and \(dir)")
                }
                owner[f.trial] = dir
                failures.append(f)
            }
            for t in p.trials {
                guard plan.trials.indices.contains(t.trial),
                    plan.trials[t.trial].configuration.label == t.configuration,
                    plan.trials[t.trial].fold == t.fold
                else {
                    throw RecbenchError.invalid(
                        "merge: \(dir) holds trial \(t.trial + 1) (\(t.configuration), fold \(t.fold)) which is not that trial of the plan"
                    )
                }
                if let other = owner[t.trial] {
                    throw RecbenchError.invalid("merge: trial \(t.trial + 1) is in both \(other) and \(dir)")
                }
                owner[t.trial] = dir
                trials.append(t)
            }
        }
        let missing = plan.trials.indices.filter { owner[$0] == nil }
        guard missing.isEmpty else {
            let shown =
                missing.prefix(10).map { String($0 + 1) }.joined(separator: ", ") + (missing.count > 10 ? ", …" : "")
            var hint = ""
            if let n = first.shard?.count {
                hint =
                    "; missing shard(s) of \(n): "
                    + Set(missing.map { Shard.of(trial: $0, count: n) }).sorted().map(String.init).joined(
                        separator: ", ")
            }
            throw RecbenchError.invalid(
                "merge: \(missing.count) of \(plan.trials.count) trials are in none of the folders (trial \(shown))\(hint)"
            )
        }
        trials.sort { $0.trial < $1.trial }
        failures.sort { $0.trial < $1.trial }
        let iso = ISO8601DateFormatter()
        let started = parts.compactMap { iso.date(from: $0.startedAt) }.min() ?? Date()
        let root = outputRoot ?? first.spec.outputs.directory
        let lock = try RunLock(experimentDirectory: (root as NSString).appendingPathComponent(first.spec.name))
        defer { lock.release() }
        lock.removeStalePartials()
        return try finish(
            spec: first.spec, plan: plan, datasets: first.datasets, trials: trials, failures: failures,
            started: started, wallSeconds: parts.map(\.wallSeconds).max() ?? 0, shard: nil,
            outputRoot: root, exportSources: folders)
    }

    /// Names the run, aggregates and writes its folder: the one writer of `run` and `merge`. `reserved`
    /// is a folder reserved before the trials ran (they wrote exports into it); `exportSources` are run
    /// folders whose `exports/` are gathered into this one (a merge's shards).
    static func finish(
        spec: ExperimentSpec, plan: Plan, datasets: [DatasetRecord], trials: [TrialResult],
        failures: [TrialFailure] = [], started: Date, wallSeconds: Double, shard: Shard?,
        outputRoot root: String, reserved: (id: String, partial: String)? = nil,
        exportSources: [String] = []
    ) throws -> RunResult {
        // Shards start in the same second on a cluster, and so may two runs of one file: the name
        // is reserved (see RunID), never shared.
        let experimentDirectory = (root as NSString).appendingPathComponent(spec.name)
        let base = RunID.base(started: started, configHash: spec.configHash, shard: shard)
        let (runID, partial) = try reserved ?? RunID.reserve(base: base, in: experimentDirectory)
        let dir = (experimentDirectory as NSString).appendingPathComponent(runID)
        var result = RunResult(
            spec: spec, plan: plan, runID: runID, directory: dir, datasets: datasets, trials: trials,
            aggregates: Runner.aggregate(trials, plan: plan, failures: failures),
            startedAt: ISO8601DateFormatter().string(from: started),
            wallSeconds: wallSeconds, shard: shard, planFingerprint: plan.fingerprint)
        result.failures = failures
        do {
            try gatherExports(from: exportSources, into: partial)
            try write(&result, partial: partial)
        } catch {
            // A failed write (a full disk) leaves nothing that looks like a run, and frees its space.
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        return result
    }

    /// Copies the shards' exported files into the merged run (the same ID lists in several shards are one file).
    static func gatherExports(from folders: [String], into partial: String) throws {
        let target = (partial as NSString).appendingPathComponent("exports")
        for folder in folders {
            let source = (folder as NSString).appendingPathComponent("exports")
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: source) else { continue }
            try OutputFolder.create(target)
            for name in names.sorted() where name != "index.csv" {
                let to = (target as NSString).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: to) { continue }
                do {
                    try FileManager.default.copyItem(
                        atPath: (source as NSString).appendingPathComponent(name), toPath: to)
                } catch { throw RecbenchError.io(to, "cannot copy the shard's export: \(error.localizedDescription)") }
            }
        }
    }

    static func write(_ r: inout RunResult, partial: String) throws {
        func put(_ name: String, _ contents: String) throws {
            try AtomicFile.write(contents, to: (partial as NSString).appendingPathComponent(name))
        }
        try put("experiment.json", r.spec.sourceText)
        try put("results.json", try RunFolder.encode(r))
        try put("metrics.csv", Writers.metricsCSV(r))
        if r.spec.outputs.perUser { try put("per_user.csv", Writers.perUserCSV(r)) }
        try put("profile.csv", Writers.profileCSV(r))
        // Tied-with-the-best groups need every trial: a shard's summary goes without them.
        let tied = r.shard == nil ? Comparison.tiedWithBest(r, options: ComparisonOptions(threads: r.spec.threads)) : []
        try put("summary.md", Writers.summaryMarkdown(r, tied: tied))
        if r.trials.contains(where: { $0.search != nil }) { try put("search.csv", SearchReport.csv(r)) }
        if r.trials.contains(where: { $0.exports != nil }) {
            try put("exports/index.csv", TrialExports.indexCSV(r.trials))
        }
        let manifest = Writers.manifest(r)
        try put("manifest.json", manifest)
        // Significance against each data set's best configuration feeds both the report and the LaTeX
        // table. A shard holds only some trials; the merged run gets the report.
        if r.shard == nil {
            let options = ComparisonOptions(resamples: 1000, threads: r.spec.threads)
            let significance = Comparison.againstReference(r, options: options)
            try put("report.html", Report.html(r, significance: significance, tied: tied, manifest: manifest))
            if r.spec.outputs.latex { try put("summary.tex", LaTeX.summary(r, significance: significance, tied: tied)) }
        }
        try RunID.publish(partial: partial, as: r.directory)
        // A stable pointer to the newest complete run of this experiment (a shard is not one).
        guard r.shard == nil else { return }
        try RunID.publishLatest(r.runID, in: PathText.parent(r.directory))
    }
}
