import Foundation
import RecbenchCore

/// RP3β (Paudel et al. 2017; the form of Dacrema et al.'s reproducibility study): item–item
/// weights from a three-step random walk item → user → item on the bipartite graph, with the
/// transition probabilities raised to α and the target item's popularity penalised by deg(j)^β:
///
///     W_ij = Σ_u P_iu^α · P_uj^α / deg(j)^β,   P_iu = 1/deg(i), P_uj = 1/deg(u)  (binary data),
///
/// zero diagonal, each row cut to its `topk` largest weights and, with `normalize`, divided by
/// their sum. Scores of user u are Σ_{i ∈ I(u)} W_i·. Interactions count as 1 (P_iu is defined on
/// the pattern; ratings would make the walk's middle sum asymmetric).
///
/// Since W_ij = deg(i)^−α · deg(j)^−β · Σ_{u ∈ U(i) ∩ U(j)} deg(u)^−α and that sum is symmetric,
/// the weights come from the shared neighbour build (each pair's sum once, sparse, rows × topk
/// memory, bounded heaps) with item vectors valued deg(u)^−α/2 and per-row scales.
public final class RP3Beta: Recommender {
    public struct Config: AlgorithmConfig {
        public static let parameters: [ParameterSpec] = [
            .real("alpha", default: 1, "Exponent α on the transition probabilities (1 = the plain walk, P3)."),
            .real("beta", default: 0.6, "Popularity penalty: weights towards item j are divided by deg(j)^β."),
            .integer("topk", default: 100, min: 1, "Weights kept per item row (the largest)."),
            .boolean("normalize", default: false, "Divide each row's kept weights by their sum.")
        ]
        public var alpha: Double, beta: Double, topK: Int, normalize: Bool
        public init(_ v: ParameterValues) {
            alpha = v.real("alpha"); beta = v.real("beta"); topK = v.int("topk"); normalize = v.bool("normalize")
        }
        /// A binarised copy, the walk-weighted item vectors and the item–item neighbour build.
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            s.matrixCopyBytes + 8 * s.interactions + NeighborhoodMemory.bytes(rows: s.items, kept: topK, s)
        }
    }
    public static let name = "RP3beta"
    public static let summary = "Random-walk item–item model with popularity penalty β (Paudel et al. 2017)."
    public static let tasks: Set<RecommendationTask> = [.ranking]

    public let config: Config
    /// Row i: the items i's walk reaches with the largest weights, largest first.
    public private(set) var neighbors = NeighborLists(rows: 0, offsets: [0], neighbors: [], weights: [])
    private var train = SparseMatrix(rows: 0, columns: 0, offsets: [0], indices: [], values: [])
    private var popularity: [Float] = []

    public init(config: Config) { self.config = config }

    public func fit(_ data: TrainingData, context: FitContext) throws {
        let m = data.interactions.binarized()
        train = m.byUser
        popularity = normalizedPopularity(m)
        let byItem = m.byItem, n = m.itemCount
        let alpha = config.alpha, beta = config.beta
        let userWeight = (0..<m.userCount).map { u -> Float in
            let d = m.byUser.rowCount(u)
            return d > 0 ? Float(pow(Double(d), -alpha / 2)) : 0
        }
        let vectors = byItem.withValues(byItem.indices.map { userWeight[Int($0)] })
        let degree = (0..<n).map { Double(byItem.rowCount($0)) }
        let scales = PairScales(
            row: degree.map { $0 > 0 ? pow($0, -alpha) : 0 },
            column: degree.map { $0 > 0 ? pow($0, -beta) : 0 })
        var lists = Neighborhoods.build(
            vectors,
            options: NeighborhoodOptions(
                similarity: .cosine, minSimilarity: 0,
                kept: config.topK),
            scales: scales, threads: context.threads
        ) { context.progress(0.95 * $0) }
        if config.normalize {
            var w = lists.weights
            for r in 0..<lists.rows {
                let range = lists.range(r)
                let total = range.reduce(0.0) { $0 + Double(w[$1]) }
                if total > 0 { for k in range { w[k] = Float(Double(w[k]) / total) } }
            }
            lists = NeighborLists(rows: lists.rows, offsets: lists.offsets, neighbors: lists.neighbors, weights: w)
        }
        neighbors = lists
        context.progress(1)
    }

    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        let n = neighbors.rows
        for (r, u) in users.enumerated() {
            let row = UnsafeMutableBufferPointer(rebasing: scores[(r * n)..<((r + 1) * n)])
            row.update(repeating: 0)
            guard Int(u) < train.rows else { continue }
            for i in train.rowIndices(Int(u)) {
                for k in neighbors.range(Int(i)) { row[Int(neighbors.neighbors[k])] += neighbors.weights[k] }
            }
        }
        fillEmptyRows(scores, rows: users.count, columns: n, popularity: popularity)
    }
}

extension RP3Beta: ExportableModel {
    /// The item–item transition weights as CSR, items × items (row i: i's kept neighbours).
    public var exportedArrays: [String: ExportArray] {
        ExportArray.csr("weights", offsets: neighbors.offsets, indices: neighbors.neighbors, values: neighbors.weights)
    }
}
