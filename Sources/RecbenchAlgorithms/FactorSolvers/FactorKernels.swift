#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RecbenchCore
internal import CIntrinsics

/// Kernels shared by the factor models (ALS, BPR, PureSVD): small dense vector helpers, the Gram
/// matrix, the weighted ridge normal-equation solvers (exact Cholesky and warm-started conjugate
/// gradient) and early stopping on the trial's validation metric.
enum FactorKernels {
    /// x · y over n floats, eight lanes at a time (a plain loop would not vectorise: strict FP order).
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var k = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
        while k + 8 <= n {
            acc +=
                rx.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
                * ry.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
            k += 8
        }
        var s = acc.sum()
        while k < n { s += x[k] * y[k]; k += 1 }
        return s
    }

    /// y += a · x
    @inline(__always)
    static func axpy(_ n: Int, _ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        for k in 0..<n { y[k] += a * x[k] }
    }

    /// YᵀY + ridge·I for a row-major rows × d matrix, through ssyrk (level-3 BLAS).
    static func gram(_ y: UnsafePointer<Float>, rows: Int, d: Int, ridge: Float) -> [Float] {
        var g = [Float](repeating: 0, count: d * d)
        g.withUnsafeMutableBufferPointer { gp in
            if rows > 0 { BLAS.ssyrkTransposed(n: d, rows: rows, a: y, lda: d, c: gp.baseAddress!, ldc: d) }
            for i in 0..<d { gp[i * d + i] += ridge }
        }
        return g
    }

    /// The same Gram matrix from fixed chunks of rows: partial YᵀY by ssyrk on up to `threads`
    /// threads (one BLAS thread each), summed in chunk order. The bits do not depend on the thread
    /// count, and ALS has no serial level-3 call left between its parallel half-sweeps.
    static func gram(_ y: UnsafePointer<Float>, rows: Int, d: Int, ridge: Float, threads: Int) -> [Float] {
        let chunk = 4096, chunks = (rows + chunk - 1) / chunk
        if chunks <= 1 { return gram(y, rows: rows, d: d, ridge: ridge) }
        var partial = [Float](repeating: 0, count: chunks * d * d)
        partial.withUnsafeMutableBufferPointer { pp in
            let box = UncheckedSendable((pp.baseAddress!, y))
            parallelFor(count: chunks, threads: threads, grain: 1) { c in
                let (p, y) = box.value
                let lo = c * chunk, n = min(rows, lo + chunk) - lo
                BLAS.ssyrkTransposed(n: d, rows: n, a: y + lo * d, lda: d, c: p + c * d * d, ldc: d)
            }
        }
        var g = [Float](repeating: 0, count: d * d)
        for c in 0..<chunks { for k in 0..<(d * d) { g[k] += partial[c * d * d + k] } }
        for i in 0..<d { g[i * d + i] += ridge }
        return g
    }

    static func sumOfSquares(_ v: [Float]) -> Double {
        v.withUnsafeBufferPointer { p in Double(p.isEmpty ? 0 : dot(p.baseAddress!, p.baseAddress!, p.count)) }
    }
}

extension FactorKernels {
    /// A rows × d matrix of N(0, std²) values for initial factors. Box–Muller in Float using both
    /// values of each pair, in blocks of 2¹⁶ values with a stream each (`stream`-block), filled in
    /// parallel: the values depend on the seed only, not on the thread count. (Drawing one Double
    /// Gaussian at a time took a noticeable share of a short fit.)
    static func gaussianFactors(rows: Int, d: Int, std: Float, context: FitContext, stream: String) -> DenseMatrix {
        var m = DenseMatrix(rows: rows, columns: d)
        let n = rows * d, block = 1 << 16
        guard n > 0 else { return m }
        m.values.withUnsafeMutableBufferPointer { vp in
            let box = UncheckedSendable(vp.baseAddress!)
            parallelFor(count: (n + block - 1) / block, threads: context.threads, grain: 1) { b in
                let p = box.value
                var g = context.random("\(stream)-\(b)")
                var i = b * block
                let end = min(n, i + block)
                while i < end {
                    let u1 = 1 - g.nextFloat(), u2 = g.nextFloat()  // u1 in (0, 1]
                    let r = (-2 * logf(u1)).squareRoot() * std, t = 2 * Float.pi * u2
                    p[i] = r * cosf(t)
                    if i + 1 < end { p[i + 1] = r * sinf(t) }
                    i += 2
                }
            }
        }
        return m
    }
}
