import Testing
@testable import RecbenchCore

/// The CSR invariants (checked on every construction in debug builds) accept what the builder
/// makes and name each way a matrix can break them.
@Test func sparseMatrixInvariantsNameEachViolation() {
    let built = SparseMatrix(
        rows: 3, columns: 4, rowIndices: [2, 0, 2, 0, 1], columnIndices: [3, 2, 0, 1, 1],
        values: [1, 2, 3, 4, 5])
    #expect(built.offsets == [0, 2, 3, 5] && built.indices == [1, 2, 1, 0, 3])
    #expect(SparseMatrix.violation(rows: 3, columns: 4, offsets: built.offsets, indices: built.indices) == nil)
    #expect(
        SparseMatrix.violation(rows: 2, columns: 4, offsets: [0, 2, 3], indices: [2, 1, 0])
            == "row 0 is not in ascending column order at entry 1")
    #expect(
        SparseMatrix.violation(rows: 2, columns: 2, offsets: [0, 1, 2], indices: [0, 2])
            == "row 1 has column 2 outside 0..<2")
    #expect(
        SparseMatrix.violation(rows: 2, columns: 4, offsets: [0, 1], indices: [0])
            == "offsets must be 3 values from 0 to 1")
    #expect(
        SparseMatrix.violation(rows: 2, columns: 4, offsets: [0, 2, 1], indices: [0])
            == "offsets decrease at row 1")
    #expect(
        SparseMatrix.violation(rows: 3, columns: 4, offsets: [0, 2, 1, 2], indices: [0, 1])
            == "offsets decrease at row 1")
}
