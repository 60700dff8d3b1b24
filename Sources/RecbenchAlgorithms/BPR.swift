import RecbenchCore
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
/// Each thread updates its own replica of the item rows and biases, and after every epoch each
/// shared row moves by the replicas' changes weighted by their share of that row's steps (local
/// SGD with model averaging, see `PaddedRows.merge`; a thread sees the others' item updates one
/// epoch late). So a seed gives a bit-identical model at a given thread count; different thread
/// counts give different models of the same quality (NDCG@10 on ML-100K u1–u5: 0.4510 at 1
/// thread, 0.4498 at 2; on a Zipf-popular 2·10⁶ set 0.4487 and 0.4618). One thread works on the
/// model itself. The replicas cost threads × items × (d rounded up to 16, + 1) floats and an Int32
/// step count per item.
public final class BPR: FactorModel {
    public struct Config: AlgorithmConfig {
        public static let budgetParameter: String? = "epochs"
        public static let parameters: [ParameterSpec] = [
            .integer("factors", default: 64, min: 1, max: 4096, "Latent dimensions d (plus the item bias)."),
            .integer("epochs", default: 100, min: 1, max: 100_000, "Passes of samples_per_epoch triples."),
            .integer(
                "samples_per_epoch", default: 0, min: 0, max: 1_000_000_000,
                "Triples per epoch (0 = number of training interactions)."),
            .real("learning_rate", default: 0.1, exclusiveMin: true, "Initial SGD step η."),
            .learningRateDecay(default: 0.97),
            .real("regularization", default: 0.02, "λ on the factors and biases touched by each step."),
            .real("init_std", default: 0.1, "Standard deviation of the Gaussian initial factors."),
            .boolean("verify_negatives", default: true, "Redraw a negative that is one of the user's items."),
            .patience(default: 0, unit: "epochs"),
            .validateEvery()
        ]
        /// About 10¹¹ SGD steps is hours of one core; more would make the trial practically endless.
        public static let constraints: [ParameterConstraint] = [
            .product(["epochs", "samples_per_epoch"], atMost: 100_000_000_000, "SGD steps")
        ]
        public var factors: Int, epochs: Int, samplesPerEpoch: Int, learningRate: Double, lrDecay: Double
        public var regularization: Double, initStd: Double, verifyNegatives: Bool, patience: Int, validateEvery: Int
        public init(_ v: ParameterValues) {
            factors = v.int("factors"); epochs = v.int("epochs"); samplesPerEpoch = v.int("samples_per_epoch")
            learningRate = v.real("learning_rate"); lrDecay = v.real("learning_rate_decay");
            regularization = v.real("regularization")
            initStd = v.real("init_std"); verifyNegatives = v.bool("verify_negatives"); patience = v.int("patience")
            validateEvery = v.int("validate_every")
        }
        /// Factors twice (the model's and the padded training rows), an item replica per extra
        /// thread, the (user, item) pairs grouped by thread, and the seen-items bitset when it is used.
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            let padded = (factors + 8) / 8 * 8
            let bits = verifyNegatives && SeenItems.bitsetFits(rows: s.users, items: s.items, nnz: s.interactions)
            return 4 * (s.users + s.items) * (factors + 1) + 4 * (s.users + s.items * s.threads) * padded
                + 8 * s.interactions + (bits ? s.users * ((s.items + 63) / 64) * 8 : 0)
        }
    }
    public static let name = "BPR"
    public static let summary =
        "Pairwise ranking matrix factorisation trained by SGD on sampled triples (Rendle et al. 2009)."
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
        userFactors = FactorKernels.gaussianFactors(
            rows: m.userCount, d: d, std: std, context: context, stream: "bpr-init-users")
        itemFactors = FactorKernels.gaussianFactors(
            rows: itemCount, d: d, std: std, context: context, stream: "bpr-init-items")
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
        let validation = context.validate.map { v in
            {
                self.storeFactors(x, y); return v(self)
            }
        }
        var bestRestored = false

        try TrainingLoop(
            iterations: config.epochs, patience: config.patience, validateEvery: config.validateEvery, unit: "epoch"
        ).run(
            context: context, model: self, validation: validation,
            snapshot: { (userFactors, itemFactors, itemBias) },
            restore: {
                (userFactors, itemFactors, itemBias) = $0; bestRestored = true
            }
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
                            var sampler = TripleSampler(
                                x: x, y: replicas[t], blocks.pairs(t), ip.baseAddress!, op.baseAddress!,
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
    static func step(
        x: UnsafeMutablePointer<Float>, yi: UnsafeMutablePointer<Float>, yj: UnsafeMutablePointer<Float>,
        bi: UnsafeMutablePointer<Float>, bj: UnsafeMutablePointer<Float>, d: Int, lr: Float, reg: Float
    ) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var k = 0
        let rx = UnsafeMutableRawPointer(x), ri = UnsafeMutableRawPointer(yi), rj = UnsafeMutableRawPointer(yj)
        while k + 8 <= d {
            let o = k * 4
            acc +=
                rx.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                * (ri.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                    - rj.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
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
        return em == .infinity ? 1 : em * z  // NaN stays NaN (a diverged model shows as a huge loss)
    }
}
