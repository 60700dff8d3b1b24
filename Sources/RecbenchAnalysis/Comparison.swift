import Foundation
import RecbenchCore
import RecbenchEval
import RecbenchConfig
import RecbenchRunner

/// Paired comparisons of configurations: within one run, or across two runs on identical splits.
public enum Comparison {
    /// A configuration's trials on one data set, under the label it has in the table.
    struct Arm {
        var label: String
        var trials: [TrialResult]  // one per fold
    }

    /// Paired values of two arms on one metric: per (fold, user) when both have per-user values on
    /// every fold (unit "pairs"), else per fold (unit "folds"). NaN values (e.g. AUC without
    /// negatives) drop their pair.
    static func paired(_ a: [TrialResult], _ b: [TrialResult], metric: String) -> (
        a: [Double], b: [Double], unit: String
    ) {
        let folds = a.map(\.fold).filter { f in b.contains { $0.fold == f } }.sorted()
        func trial(_ ts: [TrialResult], _ f: Int) -> TrialResult { ts.first { $0.fold == f }! }
        let perUser = folds.allSatisfy { f in
            let ta = trial(a, f), tb = trial(b, f)
            guard let i = ta.metricLabels.firstIndex(of: metric), let j = tb.metricLabels.firstIndex(of: metric) else {
                return false
            }
            return ta.perUser[i] != nil && tb.perUser[j] != nil
        }
        var xs = [Double](), ys = [Double]()
        for f in folds {
            let ta = trial(a, f), tb = trial(b, f)
            guard let i = ta.metricLabels.firstIndex(of: metric), let j = tb.metricLabels.firstIndex(of: metric) else {
                continue
            }
            if perUser {
                UserPairing.append(users: ta.users, ta.perUser[i]!, users: tb.users, tb.perUser[j]!, to: &xs, &ys)
            } else if !ta.values[i].isNaN && !tb.values[j].isNaN {
                xs.append(ta.values[i]); ys.append(tb.values[j])
            }
        }
        return (xs, ys, perUser ? "pairs" : "folds")
    }

    /// Compares each (reference, candidate) pair on every metric both have, then adjusts the chosen
    /// test's p-values (Holm and Benjamini–Hochberg) over the whole table. Rows run in parallel; each
    /// row's random streams are named after the row, so the table is the same at any thread count.
    static func table(
        pairs: [(dataset: String, reference: Arm, candidate: Arm)], metrics: [String], seed: UInt64,
        options: ComparisonOptions, legend: [String]
    ) -> ComparisonTable {
        var jobs = [(dataset: String, reference: Arm, candidate: Arm, metric: String)]()
        for (dataset, ref, cand) in pairs {
            for metric in metrics
            where ref.trials.first?.metricLabels.contains(metric) == true
                && cand.trials.first?.metricLabels.contains(metric) == true
            {
                jobs.append((dataset, ref, cand, metric))
            }
        }
        var slots = [ComparisonRow?](repeating: nil, count: jobs.count)
        slots.withUnsafeMutableBufferPointer { out in
            let box = UncheckedSendable(out)
            parallelFor(count: jobs.count, threads: options.threads, grain: 1) { i in
                let job = jobs[i]
                box.value[i] = row(
                    dataset: job.dataset, reference: job.reference, candidate: job.candidate,
                    metric: job.metric, seed: seed, options: options)
            }
        }
        var rows = slots.compactMap { $0 }
        let holm = Statistics.holmBonferroni(rows.map(\.p)), bh = Statistics.benjaminiHochberg(rows.map(\.p))
        for i in rows.indices { rows[i].pHolm = holm[i]; rows[i].pBH = bh[i] }
        return ComparisonTable(
            rows: rows, legend: legend, test: options.test, alpha: options.alpha,
            power: options.power)
    }

    /// One row: every test on the paired values, the bootstrap interval and the detectable effect.
    /// Nil when the arms share no value of the metric.
    static func row(
        dataset: String, reference ref: Arm, candidate cand: Arm, metric: String, seed: UInt64,
        options: ComparisonOptions
    ) -> ComparisonRow? {
        let (b, a, unit) = paired(ref.trials, cand.trials, metric: metric)
        guard !a.isEmpty else { return nil }
        let d = zip(a, b).map { $0 - $1 }
        var rng = RandomSource(seed: seed, stream: "compare|\(dataset)|\(metric)|\(ref.label)|\(cand.label)")
        let ci = Statistics.bootstrapMeanCI(d, resamples: options.resamples, seed: rng.next())
        let t = Statistics.pairedTTest(a, b), w = Statistics.wilcoxonSignedRank(a, b)
        let perm = Statistics.randomizationTest(differences: d, permutations: options.permutations, seed: rng.next())
        let sd = Statistics.standardDeviation(d)
        let meanOf: (Arm) -> Double = { arm in
            let v = arm.trials.compactMap { $0.value(of: metric) }
            return v.reduce(0, +) / Double(max(1, v.count))
        }
        var row = ComparisonRow(
            dataset: dataset, metric: metric, reference: ref.label, candidate: cand.label,
            referenceMean: meanOf(ref), candidateMean: meanOf(cand), difference: Statistics.mean(d),
            ciLow: ci.low, ciHigh: ci.high, tP: t.p, randomizationP: perm.p,
            randomizationExact: perm.exact, wilcoxonP: w.p, wilcoxonExact: w.exact,
            // A standardised effect over a handful of fold means says nothing about users.
            effectSize: unit == "pairs" ? Statistics.cohensDPaired(a, b) : .nan,
            sdDifference: sd,
            minimumDetectableEffect: Power.minimumDetectableEffect(
                n: d.count, sd: sd, alpha: options.alpha, power: options.power),
            n: d.count, unit: unit, p: .nan, pHolm: .nan, pBH: .nan)
        switch options.test {
        case .t: row.p = t.p
        case .randomization: row.p = perm.p
        case .wilcoxon: row.p = w.p
        }
        return row
    }

    static func arms(_ r: RunResult, dataset: String, prefix: String) -> [Arm] {
        r.plan.configurations.compactMap { c in
            let ts = r.trials(dataset: dataset, configuration: c.label)
            return ts.isEmpty ? nil : Arm(label: prefix + c.label, trials: ts)
        }
    }

    /// Within one run: every configuration against `baseline` when given, else every pair (earlier
    /// configuration in the file as the reference). `configurations` restricts the table.
    public static func compare(
        run r: RunResult, baseline: String? = nil, configurations: [String]? = nil,
        metrics: [String]? = nil,
        options: ComparisonOptions = ComparisonOptions()
    ) throws -> ComparisonTable {
        let pairs = try pairs(run: r, baseline: baseline, configurations: configurations)
        return table(
            pairs: pairs, metrics: metrics ?? r.spec.metrics.map(\.label), seed: r.spec.seed, options: options,
            legend: [])
    }

    /// The (reference, candidate) pairs `compare(run:)` tests.
    static func pairs(run r: RunResult, baseline: String?, configurations: [String]?) throws
        -> [(dataset: String, reference: Arm, candidate: Arm)]
    {
        let labels = r.plan.configurations.map(\.label)
        if let baseline, !labels.contains(baseline) {
            throw RecbenchError.invalid(
                "baseline \"\(baseline)\" is not a configuration of the run; it has: \(labels.joined(separator: ", "))")
        }
        for c in configurations ?? [] where !labels.contains(c) {
            throw RecbenchError.invalid(
                "\"\(c)\" is not a configuration of the run; it has: \(labels.joined(separator: ", "))")
        }
        var pairs = [(dataset: String, reference: Arm, candidate: Arm)]()
        for d in r.datasets {
            let all = arms(r, dataset: d.label, prefix: "").filter { a in
                configurations.map { $0.contains(a.label) || a.label == baseline } ?? true
            }
            if let baseline, let ref = all.first(where: { $0.label == baseline }) {
                for c in all where c.label != baseline { pairs.append((d.label, ref, c)) }
            } else {
                for i in all.indices { for j in all.indices where j > i { pairs.append((d.label, all[i], all[j])) } }
            }
        }
        return pairs
    }

    /// Refuses, saying why, unless run `b` was evaluated on exactly the same data and splits as `a`
    /// for every data set they share (and they share at least one).
    public static func verifySameSplits(_ a: RunResult, _ b: RunResult) throws -> [String] {
        var shared = [String]()
        for d in b.datasets {
            guard let e = a.datasets.first(where: { $0.label == d.label }) else { continue }
            if e.dataFingerprint != d.dataFingerprint {
                throw RecbenchError.invalid(
                    "data set \"\(d.label)\" differs between the runs (data fingerprint \(e.dataFingerprint.prefix(12))… vs \(d.dataFingerprint.prefix(12))…): per-user values cannot be paired"
                )
            }
            if e.splitFingerprint != d.splitFingerprint {
                throw RecbenchError.invalid(
                    "data set \"\(d.label)\" was split differently (split fingerprint \(e.splitFingerprint.prefix(12))… vs \(d.splitFingerprint.prefix(12))…): compare only runs with identical splits (same split method, seed and filters)"
                )
            }
            shared.append(d.label)
        }
        if shared.isEmpty {
            throw RecbenchError.invalid(
                "the runs share no data set (\(a.datasets.map(\.label).joined(separator: ", ")) vs \(b.datasets.map(\.label).joined(separator: ", ")))"
            )
        }
        return shared
    }

    /// Across two runs on identical splits. Labels become "A:<label>" and "B:<label>". Without a
    /// baseline, each configuration of B is compared with the same-named one of A (or, when no name
    /// is shared, every A × B pair); a baseline (e.g. "A:Bias", or "Bias" meaning A's) is compared with every other.
    public static func compare(
        runs a: RunResult, _ b: RunResult, baseline: String? = nil, metrics: [String]? = nil,
        options: ComparisonOptions = ComparisonOptions()
    ) throws -> ComparisonTable {
        let shared = try verifySameSplits(a, b)
        var pairs = [(dataset: String, reference: Arm, candidate: Arm)]()
        for d in shared {
            let armsA = arms(a, dataset: d, prefix: "A:"), armsB = arms(b, dataset: d, prefix: "B:")
            let all = armsA + armsB
            if let baseline {
                let name = baseline.hasPrefix("A:") || baseline.hasPrefix("B:") ? baseline : "A:" + baseline
                guard let ref = all.first(where: { $0.label == name }) else {
                    throw RecbenchError.invalid(
                        "baseline \"\(baseline)\" is not a configuration of either run; they have: \(all.map(\.label).joined(separator: ", "))"
                    )
                }
                for c in all where c.label != name { pairs.append((d, ref, c)) }
            } else {
                let same = armsB.compactMap { cb in
                    armsA.first { $0.label.dropFirst(2) == cb.label.dropFirst(2) }.map { ($0, cb) }
                }
                if !same.isEmpty {
                    for (x, y) in same { pairs.append((d, x, y)) }
                } else {
                    for x in armsA { for y in armsB { pairs.append((d, x, y)) } }
                }
            }
        }
        let metricLabels =
            metrics ?? a.spec.metrics.map(\.label).filter { m in b.spec.metrics.contains { $0.label == m } }
        return table(
            pairs: pairs, metrics: metricLabels, seed: a.spec.seed, options: options,
            legend: [
                "A = \(a.directory) (\(a.spec.name), run \(a.runID))",
                "B = \(b.directory) (\(b.spec.name), run \(b.runID))"
            ])
    }
}
