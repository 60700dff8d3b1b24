import RecbenchCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How two vectors (rows of a SparseMatrix: items over users for item-CF, users over items for
/// user-CF) are compared. Sums run over the entries both vectors have ("common support", n).
public enum Similarity: String, Sendable, CaseIterable {
    /// Σ xy / (‖x‖ ‖y‖), norms over each whole vector (so thin overlaps count for little).
    case cosine
    /// Cosine after subtracting, from each entry, the mean of the *other* dimension's vector
    /// (the user's mean rating for item-CF, as in Sarwar et al. 2001; the item's for user-CF).
    case adjustedCosine = "adjusted_cosine"
    /// Each vector centred on its own mean (or, in the baseline variant, on the bias baseline);
    /// Σ xy / √(Σ x² Σ y²) with all three sums over the common support (co-rated entries).
    case pearson
    /// |A ∩ B| / |A ∪ B| on the patterns (values ignored).
    case jaccard
    /// Each vector centred as for `pearson` (on its own mean, or on the bias baseline in the
    /// baseline variant), then plain cosine with norms over each *whole* centred vector, as in
    /// LensKit's item-item and user-user. Unlike pearson, a pair with a thin overlap is damped
    /// by the entries outside it, a built-in shrinkage towards 0.
    case centeredCosine = "centered_cosine"

    /// Centring similarities carry no signal on all-ones (implicit) data.
    public var needsRatings: Bool { self == .adjustedCosine || self == .pearson || self == .centeredCosine }
}

/// Everything that turns raw similarities into a sparse neighbour model.
public struct NeighborhoodOptions: Sendable {
    public var similarity: Similarity
    /// λ in s · n / (n + λ): damps similarities resting on few common entries (0 = off).
    public var shrinkage: Double
    /// Pairs with fewer common entries than this are dropped.
    public var minSupport: Int
    /// Only similarities strictly above this survive (after shrinkage and exponent).
    public var minSimilarity: Double
    /// Case amplification: s ↦ sign(s) |s|^α (1 = off).
    public var exponent: Double
    /// M: neighbours kept per row, the most similar first.
    public var kept: Int

    public init(similarity: Similarity = .cosine, shrinkage: Double = 0, minSupport: Int = 1,
                minSimilarity: Double = 0, exponent: Double = 1, kept: Int = 100) {
        self.similarity = similarity; self.shrinkage = shrinkage; self.minSupport = minSupport
        self.minSimilarity = minSimilarity; self.exponent = exponent; self.kept = kept
    }

    /// The final weight of a pair from its raw similarity and support, or nil when dropped.
    @inline(__always)
    func weight(raw: Double, support: Int) -> Float? {
        guard support >= max(1, minSupport), raw.isFinite else { return nil }
        var s = raw
        if shrinkage > 0 { s *= Double(support) / (Double(support) + shrinkage) }
        if exponent != 1 { s = s < 0 ? -pow(-s, exponent) : pow(s, exponent) }
        guard s > minSimilarity else { return nil }
        return Float(s)
    }
}


/// A sparse top-M neighbour model: row r's neighbours, most similar first (ties by ascending
/// index), with their weights. Memory is rows × M, never rows².
public struct NeighborLists: Sendable, Equatable {
    public let rows: Int
    public let offsets: [Int]
    public let neighbors: [Int32]
    public let weights: [Float]

    public init(rows: Int, offsets: [Int], neighbors: [Int32], weights: [Float]) {
        precondition(offsets.count == rows + 1 && neighbors.count == weights.count && offsets.last == neighbors.count)
        self.rows = rows; self.offsets = offsets; self.neighbors = neighbors; self.weights = weights
    }

    public func range(_ r: Int) -> Range<Int> { offsets[r]..<offsets[r + 1] }
    public var count: Int { neighbors.count }

    /// The weight of `b` in row `a`'s list, or nil when b is not among a's kept neighbours.
    public func weight(_ a: Int, _ b: Int) -> Float? {
        for k in range(a) where neighbors[k] == Int32(b) { return weights[k] }
        return nil
    }
}

public enum Neighborhoods {
    /// Top-M neighbour lists between the rows of `vectors`, whose values the caller has already
    /// prepared for the similarity (centred, or all ones). Each row is one sparse–sparse product
    /// against the transposed matrix, accumulated in dense per-thread scratch of size `rows`; only
    /// the M best survive, so peak memory is rows × (M + scratch per thread). Rows are
    /// independent and every sum runs in a fixed order, so the result does not depend on `threads`.
    public static func build(_ vectors: SparseMatrix, options: NeighborhoodOptions, threads: Int,
                             progress: (Double) -> Void = { _ in }) -> NeighborLists {
        let n = vectors.rows
        let columns = vectors.transposed()
        let kept = max(0, options.kept)
        // Whole-vector sums of squares (cosine norms) and sizes (Jaccard).
        var sq = [Double](repeating: 0, count: n)
        for r in 0..<n { for k in vectors.rowRange(r) { let v = Double(vectors.values[k]); sq[r] += v * v } }

        // Rows in chunks; each chunk writes its own lists, stitched together afterwards.
        let chunkCount = max(1, min(n, threads * 8))
        var chunkLists = [[(Int32, Float)]](repeating: [], count: chunkCount)
        var chunkCounts = [[Int]](repeating: [], count: chunkCount)
        let pearson = options.similarity == .pearson
        chunkLists.withUnsafeMutableBufferPointer { listsBuf in chunkCounts.withUnsafeMutableBufferPointer { countsBuf in
            let lists = UncheckedSendable(listsBuf), counts = UncheckedSendable(countsBuf)
            parallelFor(count: chunkCount, threads: threads, grain: 1) { c in
                let lo = n * c / chunkCount, hi = n * (c + 1) / chunkCount
                var dot = [Double](repeating: 0, count: n), cnt = [Int32](repeating: 0, count: n)
                var sqa = [Double](repeating: 0, count: pearson ? n : 0), sqb = sqa
                var touched = [Int32](), heap = TopHeap(capacity: kept)
                var out = [(Int32, Float)](), outCounts = [Int]()
                vectors.offsets.withUnsafeBufferPointer { ro in vectors.indices.withUnsafeBufferPointer { ri in
                vectors.values.withUnsafeBufferPointer { rv in columns.offsets.withUnsafeBufferPointer { co in
                columns.indices.withUnsafeBufferPointer { ci in columns.values.withUnsafeBufferPointer { cv in
                    for a in lo..<hi {
                        for k in ro[a]..<ro[a + 1] {
                            let col = Int(ri[k]), x = Double(rv[k])
                            for k2 in co[col]..<co[col + 1] {
                                let b = Int(ci[k2])
                                if b == a { continue }
                                if cnt[b] == 0 { touched.append(Int32(b)) }
                                let y = Double(cv[k2])
                                cnt[b] += 1; dot[b] += x * y
                                if pearson { sqa[b] += x * x; sqb[b] += y * y }
                            }
                        }
                        heap.removeAll()
                        for b32 in touched {
                            let b = Int(b32), support = Int(cnt[b])
                            let raw: Double
                            switch options.similarity {
                            case .cosine, .adjustedCosine, .centeredCosine:
                                let d = (sq[a] * sq[b]).squareRoot(); raw = d > 0 ? dot[b] / d : 0
                            case .pearson:
                                let d = (sqa[b] * sqb[b]).squareRoot(); raw = d > 0 ? dot[b] / d : 0
                                sqa[b] = 0; sqb[b] = 0
                            case .jaccard:
                                let union = ro[a + 1] - ro[a] + ro[b + 1] - ro[b] - support
                                raw = union > 0 ? Double(support) / Double(union) : 0
                            }
                            dot[b] = 0; cnt[b] = 0
                            if let w = options.weight(raw: raw, support: support) { heap.offer(b32, w) }
                        }
                        touched.removeAll(keepingCapacity: true)
                        let best = heap.sortedDescending()
                        out.append(contentsOf: best); outCounts.append(best.count)
                    }
                } } } } } }
                lists.value[c] = out; counts.value[c] = outCounts
            }
        } }
        progress(1)
        var offsets = [Int](repeating: 0, count: n + 1)
        var neighbors = [Int32](), weights = [Float]()
        neighbors.reserveCapacity(chunkLists.reduce(0) { $0 + $1.count }); weights.reserveCapacity(neighbors.capacity)
        var r = 0
        for c in 0..<chunkCount {
            for len in chunkCounts[c] { offsets[r + 1] = offsets[r] + len; r += 1 }
            for (b, w) in chunkLists[c] { neighbors.append(b); weights.append(w) }
            chunkLists[c] = []
        }
        return NeighborLists(rows: n, offsets: offsets, neighbors: neighbors, weights: weights)
    }

    /// Per-row means of a sparse matrix (0 for empty rows).
    public static func rowMeans(_ m: SparseMatrix) -> [Double] {
        (0..<m.rows).map { r in
            let c = m.rowCount(r)
            return c == 0 ? 0 : m.rowValues(r).reduce(0.0) { $0 + Double($1) } / Double(c)
        }
    }

    /// The vectors to compare for a similarity: the rows of `rows` (byItem for item-CF, byUser for
    /// user-CF). Pearson correlates the residuals the model predicts with, `centre(row, column)`
    /// being the expected value (the row mean, or the bias baseline for KNNBaseline, as Surprise's
    /// pearson_baseline does); adjusted cosine subtracts the other dimension's means.
    static func prepare(_ rows: SparseMatrix, similarity: Similarity, binary: Bool,
                        centre: (_ row: Int, _ column: Int) -> Double) -> SparseMatrix {
        if binary || similarity == .jaccard { return rows.withValues([Float](repeating: 1, count: rows.nnz)) }
        var v = rows.values
        switch similarity {
        case .cosine, .jaccard: return rows
        case .pearson, .centeredCosine:
            for r in 0..<rows.rows { for k in rows.rowRange(r) { v[k] = Float(Double(v[k]) - centre(r, Int(rows.indices[k]))) } }
        case .adjustedCosine:
            let means = rowMeans(rows.transposed())
            for k in 0..<rows.nnz { v[k] -= Float(means[Int(rows.indices[k])]) }
        }
        return rows.withValues(v)
    }
}

/// A bounded min-heap keeping the `capacity` best (weight, then lower index) candidates.
struct TopHeap {
    let capacity: Int
    private var items: [(Int32, Float)] = []

    init(capacity: Int) { self.capacity = capacity; items.reserveCapacity(capacity) }

    /// a ranks below b: smaller weight, or equal weight and larger index.
    @inline(__always) private static func worse(_ a: (Int32, Float), _ b: (Int32, Float)) -> Bool {
        a.1 < b.1 || (a.1 == b.1 && a.0 > b.0)
    }

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    mutating func offer(_ index: Int32, _ weight: Float) {
        guard capacity > 0 else { return }
        let e = (index, weight)
        if items.count < capacity {
            items.append(e)
            var i = items.count - 1
            while i > 0 {
                let p = (i - 1) / 2
                if TopHeap.worse(items[i], items[p]) { items.swapAt(i, p); i = p } else { break }
            }
        } else if TopHeap.worse(items[0], e) {
            items[0] = e
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && TopHeap.worse(items[l], items[m]) { m = l }
                if r < items.count && TopHeap.worse(items[r], items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m); i = m
            }
        }
    }

    func sortedDescending() -> [(Int32, Float)] { items.sorted { TopHeap.worse($1, $0) } }
}

/// The parameters ItemKNN and UserKNN share, declared once with per-model defaults.
public struct KNNSettings: Sendable {
    public enum Variant: String, Sendable { case meanCentered = "mean_centered", baseline }
    public var k: Int
    public var minNeighbors: Int
    public var variant: Variant
    public var normalize: Bool
    /// λ_d in Σ s·e / (Σ|s| + λ_d): pulls predictions resting on little total similarity towards the base.
    public var damping: Double
    /// β in (Σ r + β μ) / (n + β): row means damped towards the global mean (mean_centered variant).
    public var meanDamping: Double
    public var baselineItemReg: Double, baselineUserReg: Double
    public var options: NeighborhoodOptions

    public static func parameters(k: Int, kept: Int, similarity: Similarity, shrinkage: Double,
                                  minSupport: Int = 1, meanDamping: Double = 0, damping: Double = 0) -> [ParameterSpec] {
        [
            .integer("k", default: k, min: 1, "Neighbours used per prediction (the k most similar that qualify)."),
            .integer("neighbors_kept", default: kept, min: 1, "M: neighbours stored per row of the sparse model (memory rows × M)."),
            .choice("similarity", Similarity.allCases.map(\.rawValue), default: similarity.rawValue,
                    "cosine | adjusted_cosine | pearson | centered_cosine (these three: rating task only) | jaccard."),
            .real("shrinkage", default: shrinkage, "λ in s·n/(n+λ), n = common support (0 = off)."),
            .integer("min_support", default: minSupport, min: 1, "Pairs with fewer common entries are dropped."),
            .real("min_similarity", default: 0, min: -1, max: 1, "Only similarities strictly above this are kept."),
            .real("exponent", default: 1, min: 0, exclusiveMin: true, "Case amplification: s ↦ s^α."),
            .choice("variant", [Variant.meanCentered.rawValue, Variant.baseline.rawValue], default: Variant.meanCentered.rawValue,
                    "Rating task: average of mean-centred neighbour ratings, or of residuals after user/item biases (KNNBaseline)."),
            .integer("min_neighbors", default: 1, min: 1, "Rating task: fewer qualifying neighbours than this falls back to the bias baseline."),
            .boolean("normalize", default: false, "Ranking task: divide each neighbour list's contributions by the sum of its k weights."),
            .real("damping", default: damping, "Rating task: λ_d in Σ s·e / (Σ|s| + λ_d), a neighbour at the base with weight λ_d: corrections resting on little similarity shrink towards the base."),
            .real("mean_damping", default: meanDamping, "Rating task, mean_centered: β in (Σ r + β·μ) / (n + β), row means damped towards the global mean μ."),
            .real("baseline_item_reg", default: 5, "Rating task: λ_i of the bias baseline b_ui (fallback, and the base of the baseline variant); see Bias."),
            .real("baseline_user_reg", default: 5, "Rating task: λ_u of the bias baseline b_ui; see Bias."),
        ]
    }

    public init(_ v: ParameterValues) {
        k = v.int("k"); minNeighbors = v.int("min_neighbors")
        variant = Variant(rawValue: v.text("variant"))!
        normalize = v.bool("normalize")
        damping = v.real("damping"); meanDamping = v.real("mean_damping")
        baselineItemReg = v.real("baseline_item_reg"); baselineUserReg = v.real("baseline_user_reg")
        options = NeighborhoodOptions(similarity: Similarity(rawValue: v.text("similarity"))!, shrinkage: v.real("shrinkage"),
                                      minSupport: v.int("min_support"), minSimilarity: v.real("min_similarity"),
                                      exponent: v.real("exponent"), kept: v.int("neighbors_kept"))
    }

    /// The bias baseline b_ui with `baseline_item_reg` / `baseline_user_reg`, fitted quietly. Their
    /// default 5 / 5 is lighter than Bias's 10 / 15: on ML-100K (about 60 ratings per item) the
    /// heavier damping leaves item and user offsets in the residuals the neighbours then average
    /// (Bias alone, u1–u5: 0.9458 at 10 / 15, 0.9415–0.9421 anywhere in 2–5 × 2–5).
    func fitBiases(_ data: TrainingData, context: FitContext) throws -> BiasBaseline {
        var c = BiasBaseline.Config(ParameterValues(specs: BiasBaseline.Config.parameters))
        c.itemReg = baselineItemReg; c.userReg = baselineUserReg
        let bias = BiasBaseline(config: c)
        try bias.fit(data, context: FitContext(threads: context.threads, seed: context.seed))
        return bias
    }

    /// Row means damped towards the global mean: (Σ r + β μ) / (n + β); β = 0 gives plain means.
    static func dampedMeans(_ m: SparseMatrix, beta: Double) -> [Double] {
        let total = m.values.reduce(0.0) { $0 + Double($1) }, mu = m.nnz == 0 ? 0 : total / Double(m.nnz)
        return (0..<m.rows).map { r in
            let n = Double(m.rowCount(r)), sum = m.rowValues(r).reduce(0.0) { $0 + Double($1) }
            return n + beta == 0 ? 0 : (sum + beta * mu) / (n + beta)
        }
    }

    func checkTask(_ task: Task, model: String) throws {
        if task != .rating && options.similarity.needsRatings {
            throw RecbenchError.unsupported("\(model): similarity \"\(options.similarity.rawValue)\" centres values and is empty on implicit (all-ones) data; use cosine or jaccard for \(task.rawValue)")
        }
    }
}

extension SparseMatrix {
    /// Position of (r, c) among the stored entries, by binary search in row r.
    @inline(__always)
    func position(row r: Int, column c: Int) -> Int? {
        var lo = offsets[r], hi = offsets[r + 1]
        let target = Int32(c)
        while lo < hi {
            let mid = (lo + hi) &>> 1
            if indices[mid] < target { lo = mid + 1 } else { hi = mid }
        }
        return lo < offsets[r + 1] && indices[lo] == target ? lo : nil
    }
}

/// Fills each row that received no score at all with normalised popularity, so users without
/// neighbours still get a sensible (and deterministic) ranking.
func fillEmptyRows(_ scores: UnsafeMutableBufferPointer<Float>, rows: Int, columns n: Int, popularity: [Float]) {
    for r in 0..<rows {
        let row = UnsafeMutableBufferPointer(rebasing: scores[(r * n)..<((r + 1) * n)])
        if row.allSatisfy({ $0 == 0 }) { for i in 0..<n { row[i] = popularity[i] } }
    }
}

func normalizedPopularity(_ m: InteractionMatrix) -> [Float] {
    let counts = m.itemCounts
    let top = Float(max(1, counts.max() ?? 1))
    return counts.map { Float($0) / top }
}
