import Testing
import Foundation
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchAnalysis
@testable import RecbenchReport
import RecbenchEval
import RecbenchTestSupport

/// The statistics tests' own experiment (independent of experiments/quickstart.json, which changes):
/// synthetic data, 3 folds, 4 configurations, recall at two cutoffs for the metric@K curve.
let statsFixture = """
    {
      "name": "stats-fixture",
      "seed": 42,
      "task": "ranking",
      "datasets": [{ "name": "synthetic-small",
                     "synthetic": { "users": 600, "items": 400, "interactions": 30000, "factors": 8, "popularity_skew": 1.0, "seed": 7 } }],
      "split": { "method": "kfold", "k": 3 },
      "algorithms": [
        { "name": "Random" },
        { "name": "MostPopular" },
        { "name": "Bias", "params": { "item_reg": [5, 25] } }
      ],
      "metrics": ["ndcg@10", "recall@[10,20]", "precision@10", "map@10", "mrr@10", "hitrate@10", "auc", "coverage@10", "novelty@10"]
    }
    """

/// Runs the fixture into a fresh scratch folder (left there: tests read the files).
func runStatsFixture() throws -> RunResult {
    let env = try dataEnvironment(dataDir: nil)
    let spec = try ExperimentLoader(registry: env.registry).load(text: statsFixture, file: "stats-fixture.json")
    return try ExperimentRun.execute(
        spec: spec, data: env, progress: SilentProgress(),
        outputRoot: Scratch.path("recbench-stats"))
}

/// One fixture run shared by the tests below.
private let quickstart: Result<RunResult, Error> = Result { try runStatsFixture() }

@Test func compareAgainstBaselineWithinRun() throws {
    let r = try quickstart.get()
    let table = try Comparison.compare(run: r, baseline: "MostPopular", options: ComparisonOptions(resamples: 500))
    let metrics = r.spec.metrics.map(\.label)
    #expect(table.rows.count == (r.plan.configurations.count - 1) * metrics.count)
    #expect(table.rows.allSatisfy { $0.reference == "MostPopular" })
    // Random is far worse than MostPopular on NDCG: negative difference, interval excludes zero, tiny p.
    let row = try #require(table.rows.first { $0.candidate == "Random" && $0.metric == "ndcg@10" })
    #expect(row.unit == "pairs")
    #expect(row.difference < 0 && row.ciHigh < 0 && row.ciLow <= row.difference && row.difference <= row.ciHigh)
    #expect(row.wilcoxonP < 1e-6 && row.tP < 1e-6)
    // Monte Carlo randomization test: no sign pattern reaches a difference this large, so p = 1 / (B + 1).
    #expect(row.randomizationP == 1.0 / 10_001 && !row.randomizationExact)
    #expect(row.n == r.trials.filter { $0.configuration == "Random" }.reduce(0) { $0 + $1.users.count })
    // The row's numbers are exactly those of the statistics functions on (fold, user) pairs.
    let (b, a, _) = Comparison.paired(
        r.trials.filter { $0.configuration == "MostPopular" }, r.trials.filter { $0.configuration == "Random" },
        metric: "ndcg@10")
    #expect(row.tP == Statistics.pairedTTest(a, b).p)
    #expect(row.wilcoxonP == Statistics.wilcoxonSignedRank(a, b).p)
    #expect(abs(row.difference - Statistics.mean(zip(a, b).map { $0 - $1 })) < 1e-12)
    let d = zip(a, b).map { $0 - $1 }
    #expect(row.effectSize == Statistics.cohensDPaired(a, b) && row.sdDifference == Statistics.standardDeviation(d))
    #expect(row.minimumDetectableEffect == Power.minimumDetectableEffect(n: d.count, sd: row.sdDifference))
    // The default test decides: p is the t-test's.
    #expect(table.test == .t && row.p == row.tP)
    // Coverage has no per-user values: paired over folds.
    let cov = try #require(table.rows.first { $0.candidate == "Random" && $0.metric == "coverage@10" })
    #expect(cov.unit == "folds" && cov.n == 3)
    // No effect size over three fold means; three folds: exact randomization test, 2 of 8 patterns at best.
    #expect(cov.effectSize.isNaN && cov.randomizationExact && cov.randomizationP == 0.25)
    // Holm and BH: adjusted ≥ raw, BH ≤ Holm, each equal to the function applied to the whole column.
    #expect(table.rows.allSatisfy { $0.pHolm >= $0.tP && $0.pBH >= $0.tP && $0.pBH <= $0.pHolm })
    #expect(table.rows.map(\.pHolm) == Statistics.holmBonferroni(table.rows.map(\.tP)))
    #expect(table.rows.map(\.pBH) == Statistics.benjaminiHochberg(table.rows.map(\.tP)))
    // Another test decides when asked; the other columns stay the same.
    let w = try Comparison.compare(
        run: r, baseline: "MostPopular",
        options: ComparisonOptions(test: .wilcoxon, resamples: 500))
    #expect(w.rows.map(\.p) == w.rows.map(\.wilcoxonP) && w.rows.map(\.tP) == table.rows.map(\.tP))
    #expect(w.rows.map(\.pHolm) == Statistics.holmBonferroni(w.rows.map(\.wilcoxonP)))
    // Rows run in parallel with per-row streams: the thread count changes nothing.
    let threaded = try Comparison.compare(
        run: r, baseline: "MostPopular",
        options: ComparisonOptions(resamples: 500, threads: 3))
    #expect(String(describing: threaded.rows) == String(describing: table.rows))  // NaN ≠ NaN under ==
    // Same seed, same table.
    let again = try Comparison.compare(run: r, baseline: "MostPopular", options: ComparisonOptions(resamples: 500))
    #expect(String(describing: again.rows) == String(describing: table.rows))
    // Outputs: CSV has a header and one line per row; Markdown a table with a separator line.
    #expect(table.csv().split(separator: "\n").count == table.rows.count + 1)
    #expect(table.markdown().contains("|---|---|---|---|---:"))
    #expect(table.console().contains("Random") && table.console().contains(" pairs"))
    #expect(
        table.csv().hasPrefix(
            "dataset,metric,reference,candidate,ref_mean,cand_mean,diff,ci95_low,ci95_high,t_p,"
                + "randomization_p"))
    // All pairs without a baseline.
    let n = r.plan.configurations.count
    let all = try Comparison.compare(run: r, metrics: ["ndcg@10"], options: ComparisonOptions(resamples: 200))
    #expect(all.rows.count == n * (n - 1) / 2)
    #expect(throws: (any Error).self) { try Comparison.compare(run: r, baseline: "NoSuchThing") }
    // p below what a double difference supports prints as a bound, never as 0.0e+00.
    #expect(ComparisonTable.pValue(0) == "< 1e-16" && ComparisonTable.pValue(5e-17) == "< 1e-16")
    #expect(ComparisonTable.pValue(2.5e-5) == "2.5e-05" && ComparisonTable.pValue(0.01234) == "0.0123")
    #expect(ComparisonTable.pRelation(0) == "< 1e-16" && ComparisonTable.pRelation(0.5) == "= 0.5000")
    #expect(!table.console().contains("e+00") && table.console().contains("< 1e-16"))
}

@Test func compareTwoRunsRequiresIdenticalSplits() throws {
    let r = try quickstart.get()
    let reloaded = try RunFolder.load(r.directory)
    let table = try Comparison.compare(
        runs: r, reloaded, metrics: ["ndcg@10"],
        options: ComparisonOptions(resamples: 200))
    // Same-named configurations are paired; identical results: zero difference, p = 1.
    #expect(table.rows.count == r.plan.configurations.count)
    #expect(
        table.rows.allSatisfy { $0.reference.hasPrefix("A:") && $0.candidate.hasPrefix("B:") && $0.difference == 0 })
    #expect(table.rows.allSatisfy { $0.wilcoxonP == 1 && $0.tP == 1 && $0.randomizationP == 1 })
    var other = reloaded
    other.datasets[0].splitFingerprint = String(repeating: "0", count: 64)
    do { _ = try Comparison.compare(runs: r, other); Issue.record("different splits must be refused") } catch {
        #expect(String(describing: error).contains("split"))
    }
    other = reloaded
    other.datasets[0].dataFingerprint = String(repeating: "0", count: 64)
    do { _ = try Comparison.compare(runs: r, other); Issue.record("different data must be refused") } catch {
        #expect(String(describing: error).contains("data"))
    }
}

/// Scales one configuration's values (fold and per-user) of one metric, as a broken algorithm would.
private func planted(_ r: RunResult, configuration: String, metric: String, factor: Double) -> RunResult {
    var out = r
    for i in out.trials.indices where out.trials[i].configuration == configuration {
        let m = out.trials[i].metricLabels.firstIndex(of: metric)!
        out.trials[i].values[m] *= factor
        out.trials[i].perUser[m] = out.trials[i].perUser[m]?.map { $0 * factor }
    }
    return out
}

@Test func checkPassesRerunAndFailsPlantedRegression() throws {
    let r = try quickstart.get()
    let file = Scratch.path("recbench-baseline") + ".json"
    try AtomicFile.write(try Baseline.encode(Baseline.make(from: r)), to: file)
    let baseline = try Baseline.load(path: file)
    #expect(baseline.results.count == r.trials.count / 3 * r.spec.metrics.count)
    // The same run and a fresh rerun pass.
    #expect(Baseline.check(r, against: baseline).exitCode == 0)
    let rerun = try runStatsFixture()
    let rerunReport = Baseline.check(rerun, against: baseline)
    #expect(rerunReport.exitCode == 0, "\(rerunReport.summary())")
    // A 20 % NDCG drop of MostPopular fails, naming exactly that value.
    let broken = Baseline.check(
        planted(r, configuration: "MostPopular", metric: "ndcg@10", factor: 0.8), against: baseline)
    #expect(broken.exitCode == 1)
    #expect(broken.regressions.map { "\($0.configuration) \($0.metric)" } == ["MostPopular ndcg@10"])
    #expect(try #require(broken.regressions.first?.p) < 0.05)
    #expect(baseline.test == .t && broken.regressions.first?.test == .t)
    // Files from before the test was recorded were checked with Wilcoxon, and still are.
    var old = baseline
    old.test = nil
    let oldReport = Baseline.check(
        planted(r, configuration: "MostPopular", metric: "ndcg@10", factor: 0.8),
        against: old)
    #expect(oldReport.regressions.first?.test == .wilcoxon)
    #expect(broken.summary().contains("REGRESSION synthetic-small MostPopular ndcg@10"))
    // Within tolerance (0.5 % < 2 %): passes; an improvement passes.
    #expect(
        Baseline.check(planted(r, configuration: "MostPopular", metric: "ndcg@10", factor: 0.995), against: baseline)
            .exitCode == 0)
    #expect(
        Baseline.check(planted(r, configuration: "MostPopular", metric: "ndcg@10", factor: 1.2), against: baseline)
            .exitCode == 0)
    // Coverage has no per-user values: the tolerance alone decides.
    let cov = Baseline.check(
        planted(r, configuration: "Bias(item_reg=5)", metric: "coverage@10", factor: 0.5), against: baseline)
    #expect(cov.exitCode == 1 && cov.regressions.first?.p == nil)
    // Different splits: exit 2.
    var moved = r
    moved.datasets[0].splitFingerprint = String(repeating: "f", count: 64)
    #expect(Baseline.check(moved, against: baseline).exitCode == 2)
    // A per-metric tolerance overrides the default.
    var loose = baseline
    loose.tolerances["ndcg@10"] = .init(relative: 0.5)
    #expect(
        Baseline.check(planted(r, configuration: "MostPopular", metric: "ndcg@10", factor: 0.8), against: loose)
            .exitCode == 0)
}
