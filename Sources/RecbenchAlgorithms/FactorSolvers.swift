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
            acc += rx.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
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
                    let u1 = 1 - g.nextFloat(), u2 = g.nextFloat() // u1 in (0, 1]
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

/// Software prefetch hints (keep in all cache levels). No Swift API exposes them; the CIntrinsics
/// header wraps the compiler builtin, which inlines to one instruction.
enum Prefetch {
    @inline(__always) static func read(_ p: UnsafeRawPointer) { recbench_prefetch_read(p) }
    @inline(__always) static func write(_ p: UnsafeRawPointer) { recbench_prefetch_write(p) }
}

/// Per-thread scratch for the normal-equation solvers (allocated once per block of rows, not per row).
final class NormalEquationScratch {
    let k: Int
    private(set) var capacity: Int
    var a: UnsafeMutablePointer<Float>      // k × k system matrix
    var rows: UnsafeMutablePointer<Float>   // gathered, scaled rows (capacity × k)
    var t: UnsafeMutablePointer<Float>      // per-row targets / weights (capacity)
    var w: UnsafeMutablePointer<Float>      // per-row weights (capacity)
    let r: UnsafeMutablePointer<Float>, p: UnsafeMutablePointer<Float>, ap: UnsafeMutablePointer<Float>

    init(k: Int, capacity: Int = 256) {
        self.k = k; self.capacity = max(1, capacity)
        a = .allocate(capacity: k * k)
        rows = .allocate(capacity: self.capacity * k)
        t = .allocate(capacity: self.capacity); w = .allocate(capacity: self.capacity)
        r = .allocate(capacity: k); p = .allocate(capacity: k); ap = .allocate(capacity: k)
    }

    /// Makes room for n gathered rows (contents are not kept).
    func reserve(_ n: Int) {
        guard n > capacity else { return }
        rows.deallocate(); t.deallocate(); w.deallocate()
        capacity = max(n, capacity * 2)
        rows = .allocate(capacity: capacity * k)
        t = .allocate(capacity: capacity); w = .allocate(capacity: capacity)
    }

    deinit { a.deallocate(); rows.deallocate(); t.deallocate(); w.deallocate(); r.deallocate(); p.deallocate(); ap.deallocate() }
}

/// Weighted ridge least squares for one row of a factor matrix:
///     (G + Σ_j w_j z_j z_jᵀ) x = Σ_j t_j z_j
/// where z_j are the n gathered rows in `scratch.rows`, w_j in `scratch.w`, t_j in `scratch.t`,
/// and G is a base matrix (the shared YᵀY + λI of implicit ALS) or ridge·I.
enum NormalEquations {
    /// Exact solve: forms the k × k matrix (rank-n update by ssyrk on √w-scaled rows) and
    /// factorises it with LAPACK's Cholesky. Overwrites the gathered rows.
    /// `lastRidge`, when given, replaces `ridge` on the last coordinate (ExplicitALS's bias).
    static func solveCholesky(base: UnsafePointer<Float>?, ridge: Float, lastRidge: Float? = nil, n: Int,
                              scratch s: NormalEquationScratch, x: UnsafeMutablePointer<Float>) throws {
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

/// The implicit-ALS row solve by conjugate gradient, reading the fixed factors in place:
///     (G + Σ_j (c_j − 1) y_j y_jᵀ) x = Σ_j c_j y_j,   y_j = fixed[cols[j]], c_j = conf[j].
/// Warm-started from the current x (the previous sweep's factors), so a few steps per sweep
/// suffice, as in Takács et al. and the implicit library: `steps` steps after the initial
/// residual. G must include the ridge. The rows are not gathered into scratch (a copy that cost
/// a fifth of the sweep): the first pass over them, the residual, pulls them into cache (with
/// prefetches four rows ahead) and the later passes find them there. The sparse part of
/// A·v runs four rows at a time, so v and the output are loaded once per four rows and the four
/// dot products are independent chains. While a row's rows sit in cache, the passes after the
/// first also prefetch the next row's rows (`ahead`), one per four rows processed, so the next
/// residual pass finds them in cache instead of waiting on memory.
enum ImplicitCG {
    /// Per-thread work vectors (k floats each).
    final class Work {
        let r: UnsafeMutablePointer<Float>, p: UnsafeMutablePointer<Float>, ap: UnsafeMutablePointer<Float>
        init(k: Int) { r = .allocate(capacity: k); p = .allocate(capacity: k); ap = .allocate(capacity: k) }
        deinit { r.deallocate(); p.deallocate(); ap.deallocate() }
    }

    static func solve(base: UnsafePointer<Float>, fixed: UnsafePointer<Float>, k: Int, cols: UnsafePointer<Int32>,
                      conf: UnsafePointer<Float>, n: Int, steps: Int, work: Work, x: UnsafeMutablePointer<Float>,
                      ahead: UnsafePointer<Int32>, aheadCount: Int) {
        let r = work.r, p = work.p, ap = work.ap
        var cursor = Cursor(cols: ahead, count: aheadCount)
        // r = b − A x = −G x + Σ_j (c_j − (c_j − 1) y_j·x) y_j
        BLAS.sgemv(m: k, n: k, alpha: -1, a: base, lda: k, x: x, y: r)
        accumulate(fixed: fixed, k: k, cols: cols, conf: conf, n: n, v: x, out: r, residual: true, ahead: &cursor)
        var rsOld = FactorKernels.dot(r, r, k)
        if rsOld < 1e-20 { return }
        p.update(from: r, count: k)
        for _ in 0..<steps {
            BLAS.sgemv(m: k, n: k, a: base, lda: k, x: p, y: ap)
            accumulate(fixed: fixed, k: k, cols: cols, conf: conf, n: n, v: p, out: ap, residual: false, ahead: &cursor)
            let pAp = FactorKernels.dot(p, ap, k)
            if pAp <= 0 { return }
            let alpha = rsOld / pAp
            FactorKernels.axpy(k, alpha, p, x)
            FactorKernels.axpy(k, -alpha, ap, r)
            let rsNew = FactorKernels.dot(r, r, k)
            if rsNew < 1e-20 { return }
            let beta = rsNew / rsOld
            for c in 0..<k { p[c] = r[c] + beta * p[c] }
            rsOld = rsNew
        }
    }

    /// The next row's rows still to prefetch.
    struct Cursor {
        let cols: UnsafePointer<Int32>, count: Int
        var next = 0
        @inline(__always)
        mutating func prefetchOne(_ fixed: UnsafePointer<Float>, _ k: Int) {
            guard next < count else { return }
            let row = UnsafeRawPointer(fixed + Int(cols[next]) * k)
            var o = 0
            while o < k * 4 { Prefetch.read(row + o); o += 64 }
            next += 1
        }
    }

    /// out += Σ_j γ_j y_j with γ_j = (c_j − 1)·(y_j·v), or with `residual` γ_j = c_j − (c_j − 1)·(y_j·v).
    @inline(__always)
    static func accumulate(fixed: UnsafePointer<Float>, k: Int, cols: UnsafePointer<Int32>, conf: UnsafePointer<Float>,
                           n: Int, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, residual: Bool,
                           ahead: inout Cursor) {
        @inline(__always) func coef(_ c: Float, _ dot: Float) -> Float { residual ? c - (c - 1) * dot : (c - 1) * dot }
        let wide = k & ~7
        let rv = UnsafeRawPointer(v), ro = UnsafeMutableRawPointer(out)
        var j = 0
        while j + 4 <= n {
            if residual && j + 8 <= n { // first touch of these rows: fetch the next four early
                for q in 4..<8 {
                    let row = UnsafeRawPointer(fixed + Int(cols[j + q]) * k)
                    var o = 0
                    while o < k * 4 { Prefetch.read(row + o); o += 64 }
                }
            } else if !residual {
                ahead.prefetchOne(fixed, k)
            }
            let z0 = fixed + Int(cols[j]) * k, z1 = fixed + Int(cols[j + 1]) * k
            let z2 = fixed + Int(cols[j + 2]) * k, z3 = fixed + Int(cols[j + 3]) * k
            let r0 = UnsafeRawPointer(z0), r1 = UnsafeRawPointer(z1), r2 = UnsafeRawPointer(z2), r3 = UnsafeRawPointer(z3)
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var o = 0
            while o < wide * 4 {
                let vv = rv.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                a0 += r0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * vv
                a1 += r1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * vv
                a2 += r2.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * vv
                a3 += r3.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * vv
                o += 32
            }
            var d0 = a0.sum(), d1 = a1.sum(), d2 = a2.sum(), d3 = a3.sum()
            for c in wide..<k { d0 += z0[c] * v[c]; d1 += z1[c] * v[c]; d2 += z2[c] * v[c]; d3 += z3[c] * v[c] }
            let g0 = coef(conf[j], d0), g1 = coef(conf[j + 1], d1), g2 = coef(conf[j + 2], d2), g3 = coef(conf[j + 3], d3)
            let s0 = SIMD8<Float>(repeating: g0), s1 = SIMD8<Float>(repeating: g1)
            let s2 = SIMD8<Float>(repeating: g2), s3 = SIMD8<Float>(repeating: g3)
            o = 0
            while o < wide * 4 {
                var acc = ro.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                acc += s0 * r0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                acc += s1 * r1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                acc += s2 * r2.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                acc += s3 * r3.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                ro.storeBytes(of: acc, toByteOffset: o, as: SIMD8<Float>.self)
                o += 32
            }
            for c in wide..<k { out[c] += g0 * z0[c] + g1 * z1[c] + g2 * z2[c] + g3 * z3[c] }
            j += 4
        }
        while j < n {
            let z = fixed + Int(cols[j]) * k
            if !residual { ahead.prefetchOne(fixed, k) }
            let g = coef(conf[j], FactorKernels.dot(z, v, k))
            FactorKernels.axpy(k, g, z, out)
            j += 1
        }
    }
}
