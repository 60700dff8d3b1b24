/// A data set as loaded: interactions in file order (the order that breaks timestamp ties),
/// the ID maps, and optional side features. Splitters return positions into these columns.
public struct Dataset: Sendable {
    public var name: String
    public var users: [Int32]
    public var items: [Int32]
    /// Ratings, or 1 for unary feedback.
    public var values: [Float]
    /// Seconds since the epoch; nil when the source has none.
    public var timestamps: [Int64]?
    public var userIDs: IDMap
    public var itemIDs: IDMap
    public var userFeatures: FeatureTable
    public var itemFeatures: FeatureTable
    /// Files a loader read, with their SHA-256, for the manifest.
    public var sources: [SourceFile]

    public struct SourceFile: Sendable, Codable, Equatable {
        public let path: String, sha256: String
        public init(path: String, sha256: String) { self.path = path; self.sha256 = sha256 }
    }

    public init(
        name: String, users: [Int32], items: [Int32], values: [Float], timestamps: [Int64]?,
        userIDs: IDMap, itemIDs: IDMap, userFeatures: FeatureTable = FeatureTable(),
        itemFeatures: FeatureTable = FeatureTable(), sources: [SourceFile] = []
    ) {
        precondition(users.count == items.count && items.count == values.count)
        precondition(timestamps == nil || timestamps!.count == users.count)
        self.name = name; self.users = users; self.items = items; self.values = values
        self.timestamps = timestamps; self.userIDs = userIDs; self.itemIDs = itemIDs
        self.userFeatures = userFeatures; self.itemFeatures = itemFeatures; self.sources = sources
    }

    public var count: Int { users.count }
    public var userCount: Int { userIDs.count }
    public var itemCount: Int { itemIDs.count }

    /// The interactions at the given ascending positions, as a users × items matrix over the full ID
    /// space; the columns are read in place (no per-fold copy of them).
    public func matrix(positions: [Int32]) -> InteractionMatrix {
        InteractionMatrix(
            userCount: userCount, itemCount: itemCount, users: users, items: items, values: values,
            timestamps: timestamps, selecting: positions)
    }

    public func matrix() -> InteractionMatrix {
        InteractionMatrix(
            userCount: userCount, itemCount: itemCount, users: users, items: items, values: values,
            timestamps: timestamps)
    }

    /// The subset at the given positions with users and items re-indexed to those that remain
    /// (filters use this; features follow their entities).
    public func subset(_ positions: [Int]) -> Dataset {
        var keepU = [Bool](repeating: false, count: userCount), keepI = [Bool](repeating: false, count: itemCount)
        for p in positions { keepU[Int(users[p])] = true; keepI[Int(items[p])] = true }
        let oldU = (0..<userCount).filter { keepU[$0] }.map { Int32($0) }
        let oldI = (0..<itemCount).filter { keepI[$0] }.map { Int32($0) }
        var newU = [Int32](repeating: -1, count: userCount), newI = [Int32](repeating: -1, count: itemCount)
        for (n, o) in oldU.enumerated() { newU[Int(o)] = Int32(n) }
        for (n, o) in oldI.enumerated() { newI[Int(o)] = Int32(n) }
        // Sorted external order is preserved by taking the kept IDs in index order.
        return Dataset(
            name: name, users: positions.map { newU[Int(users[$0])] },
            items: positions.map { newI[Int(items[$0])] }, values: positions.map { values[$0] },
            timestamps: timestamps.map { ts in positions.map { ts[$0] } },
            userIDs: IDMap(ids: oldU.map { userIDs.id(at: $0) }),
            itemIDs: IDMap(ids: oldI.map { itemIDs.id(at: $0) }),
            userFeatures: userFeatures.isEmpty ? userFeatures : userFeatures.selectingRows(oldU),
            itemFeatures: itemFeatures.isEmpty ? itemFeatures : itemFeatures.selectingRows(oldI),
            sources: sources)
    }
}
