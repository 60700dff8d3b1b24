import Testing
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchAnalysis
@testable import RecbenchReport
import RecbenchAlgorithms

/// A valid file to mutate: each bad case changes one thing.
let validExperiment = """
    {
      "name": "t",
      "task": "ranking",
      "datasets": [{ "name": "syn", "synthetic": { "users": 50, "items": 40, "interactions": 600 } }],
      "split": { "method": "kfold", "k": 3 },
      "algorithms": [
        { "name": "MostPopular" },
        { "name": "Bias", "params": { "item_reg": [5, 10], "iterations": 3 } }
      ],
      "metrics": ["ndcg@10", "recall@[5,10]"]
    }
    """

func issues(_ text: String) -> [String] {
    do { _ = try ExperimentLoader(registry: nil).load(text: text, file: "exp.json"); return [] } catch let e
        as SpecErrors
    { return e.issues.map(\.description) } catch { return ["unexpected: \(error)"] }
}

@Test func validFileLoadsWithGridExpanded() throws {
    let spec = try ExperimentLoader(registry: nil).load(text: validExperiment, file: "exp.json")
    #expect(spec.metrics.map(\.label) == ["ndcg@10", "recall@5", "recall@10"])
    let plan = Plan(spec: spec)
    // 3 folds × (1 MostPopular + 2 Bias grid points) = 9 trials, in data set × fold × configuration order.
    #expect(plan.trials.count == 9)
    #expect(
        plan.configurations.map(\.label) == [
            "MostPopular", "Bias(item_reg=5, iterations=3)", "Bias(item_reg=10, iterations=3)"
        ])
    #expect(plan.trials.map(\.fold) == [1, 1, 1, 2, 2, 2, 3, 3, 3])
    // Defaults fill the rest; the fixed value applies to every grid point.
    #expect(plan.configurations[1].values.int("iterations") == 3)
    #expect(plan.configurations[1].values.real("user_reg") == 15)
    #expect(plan.configurations[2].values.real("item_reg") == 10)
}

@Test func trialSeedsDependOnIdentityNotPosition() throws {
    let a = Plan(spec: try ExperimentLoader(registry: nil).load(text: validExperiment, file: "a.json"))
    // Reordering algorithms changes positions but not any trial's seed.
    let swapped = validExperiment.replacingOccurrences(of: "{ \"name\": \"MostPopular\" },\n", with: "")
        .replacingOccurrences(
            of: "\"iterations\": 3 } }", with: "\"iterations\": 3 } },\n { \"name\": \"MostPopular\" }")
    let b = Plan(spec: try ExperimentLoader(registry: nil).load(text: swapped, file: "b.json"))
    let seedsA = Dictionary(uniqueKeysWithValues: a.trials.map { ("\($0.fold)|\($0.configuration.label)", $0.seed) })
    let seedsB = Dictionary(uniqueKeysWithValues: b.trials.map { ("\($0.fold)|\($0.configuration.label)", $0.seed) })
    #expect(seedsA == seedsB)
    #expect(a.trials.map(\.configuration.label) != b.trials.map(\.configuration.label))
    #expect(Set(seedsA.values).count == seedsA.count)
}

@Test func configHashIgnoresFormattingButNotContent() throws {
    let l = ExperimentLoader(registry: nil)
    let a = try l.load(text: validExperiment, file: "a.json")
    let b = try l.load(text: validExperiment.replacingOccurrences(of: "\n", with: " "), file: "b.json")
    let c = try l.load(text: validExperiment.replacingOccurrences(of: "\"k\": 3", with: "\"k\": 4"), file: "c.json")
    #expect(a.configHash == b.configHash)
    #expect(a.configHash != c.configHash)
}

/// (replace this, with that) → the exact message expected.
let badCases: [(String, String, String)] = [
    (
        "\"item_reg\": [5, 10]", "\"item_reg\": \"64x\"",
        "exp.json:8: algorithms[1].params.item_reg: expected a non-negative number or a list of them, got \"64x\""
    ),
    (
        "\"iterations\": 3", "\"iterations\": [3, 0]",
        "exp.json:8: algorithms[1].params.iterations: expected an integer in 1...1000 or a list of them, got 0"
    ),
    (
        "\"iterations\": 3", "\"iteratoins\": 3",
        "exp.json:8: algorithms[1].params.iteratoins: unknown parameter of Bias (did you mean \"iterations\"?); known: item_reg, user_reg, iterations"
    ),
    (
        "\"name\": \"MostPopular\"", "\"name\": \"MostPopluar\"",
        "exp.json:7: algorithms[0].name: unknown algorithm \"MostPopluar\" (did you mean \"MostPopular\"?); known: "
            + AlgorithmRegistry.all.map(\.name).joined(separator: ", ")
    ),
    (
        "\"task\": \"ranking\"", "\"taks\": \"ranking\"",
        "exp.json:3: taks: unknown key (did you mean \"task\"?); allowed: "
            + Vocabulary.experiment.names.joined(separator: ", ")
    ),
    ("\"k\": 3", "\"k\": 1", "exp.json:5: split.k: expected an integer in 2...1000, got 1"),
    (
        "\"method\": \"kfold\"", "\"method\": \"kfolds\"",
        "exp.json:5: split.method: expected one of "
            + Vocabulary.splits.map(\.name).sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            + ", got \"kfolds\" (did you mean \"kfold\"?)"
    ),
    ("\"ndcg@10\"", "\"ndgc@10\"", "exp.json:10: metrics[0]: unknown metric \"ndgc@10\" (did you mean \"ndcg\"?)"),
    (
        "\"ndcg@10\"", "\"rmse\"",
        "exp.json:10: metrics[0]: \"rmse\" is a rating metric and does not apply to the ranking task"
    ),
    (
        "\"task\": \"ranking\"", "\"task\": \"rating\"",
        "exp.json:7: algorithms[0].name: MostPopular does not support the rating task (it supports: ranking, sequential)"
    ),
    (
        "\"users\": 50", "\"users\": -5",
        "exp.json:4: datasets[0].synthetic.users: expected an integer in 1...100000000, got -5"
    ),
    (
        "\"interactions\": 600", "\"interactions\": 60000",
        "exp.json:4: datasets[0].synthetic.interactions: cannot exceed users × items = 2000"
    ),
    (
        "\"split\": { \"method\": \"kfold\", \"k\": 3 },", "",
        "exp.json: split: is required (e.g. {\"method\": \"kfold\", \"k\": 5})"
    ),
    ("\"metrics\": [\"ndcg@10\", \"recall@[5,10]\"]", "\"metrics\": []", "exp.json:10: metrics: must not be empty"),
    (
        "\"item_reg\": [5, 10]", "\"item_reg\": []",
        "exp.json:8: algorithms[1].params.item_reg: an empty list gives no configurations; give a non-negative number or a non-empty list of them"
    ),
    (
        "\"item_reg\": [5, 10]", "\"item_reg\": [5, 5]",
        "exp.json:8: algorithms[1].params.item_reg: 5 appears twice in the grid"
    ),
    (
        "{ \"name\": \"MostPopular\" }", "{ \"name\": \"MostPopular\", \"params\": { \"k\": 3 } }",
        "exp.json:7: algorithms[0].params.k: MostPopular takes no parameters"
    ),
    (
        "\"name\": \"t\"", "\"name\": \"my run/1\"",
        "exp.json:2: name: expected a name of letters, digits, '-', '_' or '.', got \"my run/1\""
    ),
    (
        "{ \"name\": \"MostPopular\" }", "{ \"name\": \"Bias\" }",
        "exp.json:8: algorithms[1].label: \"Bias\" is used by an earlier algorithm; give each entry a distinct \"label\""
    ),
    (
        "\"split\": { \"method\": \"kfold\", \"k\": 3 }",
        "\"split\": { \"method\": \"predefined\", \"folds\": 2, \"test\": \"u.test\" }",
        "exp.json:5: split.test: with 2 folds the file name must contain {fold}, got \"u.test\""
    ),
    (
        "\"task\": \"ranking\"", "\"task\": \"sequential\"",
        "exp.json:5: split.method: the sequential task needs a time-ordered split: \"leave_last_out\" or \"temporal\""
    ),
    ("\"k\": 3 }", "\"k\": 3 },,", "exp.json:5: invalid JSON at column 42: expected a quoted key, found ','"),
    (
        "\"name\": \"t\",", "\"name\": \"t\", \"name\": \"u\",",
        "exp.json:2: invalid JSON at column 1: duplicate key \"name\""
    )
]

@Test(arguments: badCases.indices)
func badFileGivesPreciseMessage(_ i: Int) {
    let (from, to, expected) = badCases[i]
    #expect(validExperiment.contains(from), "case \(i) does not apply")
    let found = issues(validExperiment.replacingOccurrences(of: from, with: to))
    #expect(found.contains(expected), "case \(i): got \(found)")
}

@Test func everyProblemIsReportedAtOnce() {
    let text = validExperiment.replacingOccurrences(of: "\"k\": 3", with: "\"k\": 0")
        .replacingOccurrences(of: "\"ndcg@10\"", with: "\"ndcg\"")
        .replacingOccurrences(of: "\"iterations\": 3", with: "\"iterations\": 3.5")
    let found = issues(text)
    #expect(
        found == [
            "exp.json:5: split.k: expected an integer in 2...1000, got 0",
            "exp.json:8: algorithms[1].params.iterations: expected an integer in 1...1000 or a list of them, got 3.5",
            "exp.json:10: metrics[0]: \"ndcg\" needs a cutoff, e.g. \"ndcg@10\""
        ], "\(found)")
}

@Test func jsonParserKeepsLinesAndOrder() throws {
    let node = try JSONParser.parse("{\n \"b\": 1,\n \"a\": [true, null, \"x\\u00e9\\n\"],\n \"c\": {\"d\": -2.5e1}\n}")
    guard case let .object(m) = node.value else { Issue.record("not an object"); return }
    #expect(m.map(\.key) == ["b", "a", "c"])
    #expect(node["a"]?.line == 3)
    #expect(node["c"]?["d"]?.value == .number(-25, literal: "-2.5e1"))
    if case let .array(a) = node["a"]!.value { #expect(a[2].value == .string("xé\n")) }
    #expect(node.canonical == "{\"a\":[true,null,\"xé\\n\"],\"b\":1,\"c\":{\"d\":-25}}")
    for bad in ["{", "[1,]", "{\"a\" 1}", "01", "\"abc", "tru", "{} x", "[\"\\q\"]"] {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(bad) }
    }
}

@Test func committedSchemaMatchesTheGeneratedOne() throws {
    let committed = try String(contentsOfFile: packageRoot + "/experiments/schema.json", encoding: .utf8)
    #expect(
        committed == ExperimentSchema.document().rendered() + "\n",
        "experiments/schema.json is stale: run `make schema`")
}

/// Planted preferences: `taste_groups` and `in_group_share` reach the generator; a share outside [0, 1] or
/// without groups is refused at its line.
@Test func tasteGroupsAreReadAndChecked() throws {
    let planted = validExperiment.replacingOccurrences(
        of: #""interactions": 600 }"#,
        with: #""interactions": 600, "taste_groups": 4, "in_group_share": 0.7 }"#)
    let spec = try ExperimentLoader(registry: nil).load(text: planted, file: "exp.json")
    guard case let .synthetic(c) = spec.datasets[0].source else { Issue.record("not synthetic"); return }
    #expect(c.tasteGroups == 4 && c.inGroupShare == 0.7)
    let share = validExperiment.replacingOccurrences(
        of: #""interactions": 600 }"#,
        with: #""interactions": 600, "taste_groups": 4, "in_group_share": 1.5 }"#)
    #expect(issues(share) == ["exp.json:4: datasets[0].synthetic.in_group_share: expected a number in [0, 1], got 1.5"])
    let alone = validExperiment.replacingOccurrences(
        of: #""interactions": 600 }"#,
        with: #""interactions": 600, "in_group_share": 0.5 }"#)
    #expect(
        issues(alone) == [
            "exp.json:4: datasets[0].synthetic.in_group_share: only applies together with \"taste_groups\""
        ])
}
