import RecbenchCore
import RecbenchAlgorithms

/// Bags of (global feature, weight), entity-major: entity e's field f is bag e·fields + f, its
/// entries sorted by feature.
struct FieldBags: Sendable {
    let fields: Int
    private(set) var offsets: [Int32] = [0]
    private(set) var features: [Int32] = []
    private(set) var weights: [Float] = []
    /// The fields indexed by the other side's entity (a user's history lists items), with the
    /// first feature of their block: a pair's own entry in them is left out (`FieldLookup`), so
    /// no example sees its target among its inputs.
    var counterpartFields: [(field: Int, first: Int32)] = []

    init(fields: Int) { self.fields = fields }

    mutating func append(_ bag: [(Int32, Float)]) {
        for (f, w) in bag.sorted(by: { $0.0 < $1.0 }) { features.append(f); weights.append(w) }
        offsets.append(Int32(features.count))
    }

    var entities: Int { (offsets.count - 1) / max(1, fields) }

    func range(_ entity: Int, _ field: Int) -> Range<Int> {
        let k = entity * fields + field
        return Int(offsets[k])..<Int(offsets[k + 1])
    }

    /// The feature and weight of `counterpart`'s entry in `entity`'s bag `field`, when `field` is
    /// a counterpart field and the entry is there.
    func entry(entity: Int, field: Int, counterpart: Int32) -> (Int32, Float)? {
        guard counterpart >= 0, entity >= 0, entity < entities,
            let block = counterpartFields.first(where: { $0.field == field })
        else { return nil }
        let feature = block.first + counterpart, bag = range(entity, field)
        var lo = bag.lowerBound, hi = bag.upperBound
        while lo < hi {
            let mid = (lo + hi) / 2
            if features[mid] < feature { lo = mid + 1 } else { hi = mid }
        }
        return lo < bag.upperBound && features[lo] == feature ? (feature, weights[lo]) : nil
    }
}

/// The embedding-bag input of one step: the bags of every (example, field) in order.
struct BagBatch {
    var offsets: [Int32] = [0]
    var indices: [Int32] = []
    var weights: [Float] = []

    /// Appends every field of `entity` (an entity outside the table gets empty bags).
    mutating func append(_ bags: FieldBags, entity: Int) {
        let known = entity >= 0 && entity < bags.entities
        for f in 0..<bags.fields {
            if known {
                let r = bags.range(entity, f)
                indices.append(contentsOf: bags.features[r]); weights.append(contentsOf: bags.weights[r])
            }
            offsets.append(Int32(indices.count))
        }
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
        var userCounterparts: [(field: Int, first: Int32)] = []
        if history { names.append("history"); userCounterparts.append((1 + userGroups.count, block(items))) }
        if ratings {
            names.append("rated");
            userCounterparts.append((1 + userGroups.count + userCounterparts.count, block(items)))
        }
        var ub = FieldBags(fields: 1 + userGroups.count + userCounterparts.count)
        ub.counterpartFields = userCounterparts
        for u in 0..<users {
            ub.append([(userID + Int32(u), 1)])
            for g in userGroups { ub.append(g[u]) }
            if history {
                let seen = m.items(of: u), w = 1 / Float(max(1, seen.count))
                ub.append(seen.map { (userCounterparts[0].first + $0, w) })
            }
            if ratings { ub.append(rated(userCounterparts.last!.first, m.byUser, u)) }
        }
        names.append("item")
        let itemID = block(items)
        let itemGroups = itemAttributes ? attributeRows(data.itemFeatures, entities: items, prefix: "item:") : []
        var itemCounterparts: [(field: Int, first: Int32)] = []
        if ratings { names.append("raters"); itemCounterparts.append((1 + itemGroups.count, block(users))) }
        var ib = FieldBags(fields: 1 + itemGroups.count + itemCounterparts.count)
        ib.counterpartFields = itemCounterparts
        for i in 0..<items {
            ib.append([(itemID + Int32(i), 1)])
            for g in itemGroups { ib.append(g[i]) }
            if ratings { ib.append(rated(itemCounterparts[0].first, m.byItem, i)) }
        }
        self.names = names; user = ub; item = ib; featureCount = next
    }
}
