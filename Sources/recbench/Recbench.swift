import ArgumentParser
import Foundation
import RecbenchCore
import RecbenchData
import RecbenchReport
import RecbenchConfig

@main
struct Recbench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recbench",
        abstract: "Offline experiments and benchmarks for recommender systems.",
        discussion: """
            Describe an experiment in a JSON file (data sets, split, algorithms with parameter grids, metrics), check it, then run it:

              recbench validate experiments/quickstart.json
              recbench run experiments/quickstart.json
              recbench run experiments/ml100k-baselines.json --dry-run

            Results go to results/<experiment>/<run-id>/ (metrics.csv, per_user.csv, profile.csv, summary.md, manifest.json). `recbench algorithms` lists every algorithm with its parameters and defaults; `recbench metrics` lists the metrics with their formulas; `recbench schema` prints the JSON Schema of experiment files.
            """,
        version: SystemInfo.recbenchVersion,
        subcommands: [
            Run.self, Validate.self, PlanCommand.self, Merge.self, Compare.self, PowerCommand.self,
            Check.self, BaselineCommand.self, Datasets.self, Algorithms.self, Metrics.self, Schema.self,
            Bench.self, Version.self
        ]
    )

    /// ArgumentParser's entry point, with Recbench's exit statuses: a bad command line (caught by
    /// parsing or a command's `validate()`) exits 2 with one line instead of 64 with the usage text;
    /// an error a command throws prints one line per problem and exits with its `CommandFailure`
    /// code, 2 (invalid input) for any other error.
    static func main() {
        useFasterBLASKernel()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as CommandFailure {
            exit(printing: failure.error, code: failure.code)
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            switch exitCode(for: error) {
            case .validationFailure:
                let message = self.message(for: error).split(whereSeparator: \.isNewline).joined(separator: "; ")
                FileHandle.standardError.write(Data("error: \(message) (see recbench help)\n".utf8))
                Foundation.exit(ExitStatus.invalidInput)
            case .success: exit(withError: error)  // --help, --version
            default: exit(printing: error, code: ExitStatus.invalidInput)
            }
        }
    }

    /// Re-executes this process once with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to its
    /// generic kernels on a CPU it does not recognise (see `BLAS.preferredKernel`). The kernel is
    /// chosen when the library loads, so nothing short of a new process image can change it; exec
    /// keeps the process ID, file descriptors and terminal. If exec fails the run goes on as it is.
    static func useFasterBLASKernel() {
        guard let kernel = BLAS.preferredKernel(environment: ProcessInfo.processInfo.environment) else { return }
        setenv("OPENBLAS_CORETYPE", kernel, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")
    }

    static func exit(printing error: Error, code: Int32) -> Never {
        FileHandle.standardError.write(Data(ExitStatus.lines(error).map { "error: " + $0 + "\n" }.joined().utf8))
        Foundation.exit(code)
    }
}

enum CLIError: Error, CustomStringConvertible {
    case usage(String)
    var description: String {
        switch self {
        case let .usage(m): return m
        }
    }
}

func loadSpec(_ file: String, _ data: DataOptions) throws -> ExperimentSpec {
    try ExperimentLoader(registry: try data.loadRegistry(near: file)).load(path: file)
}
