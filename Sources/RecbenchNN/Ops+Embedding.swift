internal import CIntrinsics
import RecbenchCore

/// Lookups by index: embedding rows and sampled dot-product scores. Backward scatter-adds into
/// the table's gradient. A negative index means padding: a zero row (or zero score), no gradient.
extension Graph {
    /// Rows `indices` of `table` (V × D) as a tensor of `shape` (whose last dimension is D).
    public func gatherRows(_ table: Tensor, _ indices: UnsafeBufferPointer<Int32>, shape: Shape) -> Tensor {
        let d = table.shape.last, v = table.shape.rows
        precondition(
            shape.last == d && shape.rows == indices.count,
            "gatherRows: \(indices.count) rows of \(table.shape) as \(shape)")
        let out = make(shape, needsGrad: needs(table))
        let t = value(table), z = value(out)
        for (r, ix) in indices.enumerated() {
            let i = Int(ix)
            precondition(i < v, "gatherRows: index \(i) out of \(v)")
            if r + rowsAhead < indices.count { prefetchRow(t, indices[r + rowsAhead], d, write: false) }
            if i < 0 {
                (z + r * d).update(repeating: 0, count: d)
            } else {
                (z + r * d).update(from: t + i * d, count: d)
            }
        }
        if nodes[out.id].grad != nil {
            record(Record(op: .gatherRows, out: out.id, a: table.id, i0: indices.count, i1: d, ints: keep(indices)))
        }
        return out
    }

    public func gatherRows(_ table: Tensor, _ indices: [Int32], shape: Shape) -> Tensor {
        indices.withUnsafeBufferPointer { gatherRows(table, $0, shape: shape) }
    }

    func gatherRowsBackward(_ r: Record) {
        guard let dt = nodes[r.a].grad else { return }
        let n = r.i0, d = r.i1, g = nodes[r.out].grad!, idx = r.ints!
        for k in 0..<n {
            if k + rowsAhead < n { prefetchRow(dt, idx[k + rowsAhead], d, write: true) }
            let i = Int(idx[k]); if i < 0 { continue }
            let dst = dt + i * d, src = g + k * d
            for j in 0..<d { dst[j] += src[j] }
        }
    }

    /// Scores h[n] · table[indices[n·K + j]] for K candidates per row of h (N × D) → N × K.
    /// The sampled form of the output layer (BCE negatives, sampled softmax).
    public func gatherDot(_ h: Tensor, _ table: Tensor, _ indices: UnsafeBufferPointer<Int32>, perRow k: Int) -> Tensor
    {
        let n = h.shape.rows, d = h.shape.last
        precondition(
            table.shape.last == d && indices.count == n * k,
            "gatherDot: \(h.shape), \(table.shape), \(indices.count)/\(k)")
        let out = make(Shape(n, k), needsGrad: needs(h, table))
        let x = value(h), t = value(table), z = value(out)
        for r in 0..<n {
            for j in 0..<k {
                let i = Int(indices[r * k + j])
                z[r * k + j] = i < 0 ? 0 : BLAS.sdot(d, x + r * d, t + i * d)
            }
        }
        if nodes[out.id].grad != nil {
            record(Record(op: .gatherDot, out: out.id, a: h.id, b: table.id, i0: n, i1: k, i2: d, ints: keep(indices)))
        }
        return out
    }

    public func gatherDot(_ h: Tensor, _ table: Tensor, _ indices: [Int32], perRow k: Int) -> Tensor {
        indices.withUnsafeBufferPointer { gatherDot(h, table, $0, perRow: k) }
    }

    func gatherDotBackward(_ r: Record) {
        let n = r.i0, k = r.i1, d = r.i2, g = nodes[r.out].grad!, idx = r.ints!
        let x = nodes[r.a].value, t = nodes[r.b].value, dx = nodes[r.a].grad, dt = nodes[r.b].grad
        for row in 0..<n {
            for j in 0..<k {
                let i = Int(idx[row * k + j]); if i < 0 { continue }
                let s = g[row * k + j]; if s == 0 { continue }
                if let dx { let p = dx + row * d, q = t + i * d; for c in 0..<d { p[c] += s * q[c] } }
                if let dt { let p = dt + i * d, q = x + row * d; for c in 0..<d { p[c] += s * q[c] } }
            }
        }
    }
}

/// How many rows ahead a gather, a scatter or Adam's lazy step asks for a table's row: the rows are random, so
/// without it each one waits for memory (the scatter's additions were two thirds of a NeuMF
/// step's backward pass in `perf annotate`).
let rowsAhead = 4

/// Asks the cache for row `index` (width `d` floats) of `table`; nothing for padding.
@inline(__always) func prefetchRow(_ table: UnsafeMutablePointer<Float>, _ index: Int32, _ d: Int, write: Bool) {
    guard index >= 0 else { return }
    let row = table + Int(index) * d
    for offset in stride(from: 0, to: d, by: 16) {
        if write { recbench_prefetch_write(row + offset) } else { recbench_prefetch_read(row + offset) }
    }
}
