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
/// Ranking task (every interaction counts 1), `neighbors_of`:
/// - `rated`: score(u,i) = Σ_{j ∈ I(u)} s_ji over the first k entries of each j's list (Deshpande &
///   Karypis): each item u has spreads to its own k nearest items.
/// - `candidate`: score(u,i) = Σ_{j ∈ I(u) ∩ N_k(i)} s_ij over i's own k nearest items, the form of
///   R · W with W's top k kept per column (RecBole's ItemKNN), and of the rating task's predictions.
/// With `normalize` each list's k weights sum to 1 (j's list, or i's). With `item_means` the
/// interactions are centred on the items' rates m_j = count_j / users and i's own rate added back:
/// score(u,i) = m_i + Σ_j w_ji (x_uj − m_j) over every list that reaches i, the "average bias" of
/// the item-based CF that BARS benchmarks (with `normalize`, a weighted average of centred
/// neighbours). The centring is one offset per item, m_i − Σ_j w_ji m_j, added to every user's score.
public final class ItemKNN: RatingPredictor {
    public struct Config: AlgorithmConfig {
        public enum NeighborsOf: String, Sendable, CaseIterable { case rated, candidate }
        public static let parameters =
            KNNSettings.parameters(
                k: 20, kept: 500, similarity: .cosine, shrinkage: 0,
                meanDamping: 5, damping: 0)
            + [
                .choice(
                    "neighbors_of", default: NeighborsOf.rated,
                    "Ranking: whose k nearest items count — each rated item's (rated: j's k neighbours get s_ji) "
                        + "or each candidate's (candidate: i scores Σ s_ij over its k neighbours u has; RecBole)."
                ).acting(.tasks([.ranking, .sequential], otherwise: "rating predictions always use the candidate's")),
                .boolean(
                    "item_means", default: false,
                    "Ranking: centre each interaction on its item's rate (count / users) and add the candidate's "
                        + "rate back, m_i + Σ w (x_uj − m_j) (BARS's ItemCF \"average bias\")."
                ).acting(.tasks([.ranking, .sequential], otherwise: "rating predictions are centred by `variant`"))
            ]
        public var settings: KNNSettings
        public var neighborsOf: NeighborsOf
        public var itemMeans: Bool
        public init(_ v: ParameterValues) {
            settings = KNNSettings(v); neighborsOf = NeighborsOf(rawValue: v.text("neighbors_of"))!
            itemMeans = v.bool("item_means")
        }
        /// The item–item neighbour build (`NeighborhoodMemory`, residuals and biases included for ratings),
        /// plus for ranking the spread lists scoring reads (an index and a weight per kept neighbour).
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            let kept = min(settings.options.kept, max(0, s.items - 1))
            let spread = s.task == .rating ? 0 : s.items * kept * 8 + (s.items + 1) * 8
            return NeighborhoodMemory.bytes(rows: s.items, kept: settings.options.kept, s) + spread
        }
    }
    public static let name = "ItemKNN"
    public static let summary = "Item-based k-nearest-neighbour CF (rating prediction and top-N)."
    public static let tasks: Set<RecommendationTask> = [.rating, .ranking, .sequential]

    public let config: Config
    private var state: NeighborhoodFit
    /// Ranking: row j holds what one interaction with j adds to each item's score (weights already
    /// scaled), so scoring a user is a sum of its items' rows whichever `neighbors_of` is chosen.
    private var spread = NeighborLists(rows: 0, offsets: [0], neighbors: [], weights: [])
    /// Ranking with `item_means`: m_i − Σ_j w_ji m_j, what every user's score of i starts from.
    private var itemOffsets: [Float] = []
    /// Row i: the items most similar to i, most similar first.
    public var neighbors: NeighborLists { state.neighbors }

    public init(config: Config) {
        self.config = config; state = NeighborhoodFit(side: .items, settings: config.settings)
    }

    public func fit(_ data: TrainingData, context: FitContext) throws {
        try state.fit(data, model: Self.name, context: context)
        spread = state.explicit ? NeighborLists(rows: 0, offsets: [0], neighbors: [], weights: []) : spreadLists()
        itemOffsets = []
        if config.itemMeans && !state.explicit {
            let users = Float(max(1, data.interactions.userCount))
            let rates = data.interactions.itemCounts.map { Float($0) / users }
            itemOffsets = rates
            for j in 0..<spread.rows where j < rates.count {
                for k in spread.range(j) { itemOffsets[Int(spread.neighbors[k])] -= spread.weights[k] * rates[j] }
            }
        }
    }

    /// The ranking contributions: for `rated`, j's first k neighbours as they are; for `candidate`,
    /// each i's first k neighbours j turned around into row j (entry i, weight s_ij).
    private func spreadLists() -> NeighborLists {
        let m = state.neighbors, n = m.rows
        guard config.neighborsOf == .candidate else {
            var offsets = [0], indices = [Int32](), weights = [Float]()
            for j in 0..<n {
                let (top, scale) = state.topNeighbors(j)
                for k in top { indices.append(m.neighbors[k]); weights.append(m.weights[k] * scale) }
                offsets.append(indices.count)
            }
            return NeighborLists(rows: n, offsets: offsets, neighbors: indices, weights: weights)
        }
        var offsets = [Int](repeating: 0, count: n + 1)
        for i in 0..<n { for k in state.topNeighbors(i).0 { offsets[Int(m.neighbors[k]) + 1] += 1 } }
        for j in 0..<n { offsets[j + 1] += offsets[j] }
        var next = Array(offsets.dropLast())
        var indices = [Int32](repeating: 0, count: offsets[n]), weights = [Float](repeating: 0, count: offsets[n])
        for i in 0..<n {
            let (top, scale) = state.topNeighbors(i)
            for k in top {
                let j = Int(m.neighbors[k])
                indices[next[j]] = Int32(i); weights[next[j]] = m.weights[k] * scale; next[j] += 1
            }
        }
        return NeighborLists(rows: n, offsets: offsets, neighbors: indices, weights: weights)
    }

    /// One explicit prediction; `rated(j)` gives u's residual on j, if u rated j.
    @inline(__always)
    private func predict(_ u: Int, _ i: Int, rated: (Int) -> Float?) -> Float {
        let m = state.neighbors
        guard i < m.rows else { return Float(state.baseline(u, i)) }
        var num = 0.0, den = 0.0, used = 0
        for k in m.range(i) {
            guard let e = rated(Int(m.neighbors[k])) else { continue }
            let w = Double(m.weights[k])
            num += w * Double(e); den += abs(w); used += 1
            if used == config.settings.k { break }
        }
        return state.prediction(u, i, num: num, den: den, used: used)
    }

    public func predict(users: [Int32], items: [Int32]) -> [Float] {
        precondition(state.explicit, "ItemKNN was fitted for ranking, not rating prediction")
        let byUser = state.byUser, residuals = state.residuals
        return zip(users, items).map { u32, i32 in
            let u = Int(u32)
            return state.clipped(
                u < byUser.rows
                    ? predict(u, Int(i32)) { j in byUser.position(row: u, column: j).map { residuals[$0] } }
                    : Float(state.baseline(u, Int(i32))))
        }
    }

    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        let m = state.neighbors, n = m.rows, byUser = state.byUser
        if state.explicit {
            // Predicted ratings of every item, with u's residuals spread into a dense lookup.
            var dense = [Float](repeating: .nan, count: n)
            for (r, u32) in users.enumerated() {
                let u = Int(u32)
                for k in byUser.rowRange(u) { dense[Int(byUser.indices[k])] = state.residuals[k] }
                for i in 0..<n { scores[r * n + i] = predict(u, i) { j in dense[j].isNaN ? nil : dense[j] } }
                for k in byUser.rowRange(u) { dense[Int(byUser.indices[k])] = .nan }
            }
            return
        }
        let spread = spread
        for (r, u32) in users.enumerated() {
            let row = UnsafeMutableBufferPointer(rebasing: scores[(r * n)..<((r + 1) * n)])
            if itemOffsets.count == n {
                _ = row.update(fromContentsOf: itemOffsets)
            } else {
                row.update(repeating: 0)
            }
            for j in byUser.rowIndices(Int(u32)) where Int(j) < spread.rows {
                for k in spread.range(Int(j)) { row[Int(spread.neighbors[k])] += spread.weights[k] }
            }
        }
        fillEmptyRows(scores, rows: users.count, columns: n, popularity: state.popularity)
    }
}

extension ItemKNN: ExportableModel {
    /// The neighbour lists as CSR, items × items (row i: i's most similar items, most similar first).
    public var exportedArrays: [String: ExportArray] {
        let m = neighbors
        return ExportArray.csr("neighbors", offsets: m.offsets, indices: m.neighbors, values: m.weights)
    }
}
