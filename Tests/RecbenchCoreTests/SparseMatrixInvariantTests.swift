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

/// A fold's matrix reads the data set's columns in place: it must equal the matrix of the gathered
/// rows, with each entry's order being its position in the data set and its timestamp travelling along.
@Test func aFoldMatrixEqualsTheMatrixOfItsGatheredRows() {
    let d = Dataset(
        name: "t", users: [2, 0, 1, 0, 2, 1, 0], items: [1, 3, 0, 0, 2, 3, 2], values: [5, 4, 3, 2, 1, 4, 5],
        timestamps: [70, 60, 50, 40, 30, 20, 10], userIDs: IDMap(count: 3), itemIDs: IDMap(count: 4))
    let positions = [0, 2, 3, 5, 6]
    let fold = d.matrix(positions: positions.map { Int32($0) })
    // By user, then item: (0,0)@3 (0,2)@6 (1,0)@2 (1,3)@5 (2,1)@0.
    #expect(fold.byUser.offsets == [0, 2, 4, 5] && fold.byUser.indices == [0, 2, 0, 3, 1])
    #expect(fold.byUser.values == [2, 5, 3, 4, 5])
    #expect(fold.order == [3, 6, 2, 5, 0])
    #expect(fold.timestamps.map { Array($0) } == [40, 10, 50, 20, 70])
    let gathered = InteractionMatrix(
        userCount: 3, itemCount: 4, users: positions.map { d.users[$0] }, items: positions.map { d.items[$0] },
        values: positions.map { d.values[$0] }, timestamps: positions.map { d.timestamps![$0] })
    #expect(fold.byItem.offsets == gathered.byItem.offsets && fold.byItem.indices == gathered.byItem.indices)
    #expect(fold.timestamps.map { Array($0) } == gathered.timestamps.map { Array($0) })
    // The data set's column is shared (the same storage), not gathered.
    let storage = { (a: [Int64]) in a.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } }
    #expect(storage(fold.timestamps!.source) == storage(d.timestamps!))
    #expect(d.matrix().order == [3, 6, 1, 2, 5, 0, 4])  // every row, by user then item
}
