#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RecbenchCore
internal import CIntrinsics

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

    static func solve(
        base: UnsafePointer<Float>, fixed: UnsafePointer<Float>, k: Int, cols: UnsafePointer<Int32>,
        conf: UnsafePointer<Float>, n: Int, steps: Int, work: Work, x: UnsafeMutablePointer<Float>,
        ahead: UnsafePointer<Int32>, aheadCount: Int, kernel: Bool = hasKernel
    ) {
        let r = work.r, p = work.p, ap = work.ap
        var cursor = Cursor(cols: ahead, count: aheadCount)
        // r = b − A x = −G x + Σ_j (c_j − (c_j − 1) y_j·x) y_j
        BLAS.sgemv(m: k, n: k, alpha: -1, a: base, lda: k, x: x, y: r)
        accumulate(
            fixed: fixed, k: k, cols: cols, conf: conf, n: n, v: x, out: r, residual: true, ahead: &cursor,
            kernel: kernel)
        var rsOld = FactorKernels.dot(r, r, k)
        if rsOld < 1e-20 { return }
        p.update(from: r, count: k)
        for _ in 0..<steps {
            BLAS.sgemv(m: k, n: k, a: base, lda: k, x: p, y: ap)
            accumulate(
                fixed: fixed, k: k, cols: cols, conf: conf, n: n, v: p, out: ap, residual: false, ahead: &cursor,
                kernel: kernel)
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

    /// Whether the sparse part runs the AVX2 + FMA kernel (`recbench_ials_cg_accumulate_avx2`, the same
    /// loop in FMA lanes) on this CPU.
    static let hasKernel = CPUFeatures.avx2FMA

    /// out += Σ_j γ_j y_j with γ_j = (c_j − 1)·(y_j·v), or with `residual` γ_j = c_j − (c_j − 1)·(y_j·v).
    /// `kernel: false` keeps the portable loop (tests compare the two).
    @inline(__always)
    static func accumulate(
        fixed: UnsafePointer<Float>, k: Int, cols: UnsafePointer<Int32>, conf: UnsafePointer<Float>,
        n: Int, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, residual: Bool,
        ahead: inout Cursor, kernel: Bool = hasKernel
    ) {
        if kernel {
            ahead.next = recbench_ials_cg_accumulate_avx2(
                fixed, k, cols, conf, n, v, out, residual ? 1 : 0, ahead.cols, ahead.count, ahead.next)
            return
        }
        @inline(__always) func coef(_ c: Float, _ dot: Float) -> Float { residual ? c - (c - 1) * dot : (c - 1) * dot }
        let wide = k & ~7
        let rv = UnsafeRawPointer(v), ro = UnsafeMutableRawPointer(out)
        var j = 0
        while j + 4 <= n {
            if residual && j + 8 <= n {  // first touch of these rows: fetch the next four early
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
            let r0 = UnsafeRawPointer(z0), r1 = UnsafeRawPointer(z1), r2 = UnsafeRawPointer(z2),
                r3 = UnsafeRawPointer(z3)
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
            let g0 = coef(conf[j], d0), g1 = coef(conf[j + 1], d1), g2 = coef(conf[j + 2], d2),
                g3 = coef(conf[j + 3], d3)
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
