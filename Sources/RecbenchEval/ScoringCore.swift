import RecbenchCore
import RecbenchAlgorithms

/// Top-K lists for a batch of users: row r (k entries in `items` / `scores`) holds users[r]'s
/// items best first, padded with item -1 (score -infinity) when fewer than K candidates exist.
public struct RankedLists: Sendable {
    public let users: [Int32]
    public let k: Int
    public var items: [Int32]
    public var scores: [Float]
    /// Per-user AUC (aligned with `users`) when the scoring core was given test items.
    public var auc: [Double]?
    /// The share of (user, item) scores the fused full-ranking path computed before every user's
    /// top K was settled (`ItemNormOrder`); nil on the other paths, which score every pair.
    public var scoredFraction: Double?

    public init(users: [Int32], k: Int, items: [Int32], scores: [Float], auc: [Double]? = nil) {
        precondition(items.count == users.count * k && scores.count == items.count)
        self.users = users; self.k = k; self.items = items; self.scores = scores; self.auc = auc
    }

    public func row(_ r: Int) -> ArraySlice<Int32> { items[(r * k)..<((r + 1) * k)] }
}

/// Scores users in blocks, masks seen items, and selects each user's top K.
public enum ScoringCore {
    /// Models with `factors` go to `topK(factors:…)` (fused tiles of `tile`, never a users × items
    /// buffer) unless AUC is asked for. Otherwise scores users in blocks of `blockSize`
    /// (model.score(users:into:), or one sgemm against all item factors for AUC, into a reusable
    /// block × items buffer: the path for models that produce their own score blocks), masks every item in any `exclude` matrix's row
    /// for that user (seen items), optionally restricts to the user's row of `candidates`
    /// (sampled-negatives protocol), and keeps the top K per row with a bounded heap (ties by
    /// ascending item index; NaN ranks last). Blocks run in parallel on `threads` threads with
    /// OpenBLAS held to one thread; the blocks depend on `blockSize` only, so the result is the
    /// same at every thread count.
    ///
    /// With `aucTest`, also computes each user's AUC over the scored pool (candidate items that
    /// are not excluded): the fraction of (test item, non-test item) pairs with the test item
    /// scored higher, ties counting ½. NaN scores count as −∞. A user whose pool has no test item
    /// or no non-test item gets NaN.
    public static func topK(
        model: any Recommender, users: [Int32], itemCount: Int, k: Int, exclude: [SparseMatrix],
        candidates: SparseMatrix? = nil, aucTest: SparseMatrix? = nil, threads: Int,
        blockSize: Int = 512, tile: ScoringTile? = nil
    ) -> RankedLists {
        precondition(k >= 0 && blockSize > 0)
        let n = itemCount
        let factors = (model as? any FactorModel)?.factors
        if let f = factors { precondition(f.items.rows == n, "factor table has \(f.items.rows) items, expected \(n)") }
        // Factor models take the fused tiled path, except for AUC, which needs whole rows.
        if let f = factors, aucTest == nil {
            return topK(
                factors: f, users: users, k: k, exclude: exclude, candidates: candidates, threads: threads,
                tile: tile ?? ScoringTile())
        }
        var items = [Int32](repeating: -1, count: users.count * k)
        var scores = [Float](repeating: -.infinity, count: users.count * k)
        var auc: [Double]? = aucTest == nil ? nil : [Double](repeating: .nan, count: users.count)
        let blocks = (users.count + blockSize - 1) / blockSize
        guard blocks > 0, n > 0 || k == 0 else {
            return RankedLists(users: users, k: k, items: items, scores: scores, auc: auc)
        }

        items.withUnsafeMutableBufferPointer { itemsOut in
            scores.withUnsafeMutableBufferPointer { scoresOut in
                withOptionalBuffer(&auc) { aucOut in
                    let out = UncheckedSendable((itemsOut, scoresOut, aucOut))
                    parallelChunks(count: blocks, threads: threads) { _, blockRange in
                        var worker = BlockWorker(itemCount: n, k: k, blockSize: min(blockSize, users.count))
                        for b in blockRange {
                            let lo = b * blockSize, hi = min(users.count, lo + blockSize)
                            worker.run(
                                model: model, factors: factors, users: Array(users[lo..<hi]), firstRow: lo,
                                exclude: exclude, candidates: candidates, aucTest: aucTest,
                                items: out.value.0, scores: out.value.1, auc: out.value.2)
                        }
                    }
                }
            }
        }
        return RankedLists(users: users, k: k, items: items, scores: scores, auc: auc)
    }

    /// Top K indices of `scores`, best first (ties by ascending index, NaN last), skipping the
    /// `excluded` indices (ascending). Returns fewer than K when fewer candidates remain.
    public static func select(scores: UnsafeBufferPointer<Float>, k: Int, excluded: ArraySlice<Int32>) -> [Int32] {
        var heap = TopKHeap(k: k)
        offerSegments(scores: scores, excluded: excluded, into: &heap)
        return heap.sorted().map(\.item)
    }

    /// Offers every index of `scores` not in `excluded` (sorted, duplicates allowed), walking the
    /// gaps between excluded indices so the inner loop has no membership test.
    @inline(__always)
    static func offerSegments<C: Collection>(scores: UnsafeBufferPointer<Float>, excluded: C, into heap: inout TopKHeap)
    where C.Element == Int32 {
        var start = 0
        for e in excluded {
            let end = Int(e)
            if end >= start {
                let hi = min(end, scores.count)
                if hi > start { heap.scan(scores, start..<hi) }
                start = end + 1
            }
        }
        if start < scores.count { heap.scan(scores, start..<scores.count) }
    }
}

/// Per-thread state: the score buffer, the merged excluded list and the heap, reused across blocks.
private struct BlockWorker {
    let itemCount: Int
    let k: Int
    var buffer: [Float]
    var factorBlock: [Float] = []
    var excluded: [Int32] = []
    var heap: TopKHeap
    var positives: [Float] = []

    init(itemCount: Int, k: Int, blockSize: Int) {
        self.itemCount = itemCount; self.k = k
        buffer = [Float](repeating: 0, count: blockSize * itemCount)
        heap = TopKHeap(k: k)
    }

    mutating func run(
        model: any Recommender, factors: LatentFactors?, users: [Int32], firstRow: Int,
        exclude: [SparseMatrix], candidates: SparseMatrix?, aucTest: SparseMatrix?,
        items: UnsafeMutableBufferPointer<Int32>, scores: UnsafeMutableBufferPointer<Float>,
        auc: UnsafeMutableBufferPointer<Double>?
    ) {
        let n = itemCount, rows = users.count
        fill(model: model, factors: factors, users: users)
        buffer.withUnsafeBufferPointer { all in
            for r in 0..<rows {
                let u = Int(users[r])
                let row = UnsafeBufferPointer(rebasing: all[(r * n)..<((r + 1) * n)])
                mergeExcluded(user: u, exclude: exclude)
                heap.removeAll()
                if let candidates {
                    let cand = u < candidates.rows ? candidates.rowIndices(u) : []
                    let ex = excluded
                    BlockWorker.forEachPooled(candidates: cand, excluded: ex, itemCount: n) {
                        heap.offer(row[$0], Int32($0))
                    }
                } else {
                    ScoringCore.offerSegments(scores: row, excluded: excluded, into: &heap)
                }
                let out = firstRow + r
                for (j, pair) in heap.sorted().enumerated() {
                    items[out * k + j] = pair.item
                    scores[out * k + j] = pair.score
                }
                if let aucTest, let auc {
                    let test = u < aucTest.rows ? aucTest.rowIndices(u) : []
                    let cand: ArraySlice<Int32>? = candidates.map { u < $0.rows ? $0.rowIndices(u) : [] }
                    auc[out] = userAUC(row: row, test: test, candidates: cand)
                }
            }
        }
    }

    /// Writes the block's scores (rows × itemCount) into `buffer`.
    private mutating func fill(model: any Recommender, factors: LatentFactors?, users: [Int32]) {
        let n = itemCount, rows = users.count
        if let f = factors {
            let d = f.users.columns
            if factorBlock.count < rows * d { factorBlock = [Float](repeating: 0, count: rows * d) }
            for (r, u) in users.enumerated() {
                let src = Int(u) * d
                for c in 0..<d { factorBlock[r * d + c] = f.users.values[src + c] }
            }
            factorBlock.withUnsafeBufferPointer { a in
                f.items.values.withUnsafeBufferPointer { b in
                    buffer.withUnsafeMutableBufferPointer { c in
                        if d == 0 {
                            for i in 0..<(rows * n) { c[i] = 0 }
                        } else {
                            BLAS.sgemm(
                                transB: true, m: rows, n: n, k: d, a: a.baseAddress!, lda: d,
                                b: b.baseAddress!, ldb: d, c: c.baseAddress!, ldc: n)
                        }
                        if let bias = f.itemBias {
                            for r in 0..<rows { for i in 0..<n { c[r * n + i] += bias[i] } }
                        }
                    }
                }
            }
        } else {
            buffer.withUnsafeMutableBufferPointer { c in
                model.score(users: users, into: UnsafeMutableBufferPointer(rebasing: c[0..<(rows * n)]))
            }
        }
    }

    /// The union of the user's rows in every exclude matrix, ascending (duplicates harmless).
    private mutating func mergeExcluded(user u: Int, exclude: [SparseMatrix]) {
        excluded.removeAll(keepingCapacity: true)
        var sources = 0
        for m in exclude where u < m.rows && m.rowCount(u) > 0 {
            excluded.append(contentsOf: m.rowIndices(u))
            sources += 1
        }
        if sources > 1 { excluded.sort() }
    }

    /// Calls body for every candidate item (ascending) that is not excluded.
    @inline(__always)
    private static func forEachPooled(
        candidates: ArraySlice<Int32>, excluded: [Int32], itemCount: Int,
        _ body: (Int) -> Void
    ) {
        var e = excluded.startIndex
        for c in candidates {
            while e < excluded.endIndex && excluded[e] < c { e += 1 }
            if e < excluded.endIndex && excluded[e] == c { continue }
            if Int(c) < itemCount { body(Int(c)) }
        }
    }

    /// AUC over the pool (candidates, or all items, minus excluded): sorts the positives' scores
    /// and, for each negative, counts positives above and tied by binary search: O(N log P).
    private mutating func userAUC(
        row: UnsafeBufferPointer<Float>, test: ArraySlice<Int32>,
        candidates: ArraySlice<Int32>?
    ) -> Double {
        @inline(__always) func key(_ s: Float) -> Float { s.isNaN ? -.infinity : s }
        // Locals, so the nested helpers below capture no part of `self` while it is being mutated.
        let excluded = self.excluded, itemCount = self.itemCount
        var positives = self.positives
        positives.removeAll(keepingCapacity: true)
        defer { self.positives = positives }
        var correct = 0.0
        var negatives = 0
        var t = test.startIndex
        // First pass: the positives in the pool.
        var pool: [Int] = []
        if let candidates {
            BlockWorker.forEachPooled(candidates: candidates, excluded: excluded, itemCount: itemCount) {
                pool.append($0)
            }
        }
        func isPositive(_ i: Int) -> Bool {
            while t < test.endIndex && Int(test[t]) < i { t += 1 }
            return t < test.endIndex && Int(test[t]) == i
        }
        var e = excluded.startIndex
        func isExcluded(_ i: Int) -> Bool {
            while e < excluded.endIndex && Int(excluded[e]) < i { e += 1 }
            return e < excluded.endIndex && Int(excluded[e]) == i
        }
        if candidates != nil {
            for i in pool where isPositive(i) { positives.append(key(row[i])) }
        } else {
            for ti in test where Int(ti) < row.count && !isExcluded(Int(ti)) { positives.append(key(row[Int(ti)])) }
        }
        let p = positives.count
        guard p > 0 else { return .nan }
        positives.sort()
        func lowerBound(_ s: Float) -> Int {
            var lo = 0, hi = p
            while lo < hi { let m = (lo + hi) / 2; if positives[m] < s { lo = m + 1 } else { hi = m } }
            return lo
        }
        func upperBound(_ s: Float) -> Int {
            var lo = 0, hi = p
            while lo < hi { let m = (lo + hi) / 2; if positives[m] <= s { lo = m + 1 } else { hi = m } }
            return lo
        }
        func countNegative(_ i: Int) {
            let s = key(row[i])
            let above = upperBound(s)
            let tiedLow = lowerBound(s)
            correct += Double(p - above) + 0.5 * Double(above - tiedLow)
            negatives += 1
        }
        t = test.startIndex
        if candidates != nil {
            for i in pool where !isPositive(i) { countNegative(i) }
        } else {
            e = excluded.startIndex
            for i in 0..<row.count where !isExcluded(i) && !isPositive(i) { countNegative(i) }
        }
        guard negatives > 0 else { return .nan }
        return correct / (Double(p) * Double(negatives))
    }
}

/// Runs body with a mutable buffer over the optional array's storage (nil when the array is nil).
private func withOptionalBuffer<T, R>(_ a: inout [T]?, _ body: (UnsafeMutableBufferPointer<T>?) -> R) -> R {
    if a == nil { return body(nil) }
    var arr = a!
    a = nil
    defer { a = arr }
    return arr.withUnsafeMutableBufferPointer { body($0) }
}
