/// Users × items interactions with a CSR view (by user) and a CSC view (by item, stored as the
/// transposed CSR). Each (user, item) pair appears at most once. Timestamps and the original
/// position of each entry travel with the CSR view, so time-ordered histories are available on
/// demand without a side channel.
public struct InteractionMatrix: Sendable {
    public let byUser: SparseMatrix
    public let byItem: SparseMatrix
    /// Aligned with byUser's entries.
    public let timestamps: [Int64]?
    /// Aligned with byUser's entries: position in the source, which orders equal timestamps.
    public let order: [Int64]

    public var userCount: Int { byUser.rows }
    public var itemCount: Int { byUser.columns }
    public var nnz: Int { byUser.nnz }

    public init(
        userCount: Int, itemCount: Int, users: [Int32], items: [Int32], values: [Float],
        timestamps: [Int64]? = nil, order: [Int64]? = nil
    ) {
        let (csr, perm) = SparseMatrix.build(
            rows: userCount, columns: itemCount, rowIndices: users,
            columnIndices: items, values: values)
        byUser = csr
        byItem = csr.transposed()
        self.timestamps = timestamps.map { ts in perm.map { ts[Int($0)] } }
        self.order = order.map { o in perm.map { o[Int($0)] } } ?? perm.map { Int64($0) }
    }

    public func items(of user: Int) -> ArraySlice<Int32> { byUser.rowIndices(user) }
    public func users(of item: Int) -> ArraySlice<Int32> { byItem.rowIndices(item) }
    public func contains(user: Int, item: Int) -> Bool { byUser.value(row: user, column: item) != nil }

    /// Number of interactions of each item (popularity).
    public var itemCounts: [Int] { (0..<itemCount).map { byItem.rowCount($0) } }

    /// The user's items in time order (timestamp, then source position).
    public func history(of user: Int) -> [Int32] {
        let range = byUser.rowRange(user)
        let ts = timestamps
        let sorted = range.sorted { a, b in
            if let ts, ts[a] != ts[b] { return ts[a] < ts[b] }
            return order[a] < order[b]
        }
        return sorted.map { byUser.indices[$0] }
    }

    public func histories() -> [[Int32]] { (0..<userCount).map(history(of:)) }

    /// The same pattern with every value set to 1 (implicit feedback).
    public func binarized() -> InteractionMatrix {
        InteractionMatrix(
            byUser: byUser.withValues([Float](repeating: 1, count: nnz)),
            byItem: byItem.withValues([Float](repeating: 1, count: nnz)),
            timestamps: timestamps, order: order)
    }

    private init(byUser: SparseMatrix, byItem: SparseMatrix, timestamps: [Int64]?, order: [Int64]) {
        self.byUser = byUser; self.byItem = byItem; self.timestamps = timestamps; self.order = order
    }
}
