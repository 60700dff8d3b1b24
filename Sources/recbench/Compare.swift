import ArgumentParser
import Foundation
import RecbenchCore
import RecbenchEval
import RecbenchReport
import RecbenchRunner
import RecbenchAnalysis

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Paired significance tests between configurations of one run, or between two runs on identical splits.",
        discussion: HelpText.reflow(
            """
            For each metric and pair of configurations: mean difference (candidate − reference) with a
            seeded bootstrap 95 % interval; p-values of the paired t-test, the paired randomization test
            (sign flips; exact up to 20 non-zero differences, else --permutations seeded Monte Carlo
            patterns, p = (b+1)/(B+1)) and the Wilcoxon signed-rank test over (fold, user) pairs (over
            folds for aggregate-only metrics such as coverage); Cohen's d over pairs; the minimum
            detectable effect (MDE: the smallest difference the t-test finds with --power at --alpha);
            and the --test p-value adjusted over every row (Holm, which decides the stars, and
            Benjamini–Hochberg). The default test is the paired t-test: at recommender scale it and the
            randomization test keep their false-positive rate, the Wilcoxon test does not (Ihemelandu &
            Ekstrand, SIGIR 2023; docs/STATISTICS.md).

              recbench compare results/ml100k-baselines/latest
              recbench compare results/ml100k-baselines/latest --baseline MostPopular --csv cmp.csv
              recbench compare results/exp/RUN1 results/exp/RUN2

            With one run and no --baseline every pair is compared. With two runs their data sets must
            have identical data and split fingerprints (else the command refuses and says why);
            configurations are labelled A:<name> and B:<name>, and each B configuration is compared
            with A's configuration of the same name (every A × B pair when no name is shared).
            Exit status: 0 on success, 2 on bad input or incompatible runs.
            """))

    @Argument(
        help: "One or two run folders (results/<experiment>/<run-id>, or the experiment folder for its latest run).")
    var runs: [String]
    @Option(help: "Configuration every other is compared with (with two runs: A:<name>, B:<name>, or <name> for A's).")
    var baseline: String?
    @Option(parsing: .upToNextOption, help: "Only these metrics (labels such as ndcg@10).") var metrics: [String] = []
    @Option(parsing: .upToNextOption, help: "Only these configurations (one run).") var configurations: [String] = []
    @OptionGroup var tests: TestOptions
    @Option(help: "Power at which the minimum detectable effect is quoted.") var power = Power.defaultPower
    @Option(help: "Bootstrap resamples.") var resamples = 2000
    @Option(help: "Monte Carlo sign patterns of the randomization test.")
    var permutations = Statistics.randomizationPermutations
    @Option(help: "Threads (rows are tested in parallel; results do not depend on it).")
    var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: ArgumentHelp("Also write the table as CSV to this file.", valueName: "file")) var csv: String?
    @Option(help: ArgumentHelp("Also write the table as Markdown to this file.", valueName: "file")) var markdown:
        String?
    @Flag(help: "Print Markdown instead of the console table.") var printMarkdown = false

    func validate() throws {
        guard runs.count == 1 || runs.count == 2 else { throw ValidationError("give one or two run folders") }
        guard resamples >= 100 else { throw ValidationError("--resamples must be at least 100") }
        guard permutations >= 1000 else { throw ValidationError("--permutations must be at least 1000") }
        guard power > tests.alpha && power < 1 else { throw ValidationError("--power must be between --alpha and 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let options = ComparisonOptions(
            test: tests.test, alpha: tests.alpha, power: power, resamples: resamples,
            permutations: permutations, threads: threads)
        let loaded = try runs.map(RunFolder.load)
        let table =
            loaded.count == 1
            ? try Comparison.compare(
                run: loaded[0], baseline: baseline,
                configurations: configurations.isEmpty ? nil : configurations,
                metrics: metrics.isEmpty ? nil : metrics, options: options)
            : try Comparison.compare(
                runs: loaded[0], loaded[1], baseline: baseline,
                metrics: metrics.isEmpty ? nil : metrics, options: options)
        guard !table.rows.isEmpty else {
            throw CLIError.usage("nothing to compare (need two configurations sharing a metric)")
        }
        print(printMarkdown ? table.markdown() : table.console(), terminator: "")
        if let csv { try AtomicFile.write(table.csv(), to: csv) }
        if let markdown { try AtomicFile.write(table.markdown(), to: markdown) }
    }
}
