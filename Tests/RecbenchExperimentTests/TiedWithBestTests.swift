import Testing
import Foundation
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchAnalysis
@testable import RecbenchReport
import RecbenchEval
import RecbenchTestSupport

/// Differences `other − best` for hand-made groups: each label maps to its paired differences.
private func fixedDifferences(_ table: [String: [Double]]) -> (String, String) -> (values: [Double], unit: String) {
    { _, other in (table[other]!, "pairs") }
}

@Test func tiedGroupByHand() throws {
    // A is best (0.50). B's differences average −0.01 with sd ≈ 0.1 over 40 pairs: t ≈ −0.63, not
    // significant. C's average −0.2 with the same spread: t ≈ −12.6, significant even after Holm (× 2).
    let noise = (0..<40).map { 0.1 * (Double($0 % 2) * 2 - 1) }
    let b = noise.map { $0 - 0.01 }, c = noise.map { $0 - 0.2 }
    let g = try #require(
        TiedGroup.make(
            dataset: "d", metric: "ndcg@10",
            candidates: [("C", 0.30), ("A", 0.50), ("B", 0.49)],
            differences: fixedDifferences(["B": b, "C": c]), test: .t, alpha: 0.05,
            permutations: 1000, seed: 1))
    #expect(g.best == "A" && g.members.map(\.label) == ["A", "B"] && g.worse.map(\.label) == ["C"])
    let pB = Statistics.pairedTTest(b, [Double](repeating: 0, count: 40)).p
    let pC = Statistics.pairedTTest(c, [Double](repeating: 0, count: 40)).p
    #expect(g.members[1].pAdjusted == Statistics.holmBonferroni([pC, pB])[1] && g.members[1].p == pB)
    #expect(g.members[0].p == nil && g.members[1].n == 40)
    // Lower is better for RMSE: the smallest mean is the best, and the significance direction follows.
    let e = try #require(
        TiedGroup.make(
            dataset: "d", metric: "rmse",
            candidates: [("A", 0.90), ("B", 0.91), ("C", 1.10)],
            differences: fixedDifferences(["B": b.map { -$0 }, "C": c.map { -$0 }]),
            test: .t, alpha: 0.05, permutations: 1000, seed: 1))
    #expect(e.best == "A" && e.members.map(\.label) == ["A", "B"] && e.worse.map(\.label) == ["C"])
    // A stricter α keeps more in the group; a group of one when everything else is significantly worse.
    let strict = try #require(
        TiedGroup.make(
            dataset: "d", metric: "ndcg@10", candidates: [("A", 0.5), ("C", 0.3)],
            differences: fixedDifferences(["C": c]), test: .randomization, alpha: 0.05,
            permutations: 1000, seed: 1))
    #expect(strict.members.map(\.label) == ["A"] && strict.worse.map(\.label) == ["C"])
    // Non-finite means take no part; nothing finite, no group.
    #expect(
        TiedGroup.make(
            dataset: "d", metric: "auc", candidates: [("A", .nan)], differences: fixedDifferences([:]),
            test: .t, alpha: 0.05, permutations: 1000, seed: 1) == nil)
}

@Test func tiedWithBestOnRunAndInOutputs() throws {
    let r = try runStatsFixture()
    let groups = Comparison.tiedWithBest(r)
    #expect(groups.count == r.spec.metrics.count)  // one data set, every metric has four configurations
    for g in groups {
        // The best has the best mean; every member is not significantly worse after Holm, every excluded one is.
        let higher = MetricCatalog.higherIsBetter(g.metric)
        let means = r.aggregates.filter { $0.metric == g.metric }.map(\.mean).filter(\.isFinite)
        #expect(g.members[0].mean == (higher ? means.max() : means.min()))
        #expect(g.members.dropFirst().allSatisfy { !($0.pAdjusted! < 0.05) })
        #expect(g.worse.allSatisfy { $0.pAdjusted! < 0.05 })
        #expect(g.members.count + g.worse.count == means.count)
    }
    // Random ranks at random: never tied with the best on NDCG.
    let ndcg = try #require(groups.first { $0.metric == "ndcg@10" })
    #expect(!ndcg.contains("Random") && ndcg.worse.contains { $0.label == "Random" })
    // summary.md lists the groups and bolds exactly their cells; summary.tex bolds the same cells.
    let md = try String(contentsOfFile: r.directory + "/summary.md", encoding: .utf8)
    #expect(md.contains("**Tied with the best**") && md.contains("- ndcg@10: **\(ndcg.best) (best"))
    let metrics = r.spec.metrics.map(\.label)
    for line in md.split(separator: "\n") where line.hasPrefix("| ") && !line.hasPrefix("| configuration") {
        let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        for (j, m) in metrics.enumerated() {
            let group = try #require(groups.first { $0.metric == m })
            #expect(cells[j + 1].hasPrefix("**") == group.contains(cells[0]), "\(cells[0]) \(m)")
        }
    }
    let tex = try String(contentsOfFile: r.directory + "/summary.tex", encoding: .utf8)
    let body = tex.components(separatedBy: "\\midrule\n")[1].components(separatedBy: "\\bottomrule")[0]
    for row in body.split(separator: "\n") {
        let cells = row.components(separatedBy: " & ")
        let label = cells[0].replacingOccurrences(of: " (ref.)", with: "").replacingOccurrences(of: "\\_", with: "_")
        for (j, m) in metrics.enumerated() {
            let group = try #require(groups.first { $0.metric == m })
            #expect(cells[j + 1].contains("\\textbf") == group.contains(label), "\(label) \(m)")
        }
    }
    // report.html: the groups' table, and every non-significant row says what it could have detected.
    let html = try String(contentsOfFile: r.directory + "/report.html", encoding: .utf8)
    #expect(html.contains("<h3>Tied with the best</h3>"))
    let sig = Comparison.againstReference(r)
    let notSignificant = sig.rows.filter { !sig.isSignificant($0) }
    #expect(html.components(separatedBy: "not significant; detectable |diff| ≥ ").count - 1 == notSignificant.count)
    for row in notSignificant {
        #expect(html.contains("detectable |diff| ≥ \(ComparisonTable.effect(row.minimumDetectableEffect))"))
    }
}

@Test func powerRowsFollowTheFormulas() throws {
    let r = try runStatsFixture()
    let rows = try Comparison.power(run: r, delta: 0.005, baseline: "MostPopular", metrics: ["ndcg@10", "coverage@10"])
    #expect(rows.count == 2 * (r.plan.configurations.count - 1))
    for row in rows {
        #expect(row.pairsNeeded == Power.requiredPairs(delta: 0.005, sd: row.sdDifference))
        #expect(row.minimumDetectableEffect == Power.minimumDetectableEffect(n: row.n, sd: row.sdDifference))
        #expect(row.currentPower == Power.pairedT(n: Double(row.n), delta: 0.005, sd: row.sdDifference))
        // Three folds: users per fold is the pairs needed split over them, rounded up.
        #expect(row.folds == 3 && row.usersPerFoldNeeded == (row.pairsNeeded.rounded(.up) / 3).rounded(.up))
        #expect(row.unit == (row.metric == "coverage@10" ? "folds" : "pairs"))
        // More pairs than the run has exactly when Δ is below the detectable effect.
        #expect((row.pairsNeeded > Double(row.n)) == (0.005 < row.minimumDetectableEffect))
    }
    #expect(throws: (any Error).self) { try Comparison.power(run: r, delta: 0.01, baseline: "Nope") }
}

/// The fixture with one configuration's NDCG replaced by MostPopular's plus ±0.005 per user (alternating):
/// the two are then tied on NDCG (mean difference ≈ 0, t ≈ 0).
private func withTie(_ r: RunResult, copy: String, from source: String) -> RunResult {
    var out = r
    for i in out.trials.indices where out.trials[i].configuration == copy {
        let t = out.trials[i]
        let s = r.trials.first { $0.configuration == source && $0.fold == t.fold && $0.dataset == t.dataset }!
        let m = t.metricLabels.firstIndex(of: "ndcg@10")!
        let values = s.perUser[m]!.enumerated().map { k, v in v + (k % 2 == 0 ? 0.005 : -0.005) }
        out.trials[i].users = s.users
        out.trials[i].perUser[m] = values
        out.trials[i].values[m] = values.reduce(0, +) / Double(values.count)
    }
    out.aggregates = Runner.aggregate(out.trials, plan: out.plan)
    return out
}

@Test func checkFlagsAConfigurationThatLeavesTheTiedGroup() throws {
    let r = withTie(try runStatsFixture(), copy: "Bias(item_reg=25)", from: "MostPopular")
    let groups = Comparison.tiedWithBest(r)
    let ndcg = try #require(groups.first { $0.metric == "ndcg@10" })
    #expect(Set(ndcg.members.map(\.label)) == ["MostPopular", "Bias(item_reg=25)"])
    let file = Scratch.path("recbench-baseline") + ".json"
    try AtomicFile.write(try Baseline.encode(Baseline.make(from: r)), to: file)
    let baseline = try Baseline.load(path: file)
    // The run itself reproduces the baseline's groups (per-user values rounded alike on both sides).
    #expect(Baseline.check(r, against: baseline).groupChanges.isEmpty)
    // Improving the best by 30 % is no drop for anyone, but its partner is now significantly worse than it.
    var improved = r
    for i in improved.trials.indices where improved.trials[i].configuration == ndcg.best {
        let m = improved.trials[i].metricLabels.firstIndex(of: "ndcg@10")!
        improved.trials[i].values[m] *= 1.3
        improved.trials[i].perUser[m] = improved.trials[i].perUser[m]?.map { $0 * 1.3 }
    }
    let report = Baseline.check(improved, against: baseline)
    #expect(report.regressions.isEmpty)
    let partner = ndcg.members[1].label
    #expect(report.groupChanges.count == 1)
    let change = try #require(report.groupRegressions.first)
    #expect(change.configuration == partner && change.metric == "ndcg@10" && change.currentBest == ndcg.best)
    #expect(try #require(change.pAdjusted) < 0.05)
    #expect(report.exitCode == 1)
    #expect(report.summary().contains("\(partner) was tied with the best (\(ndcg.best)) in the baseline"))
    // Seen from the other side: a configuration that joins the group is a note, not a regression.
    // (The best's own 23 % drop is a separate, ordinary regression there.)
    let improvedFile = Scratch.path("recbench-baseline") + ".json"
    try AtomicFile.write(try Baseline.encode(Baseline.make(from: improved)), to: improvedFile)
    let joined = Baseline.check(r, against: try Baseline.load(path: improvedFile))
    #expect(joined.groupChanges.map(\.configuration) == [partner] && joined.groupRegressions.isEmpty)
    #expect(joined.summary().contains("note: "))
}
