import RecbenchCore

/// Which of several ratings of the same (user, item) survives deduplication.
public enum DuplicatePolicy: String, Sendable, Codable, CaseIterable {
    /// Keep the earliest in file order.
    case first
    /// Keep the latest in file order.
    case last
    /// Keep the earliest occurrence (its position and timestamp) with the mean of all values.
    case mean
}

/// Prefilters applied before splitting. Each returns a new Dataset via `Dataset.subset`, which
/// keeps file order and re-indexes users and items to those that remain.
public enum Filters {
    public static func deduplicate(_ d: Dataset, policy: DuplicatePolicy) -> Dataset {
        // Group positions by user (stable counting sort), then find repeats with a per-item slot table.
        let byUser = positionsByUser(d)
        // A first pass that only looks: most data sets have no repeats, and the bookkeeping below
        // (three arrays as long as the data) would be the load's peak at 10⁸ interactions.
        guard hasRepeat(d, byUser) else { return d }
        var slot = [Int](repeating: -1, count: d.itemCount)  // item → index into `kept` for the current user
        var kept: [Int] = [], sums: [Double] = [], counts: [Int] = []
        for u in 0..<d.userCount {
            let range = byUser.offsets[u]..<byUser.offsets[u + 1]
            for k in range {
                let p = Int(byUser.positions[k]), i = Int(d.items[p])
                if slot[i] >= 0 {
                    let s = slot[i]
                    if policy == .last { kept[s] = p }  // positions ascend within a user, so this is later
                    sums[s] += Double(d.values[p]); counts[s] += 1
                } else {
                    slot[i] = kept.count
                    kept.append(p); sums.append(Double(d.values[p])); counts.append(1)
                }
            }
            for k in range { slot[Int(d.items[Int(byUser.positions[k])])] = -1 }
        }
        var order = Array(kept.indices)
        order.sort { kept[$0] < kept[$1] }
        var out = d.subset(order.map { kept[$0] })
        if policy == .mean { out.values = order.map { Float(sums[$0] / Double(counts[$0])) } }
        return out
    }

    /// Whether some user has an item twice.
    static func hasRepeat(_ d: Dataset, _ byUser: (offsets: [Int], positions: [Int32])) -> Bool {
        var seenBy = [Int32](repeating: -1, count: d.itemCount)  // item → last user seen with it
        for u in 0..<d.userCount {
            for k in byUser.offsets[u]..<byUser.offsets[u + 1] {
                let i = Int(d.items[Int(byUser.positions[k])])
                if seenBy[i] == Int32(u) { return true }
                seenBy[i] = Int32(u)
            }
        }
        return false
    }

    /// Repeatedly drops interactions of users with fewer than `minUserInteractions` and items with
    /// fewer than `minItemInteractions`, until both conditions hold everywhere (removing a user can
    /// push an item below its threshold and vice versa).
    public static func kCore(_ d: Dataset, minUserInteractions: Int, minItemInteractions: Int) -> Dataset {
        var alive = [Bool](repeating: true, count: d.count)
        var userCount = [Int](repeating: 0, count: d.userCount), itemCount = [Int](repeating: 0, count: d.itemCount)
        for p in 0..<d.count { userCount[Int(d.users[p])] += 1; itemCount[Int(d.items[p])] += 1 }
        var changed = true
        while changed {
            changed = false
            for p in 0..<d.count where alive[p] {
                let u = Int(d.users[p]), i = Int(d.items[p])
                if userCount[u] < minUserInteractions || itemCount[i] < minItemInteractions {
                    alive[p] = false; userCount[u] -= 1; itemCount[i] -= 1; changed = true
                }
            }
        }
        if !alive.contains(false) { return d }
        return d.subset((0..<d.count).filter { alive[$0] })
    }

    /// Keeps interactions with value ≥ minimum; with `binarize`, sets the kept values to 1.
    public static func ratingThreshold(_ d: Dataset, minimum: Float, binarize: Bool) -> Dataset {
        var out = d.subset((0..<d.count).filter { d.values[$0] >= minimum })
        if binarize { out.values = [Float](repeating: 1, count: out.count) }
        return out
    }

    /// Positions grouped by user, ascending (file order) within each user; four bytes each, as the
    /// data set's own columns (it holds under 2³¹ rows).
    static func positionsByUser(_ d: Dataset) -> (offsets: [Int], positions: [Int32]) {
        precondition(d.count <= Int(Int32.max), "more than 2³¹ − 1 interactions")
        var offsets = [Int](repeating: 0, count: d.userCount + 1)
        for u in d.users { offsets[Int(u) + 1] += 1 }
        for u in 0..<d.userCount { offsets[u + 1] += offsets[u] }
        var next = offsets
        var positions = [Int32](repeating: 0, count: d.count)
        for p in 0..<d.count { let u = Int(d.users[p]); positions[next[u]] = Int32(p); next[u] += 1 }
        return (offsets, positions)
    }
}
