import RecbenchCore
internal import CIntrinsics

/// A bounded heap keeping the K best (score, item) pairs seen so far. "Better" means a higher
/// score, then a lower item index; NaN is worse than every number (NaNs among themselves by index).
/// The root is the worst kept pair, so a new pair is compared against one value in the common case.
struct TopKHeap {
    let k: Int
    private(set) var scores: [Float]
    private(set) var items: [Int32]

    init(k: Int) {
        self.k = k
        scores = []; items = []
        scores.reserveCapacity(k); items.reserveCapacity(k)
    }

    var count: Int { items.count }

    mutating func removeAll() { scores.removeAll(keepingCapacity: true); items.removeAll(keepingCapacity: true) }

    @inline(__always)
    static func better(_ s1: Float, _ i1: Int32, _ s2: Float, _ i2: Int32) -> Bool {
        if s1.isNaN { return s2.isNaN && i1 < i2 }
        if s2.isNaN { return true }
        if s1 != s2 { return s1 > s2 }
        return i1 < i2
    }

    /// Offers a pair. Items must be offered in ascending index order: then an item tying the
    /// root's score is never better than it, so the fast rejection is a single comparison.
    @inline(__always)
    mutating func offer(_ s: Float, _ item: Int32) {
        if items.count < k {
            scores.append(s); items.append(item)
            siftUp(items.count - 1)
            return
        }
        guard k > 0 else { return }
        let root = scores[0]
        let wins = root.isNaN ? !s.isNaN : s > root
        if wins {
            scores[0] = s; items[0] = item
            siftDown(0)
        }
    }

    /// Offers scores[range] (indices ascending, all above any item offered before). Once the heap
    /// is full and its root is a number, the loop is one comparison per item against a local
    /// threshold: the common case of a full-catalogue scan.
    @inline(__always)
    mutating func scan(_ scores: UnsafeBufferPointer<Float>, _ range: Range<Int>) {
        guard let base = scores.baseAddress else { return }
        scan(base, bias: nil, firstItem: 0, range)
    }

    /// Offers, for j in range, the item firstItem + j (or ids[j] when given) scored tile[j]
    /// (+ bias[j]), so a tile of a larger row is scanned in place. Without `ids` items must
    /// ascend across calls (see `offer`); with `ids` they may come in any order.
    ///
    /// Once the heap is full with a number at its root, every kept score is a number (NaN is the
    /// worst, so it would be the root), and the scan is a search for the next score above the
    /// root's (`recbench_first_above`: 32 scores per compare-and-branch on AVX2) followed by one
    /// replacement. NaN never compares above, which is exactly "NaN ranks last". In ascending
    /// order a score tying the root belongs to a later item and never enters; with `ids` the
    /// search stops at ties too and the full comparison decides by item index.
    @inline(__always)
    mutating func scan(
        _ tile: UnsafePointer<Float>, bias: UnsafePointer<Float>?, firstItem: Int, ids: UnsafePointer<Int32>? = nil,
        _ range: Range<Int>
    ) {
        guard k > 0 else { return }
        var j = range.lowerBound
        let end = range.upperBound
        @inline(__always) func score(_ j: Int) -> Float { bias.map { tile[j] + $0[j] } ?? tile[j] }
        @inline(__always) func item(_ j: Int) -> Int32 { ids.map { $0[j] } ?? Int32(firstItem + j) }
        // An unordered scan under a root of −∞ cannot lower its threshold below the root.
        @inline(__always) func general() -> Bool {
            items.count < self.k || rootIsNaN || (ids != nil && scores[0] == -.infinity)
        }
        while j < end && general() {
            offerUnordered(score(j), item(j)); j += 1
        }
        guard j < end else { return }
        let kept = self.k
        scores.withUnsafeMutableBufferPointer { sp in
            items.withUnsafeMutableBufferPointer { ip in
                @inline(__always) func limit() -> Float { ids == nil ? sp[0] : sp[0].nextDown }
                var threshold = limit()
                while j < end {
                    j += TopKHeap.firstAbove(tile + j, bias.map { $0 + j }, end - j, threshold)
                    if j >= end { break }
                    let s = score(j), i = item(j)
                    if ids == nil || TopKHeap.better(s, i, sp[0], ip[0]) {
                        sp[0] = s; ip[0] = i
                        TopKHeap.siftDownNumbers(sp, ip, kept)
                        threshold = limit()
                    }
                    j += 1
                }
            }
        }
    }

    private static let vectorScan = CPUFeatures.avx2FMA

    @inline(__always)
    private static func firstAbove(_ x: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, _ n: Int, _ t: Float)
        -> Int
    {
        vectorScan ? recbench_first_above_avx2(x, bias, n, t) : recbench_first_above_portable(x, bias, n, t)
    }

    /// `siftDown` from the root for a heap of numbers only (no NaN tests, no bounds checks).
    @inline(__always)
    private static func siftDownNumbers(
        _ s: UnsafeMutableBufferPointer<Float>, _ it: UnsafeMutableBufferPointer<Int32>, _ n: Int
    ) {
        @inline(__always) func worse(_ a: Int, _ b: Int) -> Bool { s[a] < s[b] || (s[a] == s[b] && it[a] > it[b]) }
        var p = 0
        while true {
            let l = 2 * p + 1, r = l + 1
            var w = p
            if l < n && worse(l, w) { w = l }
            if r < n && worse(r, w) { w = r }
            if w == p { return }
            s.swapAt(p, w); it.swapAt(p, w)
            p = w
        }
    }

    private var rootIsNaN: Bool { !scores.isEmpty && scores[0].isNaN }

    /// Pairs offered in arbitrary order (the general comparison).
    mutating func offerUnordered(_ s: Float, _ item: Int32) {
        if items.count < k { scores.append(s); items.append(item); siftUp(items.count - 1); return }
        guard k > 0, TopKHeap.better(s, item, scores[0], items[0]) else { return }
        scores[0] = s; items[0] = item
        siftDown(0)
    }

    // Min-heap on "better": the parent is worse than (or equal to) its children.
    private mutating func siftUp(_ start: Int) {
        var c = start
        while c > 0 {
            let p = (c - 1) / 2
            guard TopKHeap.better(scores[p], items[p], scores[c], items[c]) else { break }
            scores.swapAt(p, c); items.swapAt(p, c)
            c = p
        }
    }

    private mutating func siftDown(_ start: Int) {
        var p = start
        let n = items.count
        while true {
            let l = 2 * p + 1, r = l + 1
            var worst = p
            if l < n, TopKHeap.better(scores[worst], items[worst], scores[l], items[l]) { worst = l }
            if r < n, TopKHeap.better(scores[worst], items[worst], scores[r], items[r]) { worst = r }
            if worst == p { return }
            scores.swapAt(p, worst); items.swapAt(p, worst)
            p = worst
        }
    }

    /// The kept pairs best first.
    func sorted() -> [(score: Float, item: Int32)] {
        zip(scores, items).map { (score: $0.0, item: $0.1) }
            .sorted { TopKHeap.better($0.score, $0.item, $1.score, $1.item) }
    }
}
