import Foundation
import RecbenchCore
import RecbenchAlgorithms

/// Tile shape of the fused factor path: one sgemm computes `users` × `items` scores, which are
/// selected from while they are still in cache. The default (256 × 2048 floats = 2 MiB) keeps a
/// tile within a share of L3 and the packed item panel (2048 × d) within L2 for d ≤ 64.
public struct ScoringTile: Sendable, Hashable {
    public var users: Int
    public var items: Int
    public init(users: Int = 256, items: Int = 2048) {
        precondition(users > 0 && items > 0)
        self.users = users; self.items = items
    }
}

extension ScoringCore {
    /// Top K items per user for score(u, i) = users[u] · items[i] + itemBias[i], excluding every
    /// item in any `exclude` matrix's row (seen items) and, with `candidates`, scoring only the
    /// user's candidate row. The users × items score matrix never exists: each thread takes the
    /// next block of `tile.users` users, and for each `tile.items`-wide slice of the catalogue
    /// runs one single-threaded sgemm into a tile buffer and at once offers the tile's rows to
    /// per-user bounded heaps, walking each user's sorted exclusion list alongside the item index.
    /// Memory beyond the output is `threads` tile buffers and heaps.
    ///
    /// A user bias would shift all of a user's scores equally and so never change a ranking; the
    /// contract has none, and none is needed here.
    ///
    /// Ties go to the lower item index (NaN last), exactly as `select`. Every score is computed by
    /// the same sgemm tile shape whatever `threads` is, so lists do not depend on the thread count.
    /// With candidates, each pooled (user, item) score is one dot product instead (a sampled pool
    /// is far smaller than the catalogue, so a GEMM over all items would be wasted work).
    public static func topK(
        factors f: LatentFactors, users: [Int32], k: Int, exclude: [SparseMatrix],
        candidates: SparseMatrix? = nil, threads: Int, tile: ScoringTile = ScoringTile()
    ) -> RankedLists {
        precondition(k >= 0)
        let n = f.items.rows, d = f.users.columns
        if let b = f.itemBias { precondition(b.count == n, "item bias has \(b.count) entries, expected \(n)") }
        var items = [Int32](repeating: -1, count: users.count * k)
        var scores = [Float](repeating: -.infinity, count: users.count * k)
        let blockUsers = candidates == nil ? tile.users : 64
        let blocks = (users.count + blockUsers - 1) / blockUsers
        guard blocks > 0, n > 0, k > 0 else { return RankedLists(users: users, k: k, items: items, scores: scores) }

        // One worker's buffers per thread, reused across the blocks it takes (blocks are handed out
        // dynamically, which keeps both cores busy when another process takes one for a while).
        let tileShape = ScoringTile(users: min(blockUsers, users.count), items: min(tile.items, n))
        var workers = (0..<parallelWorkerCount(count: blocks, threads: threads, grain: 1)).map { _ in
            TileWorker(factors: f, k: k, tile: tileShape, dim: d, withCandidates: candidates != nil)
        }
        workers.withUnsafeMutableBufferPointer { ws in
            items.withUnsafeMutableBufferPointer { itemsOut in
                scores.withUnsafeMutableBufferPointer { scoresOut in
                    let out = UncheckedSendable((ws, itemsOut, scoresOut))
                    parallelForWorkers(count: blocks, threads: threads, grain: 1) { worker, b in
                        let (ws, itemsOut, scoresOut) = out.value
                        let lo = b * blockUsers, hi = min(users.count, lo + blockUsers)
                        ws[worker].run(
                            users: users[lo..<hi], firstRow: lo, exclude: exclude, candidates: candidates,
                            items: itemsOut, scores: scoresOut)
                    }
                }
            }
        }
        return RankedLists(users: users, k: k, items: items, scores: scores)
    }
}

/// One thread's buffers: the block's user factors, one score tile, one heap and exclusion cursor
/// per user of the block. Reused across blocks.
private struct TileWorker {
    let f: LatentFactors
    let k: Int
    let tile: ScoringTile
    let dim: Int
    var userBlock: [Float]
    var buffer: [Float]
    var heaps: [TopKHeap]
    /// The block's merged exclusion lists, row r in excluded[exStart[r]..<exStart[r + 1]].
    var excluded: [Int32] = []
    var exStart: [Int]
    var cursor: [Int]

    init(factors: LatentFactors, k: Int, tile: ScoringTile, dim: Int, withCandidates: Bool) {
        f = factors; self.k = k; self.tile = tile; self.dim = dim
        userBlock = [Float](repeating: 0, count: tile.users * max(dim, 1))
        buffer = withCandidates ? [] : [Float](repeating: 0, count: tile.users * tile.items)
        heaps = (0..<tile.users).map { _ in TopKHeap(k: k) }
        exStart = [Int](repeating: 0, count: tile.users + 1)
        cursor = [Int](repeating: 0, count: tile.users)
    }

    mutating func run(
        users: ArraySlice<Int32>, firstRow: Int, exclude: [SparseMatrix], candidates: SparseMatrix?,
        items: UnsafeMutableBufferPointer<Int32>, scores: UnsafeMutableBufferPointer<Float>
    ) {
        let rows = users.count
        mergeExcluded(users: users, exclude: exclude)
        for r in 0..<rows { heaps[r].removeAll() }
        if let candidates {
            scoreCandidates(users: users, candidates: candidates)
        } else {
            scoreTiles(users: users)
        }
        for r in 0..<rows {
            let out = (firstRow + r) * k
            for (j, pair) in heaps[r].sorted().enumerated() {
                items[out + j] = pair.item
                scores[out + j] = pair.score
            }
        }
    }

    /// The fused loop: for each item tile, one sgemm (block users × tile items), then each row's
    /// gaps between excluded items are scanned against that row's heap threshold.
    private mutating func scoreTiles(users: ArraySlice<Int32>) {
        let rows = users.count, n = f.items.rows, d = dim, width = tile.items
        for (r, u) in users.enumerated() {
            let src = Int(u) * d
            for c in 0..<d { userBlock[r * d + c] = f.users.values[src + c] }
        }
        for r in 0..<rows { cursor[r] = exStart[r] }
        let ex = excluded, exEnd = exStart
        userBlock.withUnsafeBufferPointer { a in
            f.items.values.withUnsafeBufferPointer { itemFactors in
                buffer.withUnsafeMutableBufferPointer { c in
                    ex.withUnsafeBufferPointer { ex in
                        (f.itemBias ?? []).withUnsafeBufferPointer { biasAll in
                            let biasBase = f.itemBias == nil ? nil : biasAll.baseAddress
                            var t0 = 0
                            while t0 < n {
                                let t1 = min(n, t0 + width), cols = t1 - t0
                                if d > 0 {
                                    BLAS.sgemm(
                                        transB: true, m: rows, n: cols, k: d, a: a.baseAddress!, lda: d,
                                        b: itemFactors.baseAddress! + t0 * d, ldb: d, c: c.baseAddress!, ldc: cols)
                                } else {
                                    for i in 0..<(rows * cols) { c[i] = 0 }
                                }
                                let bias = biasBase.map { $0 + t0 }
                                for r in 0..<rows {
                                    let row = UnsafePointer(c.baseAddress! + r * cols)
                                    var e = cursor[r]
                                    let eEnd = exEnd[r + 1]
                                    var start = t0
                                    // Scan the gaps between this row's excluded items inside [t0, t1).
                                    while e < eEnd, Int(ex[e]) < t1 {
                                        let x = Int(ex[e])
                                        if x >= start {
                                            if x > start {
                                                heaps[r].scan(row, bias: bias, firstItem: t0, (start - t0)..<(x - t0))
                                            }
                                            start = x + 1
                                        }
                                        e += 1
                                    }
                                    if start < t1 { heaps[r].scan(row, bias: bias, firstItem: t0, (start - t0)..<cols) }
                                    cursor[r] = e
                                }
                                t0 = t1
                            }
                        }
                    }
                }
            }
        }
    }

    /// Candidate protocol: the pool (candidates minus excluded, ascending) scored by dot products.
    private mutating func scoreCandidates(users: ArraySlice<Int32>, candidates: SparseMatrix) {
        let n = f.items.rows, d = dim
        let ex = excluded
        f.users.values.withUnsafeBufferPointer { uf in
            f.items.values.withUnsafeBufferPointer { itf in
                for (r, u) in users.enumerated() {
                    let ui = Int(u)
                    guard ui < candidates.rows else { continue }
                    var e = exStart[r]
                    let eEnd = exStart[r + 1]
                    for cand in candidates.rowIndices(ui) {
                        while e < eEnd && ex[e] < cand { e += 1 }
                        if e < eEnd && ex[e] == cand { continue }
                        let i = Int(cand)
                        guard i < n else { continue }
                        var s: Float = d > 0 ? BLAS.sdot(d, uf.baseAddress! + ui * d, itf.baseAddress! + i * d) : 0
                        if let b = f.itemBias { s += b[i] }
                        heaps[r].offer(s, cand)
                    }
                }
            }
        }
    }

    /// Each row's union of the exclude matrices' rows, ascending (duplicates are harmless).
    private mutating func mergeExcluded(users: ArraySlice<Int32>, exclude: [SparseMatrix]) {
        excluded.removeAll(keepingCapacity: true)
        for (r, u) in users.enumerated() {
            let ui = Int(u)
            exStart[r] = excluded.count
            var sources = 0
            for m in exclude where ui < m.rows && m.rowCount(ui) > 0 {
                excluded.append(contentsOf: m.rowIndices(ui))
                sources += 1
            }
            if sources > 1 { excluded[exStart[r]...].sort() }
        }
        exStart[users.count] = excluded.count
    }
}
