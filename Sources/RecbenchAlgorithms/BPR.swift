import RecbenchCore

/// Bayesian personalised ranking (Rendle et al. 2009): matrix factorisation with an item bias,
/// s(u, i) = x_u·y_i + b_i, trained by SGD on sampled triples (u, i, j) to maximise
/// Σ log σ(s(u, i) − s(u, j)) − λ‖Θ‖². A triple draws a training interaction (u, i) uniformly
/// (so active users are sampled in proportion to their activity) and a negative j uniformly
/// from the catalogue, redrawn while j is one of u's items (see `SeenItems`).
/// The learning rate decays geometrically per epoch: η_e = η·decay^e.
///
/// Threads never write the same memory (plain Hogwild, Recht et al. 2011, barely scaled on
/// MovieLens: its 1,682 item rows kept moving between the cores' caches). Users are cut into one
/// part per thread, and a thread samples only its part's interactions, so user rows are private.
/// Each thread updates its own replica of the item rows and biases, and after every epoch the
/// replicas' changes are added up into the shared model and copied back (local SGD; a thread sees
/// the others' item updates one epoch late). So a seed gives a bit-identical model at a given
/// thread count; different thread counts give different models of the same quality (NDCG@10 on
/// ML-100K u1–u5: 0.4527 at 1 thread, 0.4512 at 2). One thread works on the model itself. The
/// replicas cost threads × items × (d rounded up to 16, + 1) floats. Summing changes made from
/// stale rows could overshoot with many threads; at the 2–8 threads of a workstation an epoch's
/// staleness is small against the ~nnz/items updates each item gets.
public final class BPR: FactorModel {
    public struct Config: AlgorithmConfig {
        public static let budgetParameter: String? = "epochs"
        public static let parameters: [ParameterSpec] = [
            .integer("factors", default: 64, min: 1, max: 4096, "Latent dimensions d (plus the item bias)."),
            .integer("epochs", default: 100, min: 1, max: 100_000, "Passes of samples_per_epoch triples."),
            .integer("samples_per_epoch", default: 0, min: 0, max: 1_000_000_000,
                     "Triples per epoch (0 = number of training interactions)."),
            .real("learning_rate", default: 0.1, exclusiveMin: true, "Initial SGD step η."),
            .learningRateDecay(default: 0.97),
            .real("regularization", default: 0.02, "λ on the factors and biases touched by each step."),
            .real("init_std", default: 0.1, "Standard deviation of the Gaussian initial factors."),
            .boolean("verify_negatives", default: true, "Redraw a negative that is one of the user's items."),
            .patience(default: 0, unit: "epochs"),
        ]
        /// About 10¹¹ SGD steps is hours of one core; more would make the trial practically endless.
        public static let constraints: [ParameterConstraint] = [
            .product(["epochs", "samples_per_epoch"], atMost: 100_000_000_000, "SGD steps"),
        ]
        public var factors: Int, epochs: Int, samplesPerEpoch: Int, learningRate: Double, lrDecay: Double
        public var regularization: Double, initStd: Double, verifyNegatives: Bool, patience: Int
        public init(_ v: ParameterValues) {
            factors = v.int("factors"); epochs = v.int("epochs"); samplesPerEpoch = v.int("samples_per_epoch")
            learningRate = v.real("learning_rate"); lrDecay = v.real("learning_rate_decay"); regularization = v.real("regularization")
            initStd = v.real("init_std"); verifyNegatives = v.bool("verify_negatives"); patience = v.int("patience")
        }
    }
    public static let name = "BPR"
    public static let summary = "Pairwise ranking matrix factorisation trained by SGD on sampled triples (Rendle et al. 2009)."
    public static let tasks: Set<RecommendationTask> = [.ranking]
    /// Each thread samples its own users' triples from its own stream (see above).
    public static let threadDependent = true

    public let config: Config
    public private(set) var userFactors = DenseMatrix(rows: 0, columns: 0)
    public private(set) var itemFactors = DenseMatrix(rows: 0, columns: 0)
    public private(set) var itemBias: [Float] = []
    /// Triples processed per second in the last fit (all threads), for profiling.
    public private(set) var samplesPerSecond: Double = 0

    /// How negatives are checked: nil picks (see `SeenItems`); tests force either way.
    var negativeBitset: Bool?

    public init(config: Config) { self.config = config }

    public var factors: LatentFactors { LatentFactors(users: userFactors, items: itemFactors, itemBias: itemBias) }


    public func fit(_ data: TrainingData, context: FitContext) throws {
        let m = data.interactions, d = config.factors
        let nnz = m.nnz, itemCount = m.itemCount
        let std = Float(config.initStd)
        userFactors = FactorKernels.gaussianFactors(rows: m.userCount, d: d, std: std, context: context, stream: "bpr-init-users")
        itemFactors = FactorKernels.gaussianFactors(rows: itemCount, d: d, std: std, context: context, stream: "bpr-init-items")
        itemBias = [Float](repeating: 0, count: itemCount)
        guard nnz > 0, itemCount > 1 else { return }

        let seen = SeenItems(m.byUser, items: itemCount, bitset: config.verifyNegatives ? negativeBitset : false)
        let samples = config.samplesPerEpoch > 0 ? config.samplesPerEpoch : nnz
        let threads = max(1, min(context.threads, samples, m.userCount, itemCount))
        var cut = context.random("bpr-user-parts")
        let blocks = UserBlocks(m, parts: threads, random: &cut)
        let x = PaddedRows(userFactors.values, rows: m.userCount, d: d)
        let y = PaddedRows(itemFactors.values, rows: itemCount, d: d, bias: itemBias)
        let replicas = threads > 1 ? (0..<threads).map { _ in y.copy() } : [y]
        let reg = Float(config.regularization), verify = config.verifyNegatives
        var lr = config.learningRate
        var totalSamples = 0, totalTime = 0.0
        // Validation scores the model's own matrices, so the training rows are copied back first.
        let validation = context.validate.map { v in { self.storeFactors(x, y); return v(self) } }
        var bestRestored = false

        try TrainingLoop(iterations: config.epochs, patience: config.patience, unit: "epoch").run(
            context: context, model: self, validation: validation,
            snapshot: { (userFactors, itemFactors, itemBias) }, restore: { (userFactors, itemFactors, itemBias) = $0; bestRestored = true }
        ) { iteration in
            let epoch = iteration - 1
            var results = [(loss: Double, steps: Int)](repeating: (0, 0), count: threads)
            let eta = Float(lr)
            let start = DispatchTime.now().uptimeNanoseconds
            m.byUser.indices.withUnsafeBufferPointer { ip in
                m.byUser.offsets.withUnsafeBufferPointer { op in
                    results.withUnsafeMutableBufferPointer { rp in
                        let box = UncheckedSendable((ip, op, rp))
                        parallelChunks(count: threads, threads: threads) { t, _ in
                            let (ip, op, rp) = box.value
                            var stream = context.random("bpr-epoch-\(epoch)-thread-\(t)")
                            var sampler = TripleSampler(x: x, y: replicas[t], blocks.pairs(t), ip.baseAddress!, op.baseAddress!,
                                                        seen: seen.bits.map { UnsafePointer($0) }, d: d,
                                                        pairs: blocks.count(t), items: itemCount, verify: verify,
                                                        lr: eta, reg: reg, seed: &stream)
                            rp[t] = sampler.run(samples: blocks.samples(in: t, of: samples))
                        }
                    }
                }
            }
            if threads > 1 { PaddedRows.merge(y, replicas, threads: threads) }
            totalTime += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let count = results.reduce(0) { $0 + $1.steps }
            totalSamples += count
            let point = ["loss": results.reduce(0) { $0 + $1.loss } / Double(max(1, count)), "learning_rate": lr]
            lr *= config.lrDecay
            return point
        }
        // The training rows hold the last epoch; the best validated epoch, when earlier, was restored
        // into the model's matrices by the loop.
        if !bestRestored { storeFactors(x, y) }
        withExtendedLifetime((seen, blocks, replicas)) {}
        samplesPerSecond = totalTime > 0 ? Double(totalSamples) / totalTime : 0
    }

    /// The training rows back into the model's matrices (for a validation pass, and at the end).
    private func storeFactors(_ x: PaddedRows, _ y: PaddedRows) {
        x.store(into: &userFactors.values)
        y.store(into: &itemFactors.values, bias: &itemBias)
    }

    /// Whether item j is in the sorted slice indices[lo..<hi].
    @inline(__always)
    static func contains(_ indices: UnsafeBufferPointer<Int32>, _ lo: Int, _ hi: Int, _ j: Int32) -> Bool {
        guard let base = indices.baseAddress else { return false }
        return contains(base, lo, hi, j)
    }

    /// Branch-free search: the probe's outcome only moves `base` (by a mask), so the loop
    /// runs ⌈log₂ n⌉ times with no data-dependent branch to mispredict (on a user with a hundred
    /// items, half of the seven probes of a branching search mispredict).
    @inline(__always)
    static func contains(_ indices: UnsafePointer<Int32>, _ lo: Int, _ hi: Int, _ j: Int32) -> Bool {
        var base = lo, n = hi - lo
        guard n > 0 else { return false }
        // Invariant: if j is in indices[lo..<hi], it is in indices[base..<base + n].
        while n > 1 {
            let half = n >> 1
            // Arithmetic select (the compiler made a ternary a branch): −1 when the probe > j, else 0.
            // Item indices are non-negative Int32, so j − probe does not overflow.
            let above = Int((j &- indices[base &+ half]) >> 31)
            base &+= half & ~above
            n &-= half
        }
        return indices[base] == j
    }

    /// One SGD step on the triple; returns σ(m) for the margin m = s(u,i) − s(u,j) before the step
    /// (from the exponential the gradient needs anyway).
    @inline(__always)
    static func step(x: UnsafeMutablePointer<Float>, yi: UnsafeMutablePointer<Float>, yj: UnsafeMutablePointer<Float>,
                     bi: UnsafeMutablePointer<Float>, bj: UnsafeMutablePointer<Float>, d: Int, lr: Float, reg: Float) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var k = 0
        let rx = UnsafeMutableRawPointer(x), ri = UnsafeMutableRawPointer(yi), rj = UnsafeMutableRawPointer(yj)
        while k + 8 <= d {
            let o = k * 4
            acc += rx.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                * (ri.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) - rj.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
            k += 8
        }
        var margin = acc.sum()
        while k < d { margin += x[k] * (yi[k] - yj[k]); k += 1 }
        margin += bi.pointee - bj.pointee
        // ∂/∂m log σ(m) = σ(−m) = 1/(1 + e^m), and σ(m) = e^m·σ(−m) (1 when e^m overflows).
        let em = expf(margin), z = 1 / (1 + em)
        let a = lr * z, shrink = 1 - lr * reg
        let va = SIMD8<Float>(repeating: a), vs = SIMD8<Float>(repeating: shrink)
        k = 0
        while k + 8 <= d {
            let o = k * 4
            let xv = rx.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            let iv = ri.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            let jv = rj.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            rx.storeBytes(of: vs * xv + va * (iv - jv), toByteOffset: o, as: SIMD8<Float>.self)
            ri.storeBytes(of: vs * iv + va * xv, toByteOffset: o, as: SIMD8<Float>.self)
            rj.storeBytes(of: vs * jv - va * xv, toByteOffset: o, as: SIMD8<Float>.self)
            k += 8
        }
        while k < d {
            let xv = x[k], iv = yi[k], jv = yj[k]
            x[k] = shrink * xv + a * (iv - jv); yi[k] = shrink * iv + a * xv; yj[k] = shrink * jv - a * xv
            k += 1
        }
        bi.pointee = shrink * bi.pointee + a
        bj.pointee = shrink * bj.pointee - a
        return em == .infinity ? 1 : em * z   // NaN stays NaN (a diverged model shows as a huge loss)
    }
}

import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One thread's share of a BPR epoch. SGD on triples is bound by memory latency, not arithmetic:
/// each triple reads an entry (user, positive), the user's row offsets, a few index entries for
/// the negative check and three factor rows, all at random addresses, and done one after another
/// those loads form a chain of cache misses. So the triples run through a four-stage software
/// pipeline, stage k + 1 working `lag` triples behind stage k, each stage prefetching what the
/// next reads:
///   1. draw entry e and negative j; prefetch the entry's (user, item)
///   2. read (u, i); prefetch u's row offsets and the rows x_u, y_i, y_j
///   3. prefetch the bitset word of (u, j); without the bitset, read u's row bounds and prefetch
///      u's item list (ends and middle: the binary search's probes)
///   4. verify j (redraw while it is one of u's items), then the SGD step.
/// One triple per stage per turn spreads the prefetches evenly (bursts overflow the miss buffers).
/// The triples and the order of their updates are exactly those of a one-at-a-time loop; only the
/// interleaving of random draws differs (a triple's e and j are drawn early, redraws late).
struct TripleSampler {
    static let lag = 8, ring = 32 // ring ≥ 4·lag slots, a power of two

    let x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>
    let xStride: Int, yStride: Int
    let entryPair: UnsafePointer<Int32>, indices: UnsafePointer<Int32>, offsets: UnsafePointer<Int>
    let seen: UnsafePointer<UInt64>?
    let d: Int, pairs: Int, items: Int, verify: Bool, lr: Float, reg: Float
    var rng: RandomSource

    /// Samples from `pairs` (user, item) pairs at `entryPair`; `items` is the catalogue size.
    init(x: PaddedRows, y: PaddedRows,
         _ entryPair: UnsafePointer<Int32>, _ indices: UnsafePointer<Int32>, _ offsets: UnsafePointer<Int>,
         seen: UnsafePointer<UInt64>?, d: Int, pairs: Int, items: Int, verify: Bool, lr: Float, reg: Float, seed: inout RandomSource) {
        self.x = x.data; self.y = y.data; bias = y.bias; xStride = x.stride; yStride = y.stride
        self.entryPair = entryPair; self.indices = indices; self.offsets = offsets
        self.seen = seen
        self.d = d; self.pairs = pairs; self.items = items; self.verify = verify; self.lr = lr; self.reg = reg
        rng = RandomSource(splitting: &seed)
    }

    @inline(__always)
    private func prefetchRow(_ p: UnsafeMutablePointer<Float>, floats: Int) {
        var o = 0
        while o < floats * 4 { Prefetch.write(UnsafeRawPointer(p) + o); o += 64 }
    }

    @inline(__always)
    private func isSeen(_ u: Int, _ j: Int, _ lo: Int, _ hi: Int) -> Bool {
        if let seen { let bit = u &* items &+ j; return seen[bit >> 6] & (1 &<< UInt64(bit & 63)) != 0 }
        return BPR.contains(indices, lo, hi, Int32(j))
    }

    /// Runs `samples` triples; returns (Σ −log σ(margin) over the steps taken, steps taken).
    mutating func run(samples: Int) -> (loss: Double, steps: Int) {
        let lag = TripleSampler.lag, ring = TripleSampler.ring, mask = ring - 1
        // Per slot: entry, negative, user, positive, row start, row end.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 6 * ring * 8, alignment: 64)
        defer { raw.deallocate() }
        let slots = raw.bindMemory(to: Int.self, capacity: 6 * ring)
        slots.initialize(repeating: 0, count: 6 * ring)
        let se = slots, sj = slots + ring, su = slots + 2 * ring, si = slots + 3 * ring, sl = slots + 4 * ring, sh = slots + 5 * ring
        var loss = LogProduct(), steps = 0
        let d = self.d
        guard pairs > 0 else { return (0, 0) }
        for t in 0..<(samples + 3 * lag) {
            // Stage 1: triple t's random draws.
            if t < samples {
                let s = t & mask, e = rng.nextInt(below: pairs)
                se[s] = e; sj[s] = rng.nextInt(below: items)
                Prefetch.read(UnsafeRawPointer(entryPair + 2 * e))
            }
            // Stage 2: the pair; everything the step touches.
            let t2 = t - lag
            if t2 >= 0 && t2 < samples {
                let s = t2 & mask, e = se[s], u = Int(entryPair[2 * e]), i = Int(entryPair[2 * e + 1]), j = sj[s]
                su[s] = u; si[s] = i
                if seen == nil { Prefetch.read(UnsafeRawPointer(offsets + u)) }
                prefetchRow(x + u * xStride, floats: d); prefetchRow(y + i * yStride, floats: d)
                prefetchRow(y + j * yStride, floats: d)
            }
            // Stage 3: the negative's bit, or the row bounds for the search.
            let t3 = t2 - lag
            if verify && t3 >= 0 && t3 < samples, let seen {
                Prefetch.read(UnsafeRawPointer(seen + ((su[t3 & mask] * items + sj[t3 & mask]) >> 6)))
            } else if verify && t3 >= 0 && t3 < samples {
                let s = t3 & mask, lo = offsets[su[s]], hi = offsets[su[s] + 1]
                sl[s] = lo; sh[s] = hi
                if hi > lo {
                    Prefetch.read(UnsafeRawPointer(indices + lo)); Prefetch.read(UnsafeRawPointer(indices + ((lo + hi) >> 1)))
                    Prefetch.read(UnsafeRawPointer(indices + (hi - 1)))
                }
            }
            // Stage 4: verify and step.
            let t4 = t3 - lag
            if t4 >= 0 {
                let s = t4 & mask, u = su[s], i = si[s]
                var j = sj[s]
                if verify {
                    var tries = 0
                    while isSeen(u, j, sl[s], sh[s]) && tries < 64 {
                        j = rng.nextInt(below: items); tries += 1
                    }
                    if tries == 64 { continue } // the user has (almost) every item
                } else if j == i { continue }
                let yi = y + i * yStride, yj = y + j * yStride
                let sigma = BPR.step(x: x + u * xStride, yi: yi, yj: yj, bi: bias + i, bj: bias + j, d: d, lr: lr, reg: reg)
                loss.add(sigma: sigma)
                steps += 1
            }
        }
        return (loss.value, steps)
    }
}

/// BPR's training pairs grouped by user part, one part a thread: users are cut once, in a random
/// order, into parts of about equal interaction counts, so no two threads write the same user row.
/// With one part the pairs are in CSR order.
final class UserBlocks: @unchecked Sendable {
    let nnz: Int
    private let pairData: UnsafeMutablePointer<Int32>   // (user, item) per pair, grouped by part
    private let partStart: [Int]                       // parts + 1, in pairs

    init(_ m: InteractionMatrix, parts: Int, random: inout RandomSource) {
        nnz = m.nnz
        pairData = .allocate(capacity: max(1, 2 * nnz))
        var order = Array(0..<m.userCount)
        if parts > 1 { random.shuffle(&order) }
        var partStart = [0]
        var at = 0
        for u in order {
            // Part p starts at the first user reached once p/parts of the pairs are placed.
            while partStart.count < parts && at * parts >= partStart.count * nnz { partStart.append(at) }
            for k in m.byUser.rowRange(u) { pairData[2 * at] = Int32(u); pairData[2 * at + 1] = m.byUser.indices[k]; at += 1 }
        }
        while partStart.count <= parts { partStart.append(nnz) }
        self.partStart = partStart
    }

    deinit { pairData.deallocate() }

    func pairs(_ part: Int) -> UnsafePointer<Int32> { UnsafePointer(pairData + 2 * partStart[part]) }
    func count(_ part: Int) -> Int { partStart[part + 1] - partStart[part] }

    /// The part's share of an epoch's triples; the shares of all parts add up to `samples` exactly.
    func samples(in part: Int, of samples: Int) -> Int {
        func upTo(_ k: Int) -> Int { nnz.dividingFullWidth(samples.multipliedFullWidth(by: partStart[k])).quotient }
        return upTo(part + 1) - upTo(part)
    }
}

/// Factor rows while BPR trains: each row starts on a cache line (the stride is rounded up to 16
/// floats), so rows written by different threads never share a line; item biases follow the
/// rows as one block (a row with its bias inline would take a fifth line at d = 64, while the
/// block of biases stays in L1).
final class PaddedRows: @unchecked Sendable {
    let stride: Int, rows: Int, d: Int
    let data: UnsafeMutablePointer<Float>
    /// rows × stride factors, then `rows` biases when there are biases.
    private let count: Int

    init(_ values: [Float], rows: Int, d: Int, bias: [Float]? = nil) {
        self.rows = rows; self.d = d
        stride = (d + 15) / 16 * 16
        count = max(1, rows * stride + (bias == nil ? 0 : rows))
        data = PaddedRows.allocate(count)
        data.initialize(repeating: 0, count: count)
        for r in 0..<rows { for k in 0..<d { data[r * stride + k] = values[r * d + k] } }
        if let bias { for r in 0..<rows { data[rows * stride + r] = bias[r] } }
    }

    private init(copying other: PaddedRows) {
        rows = other.rows; d = other.d; stride = other.stride; count = other.count
        data = PaddedRows.allocate(count)
        data.initialize(from: other.data, count: count)
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64).bindMemory(to: Float.self, capacity: count)
    }

    func copy() -> PaddedRows { PaddedRows(copying: self) }

    deinit { data.deallocate() }

    /// The biases (row r's at bias[r]); meaningful only when built with biases.
    var bias: UnsafeMutablePointer<Float> { data + rows * stride }

    /// Adds every replica's change since the last merge to `shared` (y ← y + Σ_t (y_t − y)), then
    /// resets each replica to the result.
    static func merge(_ shared: PaddedRows, _ replicas: [PaddedRows], threads: Int) {
        let stride = shared.stride, biases = shared.count > shared.rows * stride
        let copies = UncheckedSendable(replicas.map(\.data))
        parallelChunks(count: shared.rows, threads: threads) { _, rows in
            let copies = copies.value
            @inline(__always) func add(_ range: Range<Int>) {
                for k in range {
                    let old = shared.data[k]
                    var v = old
                    for c in copies { v += c[k] - old }
                    shared.data[k] = v
                    for c in copies { c[k] = v }
                }
            }
            add((rows.lowerBound * stride)..<(rows.upperBound * stride))
            if biases { add((shared.rows * stride + rows.lowerBound)..<(shared.rows * stride + rows.upperBound)) }
        }
    }

    func store(into values: inout [Float]) {
        for r in 0..<rows { for k in 0..<d { values[r * d + k] = data[r * stride + k] } }
    }

    func store(into values: inout [Float], bias: inout [Float]) {
        store(into: &values)
        for r in 0..<rows { bias[r] = self.bias[r] }
    }
}

/// Which items each user has, for the negative check. A users × items bitset answers with one
/// load (on MovieLens-sized data it stays in L2, where the binary search's dependent probes and
/// mispredicted branches were a quarter of BPR's time); it is built only when it is no larger
/// than twice the CSR's index array (density ≥ 1/64), so memory stays O(interactions). Otherwise
/// `bits` is nil and the sampler searches the user's sorted row.
final class SeenItems {
    let bits: UnsafeMutablePointer<UInt64>?

    static func bitsetFits(rows: Int, items: Int, nnz: Int) -> Bool {
        let (bits, overflow) = rows.multipliedReportingOverflow(by: items)
        return !overflow && bits <= 64 * nnz
    }

    /// `bitset`: nil chooses by `bitsetFits`.
    init(_ byUser: SparseMatrix, items: Int, bitset: Bool? = nil) {
        let rows = byUser.rows
        guard bitset ?? SeenItems.bitsetFits(rows: rows, items: items, nnz: byUser.nnz) else { bits = nil; return }
        let words = (rows * items + 63) / 64
        let b = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, words))
        b.initialize(repeating: 0, count: max(1, words))
        for u in 0..<rows {
            for k in byUser.rowRange(u) { let bit = u * items + Int(byUser.indices[k]); b[bit >> 6] |= 1 << UInt64(bit & 63) }
        }
        bits = b
    }

    deinit { bits?.deallocate() }
}

/// Σ −log σ(m) over many margins without a logarithm per term: σ(m) values are multiplied in a
/// Double and the product's log taken only when it gets small. σ(m) below 1e-30 (m < −69) counts
/// as 1e-30, a bounded underestimate of a loss that only reports progress.
struct LogProduct {
    private var product = 1.0, logs = 0.0
    @inline(__always)
    mutating func add(sigma s: Float) {
        product *= s.isNaN ? .nan : Double(max(1e-30, s))   // a diverged model's NaN stays visible
        if product < 1e-200 { logs += log(product); product = 1 }
    }
    var value: Double { -(logs + log(product)) }
}
