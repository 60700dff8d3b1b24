import RecbenchCore
import RecbenchEval
import RecbenchRunner

/// A configuration that entered or left a metric's tied-with-the-best group between a baseline
/// and a run. Leaving is a regression: the baseline supported "X is among the best on this
/// metric", the run no longer does.
public struct GroupChange: Sendable, Equatable {
    public var dataset: String
    public var metric: String
    public var configuration: String
    public var baselineBest: String
    public var currentBest: String
    /// Holm-adjusted p against the current best (nil when the configuration is the best).
    public var pAdjusted: Double?
    public var test: SignificanceTest
    /// True when the configuration left the group.
    public var regressed: Bool

    public var line: String {
        let p = pAdjusted.map { ", \(test.rawValue) p (Holm) \(ComparisonTable.pRelation($0))" } ?? ""
        return regressed
            ? "\(dataset) \(metric): \(configuration) was tied with the best (\(baselineBest)) in the baseline "
                + "and is now significantly worse than \(currentBest)\(p)"
            : "\(dataset) \(metric): \(configuration) was significantly worse than \(baselineBest) in the baseline "
                + "and is now tied with the best (\(currentBest))\(p)"
    }
}

extension Baseline {
    /// Tied-with-the-best groups of the baseline and of the run, over the configurations the baseline
    /// holds per-user values for (two or more per metric). Both sides use the baseline's users and the
    /// baseline's rounding of per-user values, so an unchanged run reproduces the baseline's groups
    /// exactly.
    static func groupChanges(_ r: RunResult, against b: BaselineFile, test: SignificanceTest) -> [GroupChange] {
        guard let lists = b.users else { return [] }
        var changes = [GroupChange]()
        for d in b.datasets {
            let folds = lists.filter { $0.dataset == d.label }.sorted { $0.fold < $1.fold }
            var metrics = [String]()
            for e in b.results where e.dataset == d.label && e.perUser != nil && !metrics.contains(e.metric) {
                metrics.append(e.metric)
            }
            for metric in metrics {
                let entries = b.results.filter { $0.dataset == d.label && $0.metric == metric && $0.perUser != nil }
                guard entries.count >= 2 else { continue }
                // Per configuration: per fold, values aligned with the baseline's user list (NaN where missing).
                var base = [String: [[Double]]](), run = [String: [[Double]]]()
                var baseMeans = [(label: String, mean: Double)](), runMeans = [(label: String, mean: Double)]()
                for e in entries {
                    let ts = r.trials(dataset: d.label, configuration: e.configuration)
                    var rows = [[Double]]()
                    for list in folds {
                        guard let t = ts.first(where: { $0.fold == list.fold }),
                            let m = t.metricLabels.firstIndex(of: metric), let values = t.perUser[m]
                        else {
                            rows.append([Double](repeating: .nan, count: list.users.count))
                            continue
                        }
                        rows.append(UserPairing.aligned(values.map(roundedPerUser), users: t.users, to: list.users))
                    }
                    base[e.configuration] = e.perUser
                    run[e.configuration] = rows
                    baseMeans.append((e.configuration, e.mean))
                    let current = ts.compactMap { $0.value(of: metric) }
                    let mean = current.isEmpty ? Double.nan : current.reduce(0, +) / Double(current.count)
                    runMeans.append((e.configuration, mean))
                }
                typealias Differences = (String, String) -> (values: [Double], unit: String)
                func differences(_ table: [String: [[Double]]]) -> Differences {
                    { best, other in
                        var out = [Double]()
                        for (x, y) in zip(table[other]!, table[best]!) {
                            for (u, v) in zip(x, y) where !u.isNaN && !v.isNaN { out.append(u - v) }
                        }
                        return (out, "pairs")
                    }
                }
                let permutations = Statistics.randomizationPermutations
                func group(_ means: [(label: String, mean: Double)], _ table: [String: [[Double]]]) -> TiedGroup? {
                    TiedGroup.make(
                        dataset: d.label, metric: metric, candidates: means, differences: differences(table),
                        test: test, alpha: b.significanceLevel, permutations: permutations, seed: 0)
                }
                guard let before = group(baseMeans, base), let after = group(runMeans, run) else { continue }
                for e in entries {
                    let c = e.configuration
                    guard before.contains(c) != after.contains(c) else { continue }
                    let p = (after.members + after.worse).first { $0.label == c }?.pAdjusted
                    changes.append(
                        GroupChange(
                            dataset: d.label, metric: metric, configuration: c,
                            baselineBest: before.best, currentBest: after.best, pAdjusted: p, test: test,
                            regressed: before.contains(c)))
                }
            }
        }
        return changes
    }
}
