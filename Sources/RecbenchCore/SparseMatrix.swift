/// Compressed sparse rows with Float32 values. Column indices within a row are ascending.
public struct SparseMatrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// Row r's entries are at offsets[r] ..< offsets[r + 1].
    public let offsets: [Int]
    public let indices: [Int32]
    public let values: [Float]

    public var nnz: Int { indices.count }

    public init(rows: Int, columns: Int, offsets: [Int], indices: [Int32], values: [Float]) {
        precondition(offsets.count == rows + 1 && indices.count == values.count && offsets.last == indices.count)
        #if DEBUG
        // O(nnz): debug builds only, as swift-collections checks its heaps' invariants.
        if let problem = Self.violation(rows: rows, columns: columns, offsets: offsets, indices: indices) {
            preconditionFailure("SparseMatrix: \(problem)")
        }
        #endif
        self.rows = rows; self.columns = columns; self.offsets = offsets; self.indices = indices; self.values = values
    }

    /// What breaks the CSR invariants every reader relies on (binary search in a row, merged walks
    /// over two rows): offsets start at 0 and never decrease, columns lie in 0..<columns and do not
    /// decrease within a row. Nil when they hold.
    public static func violation(rows: Int, columns: Int, offsets: [Int], indices: [Int32]) -> String? {
        guard offsets.count == rows + 1, offsets.first == 0, offsets.last == indices.count else {
            return "offsets must be \(rows + 1) values from 0 to \(indices.count)"
        }
        if let r = (0..<rows).first(where: { offsets[$0] > offsets[$0 + 1] }) { return "offsets decrease at row \(r)" }
        for r in 0..<rows {
            var previous: Int32 = -1
            for k in offsets[r]..<offsets[r + 1] {
                let c = indices[k]
                guard c >= 0, Int(c) < columns else { return "row \(r) has column \(c) outside 0..<\(columns)" }
                guard c >= previous else { return "row \(r) is not in ascending column order at entry \(k)" }
                previous = c
            }
        }
        return nil
    }

    /// Builds from coordinate triplets (any order; duplicates are kept as separate entries, which
    /// callers avoid by deduplicating first). `permutation[k]` is the triplet index of entry k.
    public init(rows: Int, columns: Int, rowIndices: [Int32], columnIndices: [Int32], values: [Float]) {
        let (m, _) = SparseMatrix.build(
            rows: rows, columns: columns, rowIndices: rowIndices,
            columnIndices: columnIndices, values: values)
        self = m
    }

    /// Counting sort by row, then by column within each row (stable: equal coordinates keep input order).
    /// With `positions`, the triplets are those at the given indices of the three columns (a data set's
    /// fold), read in place rather than gathered into copies first; `permutation` then indexes `positions`.
    public static func build(
        rows: Int, columns: Int, rowIndices: [Int32], columnIndices: [Int32], values: [Float]
    ) -> (SparseMatrix, permutation: [Int32]) {
        build(
            rows: rows, columns: columns, rowIndices: rowIndices, columnIndices: columnIndices, values: values,
            selecting: nil)
    }

    public static func build(
        rows: Int, columns: Int, rowIndices: [Int32], columnIndices: [Int32],
        values: [Float], selecting positions: [Int32]?
    ) -> (SparseMatrix, permutation: [Int32]) {
        precondition(columnIndices.count == rowIndices.count && values.count == rowIndices.count)
        let n = positions?.count ?? rowIndices.count
        precondition(n <= Int(Int32.max), "more than 2³¹ − 1 entries")
        @inline(__always) func at(_ k: Int) -> Int { positions.map { Int($0[k]) } ?? k }
        // Sort by column first (counting sort), then stable counting sort by row.
        var colCount = [Int](repeating: 0, count: columns + 1)
        for k in 0..<n { colCount[Int(columnIndices[at(k)]) + 1] += 1 }
        for c in 0..<columns { colCount[c + 1] += colCount[c] }
        var byColumn = [Int32](repeating: 0, count: n)
        for k in 0..<n { let c = Int(columnIndices[at(k)]); byColumn[colCount[c]] = Int32(k); colCount[c] += 1 }
        var offsets = [Int](repeating: 0, count: rows + 1)
        for k in 0..<n { offsets[Int(rowIndices[at(k)]) + 1] += 1 }
        for r in 0..<rows { offsets[r + 1] += offsets[r] }
        var next = offsets
        var perm = [Int32](repeating: 0, count: n)
        for k in byColumn { let r = Int(rowIndices[at(Int(k))]); perm[next[r]] = k; next[r] += 1 }
        byColumn = []
        let idx = perm.map { columnIndices[at(Int($0))] }
        let vals = perm.map { values[at(Int($0))] }
        return (SparseMatrix(rows: rows, columns: columns, offsets: offsets, indices: idx, values: vals), perm)
    }

    public func rowRange(_ r: Int) -> Range<Int> { offsets[r]..<offsets[r + 1] }
    public func rowIndices(_ r: Int) -> ArraySlice<Int32> { indices[rowRange(r)] }
    public func rowValues(_ r: Int) -> ArraySlice<Float> { values[rowRange(r)] }
    public func rowCount(_ r: Int) -> Int { offsets[r + 1] - offsets[r] }

    /// Binary search within a row (indices are sorted).
    public func value(row r: Int, column c: Int) -> Float? {
        var lo = offsets[r], hi = offsets[r + 1]
        let target = Int32(c)
        while lo < hi {
            let mid = (lo + hi) / 2
            if indices[mid] < target { lo = mid + 1 } else { hi = mid }
        }
        return lo < offsets[r + 1] && indices[lo] == target ? values[lo] : nil
    }

    /// One counting pass: visiting rows in order leaves each output row's indices ascending.
    public func transposed() -> SparseMatrix {
        var tOffsets = [Int](repeating: 0, count: columns + 1)
        for c in indices { tOffsets[Int(c) + 1] += 1 }
        for c in 0..<columns { tOffsets[c + 1] += tOffsets[c] }
        var tIndices = [Int32](repeating: 0, count: nnz), tValues = [Float](repeating: 0, count: nnz)
        var next = tOffsets
        for r in 0..<rows {
            for k in rowRange(r) {
                let c = Int(indices[k]), p = next[c]
                tIndices[p] = Int32(r); tValues[p] = values[k]; next[c] = p + 1
            }
        }
        return SparseMatrix(rows: columns, columns: rows, offsets: tOffsets, indices: tIndices, values: tValues)
    }

    /// Same pattern, values replaced.
    public func withValues(_ newValues: [Float]) -> SparseMatrix {
        SparseMatrix(rows: rows, columns: columns, offsets: offsets, indices: indices, values: newValues)
    }
}
