/// A row-major Float32 matrix: factor tables, score blocks, Gram matrices.
public struct DenseMatrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public var values: [Float]

    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && columns >= 0)
        self.rows = rows; self.columns = columns
        values = [Float](repeating: value, count: rows * columns)
    }

    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "DenseMatrix: \(values.count) values for \(rows)×\(columns)")
        self.rows = rows; self.columns = columns; self.values = values
    }

    public subscript(row: Int, column: Int) -> Float {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    public func row(_ r: Int) -> ArraySlice<Float> { values[(r * columns)..<((r + 1) * columns)] }

    /// Fills with N(0, std²) draws, the usual factor initialisation.
    public mutating func randomize(std: Float, rng: inout RandomSource) {
        for i in values.indices { values[i] = Float(rng.nextGaussian()) * std }
    }

    /// self · otherᵀ through sgemm: rows × other.rows.
    public func timesTransposed(_ other: DenseMatrix) -> DenseMatrix {
        precondition(columns == other.columns)
        var out = DenseMatrix(rows: rows, columns: other.rows)
        guard rows > 0, other.rows > 0 else { return out }
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                out.values.withUnsafeMutableBufferPointer { c in
                    BLAS.sgemm(
                        transB: true, m: rows, n: other.rows, k: columns, a: a.baseAddress!, lda: max(1, columns),
                        b: b.baseAddress!, ldb: max(1, columns), c: c.baseAddress!, ldc: other.rows)
                }
            }
        }
        return out
    }
}
