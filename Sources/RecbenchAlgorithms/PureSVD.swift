import RecbenchCore

/// PureSVD (Cremonesi, Koren & Turrin 2010): the rank-k truncated SVD of the user–item matrix R
/// (missing entries as 0), R ≈ U_k Σ_k V_kᵀ; scores are that reconstruction, i.e. user factors
/// U_k Σ_k and item factors V_k (for a training user, the same as r_u V_k V_kᵀ).
/// Solvers: LAPACK's divide-and-conquer SVD of the dense matrix, or a seeded randomised SVD
/// (Halko, Martinsson & Tropp 2011) built from sparse products, for catalogues where the dense
/// matrix would not fit. "auto" takes the randomised SVD whenever the rank k plus oversampling is at
/// most a quarter of min(users, items) — with 10 subspace iterations it matches LAPACK's top-k
/// (ML-100K, k = 20: NDCG@10 0.4604 vs 0.4605) at a tenth of the time — and LAPACK otherwise,
/// while the dense matrix stays below 2²⁸ entries.
public final class PureSVD: FactorModel {
    public struct Config: AlgorithmConfig {
        public static let parameters: [ParameterSpec] = [
            .integer("factors", default: 20, min: 1, max: 4096, "Rank k of the truncated SVD."),
            .choice(
                "solver", default: Solver.auto,
                "Dense LAPACK SVD, seeded randomised SVD, or auto: randomised when 4·(factors + oversampling) ≤ min(users, items), else LAPACK."
            ),
            .integer(
                "oversampling", default: 10, min: 0, max: 10_000, "Randomised SVD: extra range dimensions beyond k."),
            .integer(
                "power_iterations", default: 10, min: 0, max: 100,
                "Randomised SVD: subspace iterations (sharpen the spectrum)."),
            .boolean("binary", default: true, "Treat every interaction as 1 (ignore rating values).")
        ]
        public enum Solver: String, CaseIterable, Sendable { case auto, lapack, randomized }
        public var factors: Int, solver: Solver, oversampling: Int, powerIterations: Int, binary: Bool
        public init(_ v: ParameterValues) {
            factors = v.int("factors"); solver = v.choice("solver"); oversampling = v.int("oversampling")
            powerIterations = v.int("power_iterations"); binary = v.bool("binary")
        }
        /// The dense users × items matrix and its SVD for LAPACK; the sketches (n × (k + p)) otherwise.
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            let k = min(factors, s.users, s.items), l = k + oversampling, copy = binary ? s.matrixCopyBytes : 0
            let lowRank = 4 * l <= min(s.users, s.items)
            if solver == .lapack || (solver == .auto && !lowRank && s.users * s.items < 1 << 28) {
                let r = min(s.users, s.items)
                return 4 * (2 * s.users * s.items + (s.users + s.items) * r + r) + copy
            }
            return 4 * (3 * s.users * l + 3 * s.items * l + l * l) + copy
        }
    }
    public static let name = "PureSVD"
    public static let summary = "Truncated SVD of the user–item matrix (Cremonesi et al. 2010)."
    public static let tasks: Set<RecommendationTask> = [.ranking]

    public let config: Config
    public private(set) var userFactors = DenseMatrix(rows: 0, columns: 0)
    public private(set) var itemFactors = DenseMatrix(rows: 0, columns: 0)
    public private(set) var singularValues: [Float] = []

    public init(config: Config) { self.config = config }

    public var factors: LatentFactors { LatentFactors(users: userFactors, items: itemFactors) }

    public func fit(_ data: TrainingData, context: FitContext) throws {
        let m = config.binary ? data.interactions.binarized() : data.interactions
        let rows = m.userCount, cols = m.itemCount
        let k = min(config.factors, rows, cols)
        let lowRank = 4 * (k + config.oversampling) <= min(rows, cols)
        let useLAPACK = config.solver == .lapack || (config.solver == .auto && !lowRank && rows * cols < 1 << 28)
        let (u, s, vt, r): ([Float], [Float], [Float], Int)  // u: rows × r, vt: r × cols
        if useLAPACK {
            var a = [Float](repeating: 0, count: rows * cols)
            for row in 0..<rows {
                for e in m.byUser.rowRange(row) { a[row * cols + Int(m.byUser.indices[e])] = m.byUser.values[e] }
            }
            (u, s, vt) = try a.withUnsafeMutableBufferPointer { try LAPACK.svd(m: rows, n: cols, a: $0.baseAddress!) }
            r = min(rows, cols)
        } else {
            (u, s, vt, r) = try randomizedSVD(m, k: k, context: context)
        }
        var uf = DenseMatrix(rows: rows, columns: k), vf = DenseMatrix(rows: cols, columns: k)
        for row in 0..<rows { for c in 0..<k { uf.values[row * k + c] = u[row * r + c] * s[c] } }
        for c in 0..<k { for i in 0..<cols { vf.values[i * k + c] = vt[c * cols + i] } }
        userFactors = uf; itemFactors = vf; singularValues = Array(s.prefix(k))
        context.progress(1)
    }

    /// Range finder on R with a Gaussian test matrix, subspace iterations with re-orthonormalisation,
    /// then the SVD of the small l × cols matrix QᵀR. Returns U (rows × l), Σ, Vᵀ (l × cols), l.
    func randomizedSVD(_ m: InteractionMatrix, k: Int, context: FitContext) throws -> ([Float], [Float], [Float], Int) {
        let rows = m.userCount, cols = m.itemCount
        let l = min(k + config.oversampling, rows, cols)
        var rng = context.random("puresvd-range")
        var omega = [Float](repeating: 0, count: cols * l)
        for i in omega.indices { omega[i] = Float(rng.nextGaussian()) }
        var q = try orthonormalized(sparseProduct(m.byUser, omega, l, threads: context.threads), rows: rows, l: l)
        for it in 0..<config.powerIterations {
            let z = try orthonormalized(sparseProduct(m.byItem, q, l, threads: context.threads), rows: cols, l: l)
            q = try orthonormalized(sparseProduct(m.byUser, z, l, threads: context.threads), rows: rows, l: l)
            context.progress(0.9 * Double(it + 1) / Double(config.powerIterations + 1))
        }
        // B = QᵀR (l × cols) from Bᵀ = RᵀQ.
        let bt = sparseProduct(m.byItem, q, l, threads: context.threads)
        var b = [Float](repeating: 0, count: l * cols)
        for i in 0..<cols { for c in 0..<l { b[c * cols + i] = bt[i * l + c] } }
        let (ub, s, vt) = try b.withUnsafeMutableBufferPointer { try LAPACK.svd(m: l, n: cols, a: $0.baseAddress!) }
        // U = Q·Ũ (rows × l)
        var u = [Float](repeating: 0, count: rows * l)
        q.withUnsafeBufferPointer { qp in
            ub.withUnsafeBufferPointer { up in
                u.withUnsafeMutableBufferPointer { cp in
                    BLAS.sgemm(
                        m: rows, n: l, k: l, a: qp.baseAddress!, lda: l, b: up.baseAddress!, ldb: l, c: cp.baseAddress!,
                        ldc: l)
                }
            }
        }
        return (u, s, vt, l)
    }

    /// S·M for a CSR matrix S (rows × cols) and a row-major cols × l dense M; row-major rows × l.
    func sparseProduct(_ s: SparseMatrix, _ dense: [Float], _ l: Int, threads: Int) -> [Float] {
        var out = [Float](repeating: 0, count: s.rows * l)
        out.withUnsafeMutableBufferPointer { op in
            dense.withUnsafeBufferPointer { dp in
                let box = UncheckedSendable((op, dp))
                parallelChunks(count: s.rows, threads: threads) { _, range in
                    let (op, dp) = box.value
                    for r in range {
                        for e in s.rowRange(r) {
                            FactorKernels.axpy(
                                l, s.values[e], dp.baseAddress! + Int(s.indices[e]) * l, op.baseAddress! + r * l)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Orthonormal basis of the columns of a row-major rows × l matrix, returned in the same layout.
    func orthonormalized(_ y: [Float], rows: Int, l: Int) throws -> [Float] {
        var t = [Float](repeating: 0, count: rows * l)  // column-major rows × l
        for r in 0..<rows { for c in 0..<l { t[c * rows + r] = y[r * l + c] } }
        try t.withUnsafeMutableBufferPointer { try LAPACK.orthonormalize(m: rows, n: l, a: $0.baseAddress!) }
        var out = [Float](repeating: 0, count: rows * l)
        for r in 0..<rows { for c in 0..<l { out[r * l + c] = t[c * rows + r] } }
        return out
    }
}
