import RecbenchCore

/// Products and element-wise arithmetic.
extension Graph {
    /// a (rows × K, any rank) · b (K × N), or · bᵀ when `transposeB` (b is N × K; only its first
    /// `bRows` rows are used, e.g. item embeddings without the special tokens). One sgemm each way,
    /// split over the graph's threads when it is large (`GEMMPanels`).
    public func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false, bRows: Int? = nil) -> Tensor {
        let m = a.shape.rows, k = a.shape.last
        let n: Int
        if transposeB {
            precondition(b.shape.last == k, "matmul: \(a.shape) · \(b.shape)ᵀ")
            n = bRows ?? b.shape.rows
            precondition(n <= b.shape.rows)
        } else {
            precondition(b.shape.rows == k && b.shape.rank == 2, "matmul: \(a.shape) · \(b.shape)")
            n = b.shape.last
        }
        let out = make(a.shape.withLast(n), needsGrad: needs(a, b))
        BLAS.sgemm(
            threads: threads, transB: transposeB, m: m, n: n, k: k, a: value(a), lda: k, b: value(b),
            ldb: transposeB ? k : n, c: value(out), ldc: n)
        record(Record(op: .matmul, out: out.id, a: a.id, b: b.id, i0: m, i1: n, i2: k, f0: transposeB ? 1 : 0))
        return out
    }

    func matmulBackward(_ r: Record) {
        let m = r.i0, n = r.i1, k = r.i2, dc = nodes[r.out].grad!
        let A = nodes[r.a].value, B = nodes[r.b].value
        if r.f0 == 0 {
            if let da = nodes[r.a].grad {
                BLAS.sgemm(
                    threads: threads, transB: true, m: m, n: k, k: n, a: dc, lda: n, b: B, ldb: n, beta: 1, c: da,
                    ldc: k)
            }
            if let db = nodes[r.b].grad {
                BLAS.sgemm(
                    threads: threads, transA: true, m: k, n: n, k: m, a: A, lda: k, b: dc, ldb: n, beta: 1, c: db,
                    ldc: n)
            }
        } else {
            if let da = nodes[r.a].grad {
                BLAS.sgemm(threads: threads, m: m, n: k, k: n, a: dc, lda: n, b: B, ldb: k, beta: 1, c: da, ldc: k)
            }
            if let db = nodes[r.b].grad {
                BLAS.sgemm(
                    threads: threads, transA: true, m: n, n: k, k: m, a: dc, lda: n, b: A, ldb: k, beta: 1, c: db,
                    ldc: k)
            }
        }
    }

    public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape.count == b.shape.count, "add: \(a.shape) + \(b.shape)")
        let out = make(a.shape, needsGrad: needs(a, b))
        let x = value(a), y = value(b), z = value(out)
        sumRow(z, x, y, a.shape.count)
        record(Record(op: .add, out: out.id, a: a.id, b: b.id))
        return out
    }

    func addBackward(_ r: Record) {
        let n = nodes[r.out].shape.count, g = nodes[r.out].grad!
        if let da = nodes[r.a].grad { addRow(da, g, n) }
        if let db = nodes[r.b].grad { addRow(db, g, n) }
    }

    /// a (rows × n) plus a row vector `bias` (n) broadcast over rows; `bias` may also be rows' worth
    /// of a smaller leading shape, e.g. positional embeddings L × D added to B × L × D.
    public func addBias(_ a: Tensor, _ bias: Tensor) -> Tensor {
        let n = bias.shape.count
        precondition(a.shape.count % n == 0, "addBias: \(a.shape) + \(bias.shape)")
        let out = make(a.shape, needsGrad: needs(a, bias))
        let x = value(a), b = value(bias), z = value(out)
        let reps = a.shape.count / n
        for r in 0..<reps { sumRow(z + r * n, x + r * n, b, n) }
        record(Record(op: .addBias, out: out.id, a: a.id, b: bias.id, i0: reps, i1: n))
        return out
    }

    func addBiasBackward(_ r: Record) {
        let reps = r.i0, n = r.i1, g = nodes[r.out].grad!
        if let da = nodes[r.a].grad { addRow(da, g, reps * n) }
        if let db = nodes[r.b].grad { for rr in 0..<reps { addRow(db, g + rr * n, n) } }
    }

    /// Element-wise product.
    public func mul(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape.count == b.shape.count, "mul: \(a.shape) * \(b.shape)")
        let out = make(a.shape, needsGrad: needs(a, b))
        let x = value(a), y = value(b), z = value(out)
        productRow(z, x, y, a.shape.count)
        record(Record(op: .mul, out: out.id, a: a.id, b: b.id))
        return out
    }

    func mulBackward(_ r: Record) {
        let n = nodes[r.out].shape.count, g = nodes[r.out].grad!
        let x = nodes[r.a].value, y = nodes[r.b].value
        if let da = nodes[r.a].grad { addProductRow(da, g, y, n) }
        if let db = nodes[r.b].grad { addProductRow(db, g, x, n) }
    }

    public func scale(_ a: Tensor, _ s: Float) -> Tensor {
        let out = make(a.shape, needsGrad: needs(a))
        let x = value(a), z = value(out)
        for i in 0..<a.shape.count { z[i] = x[i] * s }
        record(Record(op: .scale, out: out.id, a: a.id, f0: s))
        return out
    }

    func scaleBackward(_ r: Record) {
        let n = nodes[r.out].shape.count, g = nodes[r.out].grad!
        if let da = nodes[r.a].grad { for i in 0..<n { da[i] += g[i] * r.f0 } }
    }

    /// [rows × n1] ‖ [rows × n2] → [rows × (n1 + n2)].
    public func concat(_ a: Tensor, _ b: Tensor) -> Tensor {
        let rows = a.shape.rows, n1 = a.shape.last, n2 = b.shape.last
        precondition(b.shape.rows == rows, "concat: \(a.shape) ‖ \(b.shape)")
        let out = make(a.shape.withLast(n1 + n2), needsGrad: needs(a, b))
        let x = value(a), y = value(b), z = value(out), w = n1 + n2
        for r in 0..<rows {
            (z + r * w).update(from: x + r * n1, count: n1)
            (z + r * w + n1).update(from: y + r * n2, count: n2)
        }
        record(Record(op: .concat, out: out.id, a: a.id, b: b.id, i0: rows, i1: n1, i2: n2))
        return out
    }

    func concatBackward(_ r: Record) {
        let rows = r.i0, n1 = r.i1, n2 = r.i2, w = n1 + n2, g = nodes[r.out].grad!
        if let da = nodes[r.a].grad { for rr in 0..<rows { for j in 0..<n1 { da[rr * n1 + j] += g[rr * w + j] } } }
        if let db = nodes[r.b].grad { for rr in 0..<rows { for j in 0..<n2 { db[rr * n2 + j] += g[rr * w + n1 + j] } } }
    }
}
