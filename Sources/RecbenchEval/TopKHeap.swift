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

    /// Offers the items firstItem + j for j in range, scored tile[j] (+ bias[j] when given), so a
    /// tile of a larger row is scanned in place. Items must ascend across calls (see `offer`).
    /// Once the heap is full the inner loop keeps the root's score in a register: one comparison
    /// per item rejects everything that cannot enter. NaN scores fail `>` and so never enter a
    /// full heap whose root is a number, which is exactly "NaN ranks last".
    @inline(__always)
    mutating func scan(_ tile: UnsafePointer<Float>, bias: UnsafePointer<Float>?, firstItem: Int, _ range: Range<Int>) {
        guard k > 0 else { return }
        var j = range.lowerBound
        let end = range.upperBound
        @inline(__always) func score(_ j: Int) -> Float { bias.map { tile[j] + $0[j] } ?? tile[j] }
        while j < end {
            if items.count < k || rootIsNaN {
                offer(score(j), Int32(firstItem + j)); j += 1
                continue
            }
            var threshold = self.scores[0]
            // Eight scores per step: one vector compare rejects the common case; a hit falls back
            // to the scalar offer for those eight, in index order (so ties still go to the lower index).
            var limit = SIMD8<Float>(repeating: threshold)
            while j + 8 <= end {
                var v = UnsafeRawPointer(tile + j).loadUnaligned(as: SIMD8<Float>.self)
                if let bias { v += UnsafeRawPointer(bias + j).loadUnaligned(as: SIMD8<Float>.self) }
                if any(v .> limit) {
                    for q in 0..<8 where v[q] > threshold {
                        self.scores[0] = v[q]; items[0] = Int32(firstItem + j + q)
                        siftDown(0)
                        threshold = self.scores[0]
                    }
                    limit = SIMD8<Float>(repeating: threshold)
                }
                j += 8
            }
            while j < end {
                let s = score(j)
                if s > threshold {
                    self.scores[0] = s; items[0] = Int32(firstItem + j)
                    siftDown(0)
                    threshold = self.scores[0]
                }
                j += 1
            }
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
