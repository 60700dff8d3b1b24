import ArgumentParser
import Foundation
import RecbenchCore
import RecbenchEval
import RecbenchAnalysis
import RecbenchRunner

struct PowerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "power",
        abstract: "Is the experiment big enough: detectable effects and the users needed for a target difference.",
        discussion: HelpText.reflow(
            """
            From a run's paired differences (per (fold, user) pair; per fold for aggregate-only metrics),
            for each pair of configurations and metric: the standard deviation of the differences, the
            minimum detectable effect (MDE) with the run's pairs, the run's power against --delta, and the
            pairs needed to detect a mean difference of --delta with --power at --alpha (two-sided paired
            t-test, noncentral t; the same equation as R's power.t.test(type = "paired")). "users/fold" is
            the pairs needed divided by the run's folds: users to evaluate in each fold.

              recbench power results/ml100k-mf/latest --delta 0.005
              recbench power results/ml100k-mf/latest --delta 0.01 --metric ndcg@10 --baseline EASE

            Exit status: 0 on success, 2 on bad input.
            """))

    @Argument(help: "The run folder (or the experiment folder for its latest run).") var folder: String
    @Option(help: "Target mean difference (in the metric's units, e.g. 0.005 NDCG).") var delta: Double
    @Option(parsing: .upToNextOption, help: "Only these metrics (labels such as ndcg@10).") var metric: [String] = []
    @Option(help: "Configuration every other is paired with (default: every pair).") var baseline: String?
    @Option(parsing: .upToNextOption, help: "Only these configurations.") var configurations: [String] = []
    @Option(help: "Significance level α.") var alpha = Power.defaultAlpha
    @Option(help: "Power to reach.") var power = Power.defaultPower

    func validate() throws {
        guard delta.isFinite && delta != 0 else { throw ValidationError("--delta must be a non-zero number") }
        guard alpha > 0 && alpha < 1 else { throw ValidationError("--alpha must be in (0, 1)") }
        guard power > alpha && power < 1 else { throw ValidationError("--power must be between --alpha and 1") }
    }

    func run() throws {
        let r = try RunFolder.load(folder)
        let rows = try Comparison.power(
            run: r, delta: abs(delta), baseline: baseline,
            configurations: configurations.isEmpty ? nil : configurations,
            metrics: metric.isEmpty ? nil : metric, alpha: alpha, power: power)
        guard !rows.isEmpty else {
            throw CLIError.usage("nothing to analyse (need two configurations sharing a metric)")
        }
        print(Self.render(rows, alpha: alpha, power: power), terminator: "")
    }

    static func render(_ rows: [PowerRow], alpha: Double, power: Double) -> String {
        func count(_ x: Double) -> String { x.isFinite ? String(Int(x.rounded(.up))) : "∞" }
        let header = [
            "dataset", "metric", "reference", "candidate", "n", "diff", "sd diff", "MDE", "power at Δ",
            "needed", "users/fold"
        ]
        let body = rows.map { r in
            [
                r.dataset, r.metric, r.reference, r.candidate, "\(r.n) \(r.unit)",
                String(format: "%+.4f", r.difference),
                TextFormat.fixed(r.sdDifference), ComparisonTable.effect(r.minimumDetectableEffect),
                TextFormat.fixed(r.currentPower, 3), count(r.pairsNeeded) + (r.unit == "folds" ? " folds" : " pairs"),
                r.unit == "folds" ? "–" : count(r.usersPerFoldNeeded)
            ]
        }
        let widths = header.indices.map { c in ([header[c]] + body.map { $0[c] }).map(\.count).max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, s in
                c < 4
                    ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - s.count) + s
            }.joined(separator: "  ")
        }
        var out = line(header) + "\n" + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ") + "\n"
        for b in body { out += line(b) + "\n" }
        let delta = rows[0].delta
        out +=
            "Δ = \(delta); paired two-sided t-test at α = \(alpha), power \(power). MDE: smallest |diff| detectable "
            + "with the run's n. needed: pairs (or folds) to detect Δ; users/fold: needed ÷ the run's folds.\n"
        return out
    }
}
