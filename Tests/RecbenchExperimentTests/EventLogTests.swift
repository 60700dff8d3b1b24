import Foundation
import Testing

/// Reads a `--log-json` file: one JSON object per line.
private func events(_ path: String) throws -> [[String: Any]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.hasSuffix("\n"))
    return try text.split(separator: "\n").map { line in
        try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not an object: \(line)")
    }
}

@Suite struct EventLogTests {
    /// Every trial starts and finishes once with its metric values (those of metrics.csv); a rerun's trials come
    /// from the cache and say so; the run's start and end frame the trials.
    @Test(.enabled(if: recbenchBinary() != nil))
    func trialsStartAndFinishWithTheirFigures() throws {
        let dir = temporaryFolder("eventlog")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/tiny-suite.json"
        try tinySuiteText().write(toFile: file, atomically: true, encoding: .utf8)
        let out = try runCLI(["run", file, "--output", dir + "/out", "--quiet", "--log-json", dir + "/log.jsonl"])
        #expect(out.status == 0, "\(out.stderr)")
        let log = try events(dir + "/log.jsonl")
        #expect(log.allSatisfy { ($0["time"] as? String)?.hasSuffix("Z") == true })
        let names = log.compactMap { $0["event"] as? String }
        #expect(names.first == "run_started" && names.last == "run_finished")
        // 2 folds × (Random, MostPopular, Bias × 2).
        #expect(names.filter { $0 == "trial_started" }.count == 8)
        let finished = log.filter { $0["event"] as? String == "trial_finished" }
        #expect(finished.count == 8 && finished.allSatisfy { $0["cached"] as? Bool == false })
        #expect(Set(finished.compactMap { $0["trial"] as? Int }) == Set(1...8))
        // The figures are the run's: compare with metrics.csv (dataset, fold, configuration, metric, value).
        let csv = try String(contentsOfFile: dir + "/out/tiny-suite/latest/metrics.csv", encoding: .utf8)
        let header = csv.split(separator: "\n")[0].split(separator: ",").map(String.init)
        let col = { (name: String) in header.firstIndex(of: name)! }
        for line in csv.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let event = try #require(
                finished.first {
                    $0["configuration"] as? String == f[col("configuration")]
                        && $0["fold"] as? Int == Int(f[col("fold")])
                })
            let metrics = try #require(event["metrics"] as? [String: Double])
            let value = try #require(metrics[f[col("metric")]])
            // The CSV keeps 6 significant digits.
            #expect(abs(value - Double(f[col("value")])!) <= 1e-5 * max(1, abs(value)), "\(line)")
        }
        let end = try #require(log.last)
        #expect(end["failed"] as? Int == 0 && (end["directory"] as? String)?.contains("tiny-suite") == true)

        // Again: every trial comes from the cache, and nothing starts.
        let again = try runCLI(["run", file, "--output", dir + "/out", "--quiet", "--log-json", dir + "/log2.jsonl"])
        #expect(again.status == 0)
        let log2 = try events(dir + "/log2.jsonl")
        #expect(log2.filter { $0["event"] as? String == "trial_finished" && $0["cached"] as? Bool == true }.count == 8)
        #expect(!log2.contains { $0["event"] as? String == "trial_started" })
    }

    /// Warnings, failed trials and invalid input are events too.
    @Test(.enabled(if: recbenchBinary() != nil))
    func warningsFailuresAndErrorsAreLogged() throws {
        let dir = temporaryFolder("eventlog-fail")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let diverging = """
            { "name": "diverging", "seed": 3, "task": "rating", "threads": 1,
              "datasets": [{ "name": "syn", "synthetic": { "users": 80, "items": 60, "interactions": 1500, "seed": 5 } }],
              "split": { "method": "kfold", "k": 2 },
              "algorithms": [{ "name": "ExplicitALS", "params": { "init_std": [0.1, 1e308], "iterations": 3, "factors": 4 } }],
              "metrics": ["rmse"] }
            """
        try diverging.write(toFile: dir + "/d.json", atomically: true, encoding: .utf8)
        let out = try runCLI([
            "run", dir + "/d.json", "--output", dir + "/out", "--quiet", "--no-cache",
            "--log-json", dir + "/d.jsonl"
        ])
        #expect(out.status == 1)
        let log = try events(dir + "/d.jsonl")
        // A grid without a search is selected on test: the loader warns.
        #expect(
            log.contains { $0["event"] as? String == "warning" && ($0["message"] as? String)?.contains("test") == true }
        )
        let failed = log.filter { $0["event"] as? String == "trial_failed" }
        #expect(failed.count == 2 && failed.allSatisfy { ($0["reason"] as? String)?.contains("non-finite") == true })
        #expect(log.last?["event"] as? String == "run_finished" && log.last?["failed"] as? Int == 2)

        try "{ \"name\": 3 }".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        let bad = try runCLI(["run", dir + "/bad.json", "--log-json", dir + "/bad.jsonl"])
        #expect(bad.status == 2)
        let errors = try events(dir + "/bad.jsonl").filter { $0["event"] as? String == "error" }
        #expect(
            !errors.isEmpty && errors.allSatisfy { ($0["message"] as? String)?.hasPrefix(dir + "/bad.json:") == true })
    }

    @Test(.enabled(if: recbenchBinary() != nil))
    func anUnwritableLogIsInvalidInput() throws {
        let dir = temporaryFolder("eventlog-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try tinySuiteText().write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        let out = try runCLI(["run", dir + "/t.json", "--log-json", dir + "/no/such/folder/log.jsonl"])
        #expect(out.status == 2)
        #expect(out.stderr.contains("no/such/folder/log.jsonl") && out.stderr.split(separator: "\n").count == 1)
    }
}
