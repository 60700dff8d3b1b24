import RecbenchCore

/// Which items each user has, for the negative check. A users × items bitset answers with one
/// load (on MovieLens-sized data it stays in L2, where the binary search's dependent probes and
/// mispredicted branches were a quarter of BPR's time); it is built only when it is no larger
/// than twice the CSR's index array (density ≥ 1/64), so memory stays O(interactions). Otherwise
/// `bits` is nil and the sampler searches the user's sorted row.
final class SeenItems {
    let bits: UnsafeMutablePointer<UInt64>?

    static func bitsetFits(rows: Int, items: Int, nnz: Int) -> Bool {
        let (bits, overflow) = rows.multipliedReportingOverflow(by: items)
        return !overflow && bits <= 64 * nnz
    }

    /// `bitset`: nil chooses by `bitsetFits`.
    init(_ byUser: SparseMatrix, items: Int, bitset: Bool? = nil) {
        let rows = byUser.rows
        guard bitset ?? SeenItems.bitsetFits(rows: rows, items: items, nnz: byUser.nnz) else { bits = nil; return }
        let words = (rows * items + 63) / 64
        let b = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, words))
        b.initialize(repeating: 0, count: max(1, words))
        for u in 0..<rows {
            for k in byUser.rowRange(u) {
                let bit = u * items + Int(byUser.indices[k]); b[bit >> 6] |= 1 << UInt64(bit & 63)
            }
        }
        bits = b
    }

    deinit { bits?.deallocate() }
}
