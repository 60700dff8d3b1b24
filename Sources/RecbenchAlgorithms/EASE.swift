import RecbenchCore

/// Embarrassingly shallow autoencoder (Steck 2019): an item–item weight matrix B with zero
/// diagonal minimising ‖X − XB‖² + λ‖B‖², in closed form: P = (XᵀX + λI)⁻¹,
/// B_ij = −P_ij / P_jj (i ≠ j), B_jj = 0. Scores of user u are x_u·B.
/// The Gram matrix is accumulated in double precision and inverted with LAPACK's Cholesky
/// (dpotrf/dpotri): the inverse of an ill-conditioned Gram matrix loses too much in Float.
/// Memory and time are O(n_items²) and O(n_items³), so this is for catalogues up to ~50k items.
public final class EASE: Recommender {
    public struct Config: AlgorithmConfig {
        public static let parameters: [ParameterSpec] = [
            .real("regularization", default: 300, exclusiveMin: true, "λ added to the Gram matrix's diagonal."),
            .boolean("binary", default: true, "Treat every interaction as 1 (ignore rating values)."),
        ]
        public var regularization: Double, binary: Bool
        public init(_ v: ParameterValues) { regularization = v.real("regularization"); binary = v.bool("binary") }
    }
    public static let name = "EASE"
    public static let summary = "Closed-form item–item linear autoencoder with zero diagonal (Steck 2019)."
    public static let tasks: Set<RecommendationTask> = [.ranking]

    public let config: Config
    /// items × items, row-major: scores = X·B.
    public private(set) var weights = DenseMatrix(rows: 0, columns: 0)
    private var train: SparseMatrix = SparseMatrix(rows: 0, columns: 0, offsets: [0], indices: [], values: [])

    public init(config: Config) { self.config = config }

    public func fit(_ data: TrainingData, context: FitContext) throws {
        let m = data.interactions, n = m.itemCount
        train = config.binary ? m.binarized().byUser : m.byUser
        var p = [Double](repeating: 0, count: n * n)
        // XᵀX from each user's pairs (only the upper triangle; mirrored before the inverse).
        for u in 0..<train.rows {
            let range = train.rowRange(u)
            for a in range {
                let i = Int(train.indices[a]), va = Double(train.values[a])
                for b in a..<range.upperBound { p[i * n + Int(train.indices[b])] += va * Double(train.values[b]) }
            }
            if u % 1024 == 0 { context.progress(0.5 * Double(u) / Double(max(1, train.rows))) }
        }
        for i in 0..<n {
            p[i * n + i] += config.regularization
            for j in 0..<i { p[i * n + j] = p[j * n + i] }
        }
        try p.withUnsafeMutableBufferPointer { try LAPACK.symmetricInverse(n: n, a: $0.baseAddress!) }
        context.progress(0.9)
        var b = DenseMatrix(rows: n, columns: n)
        for i in 0..<n {
            for j in 0..<n where j != i { b.values[i * n + j] = Float(-p[i * n + j] / p[j * n + j]) }
        }
        weights = b
        context.progress(1)
    }

    /// Dense block of the users' training rows times B, one sgemm per block of 256 users.
    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        let n = weights.columns, block = 256
        var rows = [Float](repeating: 0, count: min(block, users.count) * n)
        for start in stride(from: 0, to: users.count, by: block) {
            let count = min(block, users.count - start)
            for r in 0..<count {
                for c in 0..<n { rows[r * n + c] = 0 }
                let u = Int(users[start + r])
                for k in train.rowRange(u) { rows[r * n + Int(train.indices[k])] = train.values[k] }
            }
            rows.withUnsafeBufferPointer { a in weights.values.withUnsafeBufferPointer { w in
                BLAS.sgemm(m: count, n: n, k: n, a: a.baseAddress!, lda: n, b: w.baseAddress!, ldb: n,
                           c: scores.baseAddress! + start * n, ldc: n)
            } }
        }
    }
}
