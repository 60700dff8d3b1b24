import Foundation
import RecbenchCore
import RecbenchData
import RecbenchAlgorithms
import RecbenchConfig

/// Everything a hyper-parameter search may see of one outer fold: its training part cut into an
/// inner training part and a validation part, and the side features. There is no test field:
/// the search code receives only this type, so it cannot read a test interaction.
public struct SearchFold: Sendable {
    public let task: RecommendationTask
    public let train: InteractionMatrix
    public let validation: InteractionMatrix
    public let userFeatures: FeatureTable
    public let itemFeatures: FeatureTable

    public init(
        task: RecommendationTask, train: InteractionMatrix, validation: InteractionMatrix,
        userFeatures: FeatureTable = FeatureTable(), itemFeatures: FeatureTable = FeatureTable()
    ) {
        self.task = task; self.train = train; self.validation = validation
        self.userFeatures = userFeatures; self.itemFeatures = itemFeatures
    }

    /// SHA-256 over both parts' entries (users, items, values, source positions): the search's
    /// data in every candidate's cache key.
    public var fingerprint: String {
        var h = SHA256Hasher()
        for (name, m) in [("train", train), ("validation", validation)] {
            h.update("|\(name) \(m.userCount)x\(m.itemCount):")
            m.byUser.offsets.withUnsafeBytes { h.update($0) }
            m.byUser.indices.withUnsafeBytes { h.update($0) }
            m.byUser.values.withUnsafeBytes { h.update($0) }
            m.order.withUnsafeBytes { h.update($0) }
        }
        return h.finalize()
    }
}

/// Cuts validation data out of an outer fold's training part. Works on the training matrix
/// alone, and never takes a user's last training interaction, so every user who trains in the
/// outer fold still trains in the search.
public enum ValidationSplit {
    /// Splits `training` by `method` (any method but `.split` and `.predefined`, which the runner
    /// resolves from positions). Entries keep their values, timestamps and source positions.
    public static func carve(
        _ training: InteractionMatrix, method: ValidationSpec.Method,
        seed: UInt64
    ) -> (train: InteractionMatrix, validation: InteractionMatrix) {
        let m = training.byUser
        var held = [Bool](repeating: false, count: m.nnz)
        var rng = RandomSource(seed: seed, stream: "validation")
        // Entries of a row by (timestamp, source position): the time order of histories.
        func byTime(_ entries: [Int]) -> [Int] {
            entries.sorted { a, b in
                if let ts = training.timestamps, ts[a] != ts[b] { return ts[a] < ts[b] }
                return training.order[a] < training.order[b]
            }
        }
        switch method {
        case let .holdout(fraction, true):
            for u in 0..<m.rows where m.rowCount(u) > 1 {
                var entries = Array(m.rowRange(u))
                rng.shuffle(&entries)
                for e in entries.prefix(perUserCount(fraction, entries.count)) { held[e] = true }
            }
        case let .holdout(fraction, false):
            var entries = Array(0..<m.nnz)
            rng.shuffle(&entries)
            for e in entries.prefix(Int((fraction * Double(m.nnz)).rounded())) { held[e] = true }
            keepOne(m, &held) { byTime(Array($0)).first! }
        case let .temporal(fraction, true):
            for u in 0..<m.rows where m.rowCount(u) > 1 {
                let sorted = byTime(Array(m.rowRange(u)))
                for e in sorted.suffix(perUserCount(fraction, sorted.count)) { held[e] = true }
            }
        case let .temporal(fraction, false):
            let sorted = byTime(Array(0..<m.nnz))
            for e in sorted.suffix(Int((fraction * Double(m.nnz)).rounded())) { held[e] = true }
            keepOne(m, &held) { byTime(Array($0)).first! }
        case .leaveLastOut:
            for u in 0..<m.rows where m.rowCount(u) > 1 { held[byTime(Array(m.rowRange(u))).last!] = true }
        case let .coldUsers(fraction, maxTrain):
            var eligible = (0..<m.rows).filter { m.rowCount($0) > maxTrain }
            rng.shuffle(&eligible)
            for u in eligible.prefix(Int((fraction * Double(eligible.count)).rounded())) {
                var entries = Array(m.rowRange(u))
                rng.shuffle(&entries)
                for e in entries.dropFirst(1 + rng.nextInt(below: maxTrain)) { held[e] = true }
            }
        case .predefined, .split:
            preconditionFailure("the runner resolves \(method) from positions")
        }
        return (select(training, held, false), select(training, held, true))
    }

    /// round(f·n) of a user's n interactions, leaving at least one.
    static func perUserCount(_ fraction: Double, _ n: Int) -> Int { min(n - 1, Int((fraction * Double(n)).rounded())) }

    /// Gives each user whose every entry is held out one back (`pick` chooses it from the row).
    static func keepOne(_ m: SparseMatrix, _ held: inout [Bool], pick: (Range<Int>) -> Int) {
        for u in 0..<m.rows where m.rowCount(u) > 0 && m.rowRange(u).allSatisfy({ held[$0] }) {
            held[pick(m.rowRange(u))] = false
        }
    }

    /// The entries with `held[e] == wanted`, as a matrix over the same users and items.
    static func select(_ t: InteractionMatrix, _ held: [Bool], _ wanted: Bool) -> InteractionMatrix {
        let m = t.byUser
        var users = [Int32](), items = [Int32](), values = [Float](), order = [Int32]()
        for u in 0..<m.rows {
            for e in m.rowRange(u) where held[e] == wanted {
                users.append(Int32(u)); items.append(m.indices[e]); values.append(m.values[e]); order.append(t.order[e])
            }
        }
        // The source's timestamp column travels as it is: `order` indexes it.
        return InteractionMatrix(
            userCount: t.userCount, itemCount: t.itemCount, users: users, items: items,
            values: values, timestamps: t.timestamps?.source, order: order)
    }

    /// A seeded share of `m`'s entries (a successive-halving rung's training sample for models
    /// without a budget parameter); each user keeps at least one entry.
    public static func sample(_ m: InteractionMatrix, fraction: Double, seed: UInt64) -> InteractionMatrix {
        guard fraction < 1 else { return m }
        var rng = RandomSource(seed: seed, stream: "budget-sample")
        var keep = [Bool](repeating: false, count: m.nnz)
        var entries = Array(0..<m.nnz)
        rng.shuffle(&entries)
        for e in entries.prefix(Int((fraction * Double(m.nnz)).rounded())) { keep[e] = true }
        // Reuse keepOne on the complement: a user with nothing kept gets the row's first entry.
        var dropped = keep.map { !$0 }
        keepOne(m.byUser, &dropped) { $0.lowerBound }
        return select(m, dropped, false)
    }

    /// Validation from a file of (user, item) lines: `positions` are the file's data set
    /// positions, each of which must be in `trainingPositions` (the outer fold's training part).
    /// Returns the inner training and validation positions.
    public static func predefined(
        file: String, positions: [(position: Int, line: Int)], trainingPositions: [Int32],
        fold: Int
    ) throws -> (train: [Int32], validation: [Int32]) {
        let training = Set(trainingPositions)
        var validation = Set<Int32>()
        for (position, line) in positions {
            let p = Int32(position)
            guard training.contains(p) else {
                throw RecbenchError.input(
                    file: (file as NSString).lastPathComponent, line: line,
                    message:
                        "this interaction is not in fold \(fold)'s training part (validation is carved from training only)"
                )
            }
            validation.insert(p)
        }
        return (trainingPositions.filter { !validation.contains($0) }, validation.sorted())
    }
}
