import RecbenchCore

/// Embarrassingly shallow autoencoder (Steck 2019): an item–item weight matrix B with zero
/// diagonal minimising ‖X − XB‖² + λ‖B‖², in closed form: P = (XᵀX + λI)⁻¹,
/// B_ij = −P_ij / P_jj (i ≠ j), B_jj = 0. Scores of user u are x_u·B.
///
/// The Gram matrix is accumulated (in parallel rows) and inverted by a blocked Cholesky factorisation
/// (`BlockedCholesky`: fixed tiles on the fit's threads, the same result at any thread count) in the
/// chosen precision. `double` needs 12 bytes per item pair at its peak (the
/// double inverse beside the Float B); `single` works in B's own storage, 4 bytes
/// per pair: 6.7 GB instead of 20 GB at Gowalla's 41k items. Single precision rests on λ keeping
/// the smallest eigenvalue of XᵀX + λI at λ or above, so the inverse loses few digits; `auto`
/// takes double up to 20,000 items and single above. A fit whose estimate exceeds the machine's
/// memory is refused before anything is allocated. Time is O(n_items³).
public final class EASE: Recommender {
    public struct Config: AlgorithmConfig {
        public enum Precision: String, CaseIterable, Sendable { case auto, single, double }
        public static let parameters: [ParameterSpec] = [
            .real("regularization", default: 300, exclusiveMin: true, "λ added to the Gram matrix's diagonal."),
            .boolean("binary", default: true, "Treat every interaction as 1 (ignore rating values)."),
            .choice(
                "precision", default: Precision.auto,
                "Gram matrix and inverse in single (4 bytes per item pair) or double (12) precision; auto = double up to 20,000 items."
            )
        ]
        public var regularization: Double, binary: Bool, precision: Precision
        public init(_ v: ParameterValues) {
            regularization = v.real("regularization"); binary = v.bool("binary"); precision = v.choice("precision")
        }
        /// The dense item × item matrices of the resolved precision (`EASE.estimatedBytes`) and the
        /// binarised copy of the training matrix.
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            let resolved = precision != .auto ? precision : s.items <= EASE.doubleUpTo ? .double : .single
            return EASE.estimatedBytes(items: s.items, precision: resolved) + (binary ? s.matrixCopyBytes : 0)
        }
    }
    public static let name = "EASE"
    public static let summary = "Closed-form item–item linear autoencoder with zero diagonal (Steck 2019)."
    public static let tasks: Set<RecommendationTask> = [.ranking]
    /// Largest catalogue `auto` fits in double precision.
    public static let doubleUpTo = 20_000

    public let config: Config
    /// items × items, row-major: scores = X·B.
    public private(set) var weights = DenseMatrix(rows: 0, columns: 0)
    /// The precision the last fit used (`auto` resolved).
    public private(set) var precisionUsed = Config.Precision.double
    private var train: SparseMatrix = SparseMatrix(rows: 0, columns: 0, offsets: [0], indices: [], values: [])

    public init(config: Config) { self.config = config }

    /// Peak bytes of a fit on n items in a precision (single or double).
    public static func estimatedBytes(items n: Int, precision: Config.Precision) -> Int {
        ItemGram.bytes(items: n, scalar: precision == .double ? 12 : 4)
    }

    public func fit(_ data: TrainingData, context: FitContext) throws {
        let m = config.binary ? data.interactions.binarized() : data.interactions, n = m.itemCount
        train = m.byUser
        let precision = config.precision != .auto ? config.precision : n <= Self.doubleUpTo ? .double : .single
        precisionUsed = precision
        try ItemGram.checkFits(
            model: "EASE in \(precision.rawValue) precision", items: n,
            bytes: Self.estimatedBytes(items: n, precision: precision) + 8 * m.nnz)
        // The inverse runs on the fit's own threads (OpenBLAS stays at one: its count is process-wide).
        let threads = context.threads, lambda = config.regularization
        var b = [Float](repeating: 0, count: n * n)
        try b.withUnsafeMutableBufferPointer { bp in
            let out = bp.baseAddress!
            if precision == .single {
                // Gram, inverse and B all in B's storage.
                ItemGram.compute(m, into: out, threads: threads) { context.progress(0.1 * $0) }
                for i in 0..<n { out[i * n + i] += Float(lambda) }
                try BlockedCholesky.invert(n: n, a: out, threads: threads)
                context.progress(0.9)
                let diagonal = (0..<n).map { out[$0 * n + $0] }
                Self.weightsFromInverse(n: n, diagonal: diagonal, threads: threads, into: out) { i, j in
                    out[i * n + j]
                }
            } else {
                let p = UnsafeMutablePointer<Double>.allocate(capacity: max(1, n * n))
                p.initialize(repeating: 0, count: n * n)
                defer { p.deallocate() }
                ItemGram.compute(m, into: p, threads: threads) { context.progress(0.1 * $0) }
                for i in 0..<n { p[i * n + i] += lambda }
                try BlockedCholesky.invert(n: n, a: p, threads: threads)
                context.progress(0.9)
                let diagonal = (0..<n).map { p[$0 * n + $0] }
                Self.weightsFromInverse(n: n, diagonal: diagonal, threads: threads, into: out) { i, j in p[i * n + j] }
            }
        }
        weights = DenseMatrix(rows: n, columns: n, values: b)
        context.progress(1)
    }

    /// B_ij = −P_ij / P_jj off the diagonal, 0 on it, row by row in parallel. Row i reads only P's
    /// row i, so B may overwrite P in place.
    static func weightsFromInverse<T: BinaryFloatingPoint>(
        n: Int, diagonal: [T], threads: Int,
        into out: UnsafeMutablePointer<Float>, _ p: (Int, Int) -> T
    ) {
        let inverse = diagonal.map { 1 / $0 }
        withoutActuallyEscaping(p) { p in
            let box = UncheckedSendable((p, out))
            parallelFor(count: n, threads: threads, grain: 16) { i in
                let (p, out) = box.value
                for j in 0..<n { out[i * n + j] = j == i ? 0 : Float(-p(i, j) * inverse[j]) }
            }
        }
    }

    /// Each user's scores are the sum of B's rows of the user's items (weighted by their values):
    /// deg(u) · n work per user, where the dense product x_u·B would cost n².
    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        let n = weights.columns
        weights.values.withUnsafeBufferPointer { w in
            for (r, u) in users.enumerated() {
                let row = scores.baseAddress! + r * n
                row.update(repeating: 0, count: n)
                guard Int(u) < train.rows else { continue }
                for k in train.rowRange(Int(u)) {
                    BLAS.saxpy(n, alpha: train.values[k], x: w.baseAddress! + Int(train.indices[k]) * n, y: row)
                }
            }
        }
    }
}

extension EASE: ExportableModel {
    /// B, items × items: score(u, j) = Σ_i x_ui · B[i, j].
    public var exportedArrays: [String: ExportArray] { ["weights": .dense(weights, rows: .items, columns: .items)] }
}
