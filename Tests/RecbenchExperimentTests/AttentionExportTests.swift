import Testing
import Foundation
import RecbenchCore
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchReport
import RecbenchTestSupport

/// `"outputs": {"attention": [...]}`: for each requested user the data set has, the attention models
/// write what they attended to when scoring each of the user's test items; other models write nothing.
@Test func attentionWeightsAreExportedForTheRequestedUsers() throws {
    let text = """
        {
          "name": "attention-export", "task": "rating", "seed": 3, "threads": 1,
          "datasets": [{ "name": "syn", "synthetic": { "users": 40, "items": 30, "interactions": 700 } }],
          "split": { "method": "kfold", "k": 2 },
          "algorithms": [{ "name": "AutoInt", "params": { "epochs": 2, "embedding_size": 4, "attention_size": 4 } },
                         { "name": "DIN", "params": { "epochs": 2, "embedding_size": 4, "max_length": 6 } },
                         { "name": "Bias" }],
          "metrics": ["rmse"],
          "outputs": { "attention": ["7", 12, "nobody"] }
        }
        """
    let spec = try ExperimentLoader(registry: nil).load(text: text, file: "attention.json")
    #expect(spec.outputs.attentionUsers == ["7", "12", "nobody"])
    let env = DataEnvironment(
        registry: nil, cacheDirectory: Scratch.path("recbench-cache"), baseDirectory: Scratch.root)
    let root = Scratch.path("recbench-attention")
    defer { try? FileManager.default.removeItem(atPath: root) }
    let r = try ExperimentRun.execute(spec: spec, data: env, progress: SilentProgress(), outputRoot: root, cache: .off)
    let runner = Runner(spec: spec, data: env)
    let fold = runner.foldData(try runner.prepare(spec.datasets[0]), fold: 1)
    let test = fold.test.byUser, train = fold.train.byUser
    for algorithm in ["AutoInt", "DIN", "Bias"] {
        let trial = try #require(r.trials.first { $0.algorithm == algorithm && $0.fold == 1 })
        let stem = TrialExports.stem(trial: trial.trial, dataset: "syn", configuration: trial.configuration, fold: 1)
        let file = r.directory + "/exports/\(stem).attention.csv.gz"
        guard algorithm != "Bias" else {
            #expect(!FileManager.default.fileExists(atPath: file), "Bias has no attention to export")
            continue
        }
        let rows = try gzipCSV(file)
        #expect(rows[0] == ["user", "item", "source", "weight"])
        var byPair = [[String]: [(String, Float)]]()
        for row in rows.dropFirst() { byPair[[row[0], row[1]], default: []].append((row[2], Float(row[3])!)) }
        // Exactly the requested users' test items (synthetic IDs are the indices); "nobody" is skipped.
        var expected = Set<[String]>()
        for u in [7, 12] { for e in test.rowRange(u) { expected.insert([String(u), String(test.indices[e])]) } }
        #expect(!expected.isEmpty)
        #expect(Set(byPair.keys) == expected)
        for (pair, weights) in byPair {
            if algorithm == "AutoInt" {
                // Softmax weights over the fields, averaged: they sum to 1 over user, its segment, item, category.
                #expect(weights.map(\.0) == ["user", "user:segment", "item", "item:category"], "\(weights.map(\.0))")
                #expect(abs(weights.map(\.1).reduce(0, +) - 1) < 1e-4)
            } else {
                // DIN attends over the user's most recent training items (at most max_length), never the candidate.
                let seen = Set(train.rowRange(Int(pair[0])!).map { "item:\(train.indices[$0])" })
                #expect(weights.count == min(6, seen.subtracting(["item:" + pair[1]]).count))
                #expect(weights.allSatisfy { seen.contains($0.0) && $0.0 != "item:" + pair[1] })
            }
        }
    }
}

@Test func attentionUserIDsMustBeStringsOrIntegers() throws {
    let text = """
        {
          "name": "bad-attention", "task": "rating",
          "datasets": [{ "name": "syn", "synthetic": { "users": 40, "items": 30, "interactions": 700 } }],
          "split": { "method": "kfold", "k": 2 },
          "algorithms": [{ "name": "AutoInt" }], "metrics": ["rmse"],
          "outputs": { "attention": ["7", 1.5] }
        }
        """
    #expect(issues(text) == ["exp.json:6: outputs.attention[1]: expected a user ID (a string or an integer), got 1.5"])
}
