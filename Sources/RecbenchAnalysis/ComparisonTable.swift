import Foundation
import RecbenchCore
import RecbenchEval

/// How a comparison is computed: the test that decides significance, its level, the power the
/// detectable effect is quoted at, and the resampling budgets.
public struct ComparisonOptions: Sendable, Equatable {
    public var test: SignificanceTest
    public var alpha: Double
    public var power: Double
    /// Bootstrap resamples for the interval of the mean difference.
    public var resamples: Int
    /// Monte Carlo sign patterns of the randomization test (exact enumeration below 21 non-zero differences).
    public var permutations: Int
    public var threads: Int

    public init(
        test: SignificanceTest = .default, alpha: Double = Power.defaultAlpha,
        power: Double = Power.defaultPower, resamples: Int = 2000,
        permutations: Int = Statistics.randomizationPermutations, threads: Int = 1
    ) {
        self.test = test; self.alpha = alpha; self.power = power
        self.resamples = resamples; self.permutations = permutations; self.threads = threads
    }
}

/// One row of a comparison table: candidate versus reference on one metric of one data set.
public struct ComparisonRow: Sendable, Equatable {
    public var dataset: String
    public var metric: String
    /// The reference (baseline) configuration and the one compared with it; differences are candidate − reference.
    public var reference: String
    public var candidate: String
    public var referenceMean: Double
    public var candidateMean: Double
    /// Mean of the paired differences, with its seeded percentile bootstrap 95 % interval.
    public var difference: Double
    public var ciLow: Double
    public var ciHigh: Double
    /// Two-sided p-values of the three paired tests.
    public var tP: Double
    public var randomizationP: Double
    public var randomizationExact: Bool
    public var wilcoxonP: Double
    public var wilcoxonExact: Bool
    /// Cohen's d for paired data (mean difference / sd of differences); NaN for fold-level rows.
    public var effectSize: Double
    /// Standard deviation of the paired differences (what the power analysis needs).
    public var sdDifference: Double
    /// Smallest |mean difference| the paired t-test would detect with these n and sd at the table's
    /// α and power: when a row is not significant, differences this large were not ruled out.
    public var minimumDetectableEffect: Double
    /// Number of pairs and what they are: "pairs" ((fold, user) pairs) or "folds" (aggregate-only metrics).
    public var n: Int
    public var unit: String
    /// The chosen test's p-value, adjusted over every row of the table: Holm (family-wise error, decides
    /// the marks) and Benjamini–Hochberg (false discovery rate).
    public var p: Double
    public var pHolm: Double
    public var pBH: Double
}

public struct ComparisonTable: Sendable {
    public var rows: [ComparisonRow]
    /// Lines explaining labels (which run is A and B), shown above the table.
    public var legend: [String]
    public var test: SignificanceTest
    public var alpha: Double
    public var power: Double

    public init(
        rows: [ComparisonRow], legend: [String], test: SignificanceTest = .default,
        alpha: Double = Power.defaultAlpha, power: Double = Power.defaultPower
    ) {
        self.rows = rows; self.legend = legend; self.test = test; self.alpha = alpha; self.power = power
    }

    /// Significant after Holm's correction over the table.
    public func isSignificant(_ r: ComparisonRow) -> Bool { r.pHolm < alpha }

    static let csvHeader = [
        "dataset", "metric", "reference", "candidate", "ref_mean", "cand_mean", "diff",
        "ci95_low", "ci95_high", "t_p", "randomization_p", "wilcoxon_p", "effect_d", "sd_diff",
        "mde", "n", "unit", "test", "p_holm", "p_bh"
    ]

    /// p-values for people: four decimals, then scientific, and "< 1e-16" below what a double
    /// difference of metric values can support (GSL's tail underflows to 0 long before that matters).
    package static func pValue(_ p: Double) -> String {
        guard p.isFinite else { return "–" }
        if p < 1e-16 { return "< 1e-16" }
        return p < 1e-4 ? String(format: "%.1e", p) : String(format: "%.4f", p)
    }

    /// "= 0.0123" or "< 1e-16", to follow "p" in a sentence.
    package static func pRelation(_ p: Double) -> String {
        let v = pValue(p)
        return v.hasPrefix("<") ? v : "= " + v
    }

    package static func stars(_ p: Double) -> String { p < 0.001 ? "***" : p < 0.01 ? "**" : p < 0.05 ? "*" : "" }

    /// The detectable effect, as a signed-free magnitude with four decimals (more when tiny).
    package static func effect(_ x: Double) -> String {
        guard x.isFinite else { return "–" }
        return x < 0.0001 && x > 0 ? String(format: "%.1e", x) : String(format: "%.4f", x)
    }

    public func csv() -> String {
        var out = TextFormat.csvLine(Self.csvHeader)
        for r in rows {
            let n = TextFormat.number
            out += TextFormat.csvLine([
                r.dataset, r.metric, r.reference, r.candidate, n(r.referenceMean),
                n(r.candidateMean), n(r.difference), n(r.ciLow), n(r.ciHigh), n(r.tP),
                n(r.randomizationP), n(r.wilcoxonP), n(r.effectSize), n(r.sdDifference),
                n(r.minimumDetectableEffect), String(r.n), r.unit, test.rawValue, n(r.pHolm),
                n(r.pBH)
            ])
        }
        return out
    }

    /// Column headers and cells shared by the Markdown and console tables.
    func humanCells() -> (header: [String], rows: [[String]]) {
        let header = [
            "dataset", "metric", "reference", "candidate", "ref", "cand", "diff", "95% CI", "t p", "rand p",
            "W p", "d", "n", "MDE", "p Holm", "p BH"
        ]
        let signed: (Double) -> String = { String(format: "%+.4f", $0) }
        let body = rows.map { r in
            [
                r.dataset, r.metric, r.reference, r.candidate, TextFormat.fixed(r.referenceMean),
                TextFormat.fixed(r.candidateMean), signed(r.difference), "[\(signed(r.ciLow)), \(signed(r.ciHigh))]",
                Self.pValue(r.tP), Self.pValue(r.randomizationP), Self.pValue(r.wilcoxonP),
                TextFormat.fixed(r.effectSize, 3), "\(r.n) \(r.unit)", Self.effect(r.minimumDetectableEffect),
                Self.pValue(r.pHolm) + Self.stars(r.pHolm), Self.pValue(r.pBH)
            ]
        }
        return (header, body)
    }

    /// What the columns mean, under every human-readable rendering.
    public var footnote: [String] {
        [
            "diff = candidate − reference over (fold, user) pairs (folds for aggregate-only metrics); "
                + "95% CI: seeded percentile bootstrap.",
            "t: paired t-test; rand: paired randomization test (sign flips of the differences, exact up to 20 non-zero "
                + "ones, else Monte Carlo with (b+1)/(B+1)); W: Wilcoxon signed-rank"
                + (test == .wilcoxon
                    ? " (its false-positive rate is inflated at recommender scale)."
                    : " (shown for comparison only)."),
            "d: Cohen's d over pairs; MDE: smallest |diff| the t-test detects with power \(power) at α = \(alpha) "
                + "with these n and spread.",
            "p Holm / p BH: \(test.title) p adjusted over all \(rows.count) rows (Holm: family-wise; "
                + "Benjamini–Hochberg: false discovery rate); * p<0.05, ** p<0.01, *** p<0.001 after Holm."
        ]
    }

    public func markdown() -> String {
        var out = legend.map { "- " + $0 + "\n" }.joined()
        if !legend.isEmpty { out += "\n" }
        let (header, body) = humanCells()
        out +=
            "| " + header.joined(separator: " | ") + " |\n|"
            + header.indices.map { $0 < 4 ? "---" : "---:" }.joined(separator: "|") + "|\n"
        for b in body { out += "| " + b.joined(separator: " | ") + " |\n" }
        out += "\n" + footnote.joined(separator: "\n") + "\n"
        return out
    }

    public func console() -> String {
        let (header, body) = humanCells()
        let widths = header.indices.map { c in ([header[c]] + body.map { $0[c] }).map(\.count).max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, s in
                c < 4
                    ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - s.count) + s
            }.joined(separator: "  ")
        }
        var out = legend.map { $0 + "\n" }.joined()
        out += line(header) + "\n" + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ") + "\n"
        for b in body { out += line(b) + "\n" }
        out += footnote.joined(separator: "\n") + "\n"
        return out
    }
}
