import RecbenchCore

/// The per-(batch, head) products of the attention ops. Field attention (AutoInt: ~10 fields,
/// heads of 16) makes thousands of products of a few hundred multiply-adds per step, where a
/// BLAS call's fixed cost (argument checks, buffer lock, packing) dominates; below `limit`
/// multiply-adds a plain loop computes the same C = alpha · op(A) · op(B) + beta · C, and
/// sequence attention (50 × 50 × 32 and up) still goes to BLAS.
@inline(__always)
func headGemm(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, limit: Int = 8192
) {
    guard m * n * k <= limit else {
        BLAS.sgemm(
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
            beta: beta, c: c, ldc: ldc)
        return
    }
    // A[i, p] is a[i·lda + p] (or a[p·lda + i] transposed); B[p, j] likewise.
    let (ai, ap) = transA ? (1, lda) : (lda, 1)
    if transB && !transA {
        // C = A·Bᵀ (attention scores Q·Kᵀ, the gradient dO·Vᵀ): rows of A and B are contiguous, so
        // each entry is one unit-stride dot product, which vectorises; the loop below would walk B
        // by columns.
        for i in 0..<m {
            let ar = a + i * lda, cr = c + i * ldc
            for j in 0..<n {
                let br = b + j * ldb
                if k % 8 == 0 {
                    // Head widths are multiples of 8 in practice: eight lanes at a time.
                    var acc = SIMD8<Float>(repeating: 0), p = 0
                    while p < k { acc += load8(ar + p) * load8(br + p); p += 8 }
                    cr[j] = alpha * acc.sum() + (beta == 0 ? 0 : beta * cr[j])
                    continue
                }
                // Four partial sums: the compiler may not reorder float additions itself.
                var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0, p = 0
                while p + 4 <= k {
                    s0 += ar[p] * br[p]; s1 += ar[p + 1] * br[p + 1]
                    s2 += ar[p + 2] * br[p + 2]; s3 += ar[p + 3] * br[p + 3]
                    p += 4
                }
                while p < k { s0 += ar[p] * br[p]; p += 1 }
                let dot = (s0 + s1) + (s2 + s3)
                cr[j] = alpha * dot + (beta == 0 ? 0 : beta * cr[j])
            }
        }
        return
    }
    let (bp, bj) = transB ? (1, ldb) : (ldb, 1)
    for i in 0..<m {
        let cr = c + i * ldc
        if beta == 0 { cr.update(repeating: 0, count: n) } else if beta != 1 { for j in 0..<n { cr[j] *= beta } }
        for p in 0..<k {
            let x = alpha * a[i * ai + p * ap]
            if x == 0 { continue }
            let br = b + p * bp
            if bj == 1 && n % 8 == 0 {
                let xv = SIMD8<Float>(repeating: x)
                var j = 0
                while j < n { store8(load8(cr + j) + xv * load8(br + j), cr + j); j += 8 }
            } else if bj == 1 {
                for j in 0..<n { cr[j] += x * br[j] }
            } else {
                for j in 0..<n { cr[j] += x * br[j * bj] }
            }
        }
    }
}
