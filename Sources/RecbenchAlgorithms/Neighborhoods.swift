import RecbenchCore
internal import CIntrinsics
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


/// Per-row factors of a scaled product (see `Neighborhoods.build`): the weight row a gives b is
/// dot(a, b) · row[a] · column[b].
public struct PairScales: Sendable {
    public let row: [Double]
    public let column: [Double]
    public init(row: [Double], column: [Double]) {
        precondition(row.count == column.count)
        self.row = row; self.column = column
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
    /// prepared for the similarity (centred, or all ones). Every similarity here is symmetric, so
    /// each pair is computed once, from its lower row a: a sparse–sparse product of row a with the
    /// entries *after* a in each of a's columns, accumulated in dense per-worker scratch, and the
    /// result offered to both rows' bounded heaps. Peak memory is workers × rows × M plus scratch,
    /// never rows². Each pair's value does not depend on who computes it and the final lists are
    /// the top M under a total order (weight, then index), so the result does not depend on
    /// `threads`. `transposed`, when the caller already holds it, saves the transpose (only its
    /// pattern is read for all-ones vectors).
    ///
    /// With `scales` the weight is not a similarity but a scaled dot product, asymmetric though
    /// computed once per pair: row a gets dot(a, b) · row[a] · column[b] for b (and row b gets
    /// dot · row[b] · column[a]); only `minSimilarity` and `kept` apply (RP3β's walk
    /// probabilities). `options.similarity` must not be pearson then.
    public static func build(_ vectors: SparseMatrix, transposed: SparseMatrix? = nil, options: NeighborhoodOptions,
                             scales: PairScales? = nil, threads: Int, progress: (Double) -> Void = { _ in }) -> NeighborLists {
        precondition(scales == nil || options.similarity != .pearson, "scaled products use plain dot products")
        let n = vectors.rows, nnz = vectors.nnz
        let columns = transposed ?? vectors.transposed()
        precondition(columns.rows == vectors.columns && columns.nnz == nnz)
        let kept = min(max(0, options.kept), max(0, n - 1))
        // All-ones vectors (implicit feedback) need only co-occurrence counts: dot = support.
        let binary = options.similarity != .pearson && vectors.values.allSatisfy { $0 == 1 }
        // No shrinkage, exponent or support floor: the weight is the raw similarity, kept free of
        // weight()'s branches in the loop over pairs.
        let plain = options.shrinkage <= 0 && options.exponent == 1 && options.minSupport <= 1
            && options.similarity != .pearson
        // 1/‖row‖ for the cosine family (0 for an all-zero row, whose similarities are 0).
        var inverseNorm = [Double](repeating: 0, count: n)
        for r in 0..<n {
            var sq = 0.0
            for k in vectors.rowRange(r) { let v = Double(vectors.values[k]); sq += v * v }
            inverseNorm[r] = sq > 0 ? 1 / sq.squareRoot() : 0
        }
        // span[k]: the part of entry k's column list holding the rows after k's row (lists are
        // ascending by row, so they are filled in row order), stored beside k so the hot loop
        // reads it sequentially instead of jumping into the column offsets. Row a's cost is the
        // number of later entries it visits; chunks get equal cost, since with upper-triangle
        // work early and popular rows cost most.
        precondition(nnz < Int(Int32.max), "more interactions than 32-bit positions")
        var span = [SIMD2<Int32>](repeating: .zero, count: nnz)
        var cost = [Int](repeating: 0, count: n + 1)
        do {
            var next = Array(columns.offsets.dropLast())
            for r in 0..<n {
                var c = 0
                for k in vectors.rowRange(r) {
                    let col = Int(vectors.indices[k])
                    next[col] += 1; span[k] = SIMD2(Int32(next[col]), Int32(columns.offsets[col + 1]))
                    c += columns.offsets[col + 1] - next[col]
                }
                cost[r + 1] = cost[r] + c + 1
            }
        }
        let chunkCount = max(1, min(n, threads * 16))
        var bounds = [0]
        for c in 1..<chunkCount {
            let target = cost[n] / chunkCount * c
            var lo = bounds[bounds.count - 1], hi = n
            while lo < hi { let mid = (lo + hi) / 2; if cost[mid] < target { lo = mid + 1 } else { hi = mid } }
            bounds.append(lo)
        }
        bounds.append(n)

        let workers = parallelWorkerCount(count: chunkCount, threads: threads, grain: 1)
        let published = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, n))
        published.initialize(repeating: 0, count: max(1, n))
        let heaps = (0..<workers).map { _ in RowHeaps(rows: n, capacity: kept, published: published) }
        let scratches = (0..<workers).map { _ in PairScratch(rows: n, pearson: options.similarity == .pearson) }
        defer { heaps.forEach { $0.deallocate() }; scratches.forEach { $0.deallocate() }; published.deallocate() }
        let scaled = scales
        vectors.offsets.withUnsafeBufferPointer { ro in vectors.values.withUnsafeBufferPointer { rv in
        columns.indices.withUnsafeBufferPointer { ci in columns.values.withUnsafeBufferPointer { cv in
        inverseNorm.withUnsafeBufferPointer { inv in span.withUnsafeBufferPointer { start in
            let m = UncheckedSendable((ro, inv, heaps, scratches))
            let product = SparseProduct(ro: ro, rv: rv, ci: ci, cv: cv, span: start)
            let shared = UncheckedSendable(product)
            // Rows run from the last down (chunks and the rows in them), so a pair's offer to its
            // upper row b meets b's published floor: b has already kept the best M of its own
            // later partners, and most such offers are rejected without touching a heap.
            parallelForWorkers(count: chunkCount, threads: threads, grain: 1) { worker, index in
                let (ro, inv, heaps, scratches) = m.value
                let product = shared.value, heap = heaps[worker], scratch = scratches[worker]
                let c = chunkCount - 1 - index
                for a in (bounds[c]..<bounds[c + 1]).reversed() {
                    let touched = binary ? product.countCooccurrences(row: a, into: scratch)
                                         : product.accumulate(row: a, into: scratch)
                    let degreeA = ro[a + 1] - ro[a], invA = inv[a]
                    for t in 0..<touched {
                        let b32 = scratch.touched[t], b = Int(b32)
                        let support = Int(scratch.count[b])
                        scratch.count[b] = 0
                        if let sc = scaled {
                            let dot = binary ? Double(support) : scratch.dot[b]
                            if !binary { scratch.dot[b] = 0 }
                            let wa = dot * sc.row[a] * sc.column[b], wb = dot * sc.row[b] * sc.column[a]
                            if wa > options.minSimilarity { heap.offer(row: a, index: b32, weight: Float(wa)) }
                            if wb > options.minSimilarity {
                                heap.offer(row: b, index: Int32(truncatingIfNeeded: a), weight: Float(wb))
                            }
                            continue
                        }
                        let raw: Double
                        switch options.similarity {
                        case .cosine, .adjustedCosine, .centeredCosine:
                            raw = (binary ? Double(support) : scratch.dot[b]) * invA * inv[b]
                        case .pearson:
                            let d = (scratch.squaresA[b] * scratch.squaresB[b]).squareRoot()
                            raw = d > 0 ? scratch.dot[b] / d : 0
                            scratch.squaresA[b] = 0; scratch.squaresB[b] = 0
                        case .jaccard:
                            let union = degreeA + ro[b + 1] - ro[b] - support
                            raw = union > 0 ? Double(support) / Double(union) : 0
                        }
                        if !binary { scratch.dot[b] = 0 }
                        let w: Float
                        if plain {
                            guard raw > options.minSimilarity else { continue }
                            w = Float(raw)
                        } else {
                            guard let x = options.weight(raw: raw, support: support) else { continue }
                            w = x
                        }
                        heap.offer(row: a, index: b32, weight: w)
                        heap.offer(row: b, index: Int32(truncatingIfNeeded: a), weight: w)
                    }
                    heap.publish(row: a)
                }
            }
        } } } } } }
        progress(1)
        return RowHeaps.merge(heaps, rows: n, capacity: kept, threads: threads)
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

/// One worker's bounded min-heaps, one per row, in flat storage: each keeps the `capacity` best
/// candidates offered to its row. A candidate is one UInt64 key that orders as (weight, then
/// lower index), so every comparison is a single integer compare and a heap's entries share
/// cache lines. `floor` holds each full heap's worst key (0 until full), so most offers are
/// rejected by one load from a small array. `published`, shared by all workers, holds a row's
/// floor once a worker has offered it all of the row's own pairs (`publish`): a key at or below
/// it can never be in the row's final top M (that worker holds M better ones), so every worker
/// rejects it. Published values are written once and read with relaxed atomics; a reader that
/// sees the old 0 only filters less, so the result does not depend on timing.
final class RowHeaps: @unchecked Sendable {
    let rows: Int, capacity: Int
    private let sizes: UnsafeMutablePointer<Int32>
    private let floor: UnsafeMutablePointer<UInt64>
    private let keys: UnsafeMutablePointer<UInt64>
    private let published: UnsafeMutablePointer<UInt64>

    init(rows: Int, capacity: Int, published: UnsafeMutablePointer<UInt64>) {
        self.rows = rows; self.capacity = capacity; self.published = published
        sizes = .allocate(capacity: rows); sizes.initialize(repeating: 0, count: rows)
        floor = .allocate(capacity: rows); floor.initialize(repeating: 0, count: rows)
        keys = .allocate(capacity: rows * capacity)
    }

    func deallocate() { sizes.deallocate(); floor.deallocate(); keys.deallocate() }

    /// Float bits mapped so that integer order is numeric order, above the complemented index
    /// (so a lower index ranks higher among equal weights). Every finite weight's key is > 0.
    @inline(__always) static func key(_ weight: Float, _ index: Int32) -> UInt64 {
        let b = weight.bitPattern
        let ordered = b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000
        return UInt64(ordered) << 32 | UInt64(~UInt32(bitPattern: index))
    }

    @inline(__always) static func decode(_ key: UInt64) -> (Int32, Float) {
        let ordered = UInt32(truncatingIfNeeded: key >> 32)
        let b = ordered & 0x8000_0000 != 0 ? ordered & 0x7FFF_FFFF : ~ordered
        return (Int32(bitPattern: ~UInt32(truncatingIfNeeded: key)), Float(bitPattern: b))
    }

    @inline(__always)
    func offer(row r: Int, index: Int32, weight: Float) {
        let k = RowHeaps.key(weight, index)
        guard k > floor[r], k > recbench_load_relaxed(published + r), capacity > 0 else { return }
        insert(row: r, key: k)
    }

    /// Makes row r's floor every worker's filter (call once the row's own pairs are all offered).
    @inline(__always)
    func publish(row r: Int) {
        if Int(sizes[r]) == capacity { recbench_store_relaxed(published + r, floor[r]) }
    }

    private func insert(row r: Int, key: UInt64) {
        let h = keys + r * capacity
        var size = Int(sizes[r])
        if size < capacity {
            var i = size
            size += 1; sizes[r] = Int32(size)
            while i > 0 {
                let p = (i - 1) / 2
                guard key < h[p] else { break }
                h[i] = h[p]; i = p
            }
            h[i] = key
            if size == capacity { floor[r] = h[0] }
        } else {
            var i = 0
            while true {
                let l = 2 * i + 1
                if l >= size { break }
                let c = l + 1 < size && h[l + 1] < h[l] ? l + 1 : l
                guard h[c] < key else { break }
                h[i] = h[c]; i = c
            }
            h[i] = key
            floor[r] = h[0]
        }
    }

    /// Each row's final list: the best `capacity` of all workers' candidates, most similar first.
    static func merge(_ heaps: [RowHeaps], rows n: Int, capacity: Int, threads: Int) -> NeighborLists {
        var offsets = [Int](repeating: 0, count: n + 1)
        for r in 0..<n {
            var c = 0
            for h in heaps { c += Int(h.sizes[r]) }
            offsets[r + 1] = offsets[r] + min(capacity, c)
        }
        var neighbors = [Int32](repeating: 0, count: offsets[n]), weights = [Float](repeating: 0, count: offsets[n])
        let workers = parallelWorkerCount(count: n, threads: threads, grain: 256)
        // One reusable buffer per worker: a per-row allocation would contend in malloc.
        let buffers = (0..<workers).map { _ in UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, heaps.count * capacity)) }
        defer { buffers.forEach { $0.deallocate() } }
        neighbors.withUnsafeMutableBufferPointer { nb in weights.withUnsafeMutableBufferPointer { wb in
            let out = UncheckedSendable((nb, wb, buffers))
            parallelForWorkers(count: n, threads: threads, grain: 256) { worker, r in
                let (nb, wb, buffers) = out.value
                let all = buffers[worker]
                var count = 0
                for h in heaps {
                    let size = Int(h.sizes[r])
                    (all + count).update(from: h.keys + r * h.capacity, count: size)
                    count += size
                }
                // Ascending sort (no comparison closure: twice as fast), read from the top.
                var keys = UnsafeMutableBufferPointer(start: all, count: count)
                keys.sort()
                for k in 0..<(offsets[r + 1] - offsets[r]) {
                    let (index, weight) = decode(keys[count - 1 - k])
                    nb[offsets[r] + k] = index; wb[offsets[r] + k] = weight
                }
            }
        } }
        return NeighborLists(rows: n, offsets: offsets, neighbors: neighbors, weights: weights)
    }
}

/// The raw arrays of a row's product with the later rows of its columns.
struct SparseProduct {
    let ro: UnsafeBufferPointer<Int>, rv: UnsafeBufferPointer<Float>
    let ci: UnsafeBufferPointer<Int32>, cv: UnsafeBufferPointer<Float>
    let span: UnsafeBufferPointer<SIMD2<Int32>>

    /// Co-occurrence counts of row a with every later row sharing a column.
    @inline(__always)
    func countCooccurrences(row a: Int, into s: PairScratch) -> Int {
        var touchedCount = 0
        for k in ro[a]..<ro[a + 1] {
            for k2 in Int(span[k].x)..<Int(span[k].y) {
                let b = Int(ci[k2]), c = s.count[b]
                // Branch-free first-touch bookkeeping: the branch would be mispredicted about
                // half the time, which costs more than the unconditional store.
                s.touched[touchedCount] = Int32(truncatingIfNeeded: b)
                touchedCount &+= c == 0 ? 1 : 0
                s.count[b] = c &+ 1
            }
        }
        return touchedCount
    }

    /// Counts, dot products and (Pearson) co-support sums of squares of row a with every later
    /// row sharing a column.
    @inline(__always)
    func accumulate(row a: Int, into s: PairScratch) -> Int {
        var touchedCount = 0
        for k in ro[a]..<ro[a + 1] {
            let x = Double(rv[k])
            for k2 in Int(span[k].x)..<Int(span[k].y) {
                let b = Int(ci[k2]), c = s.count[b], y = Double(cv[k2])
                s.touched[touchedCount] = Int32(truncatingIfNeeded: b)
                touchedCount &+= c == 0 ? 1 : 0
                s.count[b] = c &+ 1
                s.dot[b] += x * y
                if s.pearson { s.squaresA[b] += x * x; s.squaresB[b] += y * y }
            }
        }
        return touchedCount
    }
}

/// One worker's dense accumulators for a row's products. Every entry is back to zero after a row
/// is consumed (the caller clears what it reads), so no per-row clearing of size `rows` is
/// needed; `touched` lists the rows that received a contribution, in first-touch order.
struct PairScratch {
    let count: UnsafeMutablePointer<Int32>
    let touched: UnsafeMutablePointer<Int32>
    let dot: UnsafeMutablePointer<Double>
    let squaresA: UnsafeMutablePointer<Double>
    let squaresB: UnsafeMutablePointer<Double>
    let pearson: Bool

    init(rows: Int, pearson: Bool) {
        self.pearson = pearson
        count = .allocate(capacity: rows); count.initialize(repeating: 0, count: rows)
        touched = .allocate(capacity: rows + 1)
        dot = .allocate(capacity: rows); dot.initialize(repeating: 0, count: rows)
        let p = pearson ? rows : 0
        squaresA = .allocate(capacity: p); squaresA.initialize(repeating: 0, count: p)
        squaresB = .allocate(capacity: p); squaresB.initialize(repeating: 0, count: p)
    }

    func deallocate() { count.deallocate(); touched.deallocate(); dot.deallocate(); squaresA.deallocate(); squaresB.deallocate() }
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
                                  minSupport: Int = 1, meanDamping: Double = 0, damping: Double = 0,
                                  userSide: Bool = false) -> [ParameterSpec] {
        let rating = ParameterSpec.Scope.tasks([.rating], otherwise: "it only shapes rating predictions")
        // UserKNN divides all of one user's scores by one sum, which leaves that user's ranking as it is.
        let normalize: ParameterSpec = userSide
            ? .boolean("normalize", default: false, "No effect for UserKNN: dividing a user's scores by the sum of the "
                       + "user's k weights leaves the ranking as it is (accepted so files stay valid).")
                .acting(.tasks([], otherwise: "dividing one user's scores by one sum leaves the user's ranking as it is"))
            : .boolean("normalize", default: false, "Ranking task: divide each neighbour list's contributions by the sum of its k weights.")
                .acting(.tasks([.ranking, .sequential], otherwise: "it only rescales ranking scores"))
        return [
            .integer("k", default: k, min: 1, max: 100_000,
                     "Neighbours used per prediction (the k most similar that qualify)."),
            .integer("neighbors_kept", default: kept, min: 1, max: 100_000,
                     "M: neighbours stored per row of the sparse model (memory rows × M)."),
            .choice("similarity", Similarity.allCases.map(\.rawValue), default: similarity.rawValue,
                    "cosine | adjusted_cosine | pearson | centered_cosine (these three: rating task only) | jaccard."),
            .real("shrinkage", default: shrinkage, "λ in s·n/(n+λ), n = common support (0 = off)."),
            .integer("min_support", default: minSupport, min: 1, max: 1_000_000_000,
                     "Pairs with fewer common entries are dropped."),
            .real("min_similarity", default: 0, min: -1, max: 1, "Only similarities strictly above this are kept."),
            .real("exponent", default: 1, min: 0, exclusiveMin: true, "Case amplification: s ↦ s^α."),
            .choice("variant", [Variant.meanCentered.rawValue, Variant.baseline.rawValue], default: Variant.meanCentered.rawValue,
                    "Rating task: average of mean-centred neighbour ratings, or of residuals after user/item biases (KNNBaseline).").acting(rating),
            .integer("min_neighbors", default: 1, min: 1, max: 100_000,
                     "Rating task: fewer qualifying neighbours than this falls back to the bias baseline.").acting(rating),
            normalize,
            .real("damping", default: damping, "Rating task: λ_d in Σ s·e / (Σ|s| + λ_d), a neighbour at the base with weight λ_d: corrections resting on little similarity shrink towards the base.").acting(rating),
            .real("mean_damping", default: meanDamping, "Rating task, mean_centered: β in (Σ r + β·μ) / (n + β), row means damped towards the global mean μ.").acting(rating),
            .real("baseline_item_reg", default: 5, "Rating task: λ_i of the bias baseline b_ui (fallback, and the base of the baseline variant); see Bias.").acting(rating),
            .real("baseline_user_reg", default: 5, "Rating task: λ_u of the bias baseline b_ui; see Bias.").acting(rating),
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

    func checkTask(_ task: RecommendationTask, model: String) throws {
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
