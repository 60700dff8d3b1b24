import ArgumentParser
import Foundation
import RecbenchCore
import RecbenchExperiment

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment file and write its results.",
        discussion: """
        Expands parameter grids into trials (data set × fold × configuration), fits, scores and \
        evaluates each, aggregates mean, standard deviation and 95 % interval over folds, prints a \
        table and writes results/<experiment>/<run-id>/ (metrics.csv, per_user.csv, profile.csv, \
        summary.md, manifest.json); results/<experiment>/latest points at the newest run.
        Exit status: 0 on success, 1 when a trial fails, 2 when the file is invalid.
        """)

    @Argument(help: "The experiment file (JSON).") var file: String
    @OptionGroup var data: DataOptions
    @Flag(help: "Print the plan of trials and stop.") var dryRun = false
    @Option(help: "Override the file's thread count.") var threads: Int?
    @Option(help: "Trials to run at the same time (each gets threads / jobs threads).") var jobs: Int?
    @Option(help: ArgumentHelp("Folder for results (default: the file's outputs.directory, else results).", valueName: "dir"))
    var output: String?
    @Flag(help: "No progress bar and no table.") var quiet = false

    func run() throws {
        var spec = loadSpec(file, data)
        if let threads { guard threads > 0 else { fail(CLIError.usage("--threads must be positive")) }; spec.threads = threads }
        if let jobs { guard jobs > 0 else { fail(CLIError.usage("--jobs must be positive")) }; spec.jobs = jobs }
        if dryRun { print(Plan(spec: spec).describe()); return }
        let registry: RecbenchData.DatasetRegistry?
        do { registry = try data.loadRegistry(near: file) } catch { fail(error) }
        let env = DataEnvironment(registry: registry, cacheDirectory: data.cacheDirectory,
                                  baseDirectory: (file as NSString).deletingLastPathComponent.isEmpty ? "." : (file as NSString).deletingLastPathComponent)
        let progress: ProgressReporter = !quiet && TerminalProgress.isInteractive() ? TerminalProgress() : SilentProgress()
        do {
            let result = try ExperimentRun.execute(spec: spec, data: env, progress: progress, outputRoot: output)
            if !quiet { print(Writers.console(result), terminator: "") }
            print("results: \(result.directory)  (\(String(format: "%.1f", result.wallSeconds)) s)")
        } catch { fail(error, code: 1) }
    }
}

import RecbenchData

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check experiment files against the schema without running them.",
        discussion: "Reports every problem as FILE:LINE: field.path: message and exits 2 when any file has one.")

    @Argument(help: "Experiment files.") var files: [String]
    @OptionGroup var data: DataOptions

    func run() throws {
        var bad = false
        for file in files {
            do {
                let spec = try ExperimentLoader(registry: try data.loadRegistry(near: file)).load(path: file)
                print("\(file): ok (\(Plan(spec: spec).trials.count) trials)")
            } catch {
                bad = true
                FileHandle.standardError.write(Data((String(describing: error) + "\n").utf8))
            }
        }
        if bad { throw ExitCode(2) }
    }
}

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Print the numbered trials of an experiment file.")
    @Argument(help: "The experiment file.") var file: String
    @OptionGroup var data: DataOptions
    func run() throws { print(Plan(spec: loadSpec(file, data)).describe()) }
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
import RecbenchGSL
