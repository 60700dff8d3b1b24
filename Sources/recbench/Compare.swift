import ArgumentParser
import Foundation
import RecbenchCore
import RecbenchReport
import RecbenchRunner
import RecbenchAnalysis

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Paired significance tests between configurations of one run, or between two runs on identical splits.",
        discussion: """
        For each metric and pair of configurations: mean difference (candidate − reference) with a
        seeded bootstrap 95 % interval, paired t-test and Wilcoxon signed-rank p-values over
        (fold, user) pairs (over folds for aggregate-only metrics such as coverage), Cohen's d for
        paired data, and Holm–Bonferroni adjusted p-values over every row of the table.

          recbench compare results/ml100k-baselines/latest
          recbench compare results/ml100k-baselines/latest --baseline MostPopular --csv cmp.csv
          recbench compare results/exp/RUN1 results/exp/RUN2

        With one run and no --baseline every pair is compared. With two runs their data sets must
        have identical data and split fingerprints (else the command refuses and says why);
        configurations are labelled A:<name> and B:<name>, and each B configuration is compared
        with A's configuration of the same name (every A × B pair when no name is shared).
        Exit status: 0 on success, 2 on bad input or incompatible runs.
        """)

    @Argument(help: "One or two run folders (results/<experiment>/<run-id>, or the experiment folder for its latest run).")
    var runs: [String]
    @Option(help: "Configuration every other is compared with (with two runs: A:<name>, B:<name>, or <name> for A's).")
    var baseline: String?
    @Option(parsing: .upToNextOption, help: "Only these metrics (labels such as ndcg@10).") var metrics: [String] = []
    @Option(parsing: .upToNextOption, help: "Only these configurations (one run).") var configurations: [String] = []
    @Option(help: "Bootstrap resamples.") var resamples = 2000
    @Option(help: ArgumentHelp("Also write the table as CSV to this file.", valueName: "file")) var csv: String?
    @Option(help: ArgumentHelp("Also write the table as Markdown to this file.", valueName: "file")) var markdown: String?
    @Flag(help: "Print Markdown instead of the console table.") var printMarkdown = false

    func run() throws {
        guard runs.count == 1 || runs.count == 2 else { fail(CLIError.usage("give one or two run folders")) }
        guard resamples >= 100 else { fail(CLIError.usage("--resamples must be at least 100")) }
        do {
            let loaded = try runs.map(RunFolder.load)
            let table = loaded.count == 1
                ? try Comparison.compare(run: loaded[0], baseline: baseline, configurations: configurations.isEmpty ? nil : configurations,
                                         metrics: metrics.isEmpty ? nil : metrics, resamples: resamples)
                : try Comparison.compare(runs: loaded[0], loaded[1], baseline: baseline, metrics: metrics.isEmpty ? nil : metrics, resamples: resamples)
            guard !table.rows.isEmpty else { fail(CLIError.usage("nothing to compare (need two configurations sharing a metric)")) }
            print(printMarkdown ? table.markdown() : table.console(), terminator: "")
            if let csv { try AtomicFile.write(table.csv(), to: csv) }
            if let markdown { try AtomicFile.write(table.markdown(), to: markdown) }
        } catch { fail(error) }
    }
}
