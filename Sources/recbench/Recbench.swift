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
        subcommands: [Run.self, Validate.self, PlanCommand.self, Merge.self, Compare.self, PowerCommand.self,
                      Check.self, BaselineCommand.self, Datasets.self, Algorithms.self, Metrics.self, Schema.self,
                      Bench.self, Version.self]
    )

    /// ArgumentParser's own entry point, except that a bad command line exits 2 (invalid input)
    /// with one line, like every other invalid input, instead of 64 with the usage text.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                let message = self.message(for: error).split(whereSeparator: \.isNewline).joined(separator: "; ")
                FileHandle.standardError.write(Data("error: \(message) (see recbench help)\n".utf8))
                Foundation.exit(ExitStatus.invalidInput)
            }
            exit(withError: error)
        }
    }
}

/// Options shared by the commands that read experiment files or data sets.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Folder of data-set registry entries (*.json).", valueName: "dir"))
    var registry: String?

    @Option(help: ArgumentHelp("Where fetched data sets are cached.", valueName: "dir"))
    var cache: String?

    /// The registry folder (order in `RegistryLocation`: --registry, $RECBENCH_REGISTRY, ./datasets, beside the
    /// experiment's folder, the installed copy beside the binary, the clone it was built in).
    func registryDirectory(near file: String? = nil) -> String? {
        let environment = ProcessInfo.processInfo.environment
        return RegistryLocation(flag: registry, environment: environment, experimentFile: file).resolve()
    }

    func loadRegistry(near file: String? = nil) throws -> DatasetRegistry? {
        guard let dir = registryDirectory(near: file) else {
            if registry != nil { throw CLIError.usage("--registry \(registry!): no such folder") }
            return nil
        }
        return try DatasetRegistry(directory: dir)
    }

    var cacheDirectory: String { cache ?? ProcessInfo.processInfo.environment["RECBENCH_CACHE"] ?? ".cache/datasets" }
}

enum CLIError: Error, CustomStringConvertible {
    case usage(String)
    var description: String { switch self { case let .usage(m): return m } }
}

/// Prints a user-facing error as one line per problem and exits with `code` (see `ExitStatus`).
func fail(_ error: Error, code: Int32 = ExitStatus.invalidInput) -> Never {
    FileHandle.standardError.write(Data(ExitStatus.lines(error).map { "error: " + $0 + "\n" }.joined().utf8))
    Foundation.exit(code)
}

func loadSpec(_ file: String, _ data: DataOptions) -> ExperimentSpec {
    do {
        let registry = try data.loadRegistry(near: file)
        return try ExperimentLoader(registry: registry).load(path: file)
    } catch { fail(error) }
}
