import RecbenchCore

/// Bayesian personalised ranking (Rendle et al. 2009): matrix factorisation with an item bias,
/// s(u, i) = x_u·y_i + b_i, trained by SGD on sampled triples (u, i, j) to maximise
/// Σ log σ(s(u, i) − s(u, j)) − λ‖Θ‖². A triple draws a training interaction (u, i) uniformly
/// (so active users are sampled in proportion to their activity) and a negative j uniformly
/// from the catalogue, redrawn while j is one of u's items (binary search in u's sorted row).
/// The learning rate decays geometrically per epoch: η_e = η·decay^e.
///
/// Threads update the shared factors lock-free ("Hogwild", Recht et al. 2011): each thread draws
/// its own triples from its own seeded stream and writes x_u, y_i, y_j through raw pointers
/// without locks. Two threads rarely touch the same rows at once (triples are sparse against
/// the model), and a lost or torn update only perturbs one SGD step, which SGD tolerates; the
/// speed-up is worth more than those few steps. Reproducibility, honestly: with 1 thread a seed
/// gives a bit-identical model. With T > 1 threads each thread's sequence of triples is fixed by
/// the seed and T, but the interleaving of their reads and writes is decided by the scheduler,
/// so two runs give slightly different models (same quality, different bits).
public final class BPR: Recommender {
    public struct Config: AlgorithmConfig {
        public static let parameters: [ParameterSpec] = [
            .integer("factors", default: 64, min: 1, max: 4096, "Latent dimensions d (plus the item bias)."),
            .integer("epochs", default: 100, min: 1, max: 100_000, "Passes of samples_per_epoch triples."),
            .integer("samples_per_epoch", default: 0, min: 0, "Triples per epoch (0 = number of training interactions)."),
            .real("learning_rate", default: 0.1, exclusiveMin: true, "Initial SGD step η."),
            .real("lr_decay", default: 0.97, min: 0, max: 1, exclusiveMin: true, "η is multiplied by this after every epoch."),
            .real("regularization", default: 0.02, "λ on the factors and biases touched by each step."),
            .real("init_std", default: 0.1, "Standard deviation of the Gaussian initial factors."),
            .boolean("verify_negatives", default: true, "Redraw a negative that is one of the user's items."),
            .integer("early_stopping_patience", default: 0, min: 0, max: 100_000,
                     "With a validation part: stop after this many epochs without improvement and keep the best (0 = off)."),
        ]
        public var factors: Int, epochs: Int, samplesPerEpoch: Int, learningRate: Double, lrDecay: Double
        public var regularization: Double, initStd: Double, verifyNegatives: Bool, patience: Int
        public init(_ v: ParameterValues) {
            factors = v.int("factors"); epochs = v.int("epochs"); samplesPerEpoch = v.int("samples_per_epoch")
            learningRate = v.real("learning_rate"); lrDecay = v.real("lr_decay"); regularization = v.real("regularization")
            initStd = v.real("init_std"); verifyNegatives = v.bool("verify_negatives"); patience = v.int("early_stopping_patience")
        }
    }
    public static let name = "BPR"
    public static let summary = "Pairwise ranking matrix factorisation trained by SGD on sampled triples (Rendle et al. 2009)."
    public static let tasks: Set<Task> = [.ranking]

    public let config: Config
    public private(set) var userFactors = DenseMatrix(rows: 0, columns: 0)
    public private(set) var itemFactors = DenseMatrix(rows: 0, columns: 0)
    public private(set) var itemBias: [Float] = []
    /// Triples processed per second in the last fit (all threads), for profiling.
    public private(set) var samplesPerSecond: Double = 0

    public init(config: Config) { self.config = config }

    public var factors: LatentFactors? { LatentFactors(users: userFactors, items: itemFactors, itemBias: itemBias) }

    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        scoreFromFactors(users: users, into: scores)
    }

    public func fit(_ data: TrainingData, context: FitContext) throws {
        let m = data.interactions, d = config.factors
        let nnz = m.nnz, itemCount = m.itemCount
        let std = Float(config.initStd)
        userFactors = FactorKernels.gaussianFactors(rows: m.userCount, d: d, std: std, context: context, stream: "bpr-init-users")
        itemFactors = FactorKernels.gaussianFactors(rows: itemCount, d: d, std: std, context: context, stream: "bpr-init-items")
        itemBias = [Float](repeating: 0, count: itemCount)
        guard nnz > 0, itemCount > 1 else { return }

        // (user, item) of each CSR entry side by side, so a uniform entry index gives a (user,
        // positive) pair from one cache line.
        var entryPair = [Int32](repeating: 0, count: 2 * nnz)
        for u in 0..<m.userCount { for k in m.byUser.rowRange(u) { entryPair[2 * k] = Int32(u); entryPair[2 * k + 1] = m.byUser.indices[k] } }
        let samples = config.samplesPerEpoch > 0 ? config.samplesPerEpoch : nnz
        let threads = max(1, min(context.threads, samples))
        let reg = Float(config.regularization), verify = config.verifyNegatives
        var stopper = EarlyStopping<(DenseMatrix, DenseMatrix, [Float])>(patience: config.patience)
        var lr = config.learningRate
        var totalSamples = 0, totalTime = 0.0

        for epoch in 0..<config.epochs {
            if context.isCancelled { break }
            var partialLoss = [Double](repeating: 0, count: threads)
            var partialCount = [Int](repeating: 0, count: threads)
            let streams = (0..<threads).map { context.random("bpr-epoch-\(epoch)-thread-\($0)") }
            let eta = Float(lr)
            let start = DispatchTime.now().uptimeNanoseconds
            userFactors.values.withUnsafeMutableBufferPointer { xp in
                itemFactors.values.withUnsafeMutableBufferPointer { yp in
                    itemBias.withUnsafeMutableBufferPointer { bp in
                        entryPair.withUnsafeBufferPointer { eu in
                            m.byUser.indices.withUnsafeBufferPointer { ip in
                                m.byUser.offsets.withUnsafeBufferPointer { op in
                                    partialLoss.withUnsafeMutableBufferPointer { lp in
                                        partialCount.withUnsafeMutableBufferPointer { cp in
                                            let box = UncheckedSendable((xp, yp, bp, eu, ip, op, lp, cp))
                                            parallelChunks(count: threads, threads: threads) { chunk, _ in
                                                let (xp, yp, bp, eu, ip, op, lp, cp) = box.value
                                                let n = samples * (chunk + 1) / threads - samples * chunk / threads
                                                var g = streams[chunk]
                                                var sampler = TripleSampler(xp.baseAddress!, yp.baseAddress!, bp.baseAddress!,
                                                                            eu.baseAddress!, ip.baseAddress!, op.baseAddress!,
                                                                            d: d, nnz: nnz, items: itemCount, verify: verify,
                                                                            lr: eta, reg: reg, seed: &g)
                                                let (loss, done) = sampler.run(samples: n)
                                                lp[chunk] = loss; cp[chunk] = done
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            totalTime += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let count = partialCount.reduce(0, +)
            totalSamples += count
            var point = ["loss": partialLoss.reduce(0, +) / Double(max(1, count)), "learning_rate": lr]
            lr *= config.lrDecay
            var stop = false
            if let validate = context.validate {
                let metric = validate(self)
                point["validation"] = metric
                stop = stopper.update(iteration: epoch + 1, metric: metric, state: (userFactors, itemFactors, itemBias))
            }
            context.record(iteration: epoch + 1, point)
            context.progress(Double(epoch + 1) / Double(config.epochs))
            if stop { break }
        }
        samplesPerSecond = totalTime > 0 ? Double(totalSamples) / totalTime : 0
        if let best = stopper.best { (userFactors, itemFactors, itemBias) = best.state }
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

    /// One SGD step on the triple; returns the margin s(u,i) − s(u,j) before the step.
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
        // ∂/∂s log σ(s) = σ(−s)
        let z = 1 / (1 + expf(margin))
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
        return margin
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
///   2. read (u, i); prefetch u's row offsets, the rows x_u, y_i, y_j and both biases
///   3. read u's row bounds; prefetch u's item list (ends and middle: the binary search's probes)
///   4. verify j (redraw while it is one of u's items), then the SGD step.
/// One triple per stage per turn spreads the prefetches evenly (bursts overflow the miss buffers).
/// The triples and the order of their updates are exactly those of a one-at-a-time loop; only the
/// interleaving of random draws differs (a triple's e and j are drawn early, redraws late).
struct TripleSampler {
    static let lag = 8, ring = 32 // ring ≥ 4·lag slots, a power of two

    let x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>
    let entryPair: UnsafePointer<Int32>, indices: UnsafePointer<Int32>, offsets: UnsafePointer<Int>
    let d: Int, nnz: Int, items: Int, verify: Bool, lr: Float, reg: Float
    var rng: RandomSource

    init(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ bias: UnsafeMutablePointer<Float>,
         _ entryPair: UnsafePointer<Int32>, _ indices: UnsafePointer<Int32>, _ offsets: UnsafePointer<Int>,
         d: Int, nnz: Int, items: Int, verify: Bool, lr: Float, reg: Float, seed: inout RandomSource) {
        self.x = x; self.y = y; self.bias = bias; self.entryPair = entryPair; self.indices = indices; self.offsets = offsets
        self.d = d; self.nnz = nnz; self.items = items; self.verify = verify; self.lr = lr; self.reg = reg
        rng = RandomSource(splitting: &seed)
    }

    @inline(__always)
    private func prefetchRow(_ p: UnsafeMutablePointer<Float>) {
        var o = 0
        let bytes = d * 4
        while o < bytes { Prefetch.write(UnsafeRawPointer(p) + o); o += 64 }
    }

    /// Runs `samples` triples; returns (Σ −log σ(margin) over the steps taken, steps taken).
    mutating func run(samples: Int) -> (loss: Double, steps: Int) {
        let lag = TripleSampler.lag, ring = TripleSampler.ring, mask = ring - 1
        // Per slot: entry, negative, user, positive, row start, row end.
        let slots = UnsafeMutablePointer<Int>.allocate(capacity: 6 * ring)
        defer { slots.deallocate() }
        let se = slots, sj = slots + ring, su = slots + 2 * ring, si = slots + 3 * ring, sl = slots + 4 * ring, sh = slots + 5 * ring
        var loss = LogProduct(), steps = 0
        let d = self.d
        for t in 0..<(samples + 3 * lag) {
            // Stage 1: triple t's random draws.
            if t < samples {
                let s = t & mask, e = rng.nextInt(below: nnz)
                se[s] = e; sj[s] = rng.nextInt(below: items)
                Prefetch.read(UnsafeRawPointer(entryPair + 2 * e))
            }
            // Stage 2: the pair; everything the step touches.
            let t2 = t - lag
            if t2 >= 0 && t2 < samples {
                let s = t2 & mask, e = se[s], u = Int(entryPair[2 * e]), i = Int(entryPair[2 * e + 1]), j = sj[s]
                su[s] = u; si[s] = i
                Prefetch.read(UnsafeRawPointer(offsets + u))
                prefetchRow(x + u * d); prefetchRow(y + i * d); prefetchRow(y + j * d)
                Prefetch.write(UnsafeRawPointer(bias + i)); Prefetch.write(UnsafeRawPointer(bias + j))
            }
            // Stage 3: row bounds.
            let t3 = t2 - lag
            if verify && t3 >= 0 && t3 < samples {
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
                    while BPR.contains(indices, sl[s], sh[s], Int32(j)) && tries < 64 {
                        j = rng.nextInt(below: items); tries += 1
                    }
                    if tries == 64 { continue } // the user has (almost) every item
                } else if j == i { continue }
                let margin = BPR.step(x: x + u * d, yi: y + i * d, yj: y + j * d, bi: bias + i, bj: bias + j,
                                      d: d, lr: lr, reg: reg)
                loss.add(margin: margin)
                steps += 1
            }
        }
        return (loss.value, steps)
    }
}

/// Σ −log σ(m) over many margins without a logarithm per term: σ(m) values are multiplied in a
/// Double and the product's log taken only when it gets small. σ(m) below 1e-30 (m < −69) counts
/// as 1e-30, a bounded underestimate of a loss that only reports progress.
struct LogProduct {
    private var product = 1.0, logs = 0.0
    @inline(__always)
    mutating func add(margin m: Float) {
        // σ(m) = 1/(1 + e^−m), computed where it does not overflow.
        let s: Float = m >= 0 ? 1 / (1 + expf(-m)) : max(1e-30, expf(m) / (1 + expf(m)))
        product *= Double(s)
        if product < 1e-200 { logs += log(product); product = 1 }
    }
    var value: Double { -(logs + log(product)) }
}
