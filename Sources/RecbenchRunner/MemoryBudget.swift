import Foundation
import RecbenchCore
import RecbenchAlgorithms
import RecbenchEval
import RecbenchConfig

/// What the machine can hold, and the runner's decisions against it: a trial whose estimated peak
/// (the model's `estimatedPeakBytes` plus the evaluation's working set) exceeds the machine's
/// physical memory is refused before its fit, and a fold's concurrent trials (`--jobs`) are capped
/// so their estimates fit together. `physicalBytes` is injectable, so tests need no small machine.
public struct MemoryBudget: Sendable {
    public var physicalBytes: Int

    public init(physicalBytes: Int = Int(ProcessInfo.processInfo.physicalMemory)) {
        self.physicalBytes = physicalBytes
    }

    /// The shape a trial's model sees: the fold's training matrix and the data set's features.
    public static func shape(
        train: InteractionMatrix, features: Int, threads: Int, task: RecommendationTask
    ) -> DataShape {
        DataShape(
            users: train.userCount, items: train.itemCount, interactions: train.nnz, featureColumns: features,
            threads: threads, task: task)
    }

    /// Estimated peak bytes of one configuration on `shape`: its fit plus the evaluation of
    /// `evaluatedUsers` users (every user of the shape when nil).
    public static func estimate(
        _ c: Configuration, shape: DataShape, spec: ExperimentSpec, evaluatedUsers: Int? = nil
    ) -> Int {
        let k = max(spec.metrics.compactMap(\.k).max() ?? 10, 1)
        return c.descriptor.estimatedPeakBytes(c.values, shape)
            + EvaluationMemory.bytes(
                users: evaluatedUsers ?? shape.users, items: shape.items, k: k, metrics: spec.metrics.count,
                threads: shape.threads, factorModel: c.descriptor.factorModel,
                wholeRows: spec.metrics.contains { $0.name == "auc" })
    }

    /// Refuses a trial whose estimate exceeds the machine's memory.
    public func check(_ label: String, estimate: Int) throws {
        guard physicalBytes > 0, estimate > physicalBytes else { return }
        throw RecbenchError.unsupported(
            "\(label) needs an estimated \(TextFormat.bytes(estimate)) (model and evaluation), "
                + "but this machine has \(TextFormat.bytes(physicalBytes)) of memory; not run")
    }

    /// The most trials, at most `requested`, that may run at once when any of them may run
    /// together: the largest j whose j largest estimates fit together (those that cannot fit
    /// alone are refused anyway and not counted). At least 1.
    public func jobs(requested: Int, estimates: [Int]) -> Int {
        guard physicalBytes > 0 else { return max(1, requested) }
        let fitting = estimates.filter { $0 <= physicalBytes }.sorted(by: >)
        var j = 0, total = 0
        while j < min(requested, fitting.count), total + fitting[j] <= physicalBytes { total += fitting[j]; j += 1 }
        return max(1, j)
    }
}
