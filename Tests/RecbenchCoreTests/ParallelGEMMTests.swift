import Testing
@testable import RecbenchCore

@Suite struct ParallelGEMMTests {
    @Test func panelsDependOnTheShapeAloneAndCoverIt() {
        // Too little work: one call.
        #expect(GEMMPanels.plan(m: 64, n: 64, k: 64).bounds == [0, 64])
        // 6,400 × 12,101 × 64 (a softmax over a catalogue): split along the columns of C.
        let (alongRows, bounds) = GEMMPanels.plan(m: 6_400, n: 12_101, k: 64)
        #expect(!alongRows)
        #expect(bounds.first == 0 && bounds.last == 12_101)
        #expect(bounds.count - 1 <= GEMMPanels.maximumPanels && bounds.count > 2)
        for p in 0..<(bounds.count - 2) {
            #expect((bounds[p + 1] - bounds[p]) % GEMMPanels.alignment == 0)
        }
        // A tall product (the input gradient, 6,400 × 64 × 12,101): along the rows.
        #expect(GEMMPanels.plan(m: 6_400, n: 64, k: 12_101).alongRows)
    }

    /// Every transpose combination on a shape that is no multiple of the panel alignment, with
    /// beta ≠ 0 so the untouched parts of C would show: the same as one serial call (within
    /// rounding) and bit-for-bit the same at one and at two threads.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matchesOneCallAtAnyThreadCount(transA: Bool, transB: Bool) {
        for (m, n, k) in [(53, 2_011, 130), (2_011, 53, 130)] {
            var rng = RandomSource(seed: 7, stream: "gemm")
            let a = (0..<(m * k)).map { _ in rng.nextFloat() - 0.5 }
            let b = (0..<(k * n)).map { _ in rng.nextFloat() - 0.5 }
            let c0 = (0..<(m * n)).map { _ in rng.nextFloat() }
            #expect(GEMMPanels.plan(m: m, n: n, k: k).bounds.count > 2, "the shape must split")
            let lda = transA ? m : k, ldb = transB ? k : n
            func product(_ threads: Int?) -> [Float] {
                var c = c0
                if let threads {
                    BLAS.sgemm(
                        threads: threads, transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a,
                        lda: lda, b: b, ldb: ldb, beta: 2, c: &c, ldc: n)
                } else {
                    BLAS.sgemm(
                        transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b,
                        ldb: ldb, beta: 2, c: &c, ldc: n)
                }
                return c
            }
            let serial = product(nil), one = product(1), two = product(2)
            #expect(one == two)
            let worst = zip(serial, two).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-4, "largest difference from one sgemm call: \(worst)")
            // A hand-computed entry, so a panel pointed at the wrong operand slice cannot agree with
            // a wrong serial call by accident.
            let (i, j) = (m - 1, n - 1)
            var dot: Float = 0
            for p in 0..<k { dot += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]) }
            #expect(abs(two[i * n + j] - (0.5 * dot + 2 * c0[i * n + j])) < 1e-4)
        }
    }
}
