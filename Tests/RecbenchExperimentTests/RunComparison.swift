import Foundation
import RecbenchCore
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchAnalysis
@testable import RecbenchReport
import RecbenchTestSupport

/// A small synthetic suite: 2 folds × (Random, MostPopular, Bias × `itemReg`) trials, one thread,
/// one trial at a time (so fault-injection write counts follow plan order).
func tinySuiteText(itemReg: [Int] = [5, 25], name: String = "tiny-suite") -> String {
    """
    {
      "name": "\(name)", "seed": 9, "task": "ranking", "threads": 1, "jobs": 1,
      "datasets": [{ "name": "synthetic-tiny", "synthetic": { "users": 200, "items": 150, "interactions": 5000, "factors": 4, "popularity_skew": 1.0, "seed": 5 } }],
      "split": { "method": "kfold", "k": 2 },
      "algorithms": [{ "name": "Random" }, { "name": "MostPopular" }, { "name": "Bias", "params": { "item_reg": \(itemReg) } }],
      "metrics": ["ndcg@10", "recall@10", "auc", "novelty@10"]
    }
    """
}

func tinySpec(itemReg: [Int] = [5, 25], name: String = "tiny-suite") throws -> ExperimentSpec {
    try ExperimentLoader(registry: nil).load(text: tinySuiteText(itemReg: itemReg, name: name), file: "tiny-suite.json")
}

func temporaryFolder(_ tag: String) -> String {
    let dir = Scratch.path("recbench-\(tag)")
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

let syntheticEnvironment = DataEnvironment(
    registry: nil, cacheDirectory: Scratch.path("recbench-cache"), baseDirectory: Scratch.root)

/// Fields that measure the run rather than its results.
let timingKeys: Set<String> = [
    "runID", "startedAt", "wallSeconds", "loadSeconds", "filterSeconds", "splitSeconds",
    "fitSeconds", "scoreSeconds", "evaluateSeconds", "peakResidentBytes", "startResidentBytes", "validationSeconds"
]

func strippingTimings(_ node: Any) -> Any {
    if let d = node as? [String: Any] { return d.filter { !timingKeys.contains($0.key) }.mapValues(strippingTimings) }
    if let a = node as? [Any] { return a.map(strippingTimings) }
    return node
}

/// The files of a run folder with timing fields removed: results.json without timings,
/// metrics.csv and per_user.csv as they are, summary.md with the run ID and fit-time column masked.
func comparableOutputs(_ dir: String) throws -> [String: String] {
    var out = [String: String]()
    let json = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: dir + "/results.json")))
    let runID = (json as? [String: Any])?["runID"] as? String ?? "?"
    out["results.json"] = String(
        decoding: try JSONSerialization.data(withJSONObject: strippingTimings(json), options: [.sortedKeys]),
        as: UTF8.self)
    for f in ["metrics.csv", "per_user.csv"] { out[f] = try String(contentsOfFile: dir + "/" + f, encoding: .utf8) }
    let summary = try String(contentsOfFile: dir + "/summary.md", encoding: .utf8).replacingOccurrences(
        of: runID, with: "RUN")
    out["summary.md"] = summary.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
        guard line.hasPrefix("| "), let bar = line.dropLast(2).lastIndex(of: "|") else { return String(line) }
        return String(line[..<bar]) + "| |"
    }.joined(separator: "\n")
    return out
}

/// Names the files that differ (empty when the runs agree, timing aside).
func differingOutputs(_ a: String, _ b: String) throws -> [String] {
    let x = try comparableOutputs(a), y = try comparableOutputs(b)
    return Set(x.keys).union(y.keys).sorted().filter { x[$0] != y[$0] }
}

/// The trial cache entries (finished writes only) in a folder.
func cacheEntries(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
}

/// Trials as their cache JSON (NaN per-user values make `==` on `TrialResult` false even for equal runs).
func encoded(_ ts: [TrialResult]) throws -> [String] {
    try ts.map { String(decoding: try JSONCoding.encoder().encode($0), as: UTF8.self) }
}
