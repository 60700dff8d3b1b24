import ArgumentParser
import Foundation
import RecbenchCore
import RecbenchReport
import RecbenchConfig
import RecbenchRunner
import RecbenchData
import RecbenchGSL

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment file and write its results.",
        discussion: HelpText.reflow(
            """
            Expands parameter grids into trials (data set × fold × configuration), fits, scores and \
            evaluates each, aggregates mean, standard deviation and 95 % interval over folds, prints a \
            table and writes results/<experiment>/<run-id>/ (metrics.csv, per_user.csv, profile.csv, \
            summary.md, manifest.json); results/<experiment>/latest points at the newest run.

            Every finished trial is kept in results/<experiment>/cache/, keyed by everything that \
            determines it (data, fold, algorithm and parameters, seed, metrics, Recbench version; the \
            thread count for algorithms whose results depend on it), so a rerun after an edit computes \
            only what changed and a rerun after an interruption resumes. Ctrl-C stops after the trials \
            in flight (a second Ctrl-C aborts at once).

            --shard i/n runs only trials whose 0-based plan index mod n is i-1 (see `recbench plan \
            FILE --shards n`) and writes <run-id>-shard<i>of<n>/; `recbench merge` joins the shards.

            Processes may share an output folder and a cache: each run gets its own folder (a counter \
            follows the run ID when another run took the name), `latest` is replaced atomically, and \
            <run-id>.partial folders left by killed runs are removed by the next run of the experiment. \
            The output and cache folders are checked for writing before any trial runs.

            \(ExitStatus.help)
            """))

    @Argument(help: "The experiment file (JSON).") var file: String
    @OptionGroup var data: DataOptions
    @Flag(help: "Print the plan of trials and stop.") var dryRun = false
    @Option(help: "Override the file's thread count.") var threads: Int?
    @Option(help: "Trials to run at the same time (each gets threads / jobs threads).") var jobs: Int?
    @Option(
        help: ArgumentHelp(
            "Folder for results (default: the file's outputs.directory, else results).", valueName: "dir"))
    var output: String?
    @Flag(help: "No progress bar and no table.") var quiet = false
    @Option(
        help: ArgumentHelp(
            "Run only shard i of n (1 ≤ i ≤ n): the trials whose plan index mod n is i-1.", valueName: "i/n"),
        transform: { text in
            guard let s = try? Shard(parsing: text) else {
                throw ValidationError("expected i/n with 1 ≤ i ≤ n, e.g. 2/4")
            }
            return s
        })
    var shard: Shard?
    @Flag(help: "Recompute every trial, replacing its cache entry.") var force = false
    @Flag(help: "Neither read nor write the trial cache.") var noCache = false
    @Option(
        help: ArgumentHelp(
            "Trial cache folder (default: <output>/<experiment>/cache); experiments may share one.", valueName: "dir"))
    var cacheDir: String?
    @Option(
        help: ArgumentHelp(
            "Also write one JSON event per line (run and trial start/finish with figures, failures, "
                + "warnings, errors) to this file.", valueName: "file"))
    var logJson: String?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be positive") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be positive") }
        if force && noCache { throw ValidationError("--force and --no-cache exclude each other") }
    }

    func run() throws {
        var log: JSONEventLog?
        if let logJson { log = try JSONEventLog(path: logJson) }
        /// Every error of the run goes to the log too, then out as usual.
        func stop(_ error: Error, code: Int32 = ExitStatus.invalidInput) -> CommandFailure {
            for line in ExitStatus.lines(error) { log?.error(line) }
            return CommandFailure(error, code: code)
        }
        var spec: ExperimentSpec
        do { spec = try ExperimentLoader(registry: try data.loadRegistry(near: file)).load(path: file) } catch {
            throw stop(error)
        }
        if let threads { spec.threads = threads }
        if let jobs { spec.jobs = jobs }
        let part = shard
        if dryRun { print(Plan(spec: spec).describe(shards: part?.count)); return }
        log?.emit(
            "run_started",
            [
                ("experiment", .string(spec.name)), ("file", .string(file)),
                ("threads", .int(spec.threads)),
                ("shard", part.map { .string("\($0.index)/\($0.count)") } ?? .null)
            ])
        for w in spec.warnings {
            FileHandle.standardError.write(Data((w.description + "\n").utf8))
            log?.warning(w.description)
        }
        let registry: RecbenchData.DatasetRegistry?
        do { registry = try data.loadRegistry(near: file) } catch { throw stop(error) }
        let env = DataEnvironment(
            registry: registry, cacheDirectory: data.cacheDirectory,
            baseDirectory: PathText.folder(of: file))
        let bar: ProgressReporter = !quiet && TerminalProgress.isInteractive() ? TerminalProgress() : SilentProgress()
        let progress: ProgressReporter = log.map { LoggedProgress(log: $0, inner: bar) } ?? bar
        let runner = Runner(spec: spec, data: env, progress: progress)
        let interrupt = InterruptHandler { runner.cancel() }
        defer { withExtendedLifetime(interrupt) {} }
        let result: RunResult
        do {
            result = try ExperimentRun.execute(
                spec: spec, data: env, progress: progress, outputRoot: output,
                runner: runner, shard: part,
                cache: noCache ? .off : (force ? .refresh : .use),
                cacheDirectory: cacheDir)
        } catch {
            if case RecbenchError.cancelled = error {
                let note =
                    noCache
                    ? "interrupted (--no-cache: nothing kept)"
                    : "interrupted: finished trials are cached; run the same command again to resume"
                FileHandle.standardError.write(Data((note + "\n").utf8))
                log?.error(note)
                throw ExitCode(ExitStatus.interrupted)
            }
            // Trials that fail are part of the result; what escapes is the input or the output location.
            throw stop(error)
        }
        log?.emit(
            "run_finished",
            [
                ("directory", .string(result.directory)), ("trials", .int(result.trials.count)),
                ("cached", .int(result.cachedTrials)), ("failed", .int(result.failures.count)),
                ("seconds", .number(result.wallSeconds))
            ])
        if !quiet { print(Writers.console(result, width: consoleWidth()), terminator: "") }
        if result.cachedTrials > 0 || result.recomputedCorruptEntries > 0 {
            var line = "cache: reused \(result.cachedTrials) of \(result.trials.count) trials"
            let corrupt = result.recomputedCorruptEntries
            if corrupt > 0 { line += ", recomputed \(corrupt) corrupt entr\(corrupt == 1 ? "y" : "ies")" }
            print(line)
        }
        let search = runner.searchCounts
        if search.reusedCandidates > 0 {
            print(
                "search: reused \(search.reusedCandidates) of \(search.reusedCandidates + search.computedCandidates) candidates from the cache"
            )
        }
        print("results: \(result.directory)  (\(String(format: "%.1f", result.wallSeconds)) s)")
        if !result.failures.isEmpty {
            let lines = result.failures.map { "error: trial \($0.trial + 1) failed: \($0.line)\n" }.joined()
            FileHandle.standardError.write(Data(lines.utf8))
            throw ExitCode(ExitStatus.trialFailed)
        }
    }
}
