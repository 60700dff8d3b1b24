import RecbenchCore
import RecbenchAlgorithms

/// Bags of (global feature, weight), entity-major: entity e's field f is bag e·fields + f.
struct FieldBags: Sendable {
    let fields: Int
    private(set) var offsets: [Int32] = [0]
    private(set) var features: [Int32] = []
    private(set) var weights: [Float] = []
    /// First features of the blocks indexed by the other side's entity (a user's history lists
    /// items): a pair's own entry in them is left out (`BagBatch.append`), so no example sees its
    /// target among its inputs.
    var counterpartBlocks: [Int32] = []

    init(fields: Int) { self.fields = fields }

    mutating func append(_ bag: [(Int32, Float)]) {
        for (f, w) in bag { features.append(f); weights.append(w) }
        offsets.append(Int32(features.count))
    }

    func range(_ entity: Int, _ field: Int) -> Range<Int> {
        let k = entity * fields + field
        return Int(offsets[k])..<Int(offsets[k + 1])
    }
}

/// The embedding-bag input of one step: the bags of every (example, field) in order.
struct BagBatch {
    var offsets: [Int32] = [0]
    var indices: [Int32] = []
    var weights: [Float] = []

    mutating func reset() {
        offsets.removeAll(keepingCapacity: true); offsets.append(0)
        indices.removeAll(keepingCapacity: true); weights.removeAll(keepingCapacity: true)
    }
    /// Appends every field of `entity` (an entity outside the table gets empty bags), leaving out
    /// `counterpart`'s entries in the bags' counterpart blocks: a training pair's item is in its
    /// user's history, and the model must not learn to find it there.
    mutating func append(_ bags: FieldBags, entity: Int, counterpart: Int = -1) {
        let skip = counterpart < 0 ? [] : bags.counterpartBlocks.map { $0 + Int32(counterpart) }
        for f in 0..<bags.fields {
            if entity >= 0 && (entity + 1) * bags.fields < bags.offsets.count {
                for k in bags.range(entity, f) where !skip.contains(bags.features[k]) {
                    indices.append(bags.features[k]); weights.append(bags.weights[k])
                }
            }
            offsets.append(Int32(indices.count))
        }
    }
    /// An empty bag (a padding position: its embedding is zero).
    mutating func appendEmpty(_ count: Int) {
        for _ in 0..<count { offsets.append(Int32(indices.count)) }
    }
    var bagCount: Int { offsets.count - 1 }
}

/// The feature fields of the field-embedding models (AutoInt, DIN), from the same `FeatureTable`s
/// the factorization machines read: the user ID, each user attribute group, optionally the user's
/// training items (a multi-hot field), then the item ID and each item attribute group. All share
/// one global feature index, so one embedding table serves every field. A field's embedding is the
/// weighted mean of its columns' rows: one-hot groups pick one row, multi-hot groups (genres)
/// average theirs, numeric columns scale their row by the value (scaled to max |x| = 1, as FM does).
/// With `ratings`, two more fields carry the training ratings themselves, as SVD++'s implicit
/// factors and Koren's neighbourhood terms do: the user's rated items and the item's raters, each
/// entry weighted by (rating − global mean) / √count. The global mean, not the user's or item's
/// own, because an own mean includes the pair's rating, which would leak through the pooled sum.
struct FeatureFields: Sendable {
    let names: [String]
    let user: FieldBags
    let item: FieldBags
    let featureCount: Int
    var userFields: Int { user.fields }
    var itemFields: Int { item.fields }

    init(_ data: TrainingData, userAttributes: Bool, itemAttributes: Bool, history: Bool, ratings: Bool = false) {
        let users = data.userCount, items = data.itemCount
        var next = 0, names = [String]()
        func block(_ size: Int) -> Int32 { defer { next += size }; return Int32(next) }
        func attributeRows(_ table: FeatureTable, entities: Int, prefix: String) -> [[[(Int32, Float)]]] {
            var perGroup: [[[(Int32, Float)]]] = []
            for g in table.groups where g.matrix.rows == entities && g.matrix.columns > 0 {
                names.append(prefix + g.name)
                let first = block(g.matrix.columns)
                var scale = [Float](repeating: 1, count: g.matrix.columns)
                if g.kind == .numeric {
                    var top = [Float](repeating: 0, count: g.matrix.columns)
                    for (c, x) in zip(g.matrix.indices, g.matrix.values) { top[Int(c)] = max(top[Int(c)], abs(x)) }
                    for c in top.indices where top[c] > 0 { scale[c] = 1 / top[c] }
                }
                perGroup.append(
                    (0..<entities).map { e in
                        let r = g.matrix.rowRange(e)
                        var total: Float = 0
                        for p in r { total += abs(g.matrix.values[p]) }
                        return r.compactMap { p -> (Int32, Float)? in
                            let c = Int(g.matrix.indices[p]), x = g.matrix.values[p]
                            guard x != 0 else { return nil }
                            return (first + Int32(c), g.kind == .numeric ? x * scale[c] : x / total)
                        }
                    })
            }
            return perGroup
        }
        names.append("user")
        let userID = block(users)
        let userGroups = userAttributes ? attributeRows(data.userFeatures, entities: users, prefix: "user:") : []
        let m = data.interactions
        let mean = m.nnz > 0 ? m.byUser.values.reduce(0, +) / Float(m.nnz) : 0
        /// Entries of a rating row: (block + other side's index, (r − mean) / √count).
        func rated(_ block: Int32, _ matrix: SparseMatrix, _ row: Int) -> [(Int32, Float)] {
            let r = matrix.rowRange(row), scale = 1 / Float(max(1, r.count)).squareRoot()
            return r.map { (block + matrix.indices[$0], (matrix.values[$0] - mean) * scale) }
        }
        var userCounterparts: [Int32] = []
        if history { names.append("history"); userCounterparts.append(block(items)) }
        if ratings { names.append("rated"); userCounterparts.append(block(items)) }
        var ub = FieldBags(fields: 1 + userGroups.count + userCounterparts.count)
        ub.counterpartBlocks = userCounterparts
        for u in 0..<users {
            ub.append([(userID + Int32(u), 1)])
            for g in userGroups { ub.append(g[u]) }
            if history {
                let seen = m.items(of: u), w = 1 / Float(max(1, seen.count))
                ub.append(seen.map { (userCounterparts[0] + $0, w) })
            }
            if ratings { ub.append(rated(userCounterparts.last!, m.byUser, u)) }
        }
        names.append("item")
        let itemID = block(items)
        let itemGroups = itemAttributes ? attributeRows(data.itemFeatures, entities: items, prefix: "item:") : []
        var itemCounterparts: [Int32] = []
        if ratings { names.append("raters"); itemCounterparts.append(block(users)) }
        var ib = FieldBags(fields: 1 + itemGroups.count + itemCounterparts.count)
        ib.counterpartBlocks = itemCounterparts
        for i in 0..<items {
            ib.append([(itemID + Int32(i), 1)])
            for g in itemGroups { ib.append(g[i]) }
            if ratings { ib.append(rated(itemCounterparts[0], m.byItem, i)) }
        }
        self.names = names; user = ub; item = ib; featureCount = next
    }
}
