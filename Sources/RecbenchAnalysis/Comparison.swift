import Foundation
import RecbenchCore
import RecbenchEval
import RecbenchConfig
import RecbenchRunner

/// One row of a comparison table: candidate versus reference on one metric of one data set.
public struct ComparisonRow: Sendable, Equatable {
    public var dataset: String
    public var metric: String
    /// The reference (baseline) configuration and the one compared with it; differences are candidate − reference.
    public var reference: String
    public var candidate: String
    public var referenceMean: Double
    public var candidateMean: Double
    public var difference: Double
    public var ciLow: Double
    public var ciHigh: Double
    public var tP: Double
    public var wilcoxonP: Double
    public var wilcoxonExact: Bool
    /// Cohen's d for paired data (mean difference / sd of differences).
    public var effectSize: Double
    /// Number of pairs and what they are: "users" (per (fold, user)) or "folds" (aggregate-only metrics).
    public var n: Int
    public var unit: String
    /// Holm–Bonferroni adjusted over every row of the table.
    public var tPHolm: Double
    public var wilcoxonPHolm: Double
}

public struct ComparisonTable: Sendable {
    public var rows: [ComparisonRow]
    /// Lines explaining labels (which run is A and B), shown above the table.
    public var legend: [String]

    static let header = ["dataset", "metric", "reference", "candidate", "ref mean", "cand mean", "diff", "95% CI low", "95% CI high",
                         "t p", "Wilcoxon p", "effect d", "n", "unit", "t p (Holm)", "Wilcoxon p (Holm)"]

    func cells(_ r: ComparisonRow, format: (Double) -> String, p: (Double) -> String) -> [String] {
        [r.dataset, r.metric, r.reference, r.candidate, format(r.referenceMean), format(r.candidateMean), format(r.difference),
         format(r.ciLow), format(r.ciHigh), p(r.tP), p(r.wilcoxonP) + (r.wilcoxonExact ? "" : ""), format(r.effectSize),
         String(r.n), r.unit, p(r.tPHolm), p(r.wilcoxonPHolm)]
    }

    package static func pValue(_ p: Double) -> String {
        guard p.isFinite else { return "–" }
        return p < 1e-4 ? String(format: "%.1e", p) : String(format: "%.4f", p)
    }

    package static func stars(_ p: Double) -> String { p < 0.001 ? "***" : p < 0.01 ? "**" : p < 0.05 ? "*" : "" }

    public func csv() -> String {
        var out = TextFormat.csvLine(Self.header.map { $0.lowercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "%", with: "")
            .replacingOccurrences(of: "(", with: "").replacingOccurrences(of: ")", with: "") })
        for r in rows { out += TextFormat.csvLine(cells(r, format: TextFormat.number, p: TextFormat.number)) }
        return out
    }

    public func markdown() -> String {
        var out = legend.map { "- " + $0 + "\n" }.joined()
        if !legend.isEmpty { out += "\n" }
        out += "| " + Self.header.joined(separator: " | ") + " |\n|" + Self.header.indices.map { $0 < 4 || $0 == 13 ? "---" : "---:" }.joined(separator: "|") + "|\n"
        for r in rows {
            var c = cells(r, format: { TextFormat.fixed($0) }, p: Self.pValue)
            c[15] += Self.stars(r.wilcoxonPHolm)
            out += "| " + c.joined(separator: " | ") + " |\n"
        }
        return out
    }

    public func console() -> String {
        let header = ["dataset", "metric", "reference", "candidate", "ref", "cand", "diff", "95% CI", "t p", "W p", "d", "n", "W p Holm"]
        let body = rows.map { r in
            [r.dataset, r.metric, r.reference, r.candidate, TextFormat.fixed(r.referenceMean), TextFormat.fixed(r.candidateMean),
             String(format: "%+.4f", r.difference), "[\(String(format: "%+.4f", r.ciLow)), \(String(format: "%+.4f", r.ciHigh))]",
             Self.pValue(r.tP), Self.pValue(r.wilcoxonP), TextFormat.fixed(r.effectSize, 3), "\(r.n) \(r.unit)",
             Self.pValue(r.wilcoxonPHolm) + Self.stars(r.wilcoxonPHolm)]
        }
        let widths = header.indices.map { c in ([header[c]] + body.map { $0[c] }).map(\.count).max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, s in c < 4 ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[c] - s.count) + s }.joined(separator: "  ")
        }
        var out = legend.map { $0 + "\n" }.joined()
        out += line(header) + "\n" + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ") + "\n"
        for b in body { out += line(b) + "\n" }
        out += "diff = candidate − reference; 95% CI: seeded percentile bootstrap; t: paired t-test; W: Wilcoxon signed-rank;\n"
        out += "d: Cohen's d (paired); Holm: adjusted over all \(rows.count) rows; * p<0.05, ** p<0.01, *** p<0.001.\n"
        return out
    }
}

/// Paired comparisons of configurations: within one run, or across two runs on identical splits.
public enum Comparison {
    /// A configuration's trials on one data set, under the label it has in the table.
    struct Arm {
        var label: String
        var trials: [TrialResult] // one per fold
    }

    /// Paired values of two arms on one metric: per (fold, user) when both have per-user values on
    /// every fold, else per fold. NaN values (e.g. AUC without negatives) drop their pair.
    static func paired(_ a: [TrialResult], _ b: [TrialResult], metric: String) -> (a: [Double], b: [Double], unit: String) {
        let folds = a.map(\.fold).filter { f in b.contains { $0.fold == f } }.sorted()
        func trial(_ ts: [TrialResult], _ f: Int) -> TrialResult { ts.first { $0.fold == f }! }
        let perUser = folds.allSatisfy { f in
            let ta = trial(a, f), tb = trial(b, f)
            guard let i = ta.metricLabels.firstIndex(of: metric), let j = tb.metricLabels.firstIndex(of: metric) else { return false }
            return ta.perUser[i] != nil && tb.perUser[j] != nil
        }
        var xs = [Double](), ys = [Double]()
        for f in folds {
            let ta = trial(a, f), tb = trial(b, f)
            guard let i = ta.metricLabels.firstIndex(of: metric), let j = tb.metricLabels.firstIndex(of: metric) else { continue }
            if perUser {
                let va = ta.perUser[i]!, vb = tb.perUser[j]!
                var index = [String: Int](minimumCapacity: tb.users.count)
                for (k, u) in tb.users.enumerated() { index[u] = k }
                for (k, u) in ta.users.enumerated() {
                    guard let m = index[u], !va[k].isNaN, !vb[m].isNaN else { continue }
                    xs.append(va[k]); ys.append(vb[m])
                }
            } else if !ta.values[i].isNaN && !tb.values[j].isNaN {
                xs.append(ta.values[i]); ys.append(tb.values[j])
            }
        }
        return (xs, ys, perUser ? "users" : "folds")
    }

    /// Compares each (reference, candidate) pair on every metric both have, then adjusts p-values
    /// (Holm) over the whole table.
    static func table(pairs: [(dataset: String, reference: Arm, candidate: Arm)], metrics: [String], seed: UInt64,
                      resamples: Int, legend: [String]) -> ComparisonTable {
        var rows = [ComparisonRow]()
        for (dataset, ref, cand) in pairs {
            for metric in metrics {
                guard ref.trials.first?.metricLabels.contains(metric) == true, cand.trials.first?.metricLabels.contains(metric) == true else { continue }
                let (b, a, unit) = paired(ref.trials, cand.trials, metric: metric)
                guard !a.isEmpty else { continue }
                let t = Statistics.pairedTTest(a, b), w = Statistics.wilcoxonSignedRank(a, b)
                var rng = RandomSource(seed: seed, stream: "compare|\(dataset)|\(metric)|\(ref.label)|\(cand.label)")
                let ci = Statistics.bootstrapMeanDifferenceCI(a, b, resamples: resamples, seed: rng.next())
                let meanOf: (Arm) -> Double = { arm in
                    let v = arm.trials.compactMap { $0.value(of: metric) }
                    return v.reduce(0, +) / Double(max(1, v.count))
                }
                rows.append(ComparisonRow(dataset: dataset, metric: metric, reference: ref.label, candidate: cand.label,
                                          referenceMean: meanOf(ref), candidateMean: meanOf(cand), difference: Statistics.mean(zip(a, b).map { $0 - $1 }),
                                          ciLow: ci.low, ciHigh: ci.high, tP: t.p, wilcoxonP: w.p, wilcoxonExact: w.exact,
                                          effectSize: Statistics.cohensDPaired(a, b), n: a.count, unit: unit, tPHolm: .nan, wilcoxonPHolm: .nan))
            }
        }
        let tAdj = Statistics.holmBonferroni(rows.map(\.tP)), wAdj = Statistics.holmBonferroni(rows.map(\.wilcoxonP))
        for i in rows.indices { rows[i].tPHolm = tAdj[i]; rows[i].wilcoxonPHolm = wAdj[i] }
        return ComparisonTable(rows: rows, legend: legend)
    }

    static func arms(_ r: RunResult, dataset: String, prefix: String) -> [Arm] {
        r.plan.configurations.compactMap { c in
            let ts = r.trials.filter { $0.dataset == dataset && $0.configuration == c.label }.sorted { $0.fold < $1.fold }
            return ts.isEmpty ? nil : Arm(label: prefix + c.label, trials: ts)
        }
    }

    /// Within one run: every configuration against `baseline` when given, else every pair (earlier
    /// configuration in the file as the reference). `configurations` restricts the table.
    public static func compare(run r: RunResult, baseline: String? = nil, configurations: [String]? = nil, metrics: [String]? = nil,
                               resamples: Int = 2000) throws -> ComparisonTable {
        let labels = r.plan.configurations.map(\.label)
        if let baseline, !labels.contains(baseline) {
            throw RecbenchError.invalid("baseline \"\(baseline)\" is not a configuration of the run; it has: \(labels.joined(separator: ", "))")
        }
        for c in configurations ?? [] where !labels.contains(c) {
            throw RecbenchError.invalid("\"\(c)\" is not a configuration of the run; it has: \(labels.joined(separator: ", "))")
        }
        var pairs = [(dataset: String, reference: Arm, candidate: Arm)]()
        for d in r.datasets {
            let all = arms(r, dataset: d.label, prefix: "").filter { a in configurations.map { $0.contains(a.label) || a.label == baseline } ?? true }
            if let baseline, let ref = all.first(where: { $0.label == baseline }) {
                for c in all where c.label != baseline { pairs.append((d.label, ref, c)) }
            } else {
                for i in all.indices { for j in all.indices where j > i { pairs.append((d.label, all[i], all[j])) } }
            }
        }
        return table(pairs: pairs, metrics: metrics ?? r.spec.metrics.map(\.label), seed: r.spec.seed, resamples: resamples, legend: [])
    }

    /// Refuses, saying why, unless run `b` was evaluated on exactly the same data and splits as `a`
    /// for every data set they share (and they share at least one).
    public static func verifySameSplits(_ a: RunResult, _ b: RunResult) throws -> [String] {
        var shared = [String]()
        for d in b.datasets {
            guard let e = a.datasets.first(where: { $0.label == d.label }) else { continue }
            if e.dataFingerprint != d.dataFingerprint {
                throw RecbenchError.invalid("data set \"\(d.label)\" differs between the runs (data fingerprint \(e.dataFingerprint.prefix(12))… vs \(d.dataFingerprint.prefix(12))…): per-user values cannot be paired")
            }
            if e.splitFingerprint != d.splitFingerprint {
                throw RecbenchError.invalid("data set \"\(d.label)\" was split differently (split fingerprint \(e.splitFingerprint.prefix(12))… vs \(d.splitFingerprint.prefix(12))…): compare only runs with identical splits (same split method, seed and filters)")
            }
            shared.append(d.label)
        }
        if shared.isEmpty {
            throw RecbenchError.invalid("the runs share no data set (\(a.datasets.map(\.label).joined(separator: ", ")) vs \(b.datasets.map(\.label).joined(separator: ", ")))")
        }
        return shared
    }

    /// Across two runs on identical splits. Labels become "A:<label>" and "B:<label>". Without a
    /// baseline, each configuration of B is compared with the same-named one of A (or, when no name
    /// is shared, every A × B pair); a baseline (e.g. "A:Bias", or "Bias" meaning A's) is compared with every other.
    public static func compare(runs a: RunResult, _ b: RunResult, baseline: String? = nil, metrics: [String]? = nil,
                               resamples: Int = 2000) throws -> ComparisonTable {
        let shared = try verifySameSplits(a, b)
        var pairs = [(dataset: String, reference: Arm, candidate: Arm)]()
        for d in shared {
            let armsA = arms(a, dataset: d, prefix: "A:"), armsB = arms(b, dataset: d, prefix: "B:")
            let all = armsA + armsB
            if let baseline {
                let name = baseline.hasPrefix("A:") || baseline.hasPrefix("B:") ? baseline : "A:" + baseline
                guard let ref = all.first(where: { $0.label == name }) else {
                    throw RecbenchError.invalid("baseline \"\(baseline)\" is not a configuration of either run; they have: \(all.map(\.label).joined(separator: ", "))")
                }
                for c in all where c.label != name { pairs.append((d, ref, c)) }
            } else {
                let same = armsB.compactMap { cb in armsA.first { $0.label.dropFirst(2) == cb.label.dropFirst(2) }.map { ($0, cb) } }
                if !same.isEmpty { for (x, y) in same { pairs.append((d, x, y)) } } else {
                    for x in armsA { for y in armsB { pairs.append((d, x, y)) } }
                }
            }
        }
        let metricLabels = metrics ?? a.spec.metrics.map(\.label).filter { m in b.spec.metrics.contains { $0.label == m } }
        return table(pairs: pairs, metrics: metricLabels, seed: a.spec.seed, resamples: resamples,
                     legend: ["A = \(a.directory) (\(a.spec.name), run \(a.runID))", "B = \(b.directory) (\(b.spec.name), run \(b.runID))"])
    }
}
