import Testing
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchAnalysis
@testable import RecbenchReport
import RecbenchCore

/// Searches of every strategy on a small synthetic set (one thread, one trial at a time).
func searchSuiteText(name: String = "search-suite", threads: Int = 1, extra: String = "") -> String {
    """
    {
      "name": "\(name)", "seed": 4, "task": "ranking", "threads": \(threads), "jobs": 1,
      "datasets": [{ "name": "syn", "synthetic": { "users": 150, "items": 90, "interactions": 3500, "factors": 4, "popularity_skew": 0.8, "seed": 2 } }],
      "split": { "method": "kfold", "k": 2 },
      "validation": { "method": "holdout", "fraction": 0.2, "per_user": true },
      "select": "ndcg@10",
      "algorithms": [
        { "name": "MostPopular" },
        { "name": "ItemKNN", "params": { "k": [5, 10, 20] }, "search": { "strategy": "grid" } },
        { "name": "EASE", "search": { "strategy": "random", "trials": 4, "space": { "regularization": { "log_uniform": [1, 1000] } } } },
        { "name": "ImplicitALS", "params": { "factors": 8, "iterations": 6 },
          "search": { "strategy": "successive_halving", "trials": 9, "space": { "regularization": { "log_uniform": [0.1, 100] } } } }\(extra)
      ],
      "metrics": ["ndcg@10", "recall@10"]
    }
    """
}

private func load(_ text: String, file: String = "search-suite.json") throws -> ExperimentSpec {
    try ExperimentLoader(registry: nil).load(text: text, file: file)
}

/// Search records with their timings removed (the rest must reproduce exactly) and, with
/// `losses: false`, without the training loss of curves (a sum over threads, so its last bits
/// depend on the thread count while the model does not).
private func searches(_ r: RunResult, losses: Bool = true) -> [SearchRecord] {
    r.trials.compactMap { t in
        t.search.map { s in
            var s = s
            s.candidates = s.candidates.map { c in
                var c = c; c.fitSeconds = 0; c.validationSeconds = 0
                if !losses {
                    c.curve = c.curve.map {
                        var p = $0; p.values["loss"] = nil; return p
                    }
                }
                return c
            }
            return s
        }
    }
}

@Test func searchedRunSelectsOnValidationAndRefits() throws {
    let spec = try load(searchSuiteText())
    let out = temporaryFolder("search")
    let r = try ExperimentRun.execute(
        spec: spec, data: syntheticEnvironment, progress: SilentProgress(), outputRoot: out)
    let searched = r.trials.filter { $0.search != nil }
    #expect(searched.count == 6)
    for t in searched {
        let s = try #require(t.search)
        // Refit on the outer training part: more interactions than the search trained on.
        #expect(t.trainInteractions == s.trainInteractions + s.validationInteractions)
        // The chosen candidate is the best at the highest rung.
        let top = s.candidates.map(\.rung).max()!
        let best = s.candidates.filter { $0.rung == top }.map(\.value).max()!
        #expect(s.chosenCandidate.value == best && s.chosenCandidate.rung == top)
        // The trial's parameters are the choice.
        for (k, v) in s.chosenCandidate.parameters { #expect(t.parameters[k] == v) }
    }
    let als = searched.filter { $0.algorithm == "ImplicitALS" }
    for t in als {
        let s = t.search!
        #expect(s.candidates.count == 9 + 3)
        #expect(s.candidates.filter { $0.rung == 0 }.allSatisfy { $0.budget == 2 })
        #expect(s.candidates.filter { $0.rung == 1 }.allSatisfy { $0.budget == 6 })
        // Refitted for the iteration count at which the chosen candidate validated best.
        #expect(t.parameters["iterations"] == String(s.chosenCandidate.bestIteration!))
    }
    // Outputs: search.csv has a row per candidate; metrics.csv says how each was selected.
    let csv = try String(contentsOfFile: r.directory + "/search.csv", encoding: .utf8).split(separator: "\n")
    #expect(csv.count == 1 + searched.reduce(0) { $0 + $1.search!.candidates.count })
    #expect(csv.filter { $0.contains(",yes,") }.count == 6)
    let metrics = try String(contentsOfFile: r.directory + "/metrics.csv", encoding: .utf8)
    #expect(
        metrics.contains("syn,1,EASE,EASE,ndcg@10,")
            && metrics.split(separator: "\n").filter { $0.hasPrefix("syn,1,EASE,") }.allSatisfy {
                $0.contains(",validation,")
            })
    let summary = try String(contentsOfFile: r.directory + "/summary.md", encoding: .utf8)
    #expect(
        summary.contains(
            "ImplicitALS: successive halving, 9 trials, η = 3 on holdout of 20 % per user, selected on validation ndcg@10"
        ))
    #expect(!summary.contains("selected on test"))
    let html = try String(contentsOfFile: r.directory + "/report.html", encoding: .utf8)
    #expect(
        html.contains("class=\"search-chart\"") && html.contains("class=\"best-so-far-chart\"")
            && html.contains("class=\"training-curve\""))
    #expect(XMLParser(data: Data(html.utf8)).parse(), "report.html is not well-formed")
}

@Test func plainGridSaysSelectedOnTestEverywhere() throws {
    let text = searchSuiteText().replacingOccurrences(of: ", \"search\": { \"strategy\": \"grid\" }", with: "")
    let spec = try load(text)
    let r = try ExperimentRun.execute(
        spec: spec, data: syntheticEnvironment, progress: SilentProgress(), outputRoot: temporaryFolder("grid"))
    let line = "ItemKNN grid (3 configurations): best on ndcg@10 is"
    #expect(Writers.console(r).contains(line) && Writers.console(r).contains("— selected on test"))
    for (file, phrase) in [
        ("summary.md", line), ("report.html", "selected on test"), ("summary.tex", "selected on test")
    ] {
        #expect(try String(contentsOfFile: r.directory + "/" + file, encoding: .utf8).contains(phrase), "\(file)")
    }
    #expect(
        try String(contentsOfFile: r.directory + "/metrics.csv", encoding: .utf8).contains(
            ",ItemKNN(k=5),ItemKNN,ndcg@10,"))
    #expect(SearchReport.selectedOn(r, configuration: "ItemKNN(k=5)") == "test")
}

@Test func selectionIsTheSameAtOneAndTwoThreads() throws {
    let one = try ExperimentRun.execute(
        spec: try load(searchSuiteText()), data: syntheticEnvironment, progress: SilentProgress(),
        outputRoot: temporaryFolder("threads1"), cache: .off)
    let two = try ExperimentRun.execute(
        spec: try load(searchSuiteText(threads: 2)), data: syntheticEnvironment, progress: SilentProgress(),
        outputRoot: temporaryFolder("threads2"), cache: .off)
    #expect(searches(one, losses: false) == searches(two, losses: false))
    #expect(one.trials.map(\.values) == two.trials.map(\.values))
    #expect(one.trials.map(\.parameters) == two.trials.map(\.parameters))
}

@Test func refitFalseEvaluatesTheModelTrainedOnTheInnerPart() throws {
    let text = searchSuiteText().replacingOccurrences(
        of: "\"search\": { \"strategy\": \"random\", \"trials\": 4,",
        with: "\"search\": { \"strategy\": \"random\", \"trials\": 4, \"refit\": false,")
    let r = try ExperimentRun.execute(
        spec: try load(text), data: syntheticEnvironment, progress: SilentProgress(),
        outputRoot: temporaryFolder("norefit"), cache: .off)
    for t in r.trials where t.algorithm == "EASE" {
        #expect(t.trainInteractions == t.search!.trainInteractions)
        #expect(t.search!.refit == false)
    }
}

/// An iterative model's search without lists still chooses how long to train: one candidate
/// stops early on validation and is refitted on training + validation for its best epoch count.
@Test func aOnePointGridChoosesTheEpochsAndRefits() throws {
    let text = searchSuiteText().replacingOccurrences(
        of: "{ \"name\": \"MostPopular\" },",
        with: """
            { "name": "BPR", "params": { "factors": 8, "epochs": 40, "learning_rate": 0.05, "validate_every": 2, "patience": 4 },
              "search": { "strategy": "grid" } },
            """)
    var spec = try load(text)
    spec.algorithms = [spec.algorithms[0]]
    let r = try ExperimentRun.execute(
        spec: spec, data: syntheticEnvironment, progress: SilentProgress(),
        outputRoot: temporaryFolder("onepoint"), cache: .off)
    #expect(r.trials.count == 2)
    for t in r.trials {
        let s = try #require(t.search)
        #expect(s.candidates.count == 1 && s.refit)
        let best = try #require(s.chosenCandidate.bestIteration)
        #expect(best < 40 && t.parameters["epochs"] == String(best))
        #expect(t.trainInteractions == s.trainInteractions + s.validationInteractions)
    }
}

// MARK: honesty

/// Writes a data set whose training part is fixed and whose test part is drawn with `testSeed`:
/// every user and item occurs in training, so two test draws leave the ID spaces identical.
private func writeSplitData(_ dir: String, testSeed: UInt64) throws {
    var rng = RandomSource(seed: 77)
    var train = Set<[Int]>(), lines = [String]()
    for u in 1...80 {
        while train.filter({ $0[0] == u }).count < 12 {
            let i = 1 + (u % 7 == 0 ? rng.nextInt(below: 60) : rng.nextInt(below: 25) * 2 % 60)
            train.insert([u, i])
        }
    }
    for i in 1...60 where !train.contains(where: { $0[1] == i }) { train.insert([1 + i % 80, i]) }
    let base = train.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }.map {
        "\($0[0])\t\($0[1])\t\(1 + ($0[0] * $0[1]) % 5)\t\(1000 + $0[0] * 61 + $0[1])"
    }
    var t = RandomSource(seed: testSeed), test = [String]()
    for u in 1...80 {
        var picked = Set<Int>()
        while picked.count < 3 {
            let i = 1 + t.nextInt(below: 60)
            if !train.contains([u, i]) { picked.insert(i) }
        }
        for i in picked.sorted() {
            test.append("\(u)\t\(i)\t\(1 + t.nextInt(below: 5))\t\(900_000 + t.nextInt(below: 1000))")
        }
    }
    lines = base + test
    try (base.joined(separator: "\n") + "\n").write(toFile: dir + "/u1.base", atomically: true, encoding: .utf8)
    try (test.joined(separator: "\n") + "\n").write(toFile: dir + "/u1.test", atomically: true, encoding: .utf8)
    try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/all.tsv", atomically: true, encoding: .utf8)
}

/// The test part replaced by garbage (another draw of test interactions) changes the test metrics
/// but not one number of any search: no search code path reads a test interaction.
@Test func searchesNeverReadTheTestPart() throws {
    var runs = [RunResult]()
    for testSeed: UInt64 in [1, 2] {
        let dir = temporaryFolder("honesty-\(testSeed)")
        try writeSplitData(dir, testSeed: testSeed)
        let text = searchSuiteText(
            extra: """
                ,
                    { "name": "BPR", "params": { "factors": 8, "epochs": 8 }, "search": { "strategy": "random", "trials": 3, "space": { "learning_rate": { "log_uniform": [0.01, 0.2] } } } },
                    { "name": "UserKNN", "search": { "strategy": "successive_halving", "trials": 9, "space": { "k": { "choices": [5, 10, 20, 30, 40, 50, 60, 70, 80] } } } }
                """
        )
        .replacingOccurrences(
            of:
                "{ \"name\": \"syn\", \"synthetic\": { \"users\": 150, \"items\": 90, \"interactions\": 3500, \"factors\": 4, \"popularity_skew\": 0.8, \"seed\": 2 } }",
            with: "{ \"name\": \"files\", \"file\": \"all.tsv\" }"
        )
        .replacingOccurrences(
            of: "{ \"method\": \"kfold\", \"k\": 2 }",
            with: "{ \"method\": \"predefined\", \"base\": \"u1.base\", \"test\": \"u1.test\", \"folds\": 1 }")
        let spec = try ExperimentLoader(registry: nil).load(text: text, file: dir + "/exp.json")
        let env = DataEnvironment(registry: nil, cacheDirectory: dir + "/cache", baseDirectory: dir)
        runs.append(
            try ExperimentRun.execute(
                spec: spec, data: env, progress: SilentProgress(), outputRoot: dir + "/out", cache: .off))
    }
    let (a, b) = (runs[0], runs[1])
    #expect(a.datasets[0].users == b.datasets[0].users && a.datasets[0].items == b.datasets[0].items)
    #expect(a.datasets[0].dataFingerprint != b.datasets[0].dataFingerprint)
    #expect(searches(a).count == 5)
    #expect(searches(a) == searches(b))
    #expect(a.trials.map(\.parameters) == b.trials.map(\.parameters))
    // The test part did change: every searched trial's test metrics differ.
    for (x, y) in zip(a.trials, b.trials) where x.search != nil { #expect(x.values != y.values, "\(x.configuration)") }
}

// MARK: interruption

private func runCLI(_ bin: String, _ args: [String], fault: String? = nil) throws -> (
    status: Int32, signalled: Bool, stdout: String
) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: bin)
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    env["RECBENCH_FAULT_KILL"] = fault
    p.environment = env
    let out = Pipe()
    p.standardOutput = out; p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, p.terminationReason == .uncaughtSignal, String(decoding: data, as: UTF8.self))
}

/// A search killed with SIGKILL after, or in the middle of, writing a candidate resumes to the
/// same selection and outputs as an uninterrupted run, reusing the candidates it finished.
@Test(.enabled(if: recbenchBinary() != nil, "needs a built recbench binary"))
func killedSearchResumesToTheSameSelection() throws {
    let bin = try #require(recbenchBinary())
    let dir = temporaryFolder("search-resume")
    let file = dir + "/search-suite.json"
    try searchSuiteText().write(toFile: file, atomically: true, encoding: .utf8)
    let reference = try runCLI(bin, ["run", file, "--output", dir + "/reference", "--no-cache", "--quiet"])
    #expect(reference.status == 0)
    // Cache writes in order: MostPopular's trial (1), ItemKNN's three candidates (2–4) and its
    // trial (5), EASE's candidates (6–9)…; (fault, candidates reused on resume).
    for (fault, reused) in [("after:7", 2), ("during:8", 2), ("after:11", 1)] {
        let out = dir + "/" + fault.replacingOccurrences(of: ":", with: "-")
        let args = ["run", file, "--output", out, "--quiet"]
        let killed = try runCLI(bin, args, fault: fault)
        #expect(killed.signalled && killed.status == SIGKILL, "\(fault)")
        let resumed = try runCLI(bin, args)
        #expect(resumed.status == 0, "\(fault)")
        #expect(resumed.stdout.contains("search: reused \(reused) of "), "\(fault): \(resumed.stdout)")
        #expect(
            try differingOutputs(dir + "/reference/search-suite/latest", out + "/search-suite/latest").isEmpty,
            "\(fault)")
    }
}
