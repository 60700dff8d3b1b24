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
    public static func execute(spec: ExperimentSpec, data: DataEnvironment, progress: ProgressReporter,
                               outputRoot: String? = nil, runner: Runner? = nil,
                               shard: Shard? = nil, cache: TrialCache.Mode = .use, cacheDirectory: String? = nil) throws -> RunResult {
        let started = Date()
        let runner = runner ?? Runner(spec: spec, data: data, progress: progress)
        let root = outputRoot ?? spec.outputs.directory
        if cache != .off { runner.cache = TrialCache(directory: cacheDirectory ?? TrialCache.directory(outputRoot: root, experiment: spec.name), mode: cache) }
        // Fold counts are known only after splitting for some methods; the plan uses the split's own count.
        let plan = Plan(spec: spec)
        let (datasets, trials) = try runner.run(plan: plan, include: { shard?.contains($0) ?? true })
        var result = try finish(spec: spec, plan: plan, datasets: datasets, trials: trials, started: started,
                                wallSeconds: Date().timeIntervalSince(started), shard: shard, outputRoot: root)
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
                throw RecbenchError.invalid("merge: \(dir) comes from a different plan than \(folders[0]) (plan \(p.planFingerprint.prefix(12)) ≠ \(first.planFingerprint.prefix(12)))")
            }
            guard p.spec.configHash == first.spec.configHash else {
                throw RecbenchError.invalid("merge: \(dir) was run from a different experiment file than \(folders[0]) (config hash differs)")
            }
            for (a, b) in zip(p.datasets, first.datasets) where a.dataFingerprint != b.dataFingerprint || a.splitFingerprint != b.splitFingerprint {
                throw RecbenchError.invalid("merge: data set \"\(a.label)\" differs between \(dir) and \(folders[0]) (data or split fingerprint)")
            }
        }
        let plan = first.plan
        guard plan.fingerprint == first.planFingerprint else {
            throw RecbenchError.invalid("merge: \(folders[0]) was written by a Recbench whose plan differs from this one; rerun the shards")
        }
        var owner = [Int: String](), trials = [TrialResult]()
        for (p, dir) in zip(parts, folders) {
            for t in p.trials {
                guard plan.trials.indices.contains(t.trial), plan.trials[t.trial].configuration.label == t.configuration,
                      plan.trials[t.trial].fold == t.fold else {
                    throw RecbenchError.invalid("merge: \(dir) holds trial \(t.trial + 1) (\(t.configuration), fold \(t.fold)) which is not that trial of the plan")
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
            let shown = missing.prefix(10).map { String($0 + 1) }.joined(separator: ", ") + (missing.count > 10 ? ", …" : "")
            var hint = ""
            if let n = first.shard?.count {
                hint = "; missing shard(s) of \(n): " + Set(missing.map { Shard.of(trial: $0, count: n) }).sorted().map(String.init).joined(separator: ", ")
            }
            throw RecbenchError.invalid("merge: \(missing.count) of \(plan.trials.count) trials are in none of the folders (trial \(shown))\(hint)")
        }
        trials.sort { $0.trial < $1.trial }
        let iso = ISO8601DateFormatter()
        let started = parts.compactMap { iso.date(from: $0.startedAt) }.min() ?? Date()
        return try finish(spec: first.spec, plan: plan, datasets: first.datasets, trials: trials, started: started,
                          wallSeconds: parts.map(\.wallSeconds).max() ?? 0, shard: nil,
                          outputRoot: outputRoot ?? first.spec.outputs.directory)
    }

    /// Names the run, aggregates and writes its folder: the one writer of `run` and `merge`.
    static func finish(spec: ExperimentSpec, plan: Plan, datasets: [DatasetRecord], trials: [TrialResult], started: Date,
                       wallSeconds: Double, shard: Shard?, outputRoot root: String) throws -> RunResult {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX"); formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        var runID = formatter.string(from: started) + "-" + String(spec.configHash.prefix(8))
        // Shards start in the same second on a cluster; their folders must not collide.
        if let shard { runID += "-shard\(shard.index)of\(shard.count)" }
        let dir = (root as NSString).appendingPathComponent(spec.name + "/" + runID)
        var result = RunResult(spec: spec, plan: plan, runID: runID, directory: dir, datasets: datasets, trials: trials,
                               aggregates: Runner.aggregate(trials, plan: plan), startedAt: ISO8601DateFormatter().string(from: started),
                               wallSeconds: wallSeconds, shard: shard, planFingerprint: plan.fingerprint)
        try write(&result)
        return result
    }

    static func write(_ r: inout RunResult) throws {
        let fm = FileManager.default
        let partial = r.directory + ".partial"
        try? fm.removeItem(atPath: partial)
        try fm.createDirectory(atPath: partial, withIntermediateDirectories: true)
        func put(_ name: String, _ contents: String) throws { try AtomicFile.write(contents, to: (partial as NSString).appendingPathComponent(name)) }
        try put("experiment.json", r.spec.sourceText)
        try put("results.json", try RunFolder.encode(r))
        try put("metrics.csv", Writers.metricsCSV(r))
        if r.spec.outputs.perUser { try put("per_user.csv", Writers.perUserCSV(r)) }
        try put("profile.csv", Writers.profileCSV(r))
        try put("summary.md", Writers.summaryMarkdown(r))
        if r.trials.contains(where: { $0.search != nil }) { try put("search.csv", SearchReport.csv(r)) }
        let manifest = Writers.manifest(r)
        try put("manifest.json", manifest)
        // Significance against each data set's best configuration feeds both the report and the LaTeX
        // table. A shard holds only some trials; the merged run gets the report.
        if r.shard == nil {
            let significance = Comparison.againstReference(r)
            try put("report.html", Report.html(r, significance: significance, manifest: manifest))
            if r.spec.outputs.latex { try put("summary.tex", LaTeX.summary(r, significance: significance)) }
        }
        if fm.fileExists(atPath: r.directory) { try fm.removeItem(atPath: r.directory) }
        try fm.moveItem(atPath: partial, toPath: r.directory)
        // A stable pointer to the newest complete run of this experiment (a shard is not one).
        guard r.shard == nil else { return }
        let latest = ((r.directory as NSString).deletingLastPathComponent as NSString).appendingPathComponent("latest")
        try? fm.removeItem(atPath: latest)
        try? fm.createSymbolicLink(atPath: latest, withDestinationPath: (r.directory as NSString).lastPathComponent)
    }
}
