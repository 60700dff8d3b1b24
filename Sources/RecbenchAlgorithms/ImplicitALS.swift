import RecbenchCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Weighted matrix factorisation for implicit feedback (Hu, Koren & Volinsky 2008), fitted by
/// alternating least squares. Minimises
///     Σ_{u,i} c_ui (p_ui − x_u·y_i)² + λ (‖X‖² + ‖Y‖²)
/// over all user–item pairs, with p_ui = 1 for observed pairs and confidence c_ui = 1 + α·r_ui
/// (or 1 + α·log(1 + r_ui/ε)); unobserved pairs have c = 1, p = 0. The all-pairs term is handled
/// through the shared YᵀY (computed once per half-sweep with ssyrk), so each user's solve costs
/// O(n_u·d + d²) per CG step; the subspace solver (iALS++) instead minimises exactly over blocks of
/// `block_size` factors, O(n_u·d·b + d² + d·b²) per pass. Solves run in parallel over users, then items.
public final class ImplicitALS: FactorModel {
    public struct Config: AlgorithmConfig {
        public static let budgetParameter: String? = "iterations"
        public static let parameters: [ParameterSpec] = [
            .integer("factors", default: 64, min: 1, max: 4096, "Latent dimensions d."),
            .integer("iterations", default: 15, min: 1, max: 10_000, "Alternating sweeps (users then items)."),
            // λ = 20, α = 1: chosen on validation (10 % of each training fold) in all five ML-100K folds
            // (experiments/ml100k-selection.json); λ = 5, α = 2 gave test NDCG@10 0.401, these 0.477.
            .real("regularization", default: 20, "λ on ‖X‖² + ‖Y‖²."),
            .real("alpha", default: 1, "Confidence scale α."),
            .choice("confidence", default: Confidence.linear, "c = 1 + α·r, or c = 1 + α·log(1 + r/ε)."),
            .real("epsilon", default: 1, exclusiveMin: true, "ε of the log confidence."),
            .boolean("binary", default: true, "Treat every interaction as r = 1 (ignore rating values)."),
            .choice(
                "solver", default: Solver.cg,
                "Per-row solve: warm-started conjugate gradient, exact Cholesky, or iALS++'s block coordinate descent (subspace)."
            ),
            .integer("cg_steps", default: 3, min: 1, max: 1000, "CG steps per row per sweep."),
            .integer(
                "block_size", default: 32, min: 1, max: 4096,
                "Factors per block of the subspace solver; a block of all factors is the exact solve. 8 (with factors a multiple of 8) runs block-major in an AVX2 kernel, the fastest setting."
            ),
            .real("init_std", default: 0.01, "Standard deviation of the Gaussian initial factors."),
            .boolean(
                "training_loss", default: true,
                "Compute the objective after every sweep (one extra pass over the data)."),
            .patience(default: 0)
        ]
        public var factors: Int, iterations: Int, regularization: Double, alpha: Double
        public enum Confidence: String, CaseIterable, Sendable { case linear, log }
        public enum Solver: String, CaseIterable, Sendable { case cg, cholesky, subspace }
        public var confidence: Confidence, epsilon: Double, binary: Bool
        public var solver: Solver, cgSteps: Int, blockSize: Int, initStd: Double, trainingLoss: Bool, patience: Int
        public init(_ v: ParameterValues) {
            factors = v.int("factors"); iterations = v.int("iterations"); regularization = v.real("regularization")
            alpha = v.real("alpha"); confidence = v.choice("confidence"); epsilon = v.real("epsilon")
            binary = v.bool("binary"); solver = v.choice("solver"); cgSteps = v.int("cg_steps")
            blockSize = v.int("block_size")
            initStd = v.real("init_std"); trainingLoss = v.bool("training_loss"); patience = v.int("patience")
        }
        /// User and item factors, one confidence per interaction in each orientation, the Gram
        /// matrix, and per thread one row's d × d system; the subspace solver's per-thread predictions
        /// grow to the longest row, at most the larger side, and block-major (blocks of eight) it
        /// also holds a packed copy of the larger side's factors, one prediction per interaction and
        /// per thread eight floats per entry of the longest row.
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            let longest = max(s.users, s.items)
            var bytes =
                4 * (s.users + s.items) * factors + 8 * s.interactions
                + (s.threads + 1) * 8 * factors * (factors + 4)
            if solver == .subspace {
                bytes += s.threads * 4 * longest
                if blockSize == 8 && factors % 8 == 0 {
                    bytes += 4 * longest * factors + 4 * s.interactions + s.threads * 32 * longest
                }
            }
            return bytes
        }
    }
    public static let name = "ImplicitALS"
    public static let summary = "Implicit-feedback matrix factorisation by weighted ALS (Hu, Koren & Volinsky 2008)."
    public static let tasks: Set<RecommendationTask> = [.ranking]

    public let config: Config
    public private(set) var userFactors = DenseMatrix(rows: 0, columns: 0)
    public private(set) var itemFactors = DenseMatrix(rows: 0, columns: 0)

    public init(config: Config) { self.config = config }

    public var factors: LatentFactors { LatentFactors(users: userFactors, items: itemFactors) }

    /// Confidence of one raw value.
    func confidence(_ r: Float) -> Float {
        let v = config.binary ? 1 : Double(r)
        return Float(config.confidence == .log ? 1 + config.alpha * log1p(v / config.epsilon) : 1 + config.alpha * v)
    }

    public func fit(_ data: TrainingData, context: FitContext) throws {
        let m = data.interactions, d = config.factors
        let userConf = m.byUser.values.map(confidence), itemConf = m.byItem.values.map(confidence)
        let std = Float(config.initStd)
        userFactors = FactorKernels.gaussianFactors(
            rows: m.userCount, d: d, std: std, context: context, stream: "implicit-als-init-users")
        itemFactors = FactorKernels.gaussianFactors(
            rows: m.itemCount, d: d, std: std, context: context, stream: "implicit-als-init-items")
        try TrainingLoop(iterations: config.iterations, patience: config.patience).run(
            context: context, model: self,
            snapshot: { (userFactors, itemFactors) }, restore: { (userFactors, itemFactors) = $0 }
        ) { _ in
            try sweep(&userFactors, fixed: itemFactors, csr: m.byUser, conf: userConf, threads: context.threads)
            try sweep(&itemFactors, fixed: userFactors, csr: m.byItem, conf: itemConf, threads: context.threads)
            return config.trainingLoss ? ["loss": loss(m, userConf: userConf, threads: context.threads)] : [:]
        }
    }

    /// Re-solves every row of `target` with `fixed` held: the shared YᵀY + λI is formed once,
    /// then each row adds its own observed items' confidence terms.
    func sweep(_ target: inout DenseMatrix, fixed: DenseMatrix, csr: SparseMatrix, conf: [Float], threads: Int) throws {
        let d = config.factors, rows = target.rows
        let g = fixed.values.withUnsafeBufferPointer {
            FactorKernels.gram(
                $0.baseAddress!, rows: fixed.rows, d: d, ridge: Float(config.regularization), threads: threads)
        }
        // Small blocks: per-row cost varies with the row's count, and 128-row blocks left one
        // thread idle at the end of each half-sweep on small data sets.
        let solver = config.solver, steps = config.cgSteps, blockSize = config.blockSize
        if solver == .subspace && ImplicitSubspace.blockMajor(k: d, block: blockSize) {
            guard sweepBlockMajor(&target, fixed: fixed, gram: g, csr: csr, conf: conf, threads: threads) else {
                throw Self.notPositiveDefinite
            }
            return
        }
        let block = 16, blocks = (rows + block - 1) / block
        var failed = [Bool](repeating: false, count: blocks)
        target.values.withUnsafeMutableBufferPointer { tp in
            failed.withUnsafeMutableBufferPointer { fl in
                withPointers(fixed.values, g, conf, csr.indices, csr.offsets) { fp, gp, cp, ip, op in
                    let part = SweepRows(
                        target: tp.baseAddress!, fixed: fp, gram: gp, confidence: cp, columns: ip, offsets: op,
                        count: rows, d: d)
                    let box = UncheckedSendable((part, fl))
                    parallelFor(count: blocks, threads: threads, grain: 1) { b in
                        let (part, fl) = box.value
                        let range = (b * block)..<min(part.count, (b + 1) * block)
                        switch solver {
                        case .cg: part.solveCG(range, steps: steps)
                        case .cholesky: fl[b] = !part.solveCholesky(range)
                        case .subspace: fl[b] = !part.solveSubspace(range, block: blockSize)
                        }
                    }
                }
            }
        }
        if failed.contains(true) { throw Self.notPositiveDefinite }
    }

    static let notPositiveDefinite = RecbenchError.invalid(
        "ImplicitALS: a normal-equation matrix was not positive definite (raise regularization)")

    /// The subspace solver's half-sweep in the block-major kernel: rows split into parts of about
    /// equal interaction counts (four per thread, for balance), each part taken through every block.
    /// False when a block's system was not positive definite.
    private func sweepBlockMajor(
        _ target: inout DenseMatrix, fixed: DenseMatrix, gram: [Float], csr: SparseMatrix, conf: [Float], threads: Int
    ) -> Bool {
        let d = config.factors, rows = target.rows, nnz = csr.offsets[rows]
        let parts = max(1, min(rows, 4 * threads))
        var bounds = [0]
        for p in 1..<parts {
            // The first row whose entries start at or past p/parts of the interactions.
            let goal = nnz * p / parts
            var lo = bounds.last!, hi = rows
            while lo < hi { let mid = (lo + hi) / 2; if csr.offsets[mid] < goal { lo = mid + 1 } else { hi = mid } }
            bounds.append(lo)
        }
        bounds.append(rows)
        var failed = [Bool](repeating: false, count: parts)
        var predictions = [Float](repeating: 0, count: nnz)
        let packed = fixed.values.withUnsafeBufferPointer {
            ImplicitSubspace.packBlocks($0.baseAddress!, rows: fixed.rows, k: d, threads: threads)
        }
        let m = fixed.rows
        target.values.withUnsafeMutableBufferPointer { tp in
            failed.withUnsafeMutableBufferPointer { fl in
                predictions.withUnsafeMutableBufferPointer { sp in
                    withPointers(packed, gram, conf, csr.indices, csr.offsets) { fp, gp, cp, ip, op in
                        let box = UncheckedSendable((tp.baseAddress!, fl, sp.baseAddress!, fp, gp, cp, ip, op))
                        parallelFor(count: parts, threads: threads, grain: 1) { p in
                            let (x, fl, s, fp, gp, cp, ip, op) = box.value
                            let lo = bounds[p], hi = bounds[p + 1]
                            guard lo < hi else { return }
                            fl[p] = !ImplicitSubspace.solveBlockMajor(
                                base: gp, packed: fp, fixedRows: m, k: d, offsets: op, cols: ip, conf: cp,
                                predictions: s + op[lo], x: x, rows: lo..<hi)
                        }
                    }
                }
            }
        }
        return !failed.contains(true)
    }

    /// The objective divided by the number of observed pairs. The all-pairs part Σ (x_u·y_i)² is
    /// tr(XᵀX·YᵀY); observed pairs then correct it: c(1 − s)² − s².
    func loss(_ m: InteractionMatrix, userConf: [Float], threads: Int) -> Double {
        let d = config.factors
        let gx = userFactors.values.withUnsafeBufferPointer {
            FactorKernels.gram($0.baseAddress!, rows: userFactors.rows, d: d, ridge: 0, threads: threads)
        }
        let gy = itemFactors.values.withUnsafeBufferPointer {
            FactorKernels.gram($0.baseAddress!, rows: itemFactors.rows, d: d, ridge: 0, threads: threads)
        }
        var total = 0.0
        for k in 0..<(d * d) { total += Double(gx[k]) * Double(gy[k]) }
        let chunks = max(1, threads)
        var partial = [Double](repeating: 0, count: chunks)
        let csr = m.byUser
        userFactors.values.withUnsafeBufferPointer { xp in
            itemFactors.values.withUnsafeBufferPointer { yp in
                partial.withUnsafeMutableBufferPointer { pp in
                    let box = UncheckedSendable((xp, yp, pp))
                    parallelChunks(count: csr.rows, threads: chunks) { chunk, range in
                        let (xp, yp, pp) = box.value
                        var s = 0.0
                        for u in range {
                            for k in csr.rowRange(u) {
                                let v = Double(
                                    FactorKernels.dot(
                                        xp.baseAddress! + u * d, yp.baseAddress! + Int(csr.indices[k]) * d, d))
                                let c = Double(userConf[k])
                                s += c * (1 - v) * (1 - v) - v * v
                            }
                        }
                        pp[chunk] = s
                    }
                }
            }
        }
        total += partial.reduce(0, +)
        total +=
            config.regularization
            * (FactorKernels.sumOfSquares(userFactors.values) + FactorKernels.sumOfSquares(itemFactors.values))
        return total / Double(max(1, m.nnz))
    }
}

/// One half-sweep's rows as raw pointers: `target` rows are re-solved against `fixed`, each row
/// adding its observed items' confidence terms to the shared Gram matrix YᵀY + λI.
struct SweepRows {
    let target: UnsafeMutablePointer<Float>
    let fixed: UnsafePointer<Float>, gram: UnsafePointer<Float>, confidence: UnsafePointer<Float>
    let columns: UnsafePointer<Int32>, offsets: UnsafePointer<Int>
    let count: Int, d: Int

    /// Conjugate gradient from the current row (an empty row's optimum, G x = 0, is reached too),
    /// prefetching the next row's entries.
    func solveCG(_ range: Range<Int>, steps: Int) {
        let work = ImplicitCG.Work(k: d)
        for u in range {
            let lo = offsets[u], hi = offsets[u + 1]
            let next = u + 1 < count ? offsets[u + 2] : hi  // the next row's entries: hi..<next
            ImplicitCG.solve(
                base: gram, fixed: fixed, k: d, cols: columns + lo, conf: confidence + lo, n: hi - lo,
                steps: steps, work: work, x: target + u * d, ahead: columns + hi, aheadCount: next - hi)
        }
    }

    /// One pass of block coordinate descent per row; false when a block's system was not positive definite.
    func solveSubspace(_ range: Range<Int>, block: Int) -> Bool {
        let work = ImplicitSubspace.Work(k: d, block: block)
        var ok = true
        for u in range {
            let lo = offsets[u]
            ok =
                ImplicitSubspace.solve(
                    base: gram, fixed: fixed, k: d, cols: columns + lo, conf: confidence + lo, n: offsets[u + 1] - lo,
                    work: work, x: target + u * d) && ok
        }
        return ok
    }

    /// Exact normal equations by Cholesky; false when a row's matrix was not positive definite.
    func solveCholesky(_ range: Range<Int>) -> Bool {
        let s = NormalEquationScratch(k: d)
        var ok = true
        for u in range {
            let lo = offsets[u], n = offsets[u + 1] - lo
            s.reserve(n)
            for j in 0..<n {
                let c = confidence[lo + j]
                (s.rows + j * d).update(from: fixed + Int(columns[lo + j]) * d, count: d)
                s.w[j] = c - 1; s.t[j] = c
            }
            do { try NormalEquations.solveCholesky(base: gram, ridge: 0, n: n, scratch: s, x: target + u * d) } catch {
                ok = false
            }
        }
        return ok
    }
}
