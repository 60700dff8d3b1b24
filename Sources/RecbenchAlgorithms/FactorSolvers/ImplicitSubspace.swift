#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RecbenchCore
internal import CIntrinsics

/// The implicit-ALS row solve by block coordinate descent over the factors (iALS++, Rendle et al.
/// 2021): the row's quadratic
///     f(x) = xᵀ G x + Σ_j (c_j − 1)(y_j·x)² − 2 Σ_j c_j (y_j·x),   y_j = fixed[cols[j]], c_j = conf[j],
/// is minimised exactly over one block B of `block` coordinates at a time, the others held, in one pass
/// over the blocks. A block's system is b × b: H = G_BB + Σ_j (c_j − 1) y_jB y_jBᵀ and gradient
/// g = (G x)_B + Σ_j ((c_j − 1) s_j − c_j) y_jB with s_j = y_j·x; x_B −= H⁻¹ g. The predictions s and
/// G x are kept current after each block (n·b and k·b), so a pass costs O(n·k·b + k² + k·b²) against
/// the exact solve's O(n·k² + k³). A block of k coordinates is the exact solve; a block of 1 is
/// coordinate descent (iCD). Warm-started from the current x, like CG; every block step lowers f.
///
/// Blocks of eight factors run block-major in an AVX2 + FMA kernel where the CPU has one
/// (`solveBlockMajor`): every row goes through a block before the next block, so the fixed side is
/// read one eight-factor slice at a time, in cache, instead of whole rows from memory.
enum ImplicitSubspace {
    /// Per-thread buffers: G x (k), the block system (b × b) and right-hand side (b), the predictions (grows).
    final class Work {
        let k: Int, b: Int
        let gx: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>
        private(set) var s: UnsafeMutablePointer<Float>
        private var capacity = 256
        init(k: Int, block: Int) {
            self.k = k; b = min(block, k)
            gx = .allocate(capacity: k); h = .allocate(capacity: b * b); g = .allocate(capacity: b)
            s = .allocate(capacity: capacity)
        }
        func reserve(_ n: Int) {
            guard n > capacity else { return }
            s.deallocate(); capacity = max(n, capacity * 2); s = .allocate(capacity: capacity)
        }
        deinit { gx.deallocate(); h.deallocate(); g.deallocate(); s.deallocate() }
    }

    /// Whether the CPU runs the block-major kernel (AVX2 + FMA).
    static let hasKernel = CPUFeatures.avx2FMA

    /// Whether a half-sweep with this block size runs block-major (`solveBlockMajor`): blocks of
    /// eight factors on a CPU with AVX2 + FMA, when the factors split into whole blocks.
    static func blockMajor(k: Int, block: Int) -> Bool { hasKernel && block == 8 && k % 8 == 0 }

    /// The fixed side's m × k rows packed block by block for `solveBlockMajor`: block B's slice is
    /// the m rows' factors 8B…8B+7, contiguous (packed[8·(B·m + row) + c]).
    static func packBlocks(_ fixed: UnsafePointer<Float>, rows m: Int, k: Int, threads: Int) -> [Float] {
        var packed = [Float](repeating: 0, count: m * k)
        packed.withUnsafeMutableBufferPointer { pp in
            let out = UncheckedSendable(pp.baseAddress!)
            parallelChunks(count: m, threads: threads) { _, range in
                for r in range {
                    for b in stride(from: 0, to: k, by: 8) {
                        (out.value + 8 * (b / 8 * m + r)).update(from: fixed + r * k + b, count: 8)
                    }
                }
            }
        }
        return packed
    }

    /// One pass over the blocks of every row in `rows`, block-major (every row through a block
    /// before the next block), which keeps the fixed side's block slice in cache; the same steps as
    /// `solve` row by row with blocks of eight. `packed` is `packBlocks` of the m fixed rows;
    /// `predictions` holds the rows' entries' y_j·x as scratch (offsets[rows] − offsets[first row]
    /// floats). False when a block's system was not positive definite.
    static func solveBlockMajor(
        base: UnsafePointer<Float>, packed: UnsafePointer<Float>, fixedRows m: Int, k: Int,
        offsets: UnsafePointer<Int>, cols: UnsafePointer<Int32>, conf: UnsafePointer<Float>,
        predictions: UnsafeMutablePointer<Float>, x: UnsafeMutablePointer<Float>, rows: Range<Int>
    ) -> Bool {
        precondition(k % 8 == 0 && hasKernel)
        let longest = rows.map { offsets[$0 + 1] - offsets[$0] }.max() ?? 0
        var rowCopy = [Float](repeating: 0, count: 8 * max(8, longest))
        return offsets.withMemoryRebound(to: CLong.self, capacity: rows.upperBound + 1) { o in
            recbench_ials_block8_avx2(
                base, packed, m, k, o, cols, conf, predictions, x, rows.lowerBound, rows.upperBound, &rowCopy) != 0
        }
    }

    /// One pass over the blocks of `x`; false when a block's system was not positive definite.
    static func solve(
        base: UnsafePointer<Float>, fixed: UnsafePointer<Float>, k: Int, cols: UnsafePointer<Int32>,
        conf: UnsafePointer<Float>, n: Int, work: Work, x: UnsafeMutablePointer<Float>
    ) -> Bool {
        work.reserve(n)
        let s = work.s, gx = work.gx, h = work.h, g = work.g
        // The first touch of the row's rows: fetch four rows ahead (as ImplicitCG's residual pass does),
        // so the later passes over the blocks find them in cache.
        for j in 0..<n {
            if j + 4 < n {
                let ahead = UnsafeRawPointer(fixed + Int(cols[j + 4]) * k)
                var o = 0
                while o < k * 4 { Prefetch.read(ahead + o); o += 64 }
            }
            s[j] = FactorKernels.dot(fixed + Int(cols[j]) * k, x, k)
        }
        BLAS.sgemv(m: k, n: k, a: base, lda: k, x: x, y: gx)
        var start = 0
        while start < k {
            let b = min(work.b, k - start)
            for r in 0..<b {
                (h + r * b).update(from: base + (start + r) * k + start, count: b)
                g[r] = gx[start + r]
            }
            accumulate(fixed: fixed + start, k: k, b: b, cols: cols, conf: conf, s: s, n: n, h: h, g: g)
            // H δ = g, then x_B −= δ.
            if b <= smallBlock {
                guard choleskySolve(b, h, g) else { return false }
            } else {
                do { try LAPACK.choleskySolve(n: b, a: h, b: g) } catch { return false }
            }
            for r in 0..<b { x[start + r] -= g[r] }
            // Keep s = Y x and G x current: both change by −δ along the block.
            for j in 0..<n { s[j] -= FactorKernels.dot(fixed + Int(cols[j]) * k + start, g, b) }
            for r in 0..<b { FactorKernels.axpy(k, -g[r], base + (start + r) * k, gx) }
            start += b
        }
        return true
    }

    /// Blocks up to this size are factorised here: a LAPACK call per block costs more than the
    /// factorisation itself at these sizes.
    static let smallBlock = 32

    /// Solves H x = g in place (x in g) for the b × b symmetric positive-definite H whose lower
    /// triangle is given (row-major), by Cholesky H = L·Lᵀ with L overwriting that triangle; false
    /// when H is not positive definite.
    static func choleskySolve(_ b: Int, _ h: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>) -> Bool {
        for j in 0..<b {
            let rj = h + j * b
            let dj = rj[j] - FactorKernels.dot(rj, rj, j)
            guard dj > 0 else { return false }
            let l = dj.squareRoot()
            rj[j] = l
            for i in (j + 1)..<b {
                let ri = h + i * b
                ri[j] = (ri[j] - FactorKernels.dot(ri, rj, j)) / l
            }
        }
        for i in 0..<b { g[i] = (g[i] - FactorKernels.dot(h + i * b, g, i)) / h[i * b + i] }  // L y = g
        for i in stride(from: b - 1, through: 0, by: -1) {  // Lᵀ x = y
            var v = g[i]
            for r in (i + 1)..<b { v -= h[r * b + i] * g[r] }
            g[i] = v / h[i * b + i]
        }
        return true
    }

    /// h += Σ_j (c_j − 1) z_j z_jᵀ (the lower triangle: row r up to the eight-lane step holding
    /// column r; what lies above is never read) and g += Σ_j ((c_j − 1) s_j − c_j) z_j over the
    /// block's slices z_j = (fixed + cols[j]·k)[0..<b] (the caller offsets `fixed` to the block),
    /// four rows at a time so each row of h is loaded and stored once per four.
    @inline(__always)
    static func accumulate(
        fixed: UnsafePointer<Float>, k: Int, b: Int, cols: UnsafePointer<Int32>, conf: UnsafePointer<Float>,
        s: UnsafePointer<Float>, n: Int, h: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>
    ) {
        let wide = b & ~7
        let rh = UnsafeMutableRawPointer(h)
        var j = 0
        while j + 4 <= n {
            let z0 = fixed + Int(cols[j]) * k, z1 = fixed + Int(cols[j + 1]) * k
            let z2 = fixed + Int(cols[j + 2]) * k, z3 = fixed + Int(cols[j + 3]) * k
            let w0 = conf[j] - 1, w1 = conf[j + 1] - 1, w2 = conf[j + 2] - 1, w3 = conf[j + 3] - 1
            let e0 = w0 * s[j] - conf[j], e1 = w1 * s[j + 1] - conf[j + 1]
            let e2 = w2 * s[j + 2] - conf[j + 2], e3 = w3 * s[j + 3] - conf[j + 3]
            let r0 = UnsafeRawPointer(z0), r1 = UnsafeRawPointer(z1), r2 = UnsafeRawPointer(z2),
                r3 = UnsafeRawPointer(z3)
            let rg = UnsafeMutableRawPointer(g)
            var o = 0
            while o < wide * 4 {
                var acc = rg.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                acc += SIMD8(repeating: e0) * r0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                acc += SIMD8(repeating: e1) * r1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                acc += SIMD8(repeating: e2) * r2.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                acc += SIMD8(repeating: e3) * r3.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                rg.storeBytes(of: acc, toByteOffset: o, as: SIMD8<Float>.self)
                o += 32
            }
            for r in wide..<b { g[r] += e0 * z0[r] + e1 * z1[r] + e2 * z2[r] + e3 * z3[r] }
            for r in 0..<b {
                let a0 = w0 * z0[r], a1 = w1 * z1[r], a2 = w2 * z2[r], a3 = w3 * z3[r]
                let s0 = SIMD8<Float>(repeating: a0), s1 = SIMD8<Float>(repeating: a1)
                let s2 = SIMD8<Float>(repeating: a2), s3 = SIMD8<Float>(repeating: a3)
                let row = r * b * 4, vectorEnd = min(wide, (r + 8) & ~7)
                var o = 0
                while o < vectorEnd * 4 {
                    var acc = rh.loadUnaligned(fromByteOffset: row + o, as: SIMD8<Float>.self)
                    acc += s0 * r0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                    acc += s1 * r1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                    acc += s2 * r2.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                    acc += s3 * r3.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                    rh.storeBytes(of: acc, toByteOffset: row + o, as: SIMD8<Float>.self)
                    o += 32
                }
                for c in stride(from: vectorEnd, to: r + 1, by: 1) {
                    h[r * b + c] += a0 * z0[c] + a1 * z1[c] + a2 * z2[c] + a3 * z3[c]
                }
            }
            j += 4
        }
        while j < n {
            let z = fixed + Int(cols[j]) * k, w = conf[j] - 1
            FactorKernels.axpy(b, w * s[j] - conf[j], z, g)
            for r in 0..<b { FactorKernels.axpy(r + 1, w * z[r], z, h + r * b) }
            j += 1
        }
    }
}
