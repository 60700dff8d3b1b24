import RecbenchCore
import RecbenchEval
import RecbenchRunner

/// Is the experiment big enough: for one pair of configurations on one metric, the spread of the
/// run's paired differences, the effect the run can detect, and how many pairs a target effect needs
/// (two-sided paired t-test; `Power`).
public struct PowerRow: Sendable, Equatable {
    public var dataset: String
    public var metric: String
    public var reference: String
    public var candidate: String
    /// Pairs in the run ((fold, user) pairs, or folds for aggregate-only metrics) and the run's folds.
    public var n: Int
    public var unit: String
    public var folds: Int
    public var difference: Double
    public var sdDifference: Double
    /// Smallest |difference| detectable with the run's n.
    public var minimumDetectableEffect: Double
    /// The target effect, the run's power against it, and the pairs needed to reach the asked power.
    public var delta: Double
    public var currentPower: Double
    public var pairsNeeded: Double
    /// Pairs needed per fold: users to evaluate in each fold (pairs ÷ folds, rounded up).
    public var usersPerFoldNeeded: Double {
        pairsNeeded.isFinite ? (pairsNeeded.rounded(.up) / Double(max(1, folds))).rounded(.up) : pairsNeeded
    }
}

extension Comparison {
    /// One `PowerRow` per pair of configurations `compare(run:)` would test and per metric.
    public static func power(
        run r: RunResult, delta: Double, baseline: String? = nil, configurations: [String]? = nil,
        metrics: [String]? = nil, alpha: Double = Power.defaultAlpha,
        power: Double = Power.defaultPower
    ) throws -> [PowerRow] {
        var rows = [PowerRow]()
        for (dataset, ref, cand) in try pairs(run: r, baseline: baseline, configurations: configurations) {
            let folds = r.datasets.first { $0.label == dataset }?.folds ?? 1
            for metric in metrics ?? r.spec.metrics.map(\.label) {
                let (b, a, unit) = paired(ref.trials, cand.trials, metric: metric)
                guard !a.isEmpty else { continue }
                let d = zip(a, b).map { $0 - $1 }
                let sd = Statistics.standardDeviation(d)
                let mde = Power.minimumDetectableEffect(n: d.count, sd: sd, alpha: alpha, power: power)
                let now = Power.pairedT(n: Double(d.count), delta: delta, sd: sd, alpha: alpha)
                let needed = Power.requiredPairs(delta: delta, sd: sd, alpha: alpha, power: power)
                rows.append(
                    PowerRow(
                        dataset: dataset, metric: metric, reference: ref.label, candidate: cand.label,
                        n: d.count, unit: unit, folds: folds, difference: Statistics.mean(d),
                        sdDifference: sd, minimumDetectableEffect: mde, delta: delta, currentPower: now,
                        pairsNeeded: needed))
            }
        }
        return rows
    }
}
