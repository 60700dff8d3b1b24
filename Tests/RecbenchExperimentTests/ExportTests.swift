import Testing
import Foundation
import RecbenchCore
import RecbenchEval
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchReport
import RecbenchTestSupport

/// Rows of a gzip CSV export, header first.
func gzipCSV(_ path: String) throws -> [[String]] {
    let text = String(decoding: try Gzip.decompress(Data(contentsOf: URL(fileURLWithPath: path))), as: UTF8.self)
    return text.split(separator: "\n").map {
        $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }
}

/// A float32 .npy file written by `NpyFile` (version 1.0): its shape and values.
func readNpy(_ path: String) throws -> (shape: [Int], values: [Float]) {
    let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let length = Int(data[8]) | Int(data[9]) << 8
    let header = String(decoding: data[10..<(10 + length)], as: UTF8.self)
    #expect(header.contains("'descr': '<f4'"))
    let dims = header.split(separator: "(")[1].split(separator: ")")[0]
    let shape = dims.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    var values = [Float]()
    var p = 10 + length
    while p + 4 <= data.count {
        values.append(
            Float(
                bitPattern: UInt32(data[p]) | UInt32(data[p + 1]) << 8 | UInt32(data[p + 2]) << 16
                    | UInt32(data[p + 3]) << 24))
        p += 4
    }
    return (shape, values)
}

let exportExperiment = """
    {
      "name": "exports", "task": "ranking", "seed": 5, "threads": 1,
      "datasets": [{ "name": "syn", "synthetic": { "users": 70, "items": 45, "interactions": 1100 } }],
      "split": { "method": "kfold", "k": 2 },
      "algorithms": [{ "name": "ImplicitALS", "params": { "factors": 4, "iterations": 4 } }, { "name": "EASE" },
                     { "name": "ItemKNN", "params": { "k": 5 } }, { "name": "MostPopular" }],
      "metrics": ["ndcg@3"],
      "outputs": { "recommendations": 6, "save_models": true }
    }
    """

@Test func exportedListsAndFactorsAgreeWithTheTrial() throws {
    let spec = try ExperimentLoader(registry: nil).load(text: exportExperiment, file: "exports.json")
    let env = DataEnvironment(
        registry: nil, cacheDirectory: Scratch.path("recbench-cache"), baseDirectory: Scratch.root)
    let root = Scratch.path("recbench-exports")
    let r = try ExperimentRun.execute(spec: spec, data: env, progress: SilentProgress(), outputRoot: root, cache: .off)
    let exports = r.directory + "/exports"
    let users = try String(contentsOfFile: exports + "/syn.users.txt", encoding: .utf8).split(separator: "\n").map(
        String.init)
    let items = try String(contentsOfFile: exports + "/syn.items.txt", encoding: .utf8).split(separator: "\n").map(
        String.init)
    #expect(users.count == r.datasets[0].users && items.count == r.datasets[0].items)

    // The ALS trial of fold 1: every listed score is the factors' dot product, and the six items are the
    // user's six best unseen items by it, in order.
    let als = try #require(r.trials.first { $0.algorithm == "ImplicitALS" && $0.fold == 1 })
    let stem = TrialExports.stem(trial: als.trial, dataset: "syn", configuration: als.configuration, fold: 1)
    #expect(als.exports?.contains(stem + ".recommendations.csv.gz") == true)
    let rows = try gzipCSV(exports + "/\(stem).recommendations.csv.gz")
    #expect(rows[0] == ["user", "rank", "item", "score"])
    let (us, uf) = try readNpy(exports + "/\(stem).user_factors.npy")
    let (isz, itf) = try readNpy(exports + "/\(stem).item_factors.npy")
    #expect(us == [users.count, 4] && isz == [items.count, 4])
    let runner = Runner(spec: spec, data: env)
    let fold = runner.foldData(try runner.prepare(spec.datasets[0]), fold: 1)
    func score(_ u: Int, _ i: Int) -> Float { (0..<4).reduce(0) { $0 + uf[u * 4 + $1] * itf[i * 4 + $1] } }
    var byUser = [String: [[String]]]()
    for row in rows.dropFirst() { byUser[row[0], default: []].append(row) }
    #expect(byUser.count == als.users.count + als.skippedUsers)
    #expect(byUser.count == (0..<fold.test.userCount).filter { fold.test.byUser.rowCount($0) > 0 }.count)
    for (user, list) in byUser {
        let u = try #require(users.firstIndex(of: user))
        #expect(list.map { $0[1] } == ["1", "2", "3", "4", "5", "6"])
        let seen = Set(fold.train.byUser.rowIndices(u).map(Int.init))
        let ranked = (0..<items.count).filter { !seen.contains($0) }.sorted { score(u, $0) > score(u, $1) }
        for (p, row) in list.enumerated() {
            let i = try #require(items.firstIndex(of: row[2]))
            let exported = try #require(Float(row[3]))
            #expect(abs(exported - score(u, i)) <= 1e-5 * max(1, abs(exported)), "\(user) \(row)")
            #expect(!seen.contains(i))
            // Equal to the p-th best score (ties may swap items, never scores).
            #expect(abs(score(u, ranked[p]) - score(u, i)) <= 1e-5 * max(1, abs(exported)))
        }
    }

    // EASE: an items × items matrix with a zero diagonal. ItemKNN: CSR arrays with items + 1 offsets.
    let ease = try #require(r.trials.first { $0.algorithm == "EASE" && $0.fold == 1 })
    let easeStem = TrialExports.stem(trial: ease.trial, dataset: "syn", configuration: "EASE", fold: 1)
    let (shape, weights) = try readNpy(exports + "/\(easeStem).weights.npy")
    #expect(shape == [items.count, items.count])
    #expect((0..<items.count).allSatisfy { weights[$0 * items.count + $0] == 0 })
    let knn = try #require(r.trials.first { $0.algorithm == "ItemKNN" && $0.fold == 2 })
    let knnFiles = try #require(knn.exports)
    #expect(
        knnFiles.filter { $0.hasSuffix(".npy") }.map { $0.split(separator: ".").dropLast().last! }.sorted()
            == ["neighbors_data", "neighbors_indices", "neighbors_indptr"])
    // MostPopular has no arrays: only its lists.
    #expect(r.trials.filter { $0.algorithm == "MostPopular" }.allSatisfy { $0.exports?.count == 1 })

    // index.csv names every exported file once, and nothing else is in the folder but the ID lists.
    let index = try String(contentsOfFile: exports + "/index.csv", encoding: .utf8).split(separator: "\n").dropFirst()
    let listed = Set(index.map { String($0.split(separator: ",")[0]) })
    let present = Set(try FileManager.default.contentsOfDirectory(atPath: exports))
    #expect(
        listed.count == index.count && listed == present.subtracting(["index.csv", "syn.users.txt", "syn.items.txt"]))
    #expect(listed == Set(r.trials.flatMap { $0.exports ?? [] }))
    // Metrics are those of a run without exports (longer lists are read by prefix).
    let plain = try ExperimentLoader(registry: nil).load(
        text: exportExperiment.replacingOccurrences(
            of: "\"recommendations\": 6, \"save_models\": true", with: "\"per_user\": true"),
        file: "plain.json")
    let q = try ExperimentRun.execute(spec: plain, data: env, progress: SilentProgress(), outputRoot: root, cache: .off)
    #expect(q.trials.map(\.values) == r.trials.map(\.values))
    #expect(!FileManager.default.fileExists(atPath: q.directory + "/exports"))
}

@Test func ratingTaskExportsPredictionsThatReproduceTheRMSE() throws {
    let file = try writeRatedCSV()
    let text = """
        {
          "name": "rating-exports", "task": "rating", "seed": 2, "threads": 1,
          "datasets": [{ "name": "rated", "file": "\(file)" }],
          "split": { "method": "holdout", "test_fraction": 0.25, "per_user": true },
          "algorithms": [{ "name": "Bias" }],
          "metrics": ["rmse"],
          "outputs": { "recommendations": 2 }
        }
        """
    let spec = try ExperimentLoader(registry: nil).load(text: text, file: "r.json")
    let env = DataEnvironment(
        registry: nil, cacheDirectory: Scratch.path("recbench-cache"), baseDirectory: Scratch.root)
    let r = try ExperimentRun.execute(
        spec: spec, data: env, progress: SilentProgress(),
        outputRoot: Scratch.path("recbench-rx"), cache: .off)
    let t = r.trials[0]
    let stem = TrialExports.stem(trial: 0, dataset: "rated", configuration: "Bias", fold: 1)
    #expect(t.exports == [stem + ".recommendations.csv.gz", stem + ".predictions.csv.gz"])
    let rows = try gzipCSV(r.directory + "/exports/\(stem).predictions.csv.gz")
    #expect(rows[0] == ["user", "item", "rating", "prediction"])
    #expect(rows.count - 1 == t.testInteractions)
    let squared = rows.dropFirst().map { row -> Double in
        let d = Double(row[3])! - Double(row[2])!; return d * d
    }
    let rmse = (squared.reduce(0, +) / Double(squared.count)).squareRoot()
    #expect(abs(rmse - t.values[0]) < 1e-6)
    #expect(rows.dropFirst().allSatisfy { $0[0].hasPrefix("u") && $0[1].hasPrefix("i") })
    let lists = try gzipCSV(r.directory + "/exports/\(stem).recommendations.csv.gz")
    #expect(lists.count - 1 == 2 * Set(rows.dropFirst().map { $0[0] }).count)
}

@Test func exportSettingsAreValidated() {
    for (value, message) in [
        ("0", "expected an integer in 1...1000, got 0"), ("1001", "expected an integer in 1...1000, got 1001"),
        ("true", "expected an integer in 1...1000, got true")
    ] {
        let text = exportExperiment.replacingOccurrences(
            of: "\"recommendations\": 6", with: "\"recommendations\": \(value)")
        do {
            _ = try ExperimentLoader(registry: nil).load(text: text, file: "e.json"); Issue.record("accepted \(value)")
        } catch { #expect("\(error)".contains("outputs.recommendations: \(message)"), "\(error)") }
    }
    let text = exportExperiment.replacingOccurrences(of: "\"save_models\": true", with: "\"save_model\": true")
    do {
        _ = try ExperimentLoader(registry: nil).load(text: text, file: "e.json"); Issue.record("accepted save_model")
    } catch {
        #expect("\(error)".contains("outputs.save_model: unknown key (did you mean \"save_models\"?)"), "\(error)")
    }
}

@Test func exportStemsAreSafeFileNames() {
    #expect(
        TrialExports.stem(
            trial: 11, dataset: "ml-100k", configuration: "EASE(regularization=100, binary=false)", fold: 3)
            == "t012-ml-100k-EASE_regularization=100__binary=false-fold3")
    #expect(TrialExports.safe("a/b c") == "a_b_c" && TrialExports.safe("()") == "_")
}
