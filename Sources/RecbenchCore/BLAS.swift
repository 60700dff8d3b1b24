internal import CBLAS

/// Thin Swift wrappers over the OpenBLAS and LAPACK routines Recbench uses. Nothing outside this
/// file touches CBLAS, so the rest of the code base sees Swift types only.
public enum BLAS {
    /// OpenBLAS runs on one thread in Recbench, set once before its first call: its threaded kernels
    /// round differently from its serial ones, and its thread count is one setting for the whole
    /// process, so a model's scores would depend on what else runs at the same time (concurrent
    /// trials, parallel tests). Recbench parallelises around BLAS itself (`parallelFor`, scoring blocks).
    private static let oneThread: Void = openblas_set_num_threads(1)
    @inline(__always) static func serial() { _ = oneThread }

    /// Sets OpenBLAS's own thread count, for benchmarks that compare against threaded sgemm; set it
    /// back to 1 afterwards.
    public static func setThreads(_ n: Int) { serial(); openblas_set_num_threads(Int32(max(1, n))) }
    public static var threads: Int { serial(); return Int(openblas_get_num_threads()) }

    /// C = alpha · op(A) · op(B) + beta · C, all row-major.
    public static func sgemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLAS.serial()
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }

    /// C = alpha · Aᵀ·A + beta · C (upper triangle and mirrored), A is rows × n row-major.
    public static func ssyrkTransposed(
        n: Int, rows: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLAS.serial()
        cblas_ssyrk(
            CblasRowMajor, CblasUpper, CblasTrans, blasint(n), blasint(rows), alpha, a, blasint(lda),
            beta, c, blasint(ldc))
        for i in 0..<n { for j in 0..<i { c[i * ldc + j] = c[j * ldc + i] } }
    }

    /// y = alpha · op(A) · x + beta · y, row-major A of m × n.
    public static func sgemv(
        trans: Bool = false, m: Int, n: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        BLAS.serial()
        cblas_sgemv(
            CblasRowMajor, trans ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), alpha, a,
            blasint(lda), x, 1, beta, y, 1)
    }

    public static func sdot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        BLAS.serial()
        return cblas_sdot(blasint(n), x, 1, y, 1)
    }

    /// y += alpha · x
    public static func saxpy(_ n: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        BLAS.serial()
        cblas_saxpy(blasint(n), alpha, x, 1, y, 1)
    }
}

/// LAPACK routines (Fortran entry points: column-major, so a symmetric row-major matrix is passed
/// as is, and other matrices are transposed by the caller's choice of `uplo` or shape).
public enum LAPACK {
    public struct Failure: Error, CustomStringConvertible {
        public let routine: String, info: Int
        public var description: String { "LAPACK \(routine) failed (info = \(info))" }
    }

    /// Solves A·X = B in place for a symmetric positive-definite n × n matrix A (overwritten by its
    /// Cholesky factor) and nrhs right-hand sides stored as rows of B (nrhs × n row-major).
    public static func choleskySolve(
        n: Int, a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, nrhs: Int = 1
    ) throws {
        BLAS.serial()
        var uplo: CChar = 85 /* U */, nn = Int32(n), lda = Int32(n), info: Int32 = 0, nr = Int32(nrhs), ldb = Int32(n)
        spotrf_(&uplo, &nn, a, &lda, &info)
        if info != 0 { throw Failure(routine: "spotrf", info: Int(info)) }
        spotrs_(&uplo, &nn, &nr, a, &lda, b, &ldb, &info)
        if info != 0 { throw Failure(routine: "spotrs", info: Int(info)) }
    }

    /// Inverts a symmetric positive-definite n × n matrix in place (potrf then potri, in single or
    /// double precision; the full matrix filled on return, the mirror done in parallel tiles).
    public static func symmetricInverse<T: LAPACKScalar>(n: Int, a: UnsafeMutablePointer<T>, threads: Int = 1) throws {
        BLAS.serial()
        var uplo: CChar = 85, nn = Int32(n), lda = Int32(n), info: Int32 = 0
        T.potrf(&uplo, &nn, a, &lda, &info)
        if info != 0 { throw Failure(routine: T.prefix + "potrf", info: Int(info)) }
        T.potri(&uplo, &nn, a, &lda, &info)
        if info != 0 { throw Failure(routine: T.prefix + "potri", info: Int(info)) }
        // Fortran "U" of a column-major matrix is the lower triangle of our row-major view.
        mirrorLowerToUpper(n: n, a: a, threads: threads)
    }

    /// Copies the lower triangle of a row-major n × n matrix onto its upper one, 64 × 64 tiles at a
    /// time (a row-by-row mirror reads a column per row: one cache miss per element at large n).
    public static func mirrorLowerToUpper<T>(n: Int, a: UnsafeMutablePointer<T>, threads: Int) {
        let tile = 64, tiles = (n + tile - 1) / tile
        let p = UncheckedSendable(a)
        parallelFor(count: tiles, threads: threads, grain: 1) { bi in
            let a = p.value
            for bj in bi..<tiles {
                for i in (bi * tile)..<min(n, (bi + 1) * tile) {
                    for j in max(i + 1, bj * tile)..<max(i + 1, min(n, (bj + 1) * tile)) { a[i * n + j] = a[j * n + i] }
                }
            }
        }
    }

    /// Eigen-decomposition of a symmetric n × n matrix: eigenvalues ascending into `w`, and the
    /// eigenvectors as rows of `a` on return.
    public static func symmetricEigen(n: Int, a: UnsafeMutablePointer<Float>, w: UnsafeMutablePointer<Float>) throws {
        BLAS.serial()
        var jobz: CChar = 86 /* V */, uplo: CChar = 85, nn = Int32(n), lda = Int32(n), info: Int32 = 0
        var lwork: Int32 = -1, liwork: Int32 = -1, wq: Float = 0, iwq: Int32 = 0
        ssyevd_(&jobz, &uplo, &nn, a, &lda, w, &wq, &lwork, &iwq, &liwork, &info)
        lwork = Int32(wq); liwork = iwq
        var work = [Float](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
        ssyevd_(&jobz, &uplo, &nn, a, &lda, w, &work, &lwork, &iwork, &liwork, &info)
        if info != 0 { throw Failure(routine: "ssyevd", info: Int(info)) }
    }

    /// Thin SVD of a row-major m × n matrix A (destroyed). Returns U (m × r), singular values
    /// (r, descending) and Vᵀ (r × n), r = min(m, n), all row-major.
    public static func svd(m: Int, n: Int, a: UnsafeMutablePointer<Float>) throws -> (
        u: [Float], s: [Float], vt: [Float]
    ) {
        BLAS.serial()
        // Row-major A is column-major Aᵀ (n × m): Aᵀ = V Σ Uᵀ, so LAPACK's "U" is our V and its Vᵀ is our Uᵀ.
        let r = min(m, n)
        var jobz: CChar = 83 /* S */, mm = Int32(n), nn = Int32(m), lda = Int32(n), info: Int32 = 0
        var s = [Float](repeating: 0, count: r)
        var lu = [Float](repeating: 0, count: n * r), lvt = [Float](repeating: 0, count: r * m)
        var ldu = Int32(n), ldvt = Int32(r), lwork: Int32 = -1, wq: Float = 0
        var iwork = [Int32](repeating: 0, count: 8 * r)
        sgesdd_(&jobz, &mm, &nn, a, &lda, &s, &lu, &ldu, &lvt, &ldvt, &wq, &lwork, &iwork, &info)
        lwork = Int32(wq)
        var work = [Float](repeating: 0, count: Int(lwork))
        sgesdd_(&jobz, &mm, &nn, a, &lda, &s, &lu, &ldu, &lvt, &ldvt, &work, &lwork, &iwork, &info)
        if info != 0 { throw Failure(routine: "sgesdd", info: Int(info)) }
        // Column-major lu (n × r) read row-major is r × n = Vᵀ; column-major lvt (r × m) read
        // row-major is m × r = U.
        return (lvt, s, lu)
    }

    /// Replaces the n columns of a column-major m × n matrix (m ≥ n) — equivalently the n rows of
    /// a row-major n × m matrix — by an orthonormal basis of their span (Householder QR: sgeqrf, sorgqr).
    public static func orthonormalize(m: Int, n: Int, a: UnsafeMutablePointer<Float>) throws {
        BLAS.serial()
        precondition(m >= n)
        var mm = Int32(m), nn = Int32(n), kk = Int32(n), lda = Int32(m), info: Int32 = 0, lwork: Int32 = -1,
            wq: Float = 0
        var tau = [Float](repeating: 0, count: max(1, n))
        sgeqrf_(&mm, &nn, a, &lda, &tau, &wq, &lwork, &info)
        lwork = max(Int32(wq), Int32(n))
        var work = [Float](repeating: 0, count: Int(lwork))
        sgeqrf_(&mm, &nn, a, &lda, &tau, &work, &lwork, &info)
        if info != 0 { throw Failure(routine: "sgeqrf", info: Int(info)) }
        lwork = -1
        sorgqr_(&mm, &nn, &kk, a, &lda, tau, &wq, &lwork, &info)
        lwork = max(Int32(wq), Int32(n))
        work = [Float](repeating: 0, count: Int(lwork))
        sorgqr_(&mm, &nn, &kk, a, &lda, tau, &work, &lwork, &info)
        if info != 0 { throw Failure(routine: "sorgqr", info: Int(info)) }
    }
}

extension BLAS {
    /// OpenBLAS's build description (version, kernel, threading), for run manifests.
    public static var configuration: String { String(cString: openblas_get_config()) }
    public static var coreName: String { String(cString: openblas_get_corename()) }
}

/// The two precisions LAPACK's Cholesky routines come in, so one Swift routine serves both. Beside the
/// Fortran entry points, the serial row-major BLAS-3 calls a blocked factorisation needs
/// (`BlockedCholesky`), each on one OpenBLAS thread like every call in this file.
public protocol LAPACKScalar: BinaryFloatingPoint {
    /// "s" or "d", for messages naming the routine.
    static var prefix: String { get }
    static func potrf(
        _ uplo: UnsafeMutablePointer<CChar>, _ n: UnsafeMutablePointer<Int32>, _ a: UnsafeMutablePointer<Self>,
        _ lda: UnsafeMutablePointer<Int32>, _ info: UnsafeMutablePointer<Int32>)
    static func potri(
        _ uplo: UnsafeMutablePointer<CChar>, _ n: UnsafeMutablePointer<Int32>, _ a: UnsafeMutablePointer<Self>,
        _ lda: UnsafeMutablePointer<Int32>, _ info: UnsafeMutablePointer<Int32>)
    /// Inverse of a triangular matrix in place (Fortran xTRTRI, non-unit diagonal).
    static func trtri(
        _ uplo: UnsafeMutablePointer<CChar>, _ n: UnsafeMutablePointer<Int32>, _ a: UnsafeMutablePointer<Self>,
        _ lda: UnsafeMutablePointer<Int32>, _ info: UnsafeMutablePointer<Int32>)
    /// U·Uᵀ (uplo U) or Lᵀ·L (uplo L) of a triangular matrix in place (Fortran xLAUUM).
    static func lauum(
        _ uplo: UnsafeMutablePointer<CChar>, _ n: UnsafeMutablePointer<Int32>, _ a: UnsafeMutablePointer<Self>,
        _ lda: UnsafeMutablePointer<Int32>, _ info: UnsafeMutablePointer<Int32>)
    /// C = alpha · op(A) · op(B) + beta · C, row-major.
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int, beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// One triangle of C = alpha · op(A) · op(A)ᵀ + beta · C, row-major (op(A) is n × k).
    static func syrk(
        lower: Bool, trans: Bool, n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// B = alpha · op(A)⁻¹ · B (left) or alpha · B · op(A)⁻¹ (right), A triangular, B m × n, row-major.
    static func trsm(
        right: Bool, lower: Bool, trans: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafeMutablePointer<Self>, ldb: Int)
    /// B = alpha · op(A) · B (left) or alpha · B · op(A) (right), A triangular, B m × n, row-major.
    static func trmm(
        right: Bool, lower: Bool, trans: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafeMutablePointer<Self>, ldb: Int)
}

/// CBLAS's enums from Swift flags (the enums stay inside this file).
private func side(_ right: Bool) -> CBLAS_SIDE { right ? CblasRight : CblasLeft }
private func uplo(_ lower: Bool) -> CBLAS_UPLO { lower ? CblasLower : CblasUpper }
private func op(_ trans: Bool) -> CBLAS_TRANSPOSE { trans ? CblasTrans : CblasNoTrans }
private let nonUnit: CChar = 78 /* N */

extension Float: LAPACKScalar {
    public static let prefix = "s"
    public static func potrf(
        _ u: UnsafeMutablePointer<CChar>, _ n: UnsafeMutablePointer<Int32>, _ a: UnsafeMutablePointer<Float>,
        _ l: UnsafeMutablePointer<Int32>, _ i: UnsafeMutablePointer<Int32>
    ) { BLAS.serial(); spotrf_(u, n, a, l, i) }
    public static func potri(
        _ u: UnsafeMutablePointer<CChar>, _ n: UnsafeMutablePointer<Int32>, _ a: UnsafeMutablePointer<Float>,
        _ l: UnsafeMutablePointer<Int32>, _ i: UnsafeMutablePointer<Int32>
    ) { BLAS.serial(); spotri_(u, n, a, l, i) }
    public static func trtri(
        _ u: UnsafeMutablePointer<CChar>, _ n: UnsafeMutablePointer<Int32>, _ a: UnsafeMutablePointer<Float>,
        _ l: UnsafeMutablePointer<Int32>, _ i: UnsafeMutablePointer<Int32>
    ) { BLAS.serial(); var d = nonUnit; strtri_(u, &d, n, a, l, i) }
    public static func lauum(
        _ u: UnsafeMutablePointer<CChar>, _ n: UnsafeMutablePointer<Int32>, _ a: UnsafeMutablePointer<Float>,
        _ l: UnsafeMutablePointer<Int32>, _ i: UnsafeMutablePointer<Int32>
    ) { BLAS.serial(); slauum_(u, n, a, l, i) }
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLAS.sgemm(
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
            beta: beta, c: c, ldc: ldc)
    }
    public static func syrk(
        lower: Bool, trans: Bool, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLAS.serial()
        cblas_ssyrk(
            CblasRowMajor, uplo(lower), op(trans), blasint(n), blasint(k), alpha, a, blasint(lda), beta, c,
            blasint(ldc))
    }
    public static func trsm(
        right: Bool, lower: Bool, trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafeMutablePointer<Float>, ldb: Int
    ) {
        BLAS.serial()
        cblas_strsm(
            CblasRowMajor, side(right), uplo(lower), op(trans), CblasNonUnit, blasint(m), blasint(n), alpha, a,
            blasint(lda), b, blasint(ldb))
    }
    public static func trmm(
        right: Bool, lower: Bool, trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafeMutablePointer<Float>, ldb: Int
    ) {
        BLAS.serial()
        cblas_strmm(
            CblasRowMajor, side(right), uplo(lower), op(trans), CblasNonUnit, blasint(m), blasint(n), alpha, a,
            blasint(lda), b, blasint(ldb))
    }
}

extension Double: LAPACKScalar {
    public static let prefix = "d"
    public static func potrf(
        _ u: UnsafeMutablePointer<CChar>, _ n: UnsafeMutablePointer<Int32>, _ a: UnsafeMutablePointer<Double>,
        _ l: UnsafeMutablePointer<Int32>, _ i: UnsafeMutablePointer<Int32>
    ) { BLAS.serial(); dpotrf_(u, n, a, l, i) }
    public static func potri(
        _ u: UnsafeMutablePointer<CChar>, _ n: UnsafeMutablePointer<Int32>, _ a: UnsafeMutablePointer<Double>,
        _ l: UnsafeMutablePointer<Int32>, _ i: UnsafeMutablePointer<Int32>
    ) { BLAS.serial(); dpotri_(u, n, a, l, i) }
    public static func trtri(
        _ u: UnsafeMutablePointer<CChar>, _ n: UnsafeMutablePointer<Int32>, _ a: UnsafeMutablePointer<Double>,
        _ l: UnsafeMutablePointer<Int32>, _ i: UnsafeMutablePointer<Int32>
    ) { BLAS.serial(); var d = nonUnit; dtrtri_(u, &d, n, a, l, i) }
    public static func lauum(
        _ u: UnsafeMutablePointer<CChar>, _ n: UnsafeMutablePointer<Int32>, _ a: UnsafeMutablePointer<Double>,
        _ l: UnsafeMutablePointer<Int32>, _ i: UnsafeMutablePointer<Int32>
    ) { BLAS.serial(); dlauum_(u, n, a, l, i) }
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int, beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        BLAS.serial()
        cblas_dgemm(
            CblasRowMajor, op(transA), op(transB), blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b,
            blasint(ldb), beta, c, blasint(ldc))
    }
    public static func syrk(
        lower: Bool, trans: Bool, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        BLAS.serial()
        cblas_dsyrk(
            CblasRowMajor, uplo(lower), op(trans), blasint(n), blasint(k), alpha, a, blasint(lda), beta, c,
            blasint(ldc))
    }
    public static func trsm(
        right: Bool, lower: Bool, trans: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafeMutablePointer<Double>, ldb: Int
    ) {
        BLAS.serial()
        cblas_dtrsm(
            CblasRowMajor, side(right), uplo(lower), op(trans), CblasNonUnit, blasint(m), blasint(n), alpha, a,
            blasint(lda), b, blasint(ldb))
    }
    public static func trmm(
        right: Bool, lower: Bool, trans: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafeMutablePointer<Double>, ldb: Int
    ) {
        BLAS.serial()
        cblas_dtrmm(
            CblasRowMajor, side(right), uplo(lower), op(trans), CblasNonUnit, blasint(m), blasint(n), alpha, a,
            blasint(lda), b, blasint(ldb))
    }
}
