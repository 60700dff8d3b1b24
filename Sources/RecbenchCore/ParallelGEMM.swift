/// Products too large for one core (an output layer over the whole catalogue, a Gram matrix), split
/// over Recbench's own workers because OpenBLAS stays single-threaded (see `BLAS`).
///
/// C is cut into panels along its longer side. The cut depends on the shape alone, never on
/// `threads`, and each panel is one serial sgemm whose every entry still sums along k in BLAS's
/// order, so the result is the same at any thread count.
public enum GEMMPanels {
    /// Below this many multiply-adds a product stays one call: a panel must outweigh the cost of
    /// dispatching it and of packing its operands again.
    public static let minimumWork = 1 << 20
    /// Panels are multiples of this many rows or columns, the widest micro-kernel OpenBLAS uses.
    public static let alignment = 16
    /// At most this many panels, enough to balance two to eight workers.
    public static let maximumPanels = 16

    /// The panels of an m × n × k product: along which side, and where each one starts.
    public static func plan(m: Int, n: Int, k: Int) -> (alongRows: Bool, bounds: [Int]) {
        let alongRows = m > n
        let side = alongRows ? m : n
        let work = m * n * k
        let wanted = min(maximumPanels, work / minimumWork, side / alignment)
        guard wanted > 1 else { return (alongRows, [0, side]) }
        let width = ((side + wanted - 1) / wanted + alignment - 1) / alignment * alignment
        return (alongRows, Array(stride(from: 0, to: side, by: width)) + [side])
    }
}

extension BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, row-major, on up to `threads` workers (`GEMMPanels`).
    public static func sgemm(
        threads: Int, transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let (alongRows, bounds) = GEMMPanels.plan(m: m, n: n, k: k)
        let panels = bounds.count - 1
        let operands = UncheckedSendable((a, b, c))
        parallelFor(count: panels, threads: threads, grain: 1) { p in
            let (a, b, c) = operands.value
            let lo = bounds[p], width = bounds[p + 1] - lo
            if alongRows {
                // Rows lo… of op(A) and of C; op(B) whole.
                sgemm(
                    transA: transA, transB: transB, m: width, n: n, k: k, alpha: alpha,
                    a: a + (transA ? lo : lo * lda), lda: lda, b: b, ldb: ldb, beta: beta,
                    c: c + lo * ldc, ldc: ldc)
            } else {
                // Columns lo… of op(B) and of C; op(A) whole.
                sgemm(
                    transA: transA, transB: transB, m: m, n: width, k: k, alpha: alpha, a: a, lda: lda,
                    b: b + (transB ? lo * ldb : lo), ldb: ldb, beta: beta, c: c + lo, ldc: ldc)
            }
        }
    }
}
