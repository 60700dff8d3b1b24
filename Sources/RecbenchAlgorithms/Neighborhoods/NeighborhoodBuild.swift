import RecbenchCore
internal import CIntrinsics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    public static func build(
        _ vectors: SparseMatrix, transposed: SparseMatrix? = nil, options: NeighborhoodOptions,
        scales: PairScales? = nil, threads: Int, progress: (Double) -> Void = { _ in }
    ) -> NeighborLists {
        precondition(scales == nil || options.similarity != .pearson, "scaled products use plain dot products")
        let n = vectors.rows, nnz = vectors.nnz
        let columns = transposed ?? vectors.transposed()
        precondition(columns.rows == vectors.columns && columns.nnz == nnz)
        let kept = min(max(0, options.kept), max(0, n - 1))
        // All-ones vectors (implicit feedback) need only co-occurrence counts: dot = support.
        // Pearson's vectors are all ones only when the caller passed implicit data (its rating
        // vectors are centred), and then it is the phi coefficient over all `columnCount` columns.
        let binary = vectors.values.allSatisfy { $0 == 1 }
        let columnCount = Double(max(1, vectors.columns))
        // No shrinkage, exponent or support floor: the weight is the raw similarity, kept free of
        // weight()'s branches in the loop over pairs.
        let plain =
            (options.shrinkage <= 0 || options.shrinkageForm == .denominator) && options.exponent == 1
            && options.minSupport <= 1 && options.similarity != .pearson
        // λ in the denominator form: raw = numerator / (denominator + λ), shrinkage applied here.
        let lambda = options.denominatorShrinkage
        // ‖row‖ and 1/‖row‖ for the cosine family (0 for an all-zero row, whose similarities are 0).
        var norm = [Double](repeating: 0, count: n), inverseNorm = [Double](repeating: 0, count: n)
        for r in 0..<n {
            var sq = 0.0
            for k in vectors.rowRange(r) { let v = Double(vectors.values[k]); sq += v * v }
            norm[r] = sq.squareRoot(); inverseNorm[r] = sq > 0 ? 1 / sq.squareRoot() : 0
        }
        let norms = norm
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
        let scratches = (0..<workers).map { _ in
            PairScratch(rows: n, pearson: options.similarity == .pearson && !binary)
        }
        defer { heaps.forEach { $0.deallocate() }; scratches.forEach { $0.deallocate() }; published.deallocate() }
        let scaled = scales
        vectors.offsets.withUnsafeBufferPointer { ro in
            vectors.values.withUnsafeBufferPointer { rv in
                columns.indices.withUnsafeBufferPointer { ci in
                    columns.values.withUnsafeBufferPointer { cv in
                        inverseNorm.withUnsafeBufferPointer { inv in
                            span.withUnsafeBufferPointer { start in
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
                                        let touched =
                                            binary
                                            ? product.countCooccurrences(row: a, into: scratch)
                                            : product.accumulate(row: a, into: scratch)
                                        let degreeA = ro[a + 1] - ro[a], invA = inv[a]
                                        for t in 0..<touched {
                                            let b32 = scratch.touched[t], b = Int(b32)
                                            let support = Int(scratch.count[b])
                                            scratch.count[b] = 0
                                            if let sc = scaled {
                                                let dot = binary ? Double(support) : scratch.dot[b]
                                                if !binary { scratch.dot[b] = 0 }
                                                let wa = dot * sc.row[a] * sc.column[b],
                                                    wb = dot * sc.row[b] * sc.column[a]
                                                if wa > options.minSimilarity {
                                                    heap.offer(row: a, index: b32, weight: Float(wa))
                                                }
                                                if wb > options.minSimilarity {
                                                    heap.offer(
                                                        row: b, index: Int32(truncatingIfNeeded: a), weight: Float(wb))
                                                }
                                                continue
                                            }
                                            let raw: Double
                                            switch options.similarity {
                                            case .cosine, .adjustedCosine, .centeredCosine:
                                                let dot = binary ? Double(support) : scratch.dot[b]
                                                if lambda == 0 {
                                                    raw = dot * invA * inv[b]
                                                } else {
                                                    let d = norms[a] * norms[b] + lambda
                                                    raw = d > 0 ? dot / d : 0
                                                }
                                            case .pearson where binary:
                                                let da = Double(degreeA), db = Double(ro[b + 1] - ro[b])
                                                let d = (da * (1 - da / columnCount) * db * (1 - db / columnCount))
                                                    .squareRoot()
                                                raw =
                                                    d + lambda > 0
                                                    ? (Double(support) - da * db / columnCount) / (d + lambda) : 0
                                            case .pearson:
                                                let d = (scratch.squaresA[b] * scratch.squaresB[b]).squareRoot()
                                                raw = d + lambda > 0 ? scratch.dot[b] / (d + lambda) : 0
                                                scratch.squaresA[b] = 0; scratch.squaresB[b] = 0
                                            case .jaccard:
                                                let union = Double(degreeA + ro[b + 1] - ro[b] - support) + lambda
                                                raw = union > 0 ? Double(support) / union : 0
                                            }
                                            if !binary { scratch.dot[b] = 0 }
                                            let w: Float
                                            if plain {
                                                guard raw > options.minSimilarity else { continue }
                                                w = Float(raw)
                                            } else {
                                                guard let x = options.weight(raw: raw, support: support) else {
                                                    continue
                                                }
                                                w = x
                                            }
                                            heap.offer(row: a, index: b32, weight: w)
                                            heap.offer(row: b, index: Int32(truncatingIfNeeded: a), weight: w)
                                        }
                                        heap.publish(row: a)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
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
    static func prepare(
        _ rows: SparseMatrix, similarity: Similarity, binary: Bool,
        centre: (_ row: Int, _ column: Int) -> Double
    ) -> SparseMatrix {
        if binary || similarity == .jaccard { return rows.withValues([Float](repeating: 1, count: rows.nnz)) }
        var v = rows.values
        switch similarity {
        case .cosine, .jaccard: return rows
        case .pearson, .centeredCosine:
            for r in 0..<rows.rows {
                for k in rows.rowRange(r) { v[k] = Float(Double(v[k]) - centre(r, Int(rows.indices[k]))) }
            }
        case .adjustedCosine:
            let means = rowMeans(rows.transposed())
            for k in 0..<rows.nnz { v[k] -= Float(means[Int(rows.indices[k])]) }
        }
        return rows.withValues(v)
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
