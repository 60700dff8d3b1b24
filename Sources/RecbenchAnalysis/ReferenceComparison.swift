import RecbenchEval
import RecbenchRunner

/// The significance marks of a run's own outputs (report.html, summary.tex): each data set's best
/// configuration on the file's first metric against every other configuration.
extension Comparison {
    /// The reference configuration of a data set for significance marks: the best on the file's first metric.
    public static func reference(_ r: RunResult, dataset: String) -> String? {
        guard let metric = r.spec.metrics.first?.label else { return nil }
        let higher = MetricCatalog.higherIsBetter(metric)
        let aggs = r.aggregates.filter { $0.dataset == dataset && $0.metric == metric && $0.mean.isFinite }
        return (higher ? aggs.max { $0.mean < $1.mean } : aggs.min { $0.mean < $1.mean })?.configuration
    }

    /// Every configuration against each data set's reference, adjusted over the whole table.
    public static func againstReference(
        _ r: RunResult,
        options: ComparisonOptions = ComparisonOptions(resamples: 1000)
    ) -> ComparisonTable {
        var pairs = [(dataset: String, reference: Arm, candidate: Arm)]()
        for d in r.datasets {
            guard let ref = reference(r, dataset: d.label) else { continue }
            let arms = arms(r, dataset: d.label, prefix: "")
            guard let refArm = arms.first(where: { $0.label == ref }) else { continue }
            for a in arms where a.label != ref { pairs.append((d.label, refArm, a)) }
        }
        return table(
            pairs: pairs, metrics: r.spec.metrics.map(\.label), seed: r.spec.seed, options: options,
            legend: [])
    }
}
