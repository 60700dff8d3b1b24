import RecbenchCore

/// Sparse linear method (Ning & Karypis 2011) with the ElasticNet penalty: an item–item weight
/// matrix W with non-negative entries and zero diagonal, one column at a time,
///
///     w_j = argmin_{w ≥ 0, w_j = 0}  1/(2·m) ‖x_j − X w‖² + alpha·l1_ratio·‖w‖₁ + alpha·(1 − l1_ratio)/2 ‖w‖²,
///
/// m = number of users, in the parametrisation of scikit-learn's ElasticNet (positive = true,
/// no intercept), which RecBole's SLIMElastic calls; the defaults are RecBole's. Scores of user u
/// are x_u·W.
///
/// Each column is solved by cyclic coordinate descent on the Gram matrix G = XᵀX (dense, Float),
/// columns in parallel. With non-negative data a coordinate k can only become positive if
/// G_kj > m·alpha·l1_ratio (its partial residual correlation is at most G_kj, since G ≥ 0 and
/// w ≥ 0), so only those candidates are visited: the result is the same as a sweep over all
/// items. A column stops as scikit-learn's does: when its largest change is below tolerance ×
/// its largest weight and the duality gap is below tolerance × ‖x_j‖², or after max_iterations
/// sweeps. `topk` then keeps each column's k largest weights.
public final class SLIM: Recommender {
    public struct Config: AlgorithmConfig {
        public static let parameters: [ParameterSpec] = [
            .real(
                "alpha", default: 0.2, exclusiveMin: true,
                "Penalty strength, scikit-learn / RecBole scale: the loss is divided by 2·users."),
            .real("l1_ratio", default: 0.02, max: 1, "Share of the penalty on ‖w‖₁ (the rest on ‖w‖²/2)."),
            .integer("max_iterations", default: 100, min: 1, "Coordinate-descent sweeps per column at most."),
            .real(
                "tolerance", default: 1e-4, exclusiveMin: true,
                "Stop a column when max |Δw| < tolerance · max w and the duality gap < tolerance · ‖x_j‖²."),
            .integer("topk", default: 0, "Keep the k largest weights of each column (0 = all)."),
            .boolean("binary", default: true, "Treat every interaction as 1 (ignore rating values).")
        ]
        public var alpha: Double, l1Ratio: Double, maxIterations: Int, tolerance: Double, topK: Int, binary: Bool
        public init(_ v: ParameterValues) {
            alpha = v.real("alpha"); l1Ratio = v.real("l1_ratio"); maxIterations = v.int("max_iterations")
            tolerance = v.real("tolerance"); topK = v.int("topk"); binary = v.bool("binary")
        }
        /// The dense Float Gram matrix, the kept weights (n per column at most), per-thread column
        /// scratch and the binarised copy.
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            let n = s.items, kept = topK > 0 ? min(topK, n) : n
            return 4 * n * n + 8 * n * kept + 12 * n * s.threads + (binary ? s.matrixCopyBytes : 0)
        }
    }
    public static let name = "SLIM"
    public static let summary =
        "Sparse linear item–item model, ElasticNet with non-negative weights (Ning & Karypis 2011)."
    public static let tasks: Set<RecommendationTask> = [.ranking]

    public let config: Config
    /// Row i holds W's row i (the weights i gives to other items): scores = Σ_{i ∈ I(u)} x_ui · row i.
    public private(set) var weights = SparseMatrix(rows: 0, columns: 0, offsets: [0], indices: [], values: [])
    private var train = SparseMatrix(rows: 0, columns: 0, offsets: [0], indices: [], values: [])
    /// Largest number of sweeps any column took (for tests and the curve).
    public private(set) var maxSweeps = 0

    public init(config: Config) { self.config = config }

    public func fit(_ data: TrainingData, context: FitContext) throws {
        let m = config.binary ? data.interactions.binarized() : data.interactions
        let n = m.itemCount
        train = m.byUser
        try ItemGram.checkFits(
            model: Self.name, items: n,
            bytes: ItemGram.bytes(items: n, scalar: 4)
                + context.threads * n * 24)
        let g = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n * n))
        g.initialize(repeating: 0, count: n * n)
        defer { g.deallocate() }
        ItemGram.compute(m, into: g, threads: context.threads) { context.progress(0.2 * $0) }
        let users = Double(m.userCount)
        let l1 = users * config.alpha * config.l1Ratio, l2 = users * config.alpha * (1 - config.l1Ratio)
        // The candidate screen needs X ≥ 0 (then G ≥ 0); otherwise every item is a candidate.
        let screen = m.byUser.values.allSatisfy { $0 >= 0 }

        var columns = [(indices: [Int32], values: [Float])](repeating: ([], []), count: n)
        var sweeps = [Int](repeating: 0, count: n)
        let workers = parallelWorkerCount(count: n, threads: context.threads, grain: 8)
        let scratch = (0..<workers).map { _ in ColumnScratch(n) }
        defer { scratch.forEach { $0.deallocate() } }
        let done = DoneCounter()
        columns.withUnsafeMutableBufferPointer { cols in
            sweeps.withUnsafeMutableBufferPointer { sw in
                let out = UncheckedSendable((cols, sw, g))
                parallelForWorkers(count: n, threads: context.threads, grain: 8) { worker, j in
                    let (cols, sw, g) = out.value
                    if context.isCancelled { return }
                    let s = scratch[worker]
                    sw[j] = Self.solveColumn(
                        j, gram: g, n: n, l1: l1, l2: l2, screen: screen, maxIterations: config.maxIterations,
                        tolerance: config.tolerance, scratch: s)
                    cols[j] = Self.kept(s, topK: config.topK)
                    if done.increment() % 64 == 0 { context.progress(0.2 + 0.8 * Double(done.value) / Double(n)) }
                }
            }
        }
        if context.isCancelled { throw RecbenchError.cancelled }
        maxSweeps = sweeps.max() ?? 0
        // Column j's weights w_ij become entries (i, j) of the row-major weight matrix.
        var rows = [Int32](), cols = [Int32](), vals = [Float]()
        for (j, c) in columns.enumerated() {
            rows.append(contentsOf: c.indices); vals.append(contentsOf: c.values)
            cols.append(contentsOf: repeatElement(Int32(j), count: c.indices.count))
        }
        weights = SparseMatrix(rows: n, columns: n, rowIndices: rows, columnIndices: cols, values: vals)
        context.record(iteration: 1, ["nonzeros": Double(weights.nnz), "max_sweeps": Double(maxSweeps)])
        context.progress(1)
    }

    /// Per-worker dense state of one column: weights and Gw over the candidates, candidate list.
    final class ColumnScratch: @unchecked Sendable {
        let w: UnsafeMutablePointer<Double>, q: UnsafeMutablePointer<Double>
        let candidates: UnsafeMutablePointer<Int32>
        var count = 0
        init(_ n: Int) {
            w = .allocate(capacity: max(1, n)); q = .allocate(capacity: max(1, n));
            candidates = .allocate(capacity: max(1, n))
        }
        func deallocate() { w.deallocate(); q.deallocate(); candidates.deallocate() }
    }

    /// Coordinate descent for column j; leaves the candidates and their weights in `s` (w[t] is
    /// the weight of candidates[t]). Returns the number of sweeps.
    static func solveColumn(
        _ j: Int, gram g: UnsafeMutablePointer<Float>, n: Int, l1: Double, l2: Double, screen: Bool,
        maxIterations: Int, tolerance: Double, scratch s: ColumnScratch
    ) -> Int {
        let gj = g + j * n  // G is symmetric: row j is column j, Xᵀx_j
        s.count = 0
        for k in 0..<n where k != j && (!screen || Double(gj[k]) > l1) && g[k * n + k] > 0 {
            s.candidates[s.count] = Int32(k); s.count += 1
        }
        let c = s.count, cand = s.candidates, w = s.w, q = s.q
        w.update(repeating: 0, count: c); q.update(repeating: 0, count: c)
        let yNorm2 = Double(gj[j])
        guard c > 0, yNorm2 > 0 else { s.count = 0; return 0 }
        let gapTolerance = tolerance * yNorm2
        var sweep = 0
        while sweep < maxIterations {
            sweep += 1
            var wMax = 0.0, dwMax = 0.0
            for t in 0..<c {
                let k = Int(cand[t]), gkk = Double(g[k * n + k]), old = w[t]
                let rho = Double(gj[k]) - q[t] + gkk * old
                let new = max(0, rho - l1) / (gkk + l2)
                if new != old {
                    let d = new - old
                    w[t] = new
                    let gk = g + k * n
                    for r in 0..<c { q[r] += d * Double(gk[Int(cand[r])]) }
                    dwMax = max(dwMax, abs(d))
                }
                wMax = max(wMax, new)
            }
            guard wMax == 0 || dwMax / wMax < tolerance || sweep == maxIterations else { continue }
            // Duality gap of the (unscaled) positive ElasticNet, as scikit-learn's Gram solver.
            var dual = -Double.infinity, qw = 0.0, wGw = 0.0, l1Norm = 0.0, wNorm2 = 0.0
            for t in 0..<c {
                let xta = Double(gj[Int(cand[t])]) - q[t] - l2 * w[t]
                dual = max(dual, xta)
                qw += w[t] * Double(gj[Int(cand[t])]); wGw += w[t] * q[t]; l1Norm += w[t]; wNorm2 += w[t] * w[t]
            }
            let r2 = max(0, yNorm2 + wGw - 2 * qw)
            var gap: Double, scale = 1.0
            if dual > l1 { scale = l1 / dual; gap = 0.5 * (r2 + r2 * scale * scale) } else { gap = r2 }
            gap += l1 * l1Norm - scale * (yNorm2 - qw) + 0.5 * l2 * (1 + scale * scale) * wNorm2
            if gap < gapTolerance { break }
        }
        return sweep
    }

    /// The positive weights of the column, or its `topK` largest (ties to the lower item), by item.
    static func kept(_ s: ColumnScratch, topK: Int) -> (indices: [Int32], values: [Float]) {
        var picked = (0..<s.count).filter { s.w[$0] > 0 }
        if topK > 0 && picked.count > topK {
            picked.sort { s.w[$0] != s.w[$1] ? s.w[$0] > s.w[$1] : s.candidates[$0] < s.candidates[$1] }
            picked = Array(picked.prefix(topK)).sorted()
        }
        return (picked.map { s.candidates[$0] }, picked.map { Float(s.w[$0]) })
    }

    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        let n = weights.columns
        for (r, u) in users.enumerated() {
            let row = UnsafeMutableBufferPointer(rebasing: scores[(r * n)..<((r + 1) * n)])
            row.update(repeating: 0)
            guard Int(u) < train.rows else { continue }
            for k in train.rowRange(Int(u)) {
                let i = Int(train.indices[k]), x = train.values[k]
                for e in weights.rowRange(i) { row[Int(weights.indices[e])] += x * weights.values[e] }
            }
        }
    }
}

extension SLIM: ExportableModel {
    /// W as CSR, items × items (row i: the weights i gives to other items).
    public var exportedArrays: [String: ExportArray] {
        ExportArray.csr("weights", offsets: weights.offsets, indices: weights.indices, values: weights.values)
    }
}
