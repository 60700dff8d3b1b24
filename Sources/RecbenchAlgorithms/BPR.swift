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
        var rng = context.random("bpr-init")
        userFactors = DenseMatrix(rows: m.userCount, columns: d)
        itemFactors = DenseMatrix(rows: itemCount, columns: d)
        userFactors.randomize(std: Float(config.initStd), rng: &rng)
        itemFactors.randomize(std: Float(config.initStd), rng: &rng)
        itemBias = [Float](repeating: 0, count: itemCount)
        guard nnz > 0, itemCount > 1 else { return }

        // The user of each CSR entry, so a uniform entry index gives a (user, positive) pair.
        var entryUser = [Int32](repeating: 0, count: nnz)
        for u in 0..<m.userCount { for k in m.byUser.rowRange(u) { entryUser[k] = Int32(u) } }
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
                        entryUser.withUnsafeBufferPointer { eu in
                            m.byUser.indices.withUnsafeBufferPointer { ip in
                                m.byUser.offsets.withUnsafeBufferPointer { op in
                                    partialLoss.withUnsafeMutableBufferPointer { lp in
                                        partialCount.withUnsafeMutableBufferPointer { cp in
                                            let box = UncheckedSendable((xp, yp, bp, eu, ip, op, lp, cp))
                                            parallelChunks(count: threads, threads: threads) { chunk, _ in
                                                let (xp, yp, bp, eu, ip, op, lp, cp) = box.value
                                                var g = streams[chunk]
                                                let n = samples * (chunk + 1) / threads - samples * chunk / threads
                                                var loss = 0.0, done = 0
                                                for _ in 0..<n {
                                                    let e = g.nextInt(below: nnz)
                                                    let u = Int(eu[e]), i = Int(ip[e])
                                                    var j = g.nextInt(below: itemCount)
                                                    if verify {
                                                        let lo = op[u], hi = op[u + 1]
                                                        var tries = 0
                                                        while BPR.contains(ip, lo, hi, Int32(j)) && tries < 64 {
                                                            j = g.nextInt(below: itemCount); tries += 1
                                                        }
                                                        if tries == 64 { continue } // the user has (almost) every item
                                                    } else if j == i { continue }
                                                    let margin = BPR.step(x: xp.baseAddress! + u * d, yi: yp.baseAddress! + i * d,
                                                                          yj: yp.baseAddress! + j * d, bi: bp.baseAddress! + i,
                                                                          bj: bp.baseAddress! + j, d: d, lr: eta, reg: reg)
                                                    // −log σ(m), computed stably.
                                                    loss += margin > 0 ? log1p(exp(-Double(margin))) : -Double(margin) + log1p(exp(Double(margin)))
                                                    done += 1
                                                }
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
        var a = lo, b = hi
        while a < b {
            let mid = (a + b) >> 1
            if indices[mid] < j { a = mid + 1 } else { b = mid }
        }
        return a < hi && indices[a] == j
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
