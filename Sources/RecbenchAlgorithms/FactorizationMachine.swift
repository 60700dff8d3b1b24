import RecbenchCore

/// Degree-2 factorization machine (Rendle 2010) over user-side and item-side feature groups (IDs,
/// attributes, implicit history, time), fitted by MCMC (default), ALS or SGD as in libFM.
///
/// Every example's feature vector is its user's row ⊕ its item's row, so for one parameter sample
/// ŷ(u, i) = [w0 + lin_u + intra_u] + [lin_i + intra_i] + ⟨a_u, a_i⟩, with a_u = Σ_{j∈u} v_j x_j.
/// MCMC predicts the average of ŷ over the kept samples; that average is exactly
/// base_u + base_i + ⟨A_u, A_i⟩ / S where A_u, A_i concatenate the S samples' a vectors. The fitted
/// model keeps those (per user and per item, k·S numbers each), so ranking is one sgemm through
/// the scoring core's factor path and a rating prediction is one dot product.
public final class FactorizationMachine: FactorModel, RatingPredictor {
    public struct Config: AlgorithmConfig {
        public static let parameters: [ParameterSpec] = [
            .integer("factors", default: 10, min: 1, max: 1024, "k: dimension of the pairwise-interaction factors."),
            .choice(
                "solver", default: Solver.mcmc,
                "mcmc: Gibbs sampling with hyper-priors (no learning rate or regularisation to tune); als: coordinate descent; sgd: stochastic gradient. The BPR loss always uses SGD."
            ),
            .integer("iterations", default: 200, min: 1, max: 100_000, "MCMC samples / ALS sweeps / SGD epochs."),
            .integer(
                "burn_in", default: 50, min: 0, max: 100_000, "MCMC samples discarded before averaging predictions."),
            .integer(
                "max_samples", default: 200, min: 1, max: 10_000,
                "MCMC: at most this many post-burn-in samples are kept (evenly thinned); memory is (users + items) · k · samples floats."
            ),
            .real("init_std", default: 0.1, min: 0, "Standard deviation of the initial factors."),
            .real("learning_rate", default: 0.01, min: 0, exclusiveMin: true, "SGD step size η0."),
            .learningRateDecay(default: 0.98),
            .real(
                "regularization", default: 0.05, min: 0, exclusiveMin: true,
                "L2 strength of every parameter group (ALS, SGD); MCMC samples its own per group."),
            .boolean("user_attributes", default: false, "Add every user feature group of the data set."),
            .boolean("item_attributes", default: false, "Add every item feature group of the data set."),
            .boolean(
                "implicit_history", default: false, "Add the user's training items, each weighted 1/√n (SVD++-style)."),
            .boolean(
                "time_features", default: false, "Add deciles of the user's and the item's first training timestamp."),
            .choice(
                "loss", default: Loss.auto,
                "auto: regression for the rating task, BPR (pairwise, sampled negatives) for ranking.")
        ]
        public enum Solver: String, CaseIterable, Sendable { case mcmc, als, sgd }
        public enum Loss: String, CaseIterable, Sendable { case auto, regression, bpr }
        public var factors: Int, solver: Solver, iterations: Int, burnIn: Int, maxSamples: Int
        public var initStd: Double, learningRate: Double, learningRateDecay: Double, regularization: Double
        public var features: FMFeatureOptions
        public var loss: Loss

        public init(_ v: ParameterValues) {
            factors = v.int("factors"); solver = v.choice("solver"); iterations = v.int("iterations")
            burnIn = v.int("burn_in"); maxSamples = v.int("max_samples"); initStd = v.real("init_std")
            learningRate = v.real("learning_rate"); learningRateDecay = v.real("learning_rate_decay")
            regularization = v.real("regularization")
            features = FMFeatureOptions(
                userAttributes: v.bool("user_attributes"), itemAttributes: v.bool("item_attributes"),
                implicitHistory: v.bool("implicit_history"), timeFeatures: v.bool("time_features"))
            loss = v.choice("loss")
        }

        /// Weights and factors per feature (users, items, attributes), per-example residuals and
        /// feature rows (the training pairs and, for BPR, a sampled negative each), per-feature
        /// posteriors, and the averaged user and item vectors of the kept MCMC samples.
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            let p = s.users + s.items + s.featureColumns, k = factors
            let kept = solver == .mcmc ? max(0, iterations - burnIn) : 1
            let thin = max(1, (kept + maxSamples - 1) / max(1, maxSamples))
            let samples = max(1, (kept + thin - 1) / thin)
            return 4 * p * (k + 1) + 8 * p * (2 * k + 2) + 2 * (8 + 8 * k) * s.interactions
                + 24 * s.interactions + 4 * (s.users + s.items) * k * samples
        }
    }

    public static let name = "FM"
    public static let summary = "Factorization machine (degree 2) with side features; MCMC, ALS or SGD solvers."
    public static let tasks: Set<RecommendationTask> = [.rating, .ranking]

    public let config: Config
    public init(config: Config) { self.config = config }

    /// Per-user w0 + lin_u + intra_u and per-item lin_i + intra_i, averaged over samples.
    public private(set) var userBase: [Float] = []
    public private(set) var itemBase: [Float] = []
    /// users × (k·S), already divided by S; items × (k·S).
    private var userVectors = DenseMatrix(rows: 0, columns: 0)
    private var itemVectors = DenseMatrix(rows: 0, columns: 0)
    private var clip: ClosedRange<Float>? = nil
    /// Parameter groups of the last fit, and the number of samples averaged.
    public private(set) var groupNames: [String] = []
    public private(set) var sampleCount = 0

    public func fit(_ data: TrainingData, context: FitContext) throws {
        let m = data.interactions
        let design = FMDesign.build(data, options: config.features)
        groupNames = design.groupNames
        let k = config.factors
        var params = FMParams(featureCount: design.featureCount, k: k)
        var rng = context.random("fm-init")
        for i in params.v.indices { params.v[i] = Float(rng.nextGaussian() * config.initStd) }
        let bpr = config.loss == .bpr || (config.loss == .auto && data.task != .rating)
        var acc = Accumulator(users: m.userCount, items: m.itemCount, k: k, capacity: 1)

        if bpr || config.solver == .sgd {
            let sgd = FMSGD(
                design: design, k: k, learningRate: config.learningRate, decay: config.learningRateDecay,
                regularization: config.regularization)
            var srng = context.random("fm-sgd")
            let examples = FMExamples(m)
            var order = Array(0..<examples.count)
            if !bpr, !m.byUser.values.isEmpty {
                params.w0 = m.byUser.values.reduce(0.0) { $0 + Double($1) } / Double(m.nnz)
            }
            // FM is scorable only once its parameters are summarised, so the loop does not validate.
            try TrainingLoop(iterations: config.iterations, unit: "epoch", validating: false).run(
                context: context, model: self, snapshot: {}, restore: { _ in }
            ) { iteration in
                bpr
                    ? ["loss": sgd.bprEpoch(iteration - 1, m, params: &params, rng: &srng)]
                    : [
                        "train_rmse": sgd.regressionEpoch(
                            iteration - 1, examples, order: &order, params: &params, rng: &srng)
                    ]
            }
            // One "sample": the final parameters.
            let solver = FMCoordinateSolver(
                design: design, examples: FMExamples(m), params: params, sampling: false,
                regularization: config.regularization, threads: context.threads, seed: context.seed)
            acc.add(solver)
        } else {
            let sampling = config.solver == .mcmc
            let kept = sampling ? max(0, config.iterations - config.burnIn) : 1
            let thin = max(1, (kept + config.maxSamples - 1) / config.maxSamples)
            acc = Accumulator(users: m.userCount, items: m.itemCount, k: k, capacity: max(1, (kept + thin - 1) / thin))
            let solver = FMCoordinateSolver(
                design: design, examples: FMExamples(m), params: params, sampling: sampling,
                regularization: config.regularization, threads: context.threads,
                seed: context.seed ^ 0x464D_4D43_4D43)
            try TrainingLoop(iterations: config.iterations, validating: false).run(
                context: context, model: self, snapshot: {}, restore: { _ in }
            ) { iteration in
                solver.iterate()
                let rmse = (solver.squaredError / Double(max(1, m.nnz))).squareRoot()
                if sampling {
                    let after = iteration - 1 - config.burnIn
                    if after >= 0 && after % thin == 0 && acc.count < acc.capacity { acc.add(solver) }
                    return ["train_rmse": rmse, "alpha": solver.alpha]
                }
                return ["train_rmse": rmse, "loss": solver.objective()]
            }
            if !sampling || acc.count == 0 { acc.add(solver) }
        }
        sampleCount = acc.count
        (userBase, itemBase, userVectors, itemVectors) = acc.finish()
        if !bpr, let lo = m.byUser.values.min(), let hi = m.byUser.values.max() { clip = lo...hi } else { clip = nil }
    }

    public func predict(users: [Int32], items: [Int32]) -> [Float] {
        let d = userVectors.columns
        return userVectors.values.withUnsafeBufferPointer { uv in
            itemVectors.values.withUnsafeBufferPointer { iv in
                zip(users, items).map { u, i in
                    let uu = Int(u), ii = Int(i)
                    var y = Double(userBase[uu]) + Double(itemBase[ii])
                    if d > 0 { y += Double(BLAS.sdot(d, uv.baseAddress! + uu * d, iv.baseAddress! + ii * d)) }
                    let f = Float(y)
                    return clip.map { min($0.upperBound, max($0.lowerBound, f)) } ?? f
                }
            }
        }
    }

    /// The user's own terms do not change the order of their items, so ranking scores are
    /// ⟨A_u, A_i⟩/S + base_i: the scoring core's fused sgemm path.
    public var factors: LatentFactors {
        LatentFactors(users: userVectors, items: itemVectors, itemBias: itemBase)
    }

    /// Sums of the per-entity terms over samples, and the concatenated a-vectors.
    private struct Accumulator {
        let users: Int, items: Int, k: Int, capacity: Int
        var count = 0
        var ub: [Double], ib: [Double]
        var uv: [Float], iv: [Float]
        init(users: Int, items: Int, k: Int, capacity: Int) {
            self.users = users; self.items = items; self.k = k; self.capacity = capacity
            ub = [Double](repeating: 0, count: users); ib = [Double](repeating: 0, count: items)
            uv = [Float](repeating: 0, count: users * k * capacity);
            iv = [Float](repeating: 0, count: items * k * capacity)
        }
        mutating func add(_ s: FMCoordinateSolver) {
            precondition(count < capacity)
            let d = k * capacity, off = count * k
            for u in 0..<users {
                ub[u] += s.params.w0 + s.user.lin[u] + s.user.intra[u]
                for f in 0..<k { uv[u * d + off + f] = Float(s.user.a[f * users + u]) }
            }
            for i in 0..<items {
                ib[i] += s.item.lin[i] + s.item.intra[i]
                for f in 0..<k { iv[i * d + off + f] = Float(s.item.a[f * items + i]) }
            }
            count += 1
        }
        func finish() -> ([Float], [Float], DenseMatrix, DenseMatrix) {
            let s = Double(max(1, count)), used = k * count, d = k * capacity
            var um = DenseMatrix(rows: users, columns: used), im = DenseMatrix(rows: items, columns: used)
            for u in 0..<users { for c in 0..<used { um.values[u * used + c] = uv[u * d + c] / Float(s) } }
            for i in 0..<items { for c in 0..<used { im.values[i * used + c] = iv[i * d + c] } }
            return (ub.map { Float($0 / s) }, ib.map { Float($0 / s) }, um, im)
        }
    }
}
