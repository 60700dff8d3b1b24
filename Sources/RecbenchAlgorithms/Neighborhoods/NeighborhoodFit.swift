import RecbenchCore

/// What ItemKNN and UserKNN fit alike. `side` is the dimension whose rows are compared: items for
/// item-CF, users for user-CF. For rating prediction it also holds the bias baseline, that side's
/// damped means, and every training rating's residual from the variant's base (aligned with
/// byUser's entries), so the two models differ only in how they walk the neighbour lists.
struct NeighborhoodFit {
    enum Side { case items, users }
    let side: Side
    let settings: KNNSettings
    /// Row r of `side`: its most similar rows, most similar first.
    private(set) var neighbors = NeighborLists(rows: 0, offsets: [0], neighbors: [], weights: [])
    private(set) var explicit = false
    private(set) var byUser = SparseMatrix(rows: 0, columns: 0, offsets: [0], indices: [], values: [])
    /// r_ui − base(u, i) for each of byUser's entries.
    private(set) var residuals: [Float] = []
    private var means: [Double] = []
    private var bias: BiasBaseline?
    private(set) var popularity: [Float] = []
    /// The training ratings' range: rating predictions are clipped to it (as Surprise and
    /// ExplicitALS do), since a prediction outside it is always further from any true rating.
    private var ratingRange: ClosedRange<Float> = -Float.infinity...Float.infinity

    init(side: Side, settings: KNNSettings) { self.side = side; self.settings = settings }

    mutating func fit(_ data: TrainingData, model: String, context: FitContext) throws {
        let s = settings
        try s.checkTask(data.task, model: model)
        explicit = data.task == .rating
        let m = data.interactions
        let (rows, columns) = side == .items ? (m.byItem, m.byUser) : (m.byUser, m.byItem)
        byUser = m.byUser
        popularity = normalizedPopularity(m)
        if explicit {
            if let lo = byUser.values.min(), let hi = byUser.values.max() { ratingRange = lo...hi }
            bias = try s.fitBiases(data, context: context)
            means = KNNSettings.dampedMeans(rows, beta: s.meanDamping)
            residuals = [Float](repeating: 0, count: m.nnz)
            for u in 0..<m.userCount {
                for k in byUser.rowRange(u) {
                    residuals[k] = Float(Double(byUser.values[k]) - base(u, Int(byUser.indices[k])))
                }
            }
        }
        let this = self
        let vectors = Neighborhoods.prepare(rows, similarity: s.options.similarity, binary: !explicit) { r, c in
            this.side == .items ? this.base(c, r) : this.base(r, c)
        }
        neighbors = Neighborhoods.build(
            vectors, transposed: explicit ? nil : columns, options: s.options,
            threads: context.threads)
        context.progress(1)
    }

    func baseline(_ u: Int, _ i: Int) -> Double {
        guard let b = bias else { return 0 }
        let bu = u < b.userBias.count ? b.userBias[u] : 0, bi = i < b.itemBias.count ? b.itemBias[i] : 0
        return b.globalMean + bu + bi
    }

    /// The variant's base: the bias baseline, or the damped mean of the compared side's row.
    func base(_ u: Int, _ i: Int) -> Double {
        settings.variant == .baseline ? baseline(u, i) : means[side == .items ? i : u]
    }

    /// base + Σ s·e / (Σ|s| + λ_d) from the qualifying neighbours' sums, or the bias baseline when
    /// fewer than `min_neighbors` qualified.
    func prediction(_ u: Int, _ i: Int, num: Double, den: Double, used: Int) -> Float {
        used < settings.minNeighbors || den == 0
            ? Float(baseline(u, i)) : Float(base(u, i) + num / (den + settings.damping))
    }

    /// Rating predictions (not ranking scores, where clipping would only add ties) are clipped.
    func clipped(_ p: Float) -> Float { min(max(p, ratingRange.lowerBound), ratingRange.upperBound) }

    /// Ranking: row r's first k neighbours and the factor their weights are scaled by (1, or
    /// 1 / their sum with `normalize`).
    func topNeighbors(_ r: Int) -> (Range<Int>, Float) {
        let range = neighbors.range(r)
        let top = range.lowerBound..<min(range.upperBound, range.lowerBound + settings.k)
        guard settings.normalize else { return (top, 1) }
        var total: Float = 0
        for k in top { total += neighbors.weights[k] }
        return (top, total > 0 ? 1 / total : 1)
    }
}
