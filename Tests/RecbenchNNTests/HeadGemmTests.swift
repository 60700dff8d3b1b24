import Testing
import RecbenchCore
@testable import RecbenchNN

/// `headGemm` computes small products with its own loops and large ones with BLAS; both must give
/// C = alpha · op(A) · op(B) + beta · C for every transpose combination, strided operands included.
@Suite struct HeadGemmTests {
    /// Entry (r, c) of op(X) for X stored with leading dimension ld.
    static func at(_ x: [Float], _ r: Int, _ c: Int, ld: Int, transposed: Bool) -> Float {
        transposed ? x[c * ld + r] : x[r * ld + c]
    }

    /// Shapes with n and k multiples of 8 take the eight-lane loops, the others the scalar ones.
    @Test(
        arguments: [(false, false), (false, true), (true, false), (true, true)],
        [(3, 5, 6, 8192), (3, 16, 16, 8192), (11, 8, 24, 8192), (3, 5, 6, 0)])
    func matchesTheDefinition(_ trans: (Bool, Bool), shape: (Int, Int, Int, Int)) {
        let (m, n, k, limit) = shape, (ta, tb) = trans
        // Leading dimensions wider than the rows, as the per-head slices of attention have.
        let lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 1, ldc = n + 3
        var rng = RandomSource(seed: 11)
        let a = (0..<((ta ? k : m) * lda)).map { _ in Float(rng.nextDouble() - 0.5) }
        let b = (0..<((tb ? n : k) * ldb)).map { _ in Float(rng.nextDouble() - 0.5) }
        let c0 = (0..<(m * ldc)).map { _ in Float(rng.nextDouble() - 0.5) }
        var c = c0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    headGemm(
                        transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.7, a: pa.baseAddress!, lda: lda,
                        b: pb.baseAddress!, ldb: ldb, beta: 0.5, c: pc.baseAddress!, ldc: ldc, limit: limit)
                }
            }
        }
        for i in 0..<m {
            for j in 0..<ldc {
                var expected = c0[i * ldc + j]
                if j < n {
                    var dot: Float = 0
                    for p in 0..<k {
                        dot += Self.at(a, i, p, ld: lda, transposed: ta) * Self.at(b, p, j, ld: ldb, transposed: tb)
                    }
                    expected = 0.7 * dot + 0.5 * expected
                }
                // Columns past n belong to the next head's slice and must be left alone.
                #expect(abs(c[i * ldc + j] - expected) <= 1e-5, "C[\(i), \(j)] with trans \(trans), limit \(limit)")
            }
        }
    }
}
