import Testing
@testable import RecbenchConfig
@testable import RecbenchRunner
import RecbenchAlgorithms
import RecbenchEval
import RecbenchCore

/// A valid file with searches to mutate: each bad case changes one thing (lines matter).
let searchExperiment = """
    {
      "name": "s",
      "task": "ranking",
      "datasets": [{ "name": "syn", "synthetic": { "users": 80, "items": 60, "interactions": 1500 } }],
      "split": { "method": "kfold", "k": 2 },
      "validation": { "method": "holdout", "fraction": 0.1, "per_user": true },
      "select": "ndcg@10",
      "algorithms": [
        { "name": "ItemKNN", "params": { "k": [10, 20] }, "search": { "strategy": "grid" } },
        { "name": "EASE", "search": { "strategy": "random", "trials": 4, "space": { "regularization": { "log_uniform": [1, 1000] } } } },
        { "name": "ImplicitALS", "params": { "factors": 8, "iterations": 9 }, "search": { "strategy": "successive_halving", "trials": 9, "space": { "alpha": { "uniform": [0.5, 4] } } } }
      ],
      "metrics": ["ndcg@10", "recall@10"]
    }
    """

func searchIssues(_ text: String) -> [String] {
    do { _ = try ExperimentLoader(registry: nil).load(text: text, file: "s.json"); return [] } catch let e as SpecErrors
    { return e.issues.map(\.description) } catch { return ["unexpected: \(error)"] }
}

/// (replace this, with that) → the exact message expected.
let badSearchCases: [(String, String, String)] = [
    // An unknown parameter in a space, with a suggestion.
    (
        "\"regularization\": { \"log_uniform\"", "\"regularisation\": { \"log_uniform\"",
        "s.json:10: algorithms[1].search.space.regularisation: unknown parameter of EASE (did you mean \"regularization\"?); known: regularization, binary, precision"
    ),
    // An empty range.
    (
        "[0.5, 4]", "[4, 0.5]",
        "s.json:11: algorithms[2].search.space.alpha: the range [4, 0.5] is empty (the first end must be below the second)"
    ),
    // A log range touching 0.
    (
        "[1, 1000]", "[0, 1000]",
        "s.json:10: algorithms[1].search.space.regularization: a log range must lie above 0, got [0, 1000]"
    ),
    // A range leaving the parameter's domain (EASE's λ must be > 0).
    (
        "{ \"log_uniform\": [1, 1000] }", "{ \"uniform\": [0, 1000] }",
        "s.json:10: algorithms[1].search.space.regularization: the range [0, 1000] leaves the domain of regularization: a positive number"
    ),
    // A choice outside the domain.
    (
        "{ \"log_uniform\": [1, 1000] }", "{ \"choices\": [10, -1] }",
        "s.json:10: algorithms[1].search.space.regularization: choice -1 is outside the domain of regularization: expected a positive number"
    ),
    (
        "\"k\": [10, 20]", "\"k\": [10, 0]",
        "s.json:9: algorithms[0].params.k: expected an integer in 1...100000 or a list of them, got 0"
    ),
    // A range on a choice parameter.
    (
        "\"space\": { \"alpha\": { \"uniform\": [0.5, 4] } }", "\"space\": { \"solver\": { \"uniform\": [0, 1] } }",
        "s.json:11: algorithms[2].search.space.solver: solver takes one of \"cg\", \"cholesky\", \"subspace\"; give {\"choices\": [...]} rather than a range"
    ),
    // Budgets no strategy can honour.
    (
        "\"trials\": 9", "\"trials\": 5",
        "s.json:11: algorithms[2].search.trials: successive halving with eta = 3 needs at least 9 trials for two rungs (one rung is a random search)"
    ),
    (
        "\"strategy\": \"random\", \"trials\": 4, \"space\": { \"regularization\": { \"log_uniform\": [1, 1000] } }",
        "\"strategy\": \"random\", \"trials\": 4, \"space\": { \"regularization\": { \"choices\": [1, 10] } }",
        "s.json:10: algorithms[1].search.trials: the space has only 2 distinct points; use at most 2 trials or \"strategy\": \"grid\""
    ),
    (
        "\"strategy\": \"random\", \"trials\": 4,", "\"strategy\": \"random\",",
        "s.json:10: algorithms[1].search: give \"trials\" (and/or \"max_seconds\") to bound a random search"
    ),
    (
        "\"trials\": 9,", "\"trials\": 9, \"min_budget\": 9,",
        "s.json:11: algorithms[2].search.min_budget: the first rung's 9 iterations must be below the full budget of 9"
    ),
    (
        "\"trials\": 9,", "\"trials\": 9, \"max_budget\": 20000,",
        "s.json:11: algorithms[2].search.max_budget: a budget of ImplicitALS counts iterations: expected an integer in 1...10000, got 20000"
    ),
    (
        "\"iterations\": 9 }, \"search\": { \"strategy\": \"successive_halving\", \"trials\": 9, \"space\": { \"alpha\": { \"uniform\": [0.5, 4] } }",
        "\"cg_steps\": 3 }, \"search\": { \"strategy\": \"successive_halving\", \"trials\": 9, \"space\": { \"alpha\": { \"uniform\": [0.5, 4] }, \"iterations\": { \"choices\": [5, 10] } }",
        "s.json:11: algorithms[2].search.space.iterations: iterations is ImplicitALS's budget, set by successive halving per rung; give the full budget as max_budget or in params"
    ),
    (
        "\"search\": { \"strategy\": \"random\", \"trials\": 4",
        "\"search\": { \"strategy\": \"random\", \"trials\": 4, \"max_seconds\": 0",
        "s.json:10: algorithms[1].search.max_seconds: expected a positive number of seconds, got 0"
    ),
    (
        "{ \"strategy\": \"grid\" }",
        "{ \"strategy\": \"grid\", \"space\": { \"shrinkage\": { \"uniform\": [0, 100] } } }",
        "s.json:9: algorithms[0].search.space.shrinkage: a grid takes choices; use \"strategy\": \"random\" to draw from a range"
    ),
    (
        "{ \"strategy\": \"grid\" }", "{ \"strategy\": \"grid\", \"trials\": 3 }",
        "s.json:9: algorithms[0].search.trials: unknown key; allowed: strategy, space, max_seconds, refit"
    ),
    (
        "{ \"strategy\": \"grid\" }", "{ \"strategy\": \"grdi\" }",
        "s.json:9: algorithms[0].search.strategy: expected one of \"grid\", \"random\", \"successive_halving\", got \"grdi\" (did you mean \"grid\"?)"
    ),
    // A grid with nothing to choose: no lists, and no epochs to stop early.
    (
        "\"params\": { \"k\": [10, 20] }", "\"params\": { \"k\": 10 }",
        "s.json:9: algorithms[0].search.space: nothing to search: give domains in space (or lists in params); ItemKNN has no epochs to choose"
    ),
    // A parameter in both places.
    (
        "\"params\": { \"factors\": 8, \"iterations\": 9 }",
        "\"params\": { \"factors\": 8, \"iterations\": 9, \"alpha\": 2 }",
        "s.json:11: algorithms[2].search.space.alpha: alpha is also given in params; give it in one place"
    ),
    // A selection metric the task does not compute.
    (
        "\"select\": \"ndcg@10\"", "\"select\": \"rmse\"",
        "s.json:7: select: the ranking task does not compute \"rmse\" (a rating metric)"
    ),
    (
        "\"select\": \"ndcg@10\"", "\"select\": \"ndgc@10\"",
        "s.json:7: select: unknown metric \"ndgc@10\" (did you mean \"ndcg\"?)"
    ),
    (
        "\"select\": \"ndcg@10\"", "\"select\": \"recall@[5,10]\"",
        "s.json:7: select: name one metric with one cutoff, got \"recall@[5,10]\""
    ),
    // Validation that would leave users without training data.
    (
        "\"fraction\": 0.1", "\"fraction\": 0.5",
        "s.json:6: validation.fraction: a per-user fraction of 0.5 takes the only training interaction of users who have one; use a fraction below 0.5"
    ),
    (
        "\"split\": { \"method\": \"kfold\", \"k\": 2 }",
        "\"split\": { \"method\": \"cold_users\", \"k\": 2, \"max_train\": 1 }",
        "s.json:6: validation.method: cold_users with max_train 1 leaves each test user one training interaction; carving validation from it would leave none"
    ),
    (
        "\"method\": \"holdout\", \"fraction\": 0.1, \"per_user\": true", "\"method\": \"split\"",
        "s.json:6: validation.method: the split sets no validation part aside; give a holdout_fraction/validation in the split or another method"
    ),
    (
        "\"method\": \"holdout\", \"fraction\": 0.1", "\"method\": \"holdot\", \"fraction\": 0.1",
        "s.json:6: validation.method: expected one of \"cold_users\", \"holdout\", \"leave_last_out\", \"predefined\", \"split\", \"temporal\", got \"holdot\" (did you mean \"holdout\"?)"
    ),
    // A search without any validation data.
    (
        "  \"validation\": { \"method\": \"holdout\", \"fraction\": 0.1, \"per_user\": true },\n", "",
        "s.json:8: algorithms[0].search: a search needs validation data, and data set \"syn\" has none: add \"validation\": {\"method\": \"holdout\", \"fraction\": 0.1, \"per_user\": true} at the top level"
    ),
    (
        "\"method\": \"holdout\", \"fraction\": 0.1, \"per_user\": true",
        "\"method\": \"predefined\", \"valid\": \"v.txt\"",
        "s.json:6: validation.valid: with 2 folds the file name must contain {fold}, got \"v.txt\""
    )
]

@Test(arguments: badSearchCases.indices)
func badSearchGivesPreciseMessage(_ i: Int) {
    let (from, to, expected) = badSearchCases[i]
    #expect(searchExperiment.contains(from), "case \(i) does not apply")
    let found = searchIssues(searchExperiment.replacingOccurrences(of: from, with: to))
    #expect(found.contains(expected), "case \(i): got \(found)")
}

/// Lists in params join the search space and leave the configuration's values, so they must be
/// part of the search's identity (its cache keys): a changed list may not reuse old candidates.
@Test func paramsListsArePartOfTheSearchIdentity() throws {
    let loader = ExperimentLoader(registry: nil)
    let a = try loader.load(text: searchExperiment, file: "s.json")
    let b = try loader.load(
        text: searchExperiment.replacingOccurrences(of: "\"k\": [10, 20]", with: "\"k\": [10, 40]"),
        file: "s.json")
    let (sa, sb) = (try #require(a.algorithms[0].search), try #require(b.algorithms[0].search))
    #expect(sa.identity != sb.identity)
    #expect(sa.identity.hasSuffix(" space: k choices [10, 20]") && sb.identity.hasSuffix(" space: k choices [10, 40]"))
}

/// A rejected space entry is reported alone: the space's size without it says nothing true.
@Test func aRejectedSpaceEntryAddsNoSizeMessage() {
    let found = searchIssues(
        searchExperiment.replacingOccurrences(
            of: "\"regularization\": { \"log_uniform\"",
            with: "\"regularisation\": { \"log_uniform\""))
    #expect(
        found == [
            "s.json:10: algorithms[1].search.space.regularisation: unknown parameter of EASE "
                + "(did you mean \"regularization\"?); known: regularization, binary, precision"
        ], "\(found)")
}

@Test func searchSpecIsReadWithListsJoiningTheSpace() throws {
    let spec = try ExperimentLoader(registry: nil).load(text: searchExperiment, file: "s.json")
    #expect(spec.select == MetricSpec(name: "ndcg", k: 10))
    #expect(spec.validation == ValidationSpec(method: .holdout(fraction: 0.1, perUser: true)))
    #expect(spec.warnings.isEmpty)
    let knn = try #require(spec.algorithms[0].search)
    #expect(
        knn.strategy == .grid && knn.space.map(\.name) == ["k"] && knn.space[0].domain == .choices([.int(10), .int(20)])
    )
    #expect(spec.algorithms[0].grid.isEmpty)
    let als = try #require(spec.algorithms[2].search)
    #expect(
        als.strategy == .successiveHalving && als.trials == 9 && als.eta == 3 && als.maxBudget == 9
            && als.minBudget == nil)
    // A searched entry is one configuration (its fixed values) and one trial per fold.
    let plan = Plan(spec: spec)
    #expect(plan.configurations.map(\.label) == ["ItemKNN", "EASE", "ImplicitALS"])
    #expect(plan.configurations[2].values.int("factors") == 8 && plan.configurations[2].search != nil)
    #expect(plan.trials.count == 6)
}

@Test func gridWithoutSearchWarnsOnce() throws {
    let text = searchExperiment.replacingOccurrences(of: ", \"search\": { \"strategy\": \"grid\" }", with: "")
        .replacingOccurrences(
            of:
                "{ \"name\": \"EASE\", \"search\": { \"strategy\": \"random\", \"trials\": 4, \"space\": { \"regularization\": { \"log_uniform\": [1, 1000] } } } }",
            with: "{ \"name\": \"EASE\", \"params\": { \"regularization\": [10, 100] } }")
    let spec = try ExperimentLoader(registry: nil).load(text: text, file: "s.json")
    #expect(
        spec.warnings.map(\.description) == [
            "s.json:9: algorithms[0].params: warning: the grids of ItemKNN, EASE are evaluated on test data, so their best points are selected on test; "
                + "add \"search\": {\"strategy\": \"grid\"} and \"validation\" to select on validation data"
        ])
    #expect(
        spec.selectedOnTest(algorithm: 0) && spec.selectedOnTest(algorithm: 1) && !spec.selectedOnTest(algorithm: 2))
}

@Test func searchDomainsCheckAgainstTheParameterSpec() {
    let factors = ParameterSpec.integer("factors", default: 64, min: 1, max: 4096, "")
    let rate = ParameterSpec.real("lr", default: 0.1, exclusiveMin: true, "")
    #expect(factors.problem(with: .logUniform(8, 512)) == nil)
    #expect(factors.problem(with: .uniform(8.5, 16)) == "factors is an integer parameter; give whole-number ends")
    #expect(
        factors.problem(with: .uniform(0, 16))
            == "the range [0, 16] leaves the domain of factors: an integer in 1...4096")
    #expect(rate.problem(with: .uniform(0, 1)) == "the range [0, 1] leaves the domain of lr: a positive number")
    #expect(rate.problem(with: .choices([])) == "an empty list of choices gives no candidates")
    #expect(rate.problem(with: .choices([.real(0.1), .real(0.1)])) == "a choice appears twice")
    // Draws stay in the range, integers are whole, reals keep four significant digits.
    var rng = RandomSource(seed: 1)
    for _ in 0..<500 {
        guard case let .int(f) = factors.sample(.logUniform(8, 512), &rng) else {
            Issue.record("not an integer"); return
        }
        #expect((8...512).contains(f))
        guard case let .real(x) = rate.sample(.logUniform(1e-4, 1e-1), &rng) else { Issue.record("not a real"); return }
        #expect(x >= 1e-4 && x <= 1e-1 && Double(String(format: "%.4g", x)) == x)
    }
    // Log-uniform: about a third of draws in each decade of [1e-3, 1].
    var low = 0
    for _ in 0..<3000 { if case let .real(x) = rate.sample(.logUniform(1e-3, 1), &rng), x < 1e-2 { low += 1 } }
    #expect(abs(Double(low) / 3000 - 1.0 / 3) < 0.04)
}
