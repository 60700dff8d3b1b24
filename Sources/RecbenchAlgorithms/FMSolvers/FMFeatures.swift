import RecbenchCore

/// Which feature groups a factorization machine sees besides the user and item IDs.
public struct FMFeatureOptions: Sendable, Equatable {
    public var userAttributes: Bool
    public var itemAttributes: Bool
    public var implicitHistory: Bool
    public var timeFeatures: Bool
    public init(
        userAttributes: Bool = false, itemAttributes: Bool = false, implicitHistory: Bool = false,
        timeFeatures: Bool = false
    ) {
        self.userAttributes = userAttributes; self.itemAttributes = itemAttributes
        self.implicitHistory = implicitHistory; self.timeFeatures = timeFeatures
    }
}

/// One relational block of the design matrix (Rendle 2013, "Scaling factorization machines to
/// relational data"): every example of the same user shares the same user-side features (ID,
/// attributes, implicit history), so they are stored once per entity, never per example. A
/// rating example's feature vector is the concatenation of its user's row and its item's row.
public struct FMBlock: Sendable {
    public let entityCount: Int
    /// Entity → (global feature, value), CSR.
    public let rowOffsets: [Int]
    public let rowFeatures: [Int32]
    public let rowValues: [Float]
    /// This block owns the global features firstFeature ..< firstFeature + featureCount.
    public let firstFeature: Int
    public let featureCount: Int
    /// Feature (local index) → (entity, value), CSC of the same matrix.
    public let columnOffsets: [Int]
    public let columnEntities: [Int32]
    public let columnValues: [Float]

    init(entityCount: Int, firstFeature: Int, featureCount: Int, rows: [[(Int32, Float)]]) {
        precondition(rows.count == entityCount)
        self.entityCount = entityCount; self.firstFeature = firstFeature; self.featureCount = featureCount
        var offsets = [0], feats = [Int32](), vals = [Float]()
        for row in rows {
            for (f, x) in row.sorted(by: { $0.0 < $1.0 }) { feats.append(f); vals.append(x) }
            offsets.append(feats.count)
        }
        rowOffsets = offsets; rowFeatures = feats; rowValues = vals
        var counts = [Int](repeating: 0, count: featureCount + 1)
        for f in feats { counts[Int(f) - firstFeature + 1] += 1 }
        for c in 0..<featureCount { counts[c + 1] += counts[c] }
        var next = counts
        var ents = [Int32](repeating: 0, count: feats.count), cvals = [Float](repeating: 0, count: feats.count)
        for e in 0..<entityCount {
            for p in offsets[e]..<offsets[e + 1] {
                let c = Int(feats[p]) - firstFeature
                ents[next[c]] = Int32(e); cvals[next[c]] = vals[p]; next[c] += 1
            }
        }
        columnOffsets = counts; columnEntities = ents; columnValues = cvals
    }

    public func rowRange(_ e: Int) -> Range<Int> { rowOffsets[e]..<rowOffsets[e + 1] }
    public var nnz: Int { rowFeatures.count }
}

/// The FM design: a user-side block, an item-side block and the group of every feature (the unit
/// of priors in MCMC and of regularisation in SGD/ALS). Built once per fit.
public struct FMDesign: Sendable {
    public let user: FMBlock
    public let item: FMBlock
    public let groupNames: [String]
    /// Group index of every global feature.
    public let featureGroup: [Int32]
    public var featureCount: Int { featureGroup.count }
    public var groupCount: Int { groupNames.count }

    public init(user: FMBlock, item: FMBlock, groupNames: [String], featureGroup: [Int32]) {
        precondition(
            user.firstFeature == 0 && item.firstFeature == user.featureCount
                && featureGroup.count == user.featureCount + item.featureCount)
        self.user = user; self.item = item; self.groupNames = groupNames; self.featureGroup = featureGroup
    }

    /// Groups "user", user attribute groups ("user:<name>"), "history" (the user's training items,
    /// each 1/√n, SVD++-style), "user:time"; then "item", item attribute groups ("item:<name>"),
    /// "item:time". Time features need a (user, item) key only, because predictions are asked for
    /// pairs without timestamps: the quarter-decile of the user's and of the item's first training
    /// timestamp (early adopter / old catalogue item).
    public static func build(_ data: TrainingData, options: FMFeatureOptions) -> FMDesign {
        let m = data.interactions
        var groupNames = [String](), featureGroup = [Int32]()
        var next = 0
        func addGroup(_ name: String, columns: Int) -> Int {
            let first = next
            groupNames.append(name)
            featureGroup.append(contentsOf: repeatElement(Int32(groupNames.count - 1), count: columns))
            next += columns
            return first
        }
        func append(_ table: FeatureTable, prefix: String, to rows: inout [[(Int32, Float)]]) {
            for g in table.groups where g.matrix.rows == rows.count {
                let first = addGroup(prefix + g.name, columns: g.matrix.columns)
                // Numeric columns are scaled to max |x| = 1 so one prior fits the group.
                var scale = [Float](repeating: 1, count: g.matrix.columns)
                if g.kind == .numeric {
                    var mx = [Float](repeating: 0, count: g.matrix.columns)
                    for (c, x) in zip(g.matrix.indices, g.matrix.values) { mx[Int(c)] = max(mx[Int(c)], abs(x)) }
                    for c in mx.indices where mx[c] > 0 { scale[c] = 1 / mx[c] }
                }
                for e in 0..<rows.count {
                    for p in g.matrix.rowRange(e) {
                        let c = Int(g.matrix.indices[p]), x = g.matrix.values[p] * scale[c]
                        if x != 0 { rows[e].append((Int32(first + c), x)) }
                    }
                }
            }
        }
        func timeBuckets(_ firstSeen: [Int64?], buckets: Int = 10) -> [Int?] {
            let known = firstSeen.compactMap { $0 }.sorted()
            guard !known.isEmpty else { return firstSeen.map { _ in nil } }
            return firstSeen.map { t in
                guard let t else { return nil }
                var lo = 0, hi = known.count
                while lo < hi { let mid = (lo + hi) / 2; if known[mid] < t { lo = mid + 1 } else { hi = mid } }
                return min(buckets - 1, lo * buckets / known.count)
            }
        }

        // User side.
        var userRows = [[(Int32, Float)]](repeating: [], count: m.userCount)
        let userID = addGroup("user", columns: m.userCount)
        for u in 0..<m.userCount { userRows[u].append((Int32(userID + u), 1)) }
        if options.userAttributes { append(data.userFeatures, prefix: "user:", to: &userRows) }
        if options.implicitHistory {
            let first = addGroup("history", columns: m.itemCount)
            for u in 0..<m.userCount {
                let items = m.items(of: u)
                guard !items.isEmpty else { continue }
                let x = Float(1 / Double(items.count).squareRoot())
                for i in items { userRows[u].append((Int32(first + Int(i)), x)) }
            }
        }
        var itemFirst = [Int64?](repeating: nil, count: m.itemCount)
        let timed = options.timeFeatures && m.timestamps != nil
        if timed, let ts = m.timestamps {
            var userFirst = [Int64?](repeating: nil, count: m.userCount)
            for u in 0..<m.userCount {
                for p in m.byUser.rowRange(u) {
                    let t = ts[p], i = Int(m.byUser.indices[p])
                    userFirst[u] = min(userFirst[u] ?? t, t); itemFirst[i] = min(itemFirst[i] ?? t, t)
                }
            }
            let first = addGroup("user:time", columns: 10)
            for (u, b) in timeBuckets(userFirst).enumerated() { if let b { userRows[u].append((Int32(first + b), 1)) } }
        }
        let userBlock = FMBlock(entityCount: m.userCount, firstFeature: 0, featureCount: next, rows: userRows)

        // Item side.
        let itemStart = next
        var itemRows = [[(Int32, Float)]](repeating: [], count: m.itemCount)
        let itemID = addGroup("item", columns: m.itemCount)
        for i in 0..<m.itemCount { itemRows[i].append((Int32(itemID + i), 1)) }
        if options.itemAttributes { append(data.itemFeatures, prefix: "item:", to: &itemRows) }
        if timed {
            let first = addGroup("item:time", columns: 10)
            for (i, b) in timeBuckets(itemFirst).enumerated() { if let b { itemRows[i].append((Int32(first + b), 1)) } }
        }
        let itemBlock = FMBlock(
            entityCount: m.itemCount, firstFeature: itemStart, featureCount: next - itemStart, rows: itemRows)
        return FMDesign(user: userBlock, item: itemBlock, groupNames: groupNames, featureGroup: featureGroup)
    }
}

/// The training examples of a design: (user, item, target), plus each block's examples grouped by
/// entity (so per-entity sums over examples need no search).
struct FMExamples: Sendable {
    let users: [Int32]
    let items: [Int32]
    let targets: [Float]
    var count: Int { targets.count }
    /// byUser.offsets[u] ..< byUser.offsets[u+1] index `userExamples`, which are example ids.
    let userOffsets: [Int], userExamples: [Int32]
    let itemOffsets: [Int], itemExamples: [Int32]

    init(_ m: InteractionMatrix) {
        var us = [Int32](), its = [Int32](), ys = [Float]()
        us.reserveCapacity(m.nnz); its.reserveCapacity(m.nnz); ys.reserveCapacity(m.nnz)
        for u in 0..<m.userCount {
            for p in m.byUser.rowRange(u) {
                us.append(Int32(u)); its.append(m.byUser.indices[p]); ys.append(m.byUser.values[p])
            }
        }
        users = us; items = its; targets = ys
        // Examples are in user order, so the user grouping is the CSR itself.
        userOffsets = m.byUser.offsets; userExamples = (0..<Int32(us.count)).map { $0 }
        var counts = [Int](repeating: 0, count: m.itemCount + 1)
        for i in its { counts[Int(i) + 1] += 1 }
        for i in 0..<m.itemCount { counts[i + 1] += counts[i] }
        var next = counts, ex = [Int32](repeating: 0, count: its.count)
        for n in its.indices { let i = Int(its[n]); ex[next[i]] = Int32(n); next[i] += 1 }
        itemOffsets = counts; itemExamples = ex
    }
}
