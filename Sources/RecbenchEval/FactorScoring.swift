import Foundation
import RecbenchCore
import RecbenchAlgorithms
internal import CIntrinsics

/// Tile shape of the fused factor path: `users` × `items` scores computed at once (by the fused
/// kernel or one sgemm) and selected from while they are still in cache. The default keeps the
/// item panel (2048 × d) within L2 for d ≤ 64 and the block's user rows (512 × d) beside it; each
/// block packs every tile it scans, so wider blocks pack less.
public struct ScoringTile: Sendable, Hashable {
    public var users: Int
    public var items: Int
    public init(users: Int = 512, items: Int = 2048) {
        precondition(users > 0 && items > 0)
        self.users = users; self.items = items
    }
}

extension ScoringCore {
    /// Top K items per user for score(u, i) = users[u] · items[i] + itemBias[i], excluding every
    /// item in any `exclude` matrix's row (seen items) and, with `candidates`, scoring only the
    /// user's candidate row. The users × items score matrix never exists: each thread takes the
    /// next block of `tile.users` users and walks the catalogue in descending order of item-factor
    /// norm (`ItemNormOrder`), `tile.items` items at a time: one single-threaded sgemm into a tile
    /// buffer, whose rows are at once offered to per-user bounded heaps, walking each user's sorted
    /// exclusion list alongside. A user leaves the block once its K-th score beats the norm bound
    /// of every item still to come, and the block ends when all have, so popular-heavy factors are
    /// settled after a fraction of the catalogue (`RankedLists.scoredFraction`) with the lists a
    /// full scan gives. Memory beyond the output is `threads` tile buffers, item panels and heaps.
    ///
    /// A user bias would shift all of a user's scores equally and so never change a ranking; the
    /// contract has none, and none is needed here.
    ///
    /// Ties go to the lower item index (NaN last), exactly as `select`. Blocks, tiles and the early
    /// stop depend on the block's users only, so lists do not depend on the thread count.
    /// With candidates, each pooled (user, item) score is one dot product instead (a sampled pool
    /// is far smaller than the catalogue, so a GEMM over all items would be wasted work).
    public static func topK(
        factors f: LatentFactors, users: [Int32], k: Int, exclude: [SparseMatrix],
        candidates: SparseMatrix? = nil, threads: Int, tile: ScoringTile = ScoringTile()
    ) -> RankedLists {
        topK(
            factors: f, users: users, k: k, exclude: exclude, candidates: candidates, threads: threads, tile: tile,
            ordering: .sampled)
    }

    /// Whether this CPU runs the fused scoring tile (`recbench_score_tile_avx2`: AVX2 + FMA). Without
    /// it (or with `fused: false`, which tests use to keep this path checked) each tile is one
    /// OpenBLAS sgemm, scanned whole.
    static let hasFusedKernel = CPUFeatures.avx2FMA

    /// How the full ranking walks the catalogue: by norm with the early stop, in the catalogue's
    /// own order, or whichever a sample of users says computes fewer scores.
    enum ItemOrdering { case byNorm, natural, sampled }

    /// Users in the sample that chooses the order, and the largest estimated share of the
    /// catalogue for which walking by norm is worth its cost (measured: ≈ 5 % slower where
    /// the bound cuts nothing).
    static let orderingSample = 64, byNormUpTo = 0.85

    static func topK(
        factors f: LatentFactors, users: [Int32], k: Int, exclude: [SparseMatrix],
        candidates: SparseMatrix?, threads: Int, tile: ScoringTile, ordering: ItemOrdering,
        fused: Bool = hasFusedKernel
    ) -> RankedLists {
        precondition(k >= 0)
        let n = f.items.rows, d = f.users.columns
        if let b = f.itemBias { precondition(b.count == n, "item bias has \(b.count) entries, expected \(n)") }
        var items = [Int32](repeating: -1, count: users.count * k)
        var scores = [Float](repeating: -.infinity, count: users.count * k)
        let blockUsers = candidates == nil ? tile.users : 64
        let blocks = (users.count + blockUsers - 1) / blockUsers
        guard blocks > 0, n > 0, k > 0 else { return RankedLists(users: users, k: k, items: items, scores: scores) }
        var order: ItemNormOrder? = nil
        if candidates == nil {
            switch ordering {
            case .natural: order = .natural(f)
            case .byNorm: order = ItemNormOrder(byNorm: f, typicalUserNorm: ItemNormOrder.typicalNorm(f, users: users))
            case .sampled where users.count < orderingSample:
                // Building the norm order sorts the catalogue, which costs more than it can save on
                // so few users (one user against 10⁶ items: four fifths of the time was the sort).
                order = .natural(f)
            case .sampled:
                return sampledTopK(
                    factors: f, users: users, k: k, exclude: exclude, threads: threads, tile: tile, fused: fused)
            }
        }
        // One worker's buffers per thread, reused across the blocks it takes (blocks are handed out
        // dynamically, which keeps both cores busy when another process takes one for a while).
        let tileShape = ScoringTile(users: min(blockUsers, users.count), items: min(tile.items, n))
        var workers = (0..<parallelWorkerCount(count: blocks, threads: threads, grain: 1)).map { _ in
            TileWorker(
                factors: f, order: order, k: k, tile: tileShape, dim: d, fused: fused && hasFusedKernel && d > 0)
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
        var lists = RankedLists(users: users, k: k, items: items, scores: scores)
        if candidates == nil {
            let pairs = Double(workers.reduce(0) { $0 + $1.scoredPairs })
            lists.scoredFraction = pairs / (Double(users.count) * Double(n))
        }
        return lists
    }

    /// The full ranking with the order chosen on a sample: up to `orderingSample` users spread
    /// over the list (one in 16) are ranked first in natural order, and from each one's K-th score
    /// the share of the catalogue a walk by norm would have scored is estimated (the first tile
    /// boundary from which the bound settles the user). The other users are ranked by norm when
    /// that share is at most `byNormUpTo`, else in natural order. Every list is exact either way.
    static func sampledTopK(
        factors f: LatentFactors, users: [Int32], k: Int, exclude: [SparseMatrix], threads: Int, tile: ScoringTile,
        fused: Bool
    ) -> RankedLists {
        let n = f.items.rows
        let count = min(orderingSample, max(1, users.count / 16))
        let rows = (0..<count).map { $0 * users.count / count }
        let sampled = topK(
            factors: f, users: rows.map { users[$0] }, k: k, exclude: exclude, candidates: nil, threads: threads,
            tile: tile, ordering: .natural, fused: fused)
        let byNorm = ItemNormOrder(byNorm: f, typicalUserNorm: ItemNormOrder.typicalNorm(f, users: users))
        let width = min(tile.items, n)
        var total = 0
        for (r, row) in rows.enumerated() {
            let kth = sampled.scores[r * k + k - 1], norm = ItemNormOrder.rowNorm(f.users, Int(users[row]))
            let t = kth == -.infinity ? n : byNorm.settled(userNorm: norm, threshold: kth)
            total += min(n, (t + width - 1) / width * width)
        }
        let share = Double(total) / (Double(count) * Double(n))
        var isSampled = [Bool](repeating: false, count: users.count)
        for row in rows { isSampled[row] = true }
        let restRows = users.indices.filter { !isSampled[$0] }
        let rest = topK(
            factors: f, users: restRows.map { users[$0] }, k: k, exclude: exclude, candidates: nil, threads: threads,
            tile: tile, ordering: share <= byNormUpTo ? .byNorm : .natural, fused: fused)
        var items = [Int32](repeating: -1, count: users.count * k),
            scores = [Float](repeating: 0, count: users.count * k)
        for (lists, at) in [(sampled, rows), (rest, restRows)] {
            for (r, row) in at.enumerated() {
                for j in 0..<k {
                    items[row * k + j] = lists.items[r * k + j]; scores[row * k + j] = lists.scores[r * k + j]
                }
            }
        }
        var lists = RankedLists(users: users, k: k, items: items, scores: scores)
        let pairs = (sampled.scoredFraction ?? 1) * Double(count) + (rest.scoredFraction ?? 1) * Double(restRows.count)
        lists.scoredFraction = pairs / Double(users.count)
        return lists
    }
}

/// One thread's buffers: the block's user factors, the gathered item panel of one tile, one score
/// tile, one heap and exclusion cursor per user of the block. Reused across blocks.
private struct TileWorker {
    let f: LatentFactors
    /// The full-ranking scan's item order (nil for the candidate protocol, which scores its pool).
    let order: ItemNormOrder?
    let k: Int
    let tile: ScoringTile
    let dim: Int
    /// Whether tiles are scored by the fused kernel (panel packed 16 items to a group, the score
    /// rows `stride` floats apart, `flags` marking the groups worth scanning) or by sgemm.
    let fused: Bool
    let stride: Int
    let words: Int
    var userBlock: [Float]
    var panel: [Float]
    var buffer: [Float]
    var flags: [UInt64]
    var thresholds: [Float]
    var tileBias: [Float]
    var heaps: [TopKHeap]
    /// The block's merged exclusion lists, row r in excluded[exStart[r]..<exStart[r + 1]]: item
    /// indices for the candidate protocol, scan positions for the full ranking.
    var excluded: [Int32] = []
    var exStart: [Int]
    var cursor: [Int]
    /// Rows of the block still scanning, and their factor norms.
    var active: [Int]
    var userNorm: [Double]
    /// (user, item) scores computed so far, for `RankedLists.scoredFraction`.
    var scoredPairs = 0

    init(factors: LatentFactors, order: ItemNormOrder?, k: Int, tile: ScoringTile, dim: Int, fused: Bool) {
        f = factors; self.order = order; self.k = k; self.tile = tile; self.dim = dim
        self.fused = fused && order != nil
        let groups = (tile.items + 15) / 16
        stride = self.fused ? groups * 16 : tile.items
        words = self.fused ? (groups + 63) / 64 : 0
        userBlock = [Float](repeating: 0, count: tile.users * max(dim, 1))
        let gathers = self.fused || order?.permuted == true
        panel = gathers ? [Float](repeating: 0, count: stride * max(dim, 1)) : []
        buffer = order == nil ? [] : [Float](repeating: 0, count: tile.users * stride)
        flags = [UInt64](repeating: 0, count: tile.users * words)
        thresholds = self.fused ? [Float](repeating: 0, count: tile.users) : []
        tileBias = self.fused && f.itemBias != nil ? [Float](repeating: 0, count: stride) : []
        heaps = (0..<tile.users).map { _ in TopKHeap(k: k) }
        exStart = [Int](repeating: 0, count: tile.users + 1)
        cursor = [Int](repeating: 0, count: tile.users)
        active = []; active.reserveCapacity(tile.users)
        userNorm = [Double](repeating: 0, count: tile.users)
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
        } else if let order {
            scoreTiles(users: users, order: order)
        }
        for r in 0..<rows {
            let out = (firstRow + r) * k
            for (j, pair) in heaps[r].sorted().enumerated() {
                items[out + j] = pair.item
                scores[out + j] = pair.score
            }
        }
    }

    /// The fused loop over the catalogue in `order`: for each tile of positions, the tile's item
    /// rows are gathered into a panel, one sgemm scores the block's active users against it, and
    /// each row's gaps between excluded positions are scanned against that row's heap threshold.
    /// After each tile a row whose K-th score beats the bound on every later item is done, and
    /// its factors leave the block; the block ends when no row is active.
    private mutating func scoreTiles(users: ArraySlice<Int32>, order: ItemNormOrder) {
        let n = f.items.rows, d = dim, width = tile.items
        active.removeAll(keepingCapacity: true)
        for (r, u) in users.enumerated() {
            let src = Int(u) * d
            for c in 0..<d { userBlock[r * d + c] = f.users.values[src + c] }
            userNorm[r] = ItemNormOrder.rowNorm(f.users, Int(u))
            cursor[r] = exStart[r]
            active.append(r)
        }
        let ex = excluded, exEnd = exStart
        // The fused kernel flags against each heap's root as a tile starts (−∞ until the heap is
        // full), and a group of 16 holds a score above the root of a heap that has seen N items
        // with odds of about 16·K/N: so the first tile is short (8·K items) and each next one
        // twice as long as the last, up to the tile width, which keeps the flagged share small.
        var next = fused ? min(width, max(16, (8 * k + 15) / 16 * 16)) : width
        var t0 = 0
        while t0 < n && !active.isEmpty {
            let t1 = min(n, t0 + next), cols = t1 - t0, m = active.count
            next = min(width, 2 * next)
            if fused {
                scoreFused(t0: t0, cols: cols, order: order)
            } else {
                scoreBySgemm(t0: t0, cols: cols, order: order)
            }
            scoredPairs += m * cols
            let stride = self.stride, words = self.words, fused = self.fused
            buffer.withUnsafeBufferPointer { c in
                ex.withUnsafeBufferPointer { ex in
                    order.items.withUnsafeBufferPointer { ids in
                        (order.bias ?? []).withUnsafeBufferPointer { biasAll in
                            flags.withUnsafeBufferPointer { flags in
                                let bias = order.bias == nil ? nil : biasAll.baseAddress.map { $0 + t0 }
                                let idp = order.permuted ? ids.baseAddress! + t0 : nil
                                for (a, r) in active.enumerated() {
                                    let row = c.baseAddress! + a * stride
                                    // Offers tile positions [lo, hi): with the fused kernel, only
                                    // the groups of 16 it flagged (the others cannot enter the heap).
                                    func offer(_ lo: Int, _ hi: Int) {
                                        guard fused else {
                                            heaps[r].scan(row, bias: bias, firstItem: t0, ids: idp, lo..<hi)
                                            return
                                        }
                                        var g = lo >> 4
                                        let gEnd = (hi + 15) >> 4
                                        while g < gEnd {
                                            let word = flags[a * words + (g >> 6)] >> UInt64(g & 63)
                                            if word == 0 { g = (g | 63) + 1; continue }
                                            g += word.trailingZeroBitCount
                                            guard g < gEnd else { break }
                                            heaps[r].scan(
                                                row, bias: bias, firstItem: t0, ids: idp,
                                                max(lo, g << 4)..<min(hi, (g + 1) << 4))
                                            g += 1
                                        }
                                    }
                                    var e = cursor[r]
                                    let eEnd = exEnd[r + 1]
                                    var start = t0
                                    // Scan the gaps between this row's excluded positions inside [t0, t1).
                                    while e < eEnd, Int(ex[e]) < t1 {
                                        let x = Int(ex[e])
                                        if x >= start {
                                            if x > start { offer(start - t0, x - t0) }
                                            start = x + 1
                                        }
                                        e += 1
                                    }
                                    if start < t1 { offer(start - t0, cols) }
                                    cursor[r] = e
                                }
                            }
                        }
                    }
                }
            }
            t0 = t1
            guard t0 < n, order.permuted else { continue }
            // Rows whose K-th kept score beats every later item's bound are done; the rest move up.
            var kept = 0
            for a in 0..<m {
                let r = active[a], h = heaps[r]
                if h.count == k && Double(h.scores[0]) > order.bound(userNorm: userNorm[r], from: t0) { continue }
                active[kept] = r
                kept += 1
            }
            if kept < m {
                active.removeLast(m - kept)
                for (a, r) in active.enumerated() where a != r {
                    for c in 0..<d { userBlock[a * d + c] = f.users.values[Int(users[users.startIndex + r]) * d + c] }
                }
            }
        }
    }

    /// The tile's item rows (positions t0 ..< t0 + cols in `order`) as the fused kernel reads them:
    /// 16 items to a group, factor-major inside it, the last group padded with zeros.
    private mutating func packPanel(t0: Int, cols: Int, order: ItemNormOrder) {
        panel.withUnsafeMutableBufferPointer { p in
            f.items.values.withUnsafeBufferPointer { v in
                order.items.withUnsafeBufferPointer { ids in
                    recbench_pack_panel_avx2(
                        v.baseAddress!, order.permuted ? ids.baseAddress! + t0 : nil, t0, cols, dim, p.baseAddress!)
                }
            }
        }
    }

    /// One tile by the fused kernel: scores into `buffer`, and per active row the groups holding a
    /// score not below the row's heap root as the tile starts (every group while the heap is not
    /// full). Roots only rise during the scan, so no item outside a flagged group can enter.
    private mutating func scoreFused(t0: Int, cols: Int, order: ItemNormOrder) {
        packPanel(t0: t0, cols: cols, order: order)
        for (a, r) in active.enumerated() {
            thresholds[a] = heaps[r].count < k ? -.infinity : heaps[r].scores[0]
        }
        if let b = order.bias {
            for q in 0..<cols { tileBias[q] = b[t0 + q] }
            for q in cols..<tileBias.count { tileBias[q] = 0 }
        }
        let m = active.count, groups = (cols + 15) / 16
        userBlock.withUnsafeBufferPointer { u in
            panel.withUnsafeBufferPointer { p in
                tileBias.withUnsafeBufferPointer { b in
                    thresholds.withUnsafeBufferPointer { t in
                        buffer.withUnsafeMutableBufferPointer { c in
                            flags.withUnsafeMutableBufferPointer { fl in
                                recbench_score_tile_avx2(
                                    u.baseAddress!, m, dim, p.baseAddress!, groups,
                                    order.bias == nil ? nil : b.baseAddress!, t.baseAddress!, c.baseAddress!, stride,
                                    fl.baseAddress!, words)
                            }
                        }
                    }
                }
            }
        }
    }

    /// One tile by OpenBLAS: natural order reads the model's rows in place; by norm, the tile's
    /// rows are gathered first.
    private mutating func scoreBySgemm(t0: Int, cols: Int, order: ItemNormOrder) {
        let d = dim, m = active.count, stride = self.stride
        if order.permuted {
            panel.withUnsafeMutableBufferPointer { p in
                f.items.values.withUnsafeBufferPointer { v in
                    order.items.withUnsafeBufferPointer { ids in
                        guard d > 0, let dst = p.baseAddress, let src = v.baseAddress else { return }
                        for q in 0..<cols { (dst + q * d).update(from: src + Int(ids[t0 + q]) * d, count: d) }
                    }
                }
            }
        }
        userBlock.withUnsafeBufferPointer { a in
            (order.permuted ? panel : f.items.values).withUnsafeBufferPointer { p in
                buffer.withUnsafeMutableBufferPointer { c in
                    if d > 0 {
                        let b = order.permuted ? p.baseAddress! : p.baseAddress! + t0 * d
                        BLAS.sgemm(
                            transB: true, m: m, n: cols, k: d, a: a.baseAddress!, lda: d, b: b, ldb: d,
                            c: c.baseAddress!, ldc: stride)
                    } else {
                        for a in 0..<m { for q in 0..<cols { c[a * stride + q] = 0 } }
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

    /// Each row's union of the exclude matrices' rows, ascending (duplicates are harmless); as scan
    /// positions when the full ranking runs in `order`.
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
            if let order, order.permuted {
                excluded.withUnsafeMutableBufferPointer { order.mapSorted(.init(rebasing: $0[exStart[r]...])) }
            } else if sources > 1 {
                excluded[exStart[r]...].sort()
            }
        }
        exStart[users.count] = excluded.count
    }
}
