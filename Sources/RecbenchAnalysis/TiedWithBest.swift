import RecbenchCore
import RecbenchEval
import RecbenchRunner

/// Per metric and data set: the configuration with the best mean and every configuration not
/// significantly worse than it. Each other configuration is tested against the best (paired, the
/// chosen test) and the p-values are Holm-adjusted within that metric's family of comparisons;
/// a configuration leaves the group only when its adjusted p is below α and its mean difference
/// points the worse way. This is what "X is among the best" can honestly claim: a group of one
/// means the best is significantly better than every other configuration.
public struct TiedGroup: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var label: String
        public var mean: Double
        /// Against the best: raw and Holm-adjusted p, and the pairs they rest on; nil for the best itself.
        public var p: Double?
        public var pAdjusted: Double?
        public var n: Int
        public var unit: String
    }

    public var dataset: String
    public var metric: String
    public var test: SignificanceTest
    public var alpha: Double
    /// The best first, then the others not significantly worse, by mean.
    public var members: [Member]
    /// Significantly worse than the best, by mean.
    public var worse: [Member]

    public var best: String { members[0].label }
    public func contains(_ label: String) -> Bool { members.contains { $0.label == label } }
}

extension TiedGroup {
    /// The group from each candidate's mean and a source of paired differences `other − best`.
    /// Candidates with a non-finite mean take no part.
    public static func make(
        dataset: String, metric: String, candidates: [(label: String, mean: Double)],
        differences: (_ best: String, _ other: String) -> (values: [Double], unit: String),
        test: SignificanceTest, alpha: Double, permutations: Int, seed: UInt64
    ) -> TiedGroup? {
        let higher = MetricCatalog.higherIsBetter(metric)
        let finite = candidates.filter { $0.mean.isFinite }
        let ascending: ((label: String, mean: Double), (label: String, mean: Double)) -> Bool = { $0.mean < $1.mean }
        guard let best = higher ? finite.max(by: ascending) : finite.min(by: ascending) else { return nil }
        var others = [Member]()
        for c in finite where c.label != best.label {
            let (d, unit) = differences(best.label, c.label)
            let p: Double
            switch test {
            case .t:
                p = Statistics.pairedTTest(d, [Double](repeating: 0, count: d.count)).p
            case .randomization:
                var rng = RandomSource(seed: seed, stream: "tied|\(dataset)|\(metric)|\(best.label)|\(c.label)")
                p = Statistics.randomizationTest(differences: d, permutations: permutations, seed: rng.next()).p
            case .wilcoxon:
                p = Statistics.wilcoxonSignedRank(d, [Double](repeating: 0, count: d.count)).p
            }
            others.append(
                Member(
                    label: c.label, mean: c.mean, p: d.isEmpty ? .nan : p, pAdjusted: nil, n: d.count,
                    unit: unit))
        }
        let adjusted = Statistics.holmBonferroni(others.map { $0.p! })
        for i in others.indices { others[i].pAdjusted = adjusted[i] }
        let bestMember = Member(
            label: best.label, mean: best.mean, p: nil, pAdjusted: nil,
            n: others.first?.n ?? 0, unit: others.first?.unit ?? "pairs")
        // Worse means below the best by mean; NaN p (no shared values) keeps the configuration in the group.
        let isWorse: (Member) -> Bool = { m in
            (m.pAdjusted ?? .nan) < alpha && (higher ? m.mean < best.mean : m.mean > best.mean)
        }
        let order: (Member, Member) -> Bool = { higher ? $0.mean > $1.mean : $0.mean < $1.mean }
        return TiedGroup(
            dataset: dataset, metric: metric, test: test, alpha: alpha,
            members: [bestMember] + others.filter { !isWorse($0) }.sorted(by: order),
            worse: others.filter(isWorse).sorted(by: order))
    }
}

extension Comparison {
    /// The tied-with-the-best group of every (data set, metric) of a run, metrics in the file's order.
    public static func tiedWithBest(_ r: RunResult, options: ComparisonOptions = ComparisonOptions()) -> [TiedGroup] {
        var groups = [TiedGroup]()
        for d in r.datasets {
            let all = arms(r, dataset: d.label, prefix: "")
            guard all.count >= 2 else { continue }
            for metric in r.spec.metrics.map(\.label) {
                let candidates = all.compactMap { arm -> (label: String, mean: Double)? in
                    r.aggregate(dataset: d.label, configuration: arm.label, metric: metric).map { (arm.label, $0.mean) }
                }
                let byLabel = Dictionary(uniqueKeysWithValues: all.map { ($0.label, $0) })
                let differences: (String, String) -> (values: [Double], unit: String) = { best, other in
                    let (b, a, unit) = paired(byLabel[best]!.trials, byLabel[other]!.trials, metric: metric)
                    return (zip(a, b).map { $0 - $1 }, unit)
                }
                let group = TiedGroup.make(
                    dataset: d.label, metric: metric, candidates: candidates,
                    differences: differences, test: options.test, alpha: options.alpha,
                    permutations: options.permutations, seed: r.spec.seed)
                if let group { groups.append(group) }
            }
        }
        return groups
    }
}
