import ArgumentParser
import Foundation
import RecbenchData

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
