import Foundation
import Testing
import RecbenchCore
import RecbenchAlgorithms

/// Opt-in speed report (RECBENCH_BENCH=1, `-c release`): ImplicitALS seconds per iteration and
/// BPR samples per second on ML-100K and on a synthetic 10⁷-interaction set, at 1 and 2 threads,
/// plus GFLOP/s of the BLAS shapes they use. Prints figures; asserts only that work was done.
private final class Times: @unchecked Sendable { var t: [Double] = [] }

@Suite(.enabled(if: ProcessInfo.processInfo.environment["RECBENCH_BENCH"] == "1"))
struct MFBenchmark {
    static func synthetic(users: Int, items: Int, perUser: Int, seed: UInt64) -> InteractionMatrix {
        var rng = RandomSource(seed: seed)
        var us = [Int32](), its = [Int32]()
        us.reserveCapacity(users * perUser); its.reserveCapacity(users * perUser)
        var seen = Set<Int32>()
        for u in 0..<users {
            seen.removeAll(keepingCapacity: true)
            while seen.count < perUser {
                // Popularity skew: squaring a uniform favours low item indices.
                let x = rng.nextDouble()
                seen.insert(Int32(Double(items) * x * x))
            }
            for i in seen.sorted() { us.append(Int32(u)); its.append(i) }
        }
        return InteractionMatrix(userCount: users, itemCount: items, users: us, items: its,
                                 values: [Float](repeating: 1, count: us.count))
    }

    static func ml100k() -> InteractionMatrix? {
        guard !ML100K.directory.isEmpty else { return nil }
        return ML100K.matrix(ML100K.read("u1.base"))
    }

    /// Seconds per iteration from the progress callbacks (first iteration dropped when there are more).
    static func perIteration<R: Recommender>(_ model: R, _ m: InteractionMatrix, threads: Int) throws -> Double {
        let times = Times()
        let start = Date()
        let ctx = FitContext(threads: threads, seed: 1, progress: { _ in times.t.append(Date().timeIntervalSince(start)) })
        try model.fit(TrainingData(task: .ranking, interactions: m), context: ctx)
        let t = [0] + times.t
        let steps = zip(t.dropFirst(), t).map { $0 - $1 }
        return steps.count > 1 ? steps.dropFirst().reduce(0, +) / Double(steps.count - 1) : steps[0]
    }

    @Test func speed() throws {
        var sets: [(String, InteractionMatrix)] = []
        if let m = Self.ml100k() { sets.append(("ML-100K u1.base", m)) }
        let t0 = Date()
        sets.append(("synthetic 100k×20k, 10⁷", Self.synthetic(users: 100_000, items: 20_000, perUser: 100, seed: 1)))
        print(String(format: "synthetic set built in %.1f s", Date().timeIntervalSince(t0)))
        for (name, m) in sets {
            for threads in [1, 2] {
                let big = m.nnz > 1_000_000
                let als = ImplicitALS(config: ImplicitALS.Config(ParameterValues(specs: ImplicitALS.Config.parameters, overrides: [
                    "factors": .int(64), "iterations": .int(big ? 2 : 6), "training_loss": .bool(false)])))
                let sec = try Self.perIteration(als, m, threads: threads)
                let bpr = BPR(config: BPR.Config(ParameterValues(specs: BPR.Config.parameters, overrides: [
                    "factors": .int(64), "epochs": .int(big ? 2 : 20)])))
                _ = try Self.perIteration(bpr, m, threads: threads)
                print(String(format: "%@  threads=%d  ImplicitALS(d=64, cg 3): %.4f s/iteration  BPR(d=64): %.2f M samples/s",
                             name, threads, sec, bpr.samplesPerSecond / 1e6))
                #expect(sec > 0 && bpr.samplesPerSecond > 0)
            }
        }
        // BLAS shapes: the Gram matrix (ssyrk, 100k × 64) and the scoring product (1024 × 20000 × 64).
        var rng = RandomSource(seed: 2)
        let y = (0..<(100_000 * 64)).map { _ in Float(rng.nextGaussian()) }
        var g = [Float](repeating: 0, count: 64 * 64)
        let a = (0..<(1024 * 64)).map { _ in Float(rng.nextGaussian()) }, b = (0..<(20_000 * 64)).map { _ in Float(rng.nextGaussian()) }
        var c = [Float](repeating: 0, count: 1024 * 20_000)
        for threads in [1, 2] {
            BLAS.setThreads(threads)
            var t = Date()
            for _ in 0..<10 { y.withUnsafeBufferPointer { yp in g.withUnsafeMutableBufferPointer { gp in
                BLAS.ssyrkTransposed(n: 64, rows: 100_000, a: yp.baseAddress!, lda: 64, c: gp.baseAddress!, ldc: 64) } } }
            let syrk = Date().timeIntervalSince(t) / 10
            t = Date()
            for _ in 0..<5 { a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                BLAS.sgemm(transB: true, m: 1024, n: 20_000, k: 64, a: ap.baseAddress!, lda: 64, b: bp.baseAddress!, ldb: 64,
                           c: cp.baseAddress!, ldc: 20_000) } } } }
            let gemm = Date().timeIntervalSince(t) / 5
            print(String(format: "BLAS threads=%d  ssyrk 100000×64 (Gram): %.1f GFLOP/s   sgemm 1024×20000×64 (scoring): %.1f GFLOP/s",
                         threads, 100_000.0 * 64 * 65 / syrk / 1e9, 2.0 * 1024 * 20_000 * 64 / gemm / 1e9))
        }
        #expect(g[0] > 0)
    }
}
