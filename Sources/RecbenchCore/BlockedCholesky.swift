/// Inverse of a symmetric positive-definite matrix by a blocked Cholesky factorisation whose tile
/// operations run on Recbench's worker pool (`parallelFor`), each tile a serial BLAS/LAPACK call.
///
/// LAPACK's potrf + potri on one OpenBLAS thread (`LAPACK.symmetricInverse`) use one core; OpenBLAS's
/// own threads are off in Recbench (BLAS.swift says why). Here the matrix is cut into square tiles
/// of `blockSize` rows, fixed by the matrix size alone: every tile is updated by the same calls in the
/// same order whatever the thread count, and each tile is written by one task at a time, so the result
/// is bit-identical at any `threads`. Three phases on the lower triangle of the row-major matrix
/// (row-major lower = Fortran column-major upper, so the tile-level LAPACK calls take uplo "U"):
/// 1. A = L·Lᵀ, right-looking: factor the diagonal tile, solve the tiles below it, update the trailing
///    tiles (syrk on the diagonal, gemm off it) in parallel;
/// 2. W = L⁻¹ in place, column blocks from the last: each block's tiles below the diagonal are one
///    gemm and one trsm each, into a panel buffer (n × blockSize), in parallel;
/// 3. A⁻¹ = Wᵀ·W in place, row blocks from the first, the tiles of a row block in parallel;
/// then the lower triangle is mirrored onto the upper one. n³ flops in all, like potrf + potri.
public enum BlockedCholesky {
    /// Tile side: large enough for the gemm kernel to run near its peak, small enough that the serial
    /// work on diagonal tiles (n · blockSize² in all) stays a small share of n³.
    public static let blockSize = 256

    /// Inverts the symmetric positive-definite row-major n × n matrix `a` in place (both triangles
    /// filled on return; only the lower triangle is read). Throws `LAPACK.Failure` ("spotrf"/"dpotrf",
    /// info = order of the first leading minor that is not positive definite) as the serial path
    /// does; the matrix is then destroyed.
    public static func invert<T: LAPACKScalar>(
        n: Int, a: UnsafeMutablePointer<T>, threads: Int, blockSize: Int = BlockedCholesky.blockSize
    ) throws {
        guard n > 0 else { return }
        let tiles = Tiles(n: n, side: max(1, blockSize), base: a)
        try factor(tiles, threads: threads)
        try invertFactor(tiles, threads: threads)
        try multiplyInverseFactors(tiles, threads: threads)
        LAPACK.mirrorLowerToUpper(n: n, a: a, threads: threads)
    }

    /// The tile grid of an n × n row-major matrix.
    struct Tiles<T>: @unchecked Sendable {
        let n: Int, side: Int, count: Int
        let base: UnsafeMutablePointer<T>
        init(n: Int, side: Int, base: UnsafeMutablePointer<T>) {
            self.n = n; self.side = side; count = (n + side - 1) / side; self.base = base
        }
        func start(_ i: Int) -> Int { i * side }
        func size(_ i: Int) -> Int { min(side, n - i * side) }
        /// Element (row, column) of the matrix.
        func at(_ row: Int, _ column: Int) -> UnsafeMutablePointer<T> { base + row * n + column }
        /// Top-left element of tile (i, j).
        func tile(_ i: Int, _ j: Int) -> UnsafeMutablePointer<T> { at(start(i), start(j)) }
    }

    /// Phase 1: the lower triangle becomes L with A = L·Lᵀ; the strict upper part of each diagonal
    /// tile is zeroed so later phases can treat diagonal tiles as full ones in gemm.
    static func factor<T: LAPACKScalar>(_ g: Tiles<T>, threads: Int) throws {
        let n = g.n
        for k in 0..<g.count {
            let bk = g.size(k), diagonal: UnsafeMutablePointer<T> = g.tile(k, k)
            var uplo: CChar = 85 /* U */, nn = Int32(bk), lda = Int32(n), info: Int32 = 0
            T.potrf(&uplo, &nn, diagonal, &lda, &info)
            if info != 0 { throw LAPACK.Failure(routine: T.prefix + "potrf", info: g.start(k) + Int(info)) }
            for r in 0..<bk { for c in (r + 1)..<max(r + 1, bk) { diagonal[r * n + c] = 0 } }
            let below = g.count - k - 1
            guard below > 0 else { continue }
            // L_ik = A_ik · L_kkᵀ⁻¹
            parallelFor(count: below, threads: threads, grain: 1) { t in
                let i = k + 1 + t
                T.trsm(
                    right: true, lower: true, trans: true, m: g.size(i), n: bk, alpha: 1,
                    a: g.tile(k, k), lda: n, b: g.tile(i, k), ldb: n)
            }
            // A_ij −= L_ik · L_jkᵀ for k < j ≤ i.
            var pairs: [(Int, Int)] = []
            pairs.reserveCapacity(below * (below + 1) / 2)
            for i in (k + 1)..<g.count { for j in (k + 1)...i { pairs.append((i, j)) } }
            parallelFor(count: pairs.count, threads: threads, grain: 1) { p in
                let (i, j) = pairs[p]
                if i == j {
                    T.syrk(
                        lower: true, trans: false, n: g.size(i), k: bk, alpha: -1, a: g.tile(i, k),
                        lda: n, beta: 1, c: g.tile(i, i), ldc: n)
                } else {
                    T.gemm(
                        transA: false, transB: true, m: g.size(i), n: g.size(j), k: bk, alpha: -1,
                        a: g.tile(i, k), lda: n, b: g.tile(j, k), ldb: n, beta: 1,
                        c: g.tile(i, j), ldc: n)
                }
            }
        }
    }

    /// Phase 2: L becomes W = L⁻¹ (lower). From W·L = I, for j < i:
    /// W_ij = −(Σ_{l=j+1…i} W_il · L_lj) · L_jj⁻¹, which needs the columns right of j already inverted
    /// and column j still holding L, so column blocks go from the last to the first, each through a panel.
    static func invertFactor<T: LAPACKScalar>(_ g: Tiles<T>, threads: Int) throws {
        let n = g.n, side = g.side
        let panel = UnsafeMutablePointer<T>.allocate(capacity: max(1, n * side))
        defer { panel.deallocate() }
        let shared = UncheckedSendable(panel)
        for j in stride(from: g.count - 1, through: 0, by: -1) {
            let bj = g.size(j)
            if j + 1 < g.count {
                let first = g.start(j + 1), below = g.count - 1 - j
                // Largest tasks (bottom rows: most terms) first.
                parallelFor(count: below, threads: threads, grain: 1) { t in
                    let i = g.count - 1 - t
                    let out = shared.value + (g.start(i) - first) * bj
                    T.gemm(
                        transA: false, transB: false, m: g.size(i), n: bj, k: g.start(i) + g.size(i) - first,
                        alpha: 1, a: g.at(g.start(i), first), lda: n, b: g.at(first, g.start(j)),
                        ldb: n, beta: 0, c: out, ldc: bj)
                    T.trsm(
                        right: true, lower: true, trans: false, m: g.size(i), n: bj, alpha: -1,
                        a: g.tile(j, j), lda: n, b: out, ldb: bj)
                }
                let rows = n - first
                parallelFor(count: rows, threads: threads, grain: 256) { r in
                    g.at(first + r, g.start(j)).update(
                        from: shared.value + r * bj, count: bj)
                }
            }
            var uplo: CChar = 85, nn = Int32(bj), lda = Int32(n), info: Int32 = 0
            T.trtri(&uplo, &nn, g.tile(j, j), &lda, &info)
            if info != 0 { throw LAPACK.Failure(routine: T.prefix + "trtri", info: g.start(j) + Int(info)) }
        }
    }

    /// Phase 3: W becomes A⁻¹ = Wᵀ·W (lower). For j ≤ i: X_ij = W_iiᵀ · W_ij + Σ_{l>i} W_liᵀ · W_lj reads
    /// only rows at and below row block i, so row blocks go from the first; within one, the off-diagonal
    /// tiles and the diagonal tile's trailing sum (into a scratch tile) run in parallel, and W_ii, which
    /// they all read, is replaced last.
    static func multiplyInverseFactors<T: LAPACKScalar>(_ g: Tiles<T>, threads: Int) throws {
        let n = g.n, side = g.side
        let scratch = UnsafeMutablePointer<T>.allocate(capacity: side * side)
        defer { scratch.deallocate() }
        let shared = UncheckedSendable(scratch)
        for i in 0..<g.count {
            let bi = g.size(i), below = g.start(i) + bi, rows = n - below
            // Task 0: the diagonal tile's trailing sum; tasks 1…i: tiles (i, j) for j < i.
            parallelFor(count: i + 1, threads: threads, grain: 1) { t in
                if t == 0 {
                    guard rows > 0 else { return }
                    T.syrk(
                        lower: true, trans: true, n: bi, k: rows, alpha: 1, a: g.at(below, g.start(i)),
                        lda: n, beta: 0, c: shared.value, ldc: bi)
                    return
                }
                let j = t - 1
                T.trmm(
                    right: false, lower: true, trans: true, m: bi, n: g.size(j), alpha: 1,
                    a: g.tile(i, i), lda: n, b: g.tile(i, j), ldb: n)
                if rows > 0 {
                    T.gemm(
                        transA: true, transB: false, m: bi, n: g.size(j), k: rows, alpha: 1,
                        a: g.at(below, g.start(i)), lda: n, b: g.at(below, g.start(j)),
                        ldb: n, beta: 1, c: g.tile(i, j), ldc: n)
                }
            }
            let diagonal = g.tile(i, i)
            var uplo: CChar = 85, nn = Int32(bi), lda = Int32(n), info: Int32 = 0
            T.lauum(&uplo, &nn, diagonal, &lda, &info)
            if info != 0 { throw LAPACK.Failure(routine: T.prefix + "lauum", info: Int(info)) }
            if rows > 0 {
                for r in 0..<bi { for c in 0...r { diagonal[r * n + c] += scratch[r * bi + c] } }
            }
        }
    }
}
