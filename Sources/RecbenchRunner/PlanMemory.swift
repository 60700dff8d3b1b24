import RecbenchCore
import RecbenchData
import RecbenchAlgorithms
import RecbenchConfig

/// The memory column of `recbench plan`: each trial's estimated peak (model + evaluation,
/// `MemoryBudget.estimate`) on its data set's shape, and whether the machine can hold it.
public enum PlanMemory {
    /// A data set's shape, or why it is unknown (its data could not be read).
    public typealias Shape = Result<DataShape, RecbenchError>

    /// Synthetic sets are sized from their config (all interactions, an upper bound for a fold's
    /// training part) without generating them; other data sets are loaded, filtered and split, and
    /// the first fold's training part gives the shape.
    public static func shapes(_ spec: ExperimentSpec, data: DataEnvironment) -> [Shape] {
        let threads = Runner.fixedThreads(spec)
        return spec.datasets.map { ds in
            if case let .synthetic(c) = ds.source {
                let users = max(0, c.users), items = max(0, c.items)
                let total = min(max(0, c.interactions), users.multipliedReportingOverflow(by: items).partialValue)
                return .success(
                    DataShape(
                        users: users, items: items, interactions: total,
                        featureColumns: c.withFeatures ? 2 * min(max(1, c.factors), 8) : 0, threads: threads,
                        task: spec.task))
            }
            do {
                let runner = Runner(spec: spec, data: data)
                let p = try runner.prepare(ds)
                guard let fold = p.folds.first else { return .failure(.invalid("no folds")) }
                return .success(
                    MemoryBudget.shape(
                        train: p.dataset.matrix(positions: fold.train), features: runner.featureColumns(p.dataset),
                        threads: threads, task: spec.task))
            } catch let e as RecbenchError {
                return .failure(e)
            } catch {
                return .failure(.invalid("\(error)"))
            }
        }
    }

    /// One line per trial: its plan line's number and label, then the estimate, flagged when the
    /// machine (`budget`) cannot hold it.
    public static func describe(_ plan: Plan, shapes: [Shape], budget: MemoryBudget = MemoryBudget()) -> String {
        var lines = ["memory (estimated peak per trial; this machine has \(TextFormat.bytes(budget.physicalBytes))):"]
        for (d, shape) in shapes.enumerated() {
            let label = plan.spec.datasets[d].label
            switch shape {
            case let .failure(e):
                lines.append("  \(label): unknown (\(e.description))")
            case let .success(s):
                lines.append(
                    "  \(label): \(s.users) users × \(s.items) items, \(s.interactions) interactions, "
                        + "\(s.threads) thread(s) per trial")
                for t in plan.trials where t.datasetIndex == d {
                    let bytes = MemoryBudget.estimate(t.configuration, shape: s, spec: plan.spec)
                    let refused = bytes > budget.physicalBytes ? "  exceeds this machine: will be refused" : ""
                    let n = String(t.index + 1)
                    lines.append(
                        String(repeating: " ", count: max(0, 5 - n.count)) + n + "  fold \(t.fold)  "
                            + "\(t.configuration.label)  \(TextFormat.bytes(bytes))" + refused)
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}
