import RecbenchCore
import RecbenchConfig

/// One of `count` parts of a plan, numbered from 1. Trial i (0-based plan index) belongs to
/// shard `i mod count + 1`: the assignment depends only on the plan, every trial lands in exactly
/// one shard, and consecutive trials (the configurations of one fold) spread over the shards.
public struct Shard: Codable, Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, (1...count).contains(index) else {
            throw RecbenchError.invalid("shard \(index)/\(count): expected i/n with 1 ≤ i ≤ n")
        }
        self.index = index; self.count = count
    }

    /// Parses "i/n", e.g. "2/4".
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw RecbenchError.invalid("--shard \(text): expected i/n, e.g. 2/4")
        }
        try self.init(index: i, count: n)
    }

    public static func of(trial index: Int, count: Int) -> Int { index % count + 1 }
    public func contains(_ t: Trial) -> Bool { Self.of(trial: t.index, count: count) == index }
    public var description: String { "\(index)/\(count)" }
}

extension Plan {
    /// SHA-256 of the ordered trial identities and the evaluation settings: shards of one plan
    /// share it, so `merge` can refuse parts of different plans.
    public var fingerprint: String {
        var lines = [
            "task=\(spec.task.rawValue)", "metrics=\(spec.metrics.map(\.label).joined(separator: ","))",
            "candidates=\(spec.candidates.label)", "seed=\(spec.seed)"
        ]
        for t in trials {
            lines.append(
                "\(t.index)|\(spec.datasets[t.datasetIndex].label)|\(t.fold)|\(t.configuration.descriptor.name)|\(t.configuration.values.canonical)|\(t.configuration.label)|\(t.seed)"
            )
        }
        return SHA256Hasher.hex(lines.joined(separator: "\n"))
    }

    public func trials(in shard: Shard?) -> [Trial] { shard.map { s in trials.filter(s.contains) } ?? trials }
}
