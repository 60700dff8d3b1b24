import Foundation
import RecbenchCore
import RecbenchConfig
import RecbenchRunner

/// Reads a finished run folder back into a `RunResult`: the experiment file's copy gives the spec
/// and plan, `results.json` the data-set records and every trial (with per-user values). Compare,
/// check, baselines and shard merges all start here, so none of them parses the CSV files.
public enum RunFolder {
    struct Stored: Codable {
        var format = 1
        var runID: String
        var experiment: String
        var configHash: String
        var startedAt: String
        var wallSeconds: Double
        var planFingerprint: String?
        var shard: Shard?
        var datasets: [DatasetRecord]
        var trials: [TrialResult]
        /// Trials that diverged or threw (absent in folders written before failures were kept).
        var failures: [TrialFailure]?
    }

    public static func encode(_ r: RunResult) throws -> String {
        let enc = JSONCoding.encoder()
        let stored = Stored(
            runID: r.runID, experiment: r.spec.name, configHash: r.spec.configHash, startedAt: r.startedAt,
            wallSeconds: r.wallSeconds, planFingerprint: r.planFingerprint, shard: r.shard,
            datasets: r.datasets, trials: r.trials, failures: r.failures.isEmpty ? nil : r.failures)
        return String(decoding: try enc.encode(stored), as: UTF8.self) + "\n"
    }

    /// `path` may be a run folder or an experiment's folder (its `latest` run is used).
    public static func load(_ path: String) throws -> RunResult {
        let fm = FileManager.default
        var dir = path
        if !fm.fileExists(atPath: dir + "/results.json"), fm.fileExists(atPath: dir + "/latest/results.json") {
            dir += "/latest"
        }
        guard let data = fm.contents(atPath: dir + "/results.json") else {
            throw RecbenchError.io(path, "not a run folder (no results.json); give results/<experiment>/<run-id>")
        }
        let stored: Stored
        let dec = JSONCoding.decoder()
        do { stored = try dec.decode(Stored.self, from: data) } catch {
            throw RecbenchError.io(dir + "/results.json", "unreadable: \(SystemError.describe(error))")
        }
        guard let text = try? String(contentsOfFile: dir + "/experiment.json", encoding: .utf8) else {
            throw RecbenchError.io(dir, "the run folder has no experiment.json")
        }
        let spec = try ExperimentLoader(registry: nil, environment: nil).load(
            text: text, file: dir + "/experiment.json")
        let plan = Plan(spec: spec)
        var result = RunResult(
            spec: spec, plan: plan, runID: stored.runID, directory: dir, datasets: stored.datasets,
            trials: stored.trials,
            aggregates: Runner.aggregate(stored.trials, plan: plan, failures: stored.failures ?? []),
            startedAt: stored.startedAt, wallSeconds: stored.wallSeconds,
            shard: stored.shard, planFingerprint: stored.planFingerprint ?? plan.fingerprint)
        result.failures = stored.failures ?? []
        return result
    }
}
