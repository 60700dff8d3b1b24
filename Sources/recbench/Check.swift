import ArgumentParser
import Foundation
import RecbenchCore
import RecbenchEval
import RecbenchReport
import RecbenchRunner
import RecbenchAnalysis

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a run against a stored baseline; fail on a quality regression.",
        discussion: HelpText.reflow(
            """
            Every (data set, configuration, metric) in the baseline file must be in the run, on the same
            data and splits. A metric regresses when it moves in its worse direction by more than its
            tolerance (absolute, or relative to the baseline mean, per metric in the baseline file) and,
            where per-user values exist, the baseline's paired test (its "test" field: t by default;
            files without the field used Wilcoxon; --test overrides) over (fold, user) finds the drop
            significant. Where the baseline compares several configurations, each metric's group of
            configurations tied with the best (not significantly worse after Holm) is formed for the
            baseline and for the run; a configuration that leaves the group is a regression too, one
            that joins it is printed as a note. Each regression is printed on its own line.

              recbench check results/ci-regression/latest --baseline results/baselines/ci-regression.json

            Exit status: 0 no regression, 1 regression, 2 mismatched data, splits or results (or bad input).
            """))

    @Argument(help: "The run folder to check.") var folder: String
    @Option(help: ArgumentHelp("The baseline file (written by `recbench baseline save`).", valueName: "file"))
    var baseline: String
    @Flag(help: "Also print metrics that stayed within tolerance.") var verbose = false
    @Option(help: ArgumentHelp("Override the baseline's test (t, randomization, wilcoxon).", valueName: "test"))
    var test: SignificanceTest?

    func run() throws {
        let report: CheckReport
        let r = try RunFolder.load(folder)
        report = Baseline.check(r, against: try Baseline.load(path: baseline), test: test)
        if verbose { for f in report.findings where !f.regressed { print("ok " + f.line) } }
        print(report.summary(), terminator: "")
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
