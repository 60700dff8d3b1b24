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
        discussion: """
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
        """)

    @Argument(help: "The experiment file (JSON).") var file: String
    @OptionGroup var data: DataOptions
    @Flag(help: "Print the plan of trials and stop.") var dryRun = false
    @Option(help: "Override the file's thread count.") var threads: Int?
    @Option(help: "Trials to run at the same time (each gets threads / jobs threads).") var jobs: Int?
    @Option(help: ArgumentHelp("Folder for results (default: the file's outputs.directory, else results).", valueName: "dir"))
    var output: String?
    @Flag(help: "No progress bar and no table.") var quiet = false
    @Option(help: ArgumentHelp("Run only shard i of n (1 ≤ i ≤ n): the trials whose plan index mod n is i-1.", valueName: "i/n"))
    var shard: String?
    @Flag(help: "Recompute every trial, replacing its cache entry.") var force = false
    @Flag(help: "Neither read nor write the trial cache.") var noCache = false
    @Option(help: ArgumentHelp("Trial cache folder (default: <output>/<experiment>/cache); experiments may share one.", valueName: "dir"))
    var cacheDir: String?
    @Option(help: ArgumentHelp("Also write one JSON event per line (run and trial start/finish with figures, failures, "
                               + "warnings, errors) to this file.", valueName: "file"))
    var logJson: String?

    func run() throws {
        var log: JSONEventLog?
        if let logJson { do { log = try JSONEventLog(path: logJson) } catch { fail(error) } }
        /// Every error of the run goes to the log too, then out as usual.
        func stop(_ error: Error, code: Int32 = ExitStatus.invalidInput) -> Never {
            for line in ExitStatus.lines(error) { log?.error(line) }
            fail(error, code: code)
        }
        var spec: ExperimentSpec
        do { spec = try ExperimentLoader(registry: try data.loadRegistry(near: file)).load(path: file) } catch {
            stop(error)
        }
        if let threads {
            guard threads > 0 else { stop(CLIError.usage("--threads must be positive")) }
            spec.threads = threads
        }
        if let jobs { guard jobs > 0 else { stop(CLIError.usage("--jobs must be positive")) }; spec.jobs = jobs }
        var part: Shard?
        if let shard {
            do { part = try Shard(parsing: shard) } catch { stop(CLIError.usage(String(describing: error))) }
        }
        if force && noCache { stop(CLIError.usage("--force and --no-cache exclude each other")) }
        if dryRun { print(Plan(spec: spec).describe(shards: part?.count)); return }
        log?.emit("run_started", [("experiment", .string(spec.name)), ("file", .string(file)),
                                  ("threads", .int(spec.threads)),
                                  ("shard", part.map { .string("\($0.index)/\($0.count)") } ?? .null)])
        for w in spec.warnings {
            FileHandle.standardError.write(Data((w.description + "\n").utf8))
            log?.warning(w.description)
        }
        let registry: RecbenchData.DatasetRegistry?
        do { registry = try data.loadRegistry(near: file) } catch { stop(error) }
        let env = DataEnvironment(registry: registry, cacheDirectory: data.cacheDirectory,
                                  baseDirectory: PathText.folder(of: file))
        let bar: ProgressReporter = !quiet && TerminalProgress.isInteractive() ? TerminalProgress() : SilentProgress()
        let progress: ProgressReporter = log.map { LoggedProgress(log: $0, inner: bar) } ?? bar
        let runner = Runner(spec: spec, data: env, progress: progress)
        let interrupt = InterruptHandler { runner.cancel() }
        defer { withExtendedLifetime(interrupt) {} }
        let result: RunResult
        do {
            result = try ExperimentRun.execute(spec: spec, data: env, progress: progress, outputRoot: output,
                                               runner: runner, shard: part,
                                               cache: noCache ? .off : (force ? .refresh : .use),
                                               cacheDirectory: cacheDir)
        } catch {
            if case RecbenchError.cancelled = error {
                let note = noCache ? "interrupted (--no-cache: nothing kept)" : "interrupted: finished trials are cached; run the same command again to resume"
                FileHandle.standardError.write(Data((note + "\n").utf8))
                log?.error(note)
                Foundation.exit(ExitStatus.interrupted)
            }
            // Trials that fail are part of the result; what escapes is the input or the output location.
            stop(error, code: ExitStatus.invalidInput)
        }
        log?.emit("run_finished", [("directory", .string(result.directory)), ("trials", .int(result.trials.count)),
                                   ("cached", .int(result.cachedTrials)), ("failed", .int(result.failures.count)),
                                   ("seconds", .number(result.wallSeconds))])
        if !quiet { print(Writers.console(result, width: consoleWidth()), terminator: "") }
        if result.cachedTrials > 0 || result.recomputedCorruptEntries > 0 {
            var line = "cache: reused \(result.cachedTrials) of \(result.trials.count) trials"
            let corrupt = result.recomputedCorruptEntries
            if corrupt > 0 { line += ", recomputed \(corrupt) corrupt entr\(corrupt == 1 ? "y" : "ies")" }
            print(line)
        }
        let search = runner.searchCounts
        if search.reusedCandidates > 0 {
            print("search: reused \(search.reusedCandidates) of \(search.reusedCandidates + search.computedCandidates) candidates from the cache")
        }
        print("results: \(result.directory)  (\(String(format: "%.1f", result.wallSeconds)) s)")
        if !result.failures.isEmpty {
            let lines = result.failures.map { "error: trial \($0.trial + 1) failed: \($0.line)\n" }.joined()
            FileHandle.standardError.write(Data(lines.utf8))
            Foundation.exit(ExitStatus.trialFailed)
        }
    }
}

/// First Ctrl-C: cancel the run (trials in flight stop at their next check, finished ones are
/// cached). Second Ctrl-C: exit at once. Signals are taken off the main thread, which is busy running.
final class InterruptHandler: @unchecked Sendable {
    private let source: DispatchSourceSignal
    private let lock = NSLock()
    private var count = 0

    init(onFirst: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue.global())
        source.setEventHandler { [unowned self] in
            self.lock.lock(); self.count += 1; let n = self.count; self.lock.unlock()
            if n == 1 {
                FileHandle.standardError.write(Data("\nstopping after the trials in flight… (Ctrl-C again to abort)\n".utf8))
                onFirst()
            } else {
                Foundation.exit(130)
            }
        }
        source.resume()
    }

    deinit { source.cancel() }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Combine the run folders of shards (recbench run --shard i/n) into one run.",
        discussion: """
        Writes results/<experiment>/<run-id>/ with the same outputs as running the whole plan on
        one machine (timing columns aside). Refuses folders of a different plan, experiment file
        or data, and a set of folders that misses a trial or holds one twice.
        """)

    @Argument(help: "The shards' run folders.") var folders: [String]
    @Option(help: ArgumentHelp("Folder for results (default: the experiment's outputs.directory, else results).", valueName: "dir"))
    var output: String?
    @Flag(help: "No table.") var quiet = false

    func run() throws {
        do {
            let result = try ExperimentRun.merge(folders, outputRoot: output)
            if !quiet { print(Writers.console(result), terminator: "") }
            print("merged \(folders.count) folder(s), \(result.trials.count) trials: \(result.directory)")
        } catch { fail(error) }
    }
}


struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check experiment files against the schema without running them.",
        discussion: "Reports every problem as FILE:LINE: field.path: message and exits 2 when any file has one, "
            + "including data files, fold files and registry folders that are not there. "
            + "Warns (without failing) when a grid without \"search\" would pick its best point on test data.")

    @Argument(help: "Experiment files.") var files: [String]
    @OptionGroup var data: DataOptions

    func run() throws {
        var bad = false
        for file in files {
            do {
                let registry = try data.loadRegistry(near: file)
                let spec = try ExperimentLoader(registry: registry).load(path: file)
                // Data that is not there is knowable now, not only when the run reaches it.
                let env = DataEnvironment(registry: registry, cacheDirectory: data.cacheDirectory,
                                          baseDirectory: PathText.folder(of: file))
                let missing = Preflight.check(spec, data: env)
                if !missing.isEmpty { throw SpecErrors(issues: missing) }
                // Unbuffered, so the line precedes its warnings on a shared terminal.
                FileHandle.standardOutput.write(Data("\(file): ok (\(Plan(spec: spec).trials.count) trials)\n".utf8))
                for w in spec.warnings { FileHandle.standardError.write(Data((w.description + "\n").utf8)) }
            } catch {
                bad = true
                FileHandle.standardError.write(Data(ExitStatus.lines(error).map { $0 + "\n" }.joined().utf8))
            }
        }
        if bad { throw ExitCode(ExitStatus.invalidInput) }
    }
}

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Print the numbered trials of an experiment file.")
    @Argument(help: "The experiment file.") var file: String
    @OptionGroup var data: DataOptions
    @Option(help: "Also show which of n shards runs each trial (recbench run --shard i/n).") var shards: Int?
    func run() throws {
        if let shards, shards < 1 { fail(CLIError.usage("--shards must be positive")) }
        print(Plan(spec: loadSpec(file, data)).describe(shards: shards))
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print versions of Recbench and the libraries it runs on.")
    func run() throws {
        print("recbench \(SystemInfo.recbenchVersion)")
        print("swift \(SystemInfo.swiftVersion)")
        print("openblas \(BLAS.configuration)")
        print("gsl \(RecbenchGSL.GSL.version)")
    }
}

/// The results table's width: the terminal's when standard output is one, else `$COLUMNS`, else unlimited
/// (a file or a pipe keeps whole lines).
func consoleWidth() -> Int? {
    var size = winsize()
    if isatty(1) != 0, ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    if let c = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), c > 0 { return c }
    return nil
}
