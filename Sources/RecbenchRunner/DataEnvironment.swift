import Foundation
import RecbenchConfig
import RecbenchCore
import RecbenchData

/// Where the runner finds data: the registry, the environment (RECBENCH_DATA_DIR) and the cache.
public struct DataEnvironment: Sendable {
    public var registry: DatasetRegistry?
    public var environment: [String: String]
    public var cacheDirectory: String
    /// Relative file paths in the experiment resolve against this folder (the file's own).
    public var baseDirectory: String

    public init(
        registry: DatasetRegistry?, environment: [String: String] = ProcessInfo.processInfo.environment,
        cacheDirectory: String, baseDirectory: String
    ) {
        self.registry = registry; self.environment = environment; self.cacheDirectory = cacheDirectory;
        self.baseDirectory = baseDirectory
    }
}

/// A data set after loading, filtering and splitting.
public struct PreparedDataset: Sendable {
    public let spec: DatasetSpec
    public let dataset: Dataset
    public let folds: [Fold]
    public let record: DatasetRecord
}
