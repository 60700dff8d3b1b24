import RecbenchAlgorithms
import RecbenchCore
import RecbenchData
import RecbenchEval

/// Fused top-K scoring of synthetic factors (`ScoringCore.topK`), against a plain sgemm of the same
/// shape: the throughput of the scoring core, independent of any model or data file.
public struct ScoringBenchmark: Sendable {
    public var users = 100_000, items = 50_000, dim = 64, k = 10, threads = 2
    /// Random excluded (seen) items per user.
    public var seen = 20
    public var tile = ScoringTile()
    /// Timed repetitions of each measurement; the best is kept.
    public var repetitions = 2
    /// Most users in the sgemm reference (the whole users × items product would not fit in memory).
    public var referenceUsers = 16_384
    public var seed: UInt64 = 42

    public init() {}

    /// Nil when the sizes make a benchmark, else what is wrong.
    public var problem: String? {
        let sizes = [users, items, dim, k, threads, tile.users, tile.items, repetitions, referenceUsers]
        return sizes.allSatisfy({ $0 > 0 }) && seen >= 0 && seen < items
            ? nil : "every size must be positive, and --seen below --items"
    }

    public struct Measurement: Sendable {
        public let seconds: Double, cpuSeconds: Double
        public let referenceSeconds: Double, referenceCPUSeconds: Double
        public let referenceUsers: Int, chunk: Int
        /// Peak resident memory growth while scoring.
        public let extraBytes: Int
        /// The share of (user, item) scores the fused path computed (`RankedLists.scoredFraction`).
        public let scoredFraction: Double
        let flops: Double, referenceFlops: Double

        public var gflops: Double { flops / seconds / 1e9 }
        public var cpuGflops: Double { flops / cpuSeconds / 1e9 }
        public var referenceGflops: Double { referenceFlops / referenceSeconds / 1e9 }
        public var referenceCPUGflops: Double { referenceFlops / referenceCPUSeconds / 1e9 }
    }

    public func run() -> Measurement {
        var rng = RandomSource(seed: seed)
        func uniform(_ n: Int) -> [Float] { (0..<n).map { _ in Float(rng.nextDouble()) - 0.5 } }
        let uf = DenseMatrix(rows: users, columns: dim, values: uniform(users * dim))
        let itf = DenseMatrix(rows: items, columns: dim, values: uniform(items * dim))
        let bias = (0..<items).map { _ in Float(rng.nextDouble()) * 0.1 }
        let factors = LatentFactors(users: uf, items: itf, itemBias: bias)
        let exclude = seenItems(&rng)
        let ids = (0..<users).map { Int32($0) }

        SystemInfo.resetPeakMemory()
        let rssBefore = SystemInfo.peakResidentBytes() ?? 0
        var scored = 1.0
        let (best, bestCPU) = timed {
            let lists = ScoringCore.topK(
                factors: factors, users: ids, k: k, exclude: [exclude], threads: threads, tile: tile)
            precondition(lists.items.count == users * k)
            scored = lists.scoredFraction ?? 1
        }
        let rssAfter = SystemInfo.peakResidentBytes() ?? 0

        // Plain sgemm on the same shape with OpenBLAS's own threading, in row chunks into one buffer.
        let refUsers = min(users, referenceUsers), chunk = min(1024, refUsers)
        var c = [Float](repeating: 0, count: chunk * items)
        let saved = BLAS.threads
        BLAS.setThreads(threads)
        defer { BLAS.setThreads(saved) }
        let (refBest, refCPU) = timed {
            uf.values.withUnsafeBufferPointer { a in
                itf.values.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        var lo = 0
                        while lo < refUsers {
                            let m = min(chunk, refUsers - lo)
                            BLAS.sgemm(
                                transB: true, m: m, n: items, k: dim, a: a.baseAddress! + lo * dim, lda: dim,
                                b: b.baseAddress!, ldb: dim, c: c.baseAddress!, ldc: items)
                            lo += m
                        }
                    }
                }
            }
        }
        return Measurement(
            seconds: best, cpuSeconds: bestCPU, referenceSeconds: refBest, referenceCPUSeconds: refCPU,
            referenceUsers: refUsers, chunk: chunk, extraBytes: max(0, rssAfter - rssBefore), scoredFraction: scored,
            flops: 2 * Double(users) * Double(items) * Double(dim),
            referenceFlops: 2 * Double(refUsers) * Double(items) * Double(dim))
    }

    /// The best wall and the best CPU time over the repetitions.
    func timed(_ body: () -> Void) -> (Double, Double) {
        var best = Double.infinity, bestCPU = Double.infinity
        for _ in 0..<repetitions {
            let c0 = Stopwatch.cpuSeconds()
            best = min(best, Stopwatch.wall(body))
            bestCPU = min(bestCPU, Stopwatch.cpuSeconds() - c0)
        }
        return (best, bestCPU)
    }

    /// `seen` distinct random items per user, as a CSR exclusion matrix.
    func seenItems(_ rng: inout RandomSource) -> SparseMatrix {
        var su = [Int32](), si = [Int32]()
        su.reserveCapacity(users * seen); si.reserveCapacity(users * seen)
        for u in 0..<users {
            var row = Set<Int32>()
            while row.count < seen { row.insert(Int32(rng.nextInt(below: items))) }
            for i in row { su.append(Int32(u)); si.append(i) }
        }
        return InteractionMatrix(
            userCount: users, itemCount: items, users: su, items: si,
            values: [Float](repeating: 1, count: su.count), timestamps: nil
        ).byUser
    }
}
