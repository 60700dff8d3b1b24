import RecbenchCore

/// A trial that produced no results because its model diverged or threw. The rest of the suite
/// runs on; the run's outputs list the failure with its reason and `recbench run` exits 1.
public struct TrialFailure: Codable, Sendable, Equatable {
    public var trial: Int
    public var dataset: String
    public var fold: Int
    public var configuration: String
    public var algorithm: String
    public var parameters: [String: String]
    /// One line: "non-finite loss at epoch 3", "ExplicitALS: a normal-equation matrix was not positive definite".
    public var reason: String

    public init(
        trial: Int, dataset: String, fold: Int, configuration: String, algorithm: String,
        parameters: [String: String], reason: String
    ) {
        self.trial = trial; self.dataset = dataset; self.fold = fold; self.configuration = configuration
        self.algorithm = algorithm; self.parameters = parameters; self.reason = reason
    }

    init(_ t: Trial, dataset: String, reason error: Error) {
        let text = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: "; ")
        self.init(
            trial: t.index, dataset: dataset, fold: t.fold, configuration: t.configuration.label,
            algorithm: t.configuration.descriptor.name,
            parameters: t.configuration.values.values.mapValues(\.description), reason: text)
    }

    /// "ml-100k fold 2 BPR(factors=8): non-finite loss at epoch 3" (fold omitted for one-fold splits).
    public var line: String { "\(dataset) fold \(fold) \(configuration): \(reason)" }
}
