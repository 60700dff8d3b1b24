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
        discussion: """
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
        """)

    @Argument(help: "The run folder to check.") var folder: String
    @Option(help: ArgumentHelp("The baseline file (written by `recbench baseline save`).", valueName: "file")) var baseline: String
    @Flag(help: "Also print metrics that stayed within tolerance.") var verbose = false
    @Option(help: ArgumentHelp("Override the baseline's test (t, randomization, wilcoxon).", valueName: "test"))
    var test: SignificanceTest?

    func run() throws {
        let report: CheckReport
        do {
            let r = try RunFolder.load(folder)
            report = Baseline.check(r, against: try Baseline.load(path: baseline), test: test)
        } catch { fail(error) }
        if verbose { for f in report.findings where !f.regressed { print("ok " + f.line) } }
        print(report.summary(), terminator: "")
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline", abstract: "Store a run's results as a baseline for `recbench check`.",
        subcommands: [Save.self])

    struct Save: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a baseline file from a run folder.",
            discussion: """
            The file holds per-metric means and fold values, the data and split fingerprints, the
            tolerances (edit them by hand per metric: {"absolute": x} and/or {"relative": y}; the
            allowed drop is the larger) and, unless --no-per-user, per-user values for the
            significance test.

              recbench baseline save results/ci-regression/latest --output results/baselines/ci-regression.json
            """)

        @Argument(help: "The run folder.") var folder: String
        @Option(help: ArgumentHelp("Where to write the baseline (default: results/baselines/<experiment>.json).", valueName: "file"))
        var output: String?
        @Flag(inversion: .prefixedNo, help: "Store per-user values (for the significance test).") var perUser = true
        @Option(help: "Default allowed relative drop.") var relative = 0.02
        @Option(help: "Default allowed absolute drop.") var absolute = 0.001
        @OptionGroup var tests: TestOptions
        @Option(help: ArgumentHelp("Keep the tolerances, level and test of an existing baseline file "
            + "(e.g. the one being replaced).", valueName: "file"))
        var keepTolerances: String?

        func run() throws {
            tests.check()
            do {
                let r = try RunFolder.load(folder)
                var b = Baseline.make(from: r, perUser: perUser,
                                      defaultTolerance: .init(absolute: absolute, relative: relative),
                                      significanceLevel: tests.alpha, test: tests.test)
                if let keepTolerances {
                    let old = try Baseline.load(path: keepTolerances)
                    b.tolerances = old.tolerances; b.defaultTolerance = old.defaultTolerance
                    b.significanceLevel = old.significanceLevel
                    // The old file's test when it names one (files from before the choice used Wilcoxon
                    // without saying so: they get --test); the note always describes this version.
                    b.test = old.test ?? tests.test
                }
                let path = output ?? "results/baselines/\(r.spec.name).json"
                try FileManager.default.createDirectory(atPath: PathText.folder(of: path), withIntermediateDirectories: true)
                try AtomicFile.write(try Baseline.encode(b), to: path)
                print("baseline: \(path) (\(b.results.count) metric values from run \(r.runID))")
            } catch { fail(error) }
        }
    }
}
