import ArgumentParser
import Foundation
import RecbenchCore
import RecbenchEval
import RecbenchReport
import RecbenchRunner
import RecbenchAnalysis

struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline", abstract: "Store a run's results as a baseline for `recbench check`.",
        subcommands: [Save.self])

    struct Save: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a baseline file from a run folder.",
            discussion: HelpText.reflow(
                """
                The file holds per-metric means and fold values, the data and split fingerprints, the
                tolerances (edit them by hand per metric: {"absolute": x} and/or {"relative": y}; the
                allowed drop is the larger) and, unless --no-per-user, per-user values for the
                significance test.

                  recbench baseline save results/ci-regression/latest --output results/baselines/ci-regression.json
                """))

        @Argument(help: "The run folder.") var folder: String
        @Option(
            help: ArgumentHelp(
                "Where to write the baseline (default: results/baselines/<experiment>.json).", valueName: "file"))
        var output: String?
        @Flag(inversion: .prefixedNo, help: "Store per-user values (for the significance test).") var perUser = true
        @Option(help: "Default allowed relative drop.") var relative = 0.02
        @Option(help: "Default allowed absolute drop.") var absolute = 0.001
        @OptionGroup var tests: TestOptions
        @Option(
            help: ArgumentHelp(
                "Keep the tolerances, level and test of an existing baseline file "
                    + "(e.g. the one being replaced).", valueName: "file"))
        var keepTolerances: String?

        func run() throws {
            let r = try RunFolder.load(folder)
            var b = Baseline.make(
                from: r, perUser: perUser,
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
            try FileManager.default.createDirectory(
                atPath: PathText.folder(of: path), withIntermediateDirectories: true)
            try AtomicFile.write(try Baseline.encode(b), to: path)
            print("baseline: \(path) (\(b.results.count) metric values from run \(r.runID))")
        }
    }
}
