import RecbenchCore

/// Item-based neighbourhood CF over a sparse top-M item–item similarity model.
///
/// Rating task: r̂(u,i) = base(u,i) + Σ_j s_ij · e_uj / (Σ_j |s_ij| + λ_d) over the k items j most
/// similar to i that u rated, where base/e are the item mean and r − μ_j ("mean_centered"; means
/// damped towards the global mean by `mean_damping`) or the bias baseline b_ui and r − b_uj
/// ("baseline", Koren's KNNBaseline). λ_d (`damping`) acts as one more neighbour sitting exactly on
/// the base, so a correction resting on little total similarity is shrunk. Fewer than
/// `min_neighbors` qualifying items fall back to the bias baseline. `predict` clips to the
/// training ratings' range.
///
/// Ranking task (every interaction counts 1): score(u,i) = Σ_{j ∈ I(u)} s_ji over the first k
/// entries of each j's list (Deshpande & Karypis); with `normalize` each j's k weights sum to 1.
public final class ItemKNN: Recommender {
    public struct Config: AlgorithmConfig {
        public static let parameters = KNNSettings.parameters(k: 20, kept: 500, similarity: .cosine, shrinkage: 0,
                                                            meanDamping: 5, damping: 0)
        public var settings: KNNSettings
        public init(_ v: ParameterValues) { settings = KNNSettings(v) }
    }
    public static let name = "ItemKNN"
    public static let summary = "Item-based k-nearest-neighbour CF (rating prediction and top-N)."
    public static let tasks: Set<Task> = [.rating, .ranking, .sequential]

    public let config: Config
    /// Row i: the items most similar to i, most similar first.
    public private(set) var neighbors = NeighborLists(rows: 0, offsets: [0], neighbors: [], weights: [])
    private var explicit = false
    private var byUser = SparseMatrix(rows: 0, columns: 0, offsets: [0], indices: [], values: [])
    /// Aligned with byUser's entries: r_uj − μ_j or r_uj − b_uj.
    private var residuals: [Float] = []
    private var itemMeans: [Double] = []
    private var bias: BiasBaseline?
    private var popularity: [Float] = []
    /// The training ratings' range: rating predictions are clipped to it (as Surprise and
    /// ExplicitALS do), since a prediction outside it is always further from any true rating.
    private var ratingRange: ClosedRange<Float> = -Float.infinity...Float.infinity

    public init(config: Config) { self.config = config }

    public func fit(_ data: TrainingData, context: FitContext) throws {
        let s = config.settings
        try s.checkTask(data.task, model: Self.name)
        explicit = data.task == .rating
        let m = data.interactions
        byUser = m.byUser
        popularity = normalizedPopularity(m)
        if explicit {
            if let lo = byUser.values.min(), let hi = byUser.values.max() { ratingRange = lo...hi }
            let b = try s.fitBiases(data, context: context)
            bias = b
            itemMeans = KNNSettings.dampedMeans(m.byItem, beta: s.meanDamping)
            residuals = [Float](repeating: 0, count: m.nnz)
            for u in 0..<m.userCount {
                for k in byUser.rowRange(u) {
                    let j = Int(byUser.indices[k]), r = Double(byUser.values[k])
                    residuals[k] = Float(s.variant == .baseline ? r - b.globalMean - b.userBias[u] - b.itemBias[j] : r - itemMeans[j])
                }
            }
        }
        let vectors = Neighborhoods.prepare(m.byItem, similarity: s.options.similarity, binary: !explicit) { i, u in
            s.variant == .baseline ? baseline(u, i) : itemMeans[i]
        }
        neighbors = Neighborhoods.build(vectors, transposed: explicit ? nil : m.byUser, options: s.options,
                                        threads: context.threads)
        context.progress(1)
    }

    private func baseline(_ u: Int, _ i: Int) -> Double {
        guard let b = bias else { return 0 }
        let bu = u < b.userBias.count ? b.userBias[u] : 0, bi = i < b.itemBias.count ? b.itemBias[i] : 0
        return b.globalMean + bu + bi
    }

    /// One explicit prediction; `rated(j)` gives u's residual on j, if u rated j.
    @inline(__always)
    private func predict(_ u: Int, _ i: Int, rated: (Int) -> Float?) -> Float {
        let s = config.settings
        guard i < neighbors.rows else { return Float(baseline(u, i)) }
        var num = 0.0, den = 0.0, used = 0
        for k in neighbors.range(i) {
            guard let e = rated(Int(neighbors.neighbors[k])) else { continue }
            let w = Double(neighbors.weights[k])
            num += w * Double(e); den += abs(w); used += 1
            if used == s.k { break }
        }
        if used < s.minNeighbors || den == 0 { return Float(baseline(u, i)) }
        let base = s.variant == .baseline ? baseline(u, i) : itemMeans[i]
        return Float(base + num / (den + s.damping))
    }

    public func predict(users: [Int32], items: [Int32]) -> [Float] {
        precondition(explicit, "ItemKNN was fitted for ranking, not rating prediction")
        let lo = ratingRange.lowerBound, hi = ratingRange.upperBound
        return zip(users, items).map { u32, i32 in
            let u = Int(u32)
            let p = u < byUser.rows ? predict(u, Int(i32)) { j in byUser.position(row: u, column: j).map { residuals[$0] } }
                : Float(baseline(u, Int(i32)))
            return min(max(p, lo), hi)
        }
    }

    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        let n = neighbors.rows, s = config.settings
        if explicit {
            // Predicted ratings of every item, with u's residuals spread into a dense lookup.
            var dense = [Float](repeating: .nan, count: n)
            for (r, u32) in users.enumerated() {
                let u = Int(u32)
                for k in byUser.rowRange(u) { dense[Int(byUser.indices[k])] = residuals[k] }
                for i in 0..<n { scores[r * n + i] = predict(u, i) { j in dense[j].isNaN ? nil : dense[j] } }
                for k in byUser.rowRange(u) { dense[Int(byUser.indices[k])] = .nan }
            }
            return
        }
        for (r, u32) in users.enumerated() {
            let row = UnsafeMutableBufferPointer(rebasing: scores[(r * n)..<((r + 1) * n)])
            row.update(repeating: 0)
            for j in byUser.rowIndices(Int(u32)) {
                let range = neighbors.range(Int(j))
                let top = range.lowerBound..<min(range.upperBound, range.lowerBound + s.k)
                var scale: Float = 1
                if s.normalize {
                    var total: Float = 0
                    for k in top { total += neighbors.weights[k] }
                    if total > 0 { scale = 1 / total }
                }
                for k in top { row[Int(neighbors.neighbors[k])] += neighbors.weights[k] * scale }
            }
        }
        fillEmptyRows(scores, rows: users.count, columns: n, popularity: popularity)
    }
}
