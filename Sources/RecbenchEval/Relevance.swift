import RecbenchCore

/// Which held-out items count as relevant for the ranking metrics. By default every test item
/// does; with `minRating`, only those whose value is at least it (a rating of 4 or 5 on a 1–5
/// scale), as in most explicit-feedback top-N studies. Training data is never touched: a model
/// still learns from every interaction, and items below the threshold stay rankable (they are
/// simply not hits). The same rule is applied to validation items when selecting models.
public struct Relevance: Sendable, Equatable, Hashable {
    public var minRating: Float?

    public init(minRating: Float? = nil) { self.minRating = minRating }

    /// Every held-out item is relevant.
    public static let all = Relevance()

    /// A stable text for cache keys and summaries; nil when every held-out item is relevant, so keys of
    /// experiments without a threshold stay what they were.
    public var key: String? { minRating.map { "min_rating=\(TextFormat.number(Double($0)))" } }

    /// The relevant held-out entries by user (same shape as `heldOut`), values kept: they are the
    /// gains of graded NDCG.
    public func relevant(_ heldOut: SparseMatrix) -> SparseMatrix {
        guard let minRating else { return heldOut }
        var offsets = [Int](repeating: 0, count: heldOut.rows + 1)
        var indices = [Int32](), values = [Float]()
        indices.reserveCapacity(heldOut.nnz); values.reserveCapacity(heldOut.nnz)
        for u in 0..<heldOut.rows {
            for k in heldOut.rowRange(u) where heldOut.values[k] >= minRating {
                indices.append(heldOut.indices[k]); values.append(heldOut.values[k])
            }
            offsets[u + 1] = indices.count
        }
        return SparseMatrix(
            rows: heldOut.rows, columns: heldOut.columns, offsets: offsets, indices: indices,
            values: values)
    }
}
