#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RecbenchCore
internal import CIntrinsics

/// Weighted ridge least squares for one row of a factor matrix:
///     (G + Σ_j w_j z_j z_jᵀ) x = Σ_j t_j z_j
/// where z_j are the n gathered rows in `scratch.rows`, w_j in `scratch.w`, t_j in `scratch.t`,
/// and G is a base matrix (the shared YᵀY + λI of implicit ALS) or ridge·I.
enum NormalEquations {
    /// Exact solve: forms the k × k matrix (rank-n update by ssyrk on √w-scaled rows) and
    /// factorises it with LAPACK's Cholesky. Overwrites the gathered rows.
    /// `lastRidge`, when given, replaces `ridge` on the last coordinate (ExplicitALS's bias).
    static func solveCholesky(
        base: UnsafePointer<Float>?, ridge: Float, lastRidge: Float? = nil, n: Int,
        scratch s: NormalEquationScratch, x: UnsafeMutablePointer<Float>
    ) throws {
        let k = s.k
        // Right-hand side first, while the rows are unscaled: x = Zᵀ t.
        for c in 0..<k { x[c] = 0 }
        for j in 0..<n { FactorKernels.axpy(k, s.t[j], s.rows + j * k, x) }
        if let base { s.a.update(from: base, count: k * k) } else { s.a.update(repeating: 0, count: k * k) }
        for c in 0..<k { s.a[c * k + c] += ridge }
        if let lastRidge { s.a[k * k - 1] += lastRidge - ridge }
        if n > 0 {
            for j in 0..<n {
                let sw = s.w[j].squareRoot()
                if sw != 1 { for c in 0..<k { s.rows[j * k + c] *= sw } }
            }
            BLAS.ssyrkTransposed(n: k, rows: n, a: s.rows, lda: k, beta: 1, c: s.a, ldc: k)
        }
        try LAPACK.choleskySolve(n: k, a: s.a, b: x)
    }
}
