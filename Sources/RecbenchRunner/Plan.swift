import RecbenchCore
import RecbenchAlgorithms
import RecbenchConfig

/// One configuration: an algorithm entry at one point of its grid.
public struct Configuration: Sendable {
    public let index: Int
    public let algorithmIndex: Int
    public let descriptor: AlgorithmDescriptor
    public let values: ParameterValues
    /// "ItemKNN" or, for a grid point, "ItemKNN(k=20, shrinkage=100)".
    public let label: String
    /// The search that picks this entry's parameters in every fold (`values` then hold the fixed
    /// ones); nil for a plain configuration.
    public var search: SearchSpec? = nil
}

/// One unit of work: a configuration on one fold of one data set.
public struct Trial: Sendable {
    public let index: Int
    public let datasetIndex: Int
    public let fold: Int
    public let configuration: Configuration
    /// Determined by the experiment seed and the trial's identity alone (not by its position in
    /// the plan), so a shard or a rerun draws the same numbers.
    public let seed: UInt64
}

/// The deterministic, ordered list of trials: data set × fold × configuration.
public struct Plan: Sendable {
    public let spec: ExperimentSpec
    public let configurations: [Configuration]
    public let trials: [Trial]

    public init(spec: ExperimentSpec, foldCounts: [Int]) {
        self.spec = spec
        var configs = [Configuration]()
        for (a, alg) in spec.algorithms.enumerated() {
            for point in alg.configurations {
                let label =
                    point.varied.isEmpty
                    ? alg.label
                    : alg.label + "(" + point.varied.map { "\($0.0)=\($0.1)" }.joined(separator: ", ") + ")"
                configs.append(
                    Configuration(
                        index: configs.count, algorithmIndex: a, descriptor: alg.descriptor, values: point.values,
                        label: label, search: alg.search))
            }
        }
        configurations = configs
        var trials = [Trial]()
        for (d, ds) in spec.datasets.enumerated() {
            for fold in 1...max(1, foldCounts[d]) {
                for c in configs {
                    var rng = RandomSource(
                        seed: spec.seed, stream: "trial|\(ds.label)|\(fold)|\(c.descriptor.name)|\(c.values.canonical)")
                    trials.append(
                        Trial(index: trials.count, datasetIndex: d, fold: fold, configuration: c, seed: rng.next()))
                }
            }
        }
        self.trials = trials
    }

    /// Fold counts known from the split alone (leave-last-out, holdout and temporal have one).
    public init(spec: ExperimentSpec) {
        self.init(spec: spec, foldCounts: spec.datasets.map { _ in spec.split.foldCount ?? 1 })
    }

    /// The numbered trials; with `shards`, each line also names the shard that runs it.
    public func describe(shards: Int? = nil) -> String {
        var lines = [
            "\(spec.name): \(trials.count) trials = \(spec.datasets.count) data set(s) × folds × \(configurations.count) configuration(s)",
            "task \(spec.task.rawValue), metrics \(spec.metrics.map(\.label).joined(separator: ", ")), candidates: \(spec.candidates.label)",
            "plan \(fingerprint.prefix(16))"
        ]
        for t in trials {
            let n = String(t.index + 1)
            let shard = shards.map { "  shard \(Shard.of(trial: t.index, count: $0))/\($0)" } ?? ""
            let search = t.configuration.search.map { "  [\($0.label), selected on \(spec.select.label)]" } ?? ""
            lines.append(
                String(repeating: " ", count: max(0, 5 - n.count)) + n + shard
                    + "  \(spec.datasets[t.datasetIndex].label)  fold \(t.fold)  \(t.configuration.label)" + search)
        }
        return lines.joined(separator: "\n")
    }
}
