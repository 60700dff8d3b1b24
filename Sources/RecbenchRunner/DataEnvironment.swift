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
    public private(set) var dataset: Dataset
    public private(set) var folds: [Fold]
    public let record: DatasetRecord

    public init(spec: DatasetSpec, dataset: Dataset, folds: [Fold], record: DatasetRecord) {
        self.spec = spec; self.dataset = dataset; self.folds = folds; self.record = record
    }

    /// Once the last fold's matrices are built and no search will cut another, the interaction
    /// columns and the folds' positions are dead weight: at 10⁸ interactions 1.5 GB of a run's peak.
    /// What the trials still read stays: the ID maps, the side features, and the timestamp column,
    /// which the fold matrices share.
    mutating func releaseInteractions() {
        dataset = Dataset(
            name: dataset.name, users: [], items: [], values: [], timestamps: nil, userIDs: dataset.userIDs,
            itemIDs: dataset.itemIDs, userFeatures: dataset.userFeatures, itemFeatures: dataset.itemFeatures,
            sources: dataset.sources)
        folds = folds.map { Fold(index: $0.index, train: [], test: [], validation: []) }
    }
}
