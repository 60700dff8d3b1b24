/// Sequence windows packed side by side into rows of `length` slots, so a transformer step spends
/// no work on padding: most histories are far shorter than max_length (Beauty: a median of 3
/// training positions against 50 slots). Each window keeps the positional indices it has when
/// left-padded alone in a row (slot L − w + t for token t of w), and its slots carry a segment
/// label (window index + 1) that `maskedSoftmax` uses to keep attention inside the window; so
/// every window's outputs are those of the unpacked layout.
struct WindowPacking {
    let length: Int
    private(set) var rows = 0
    /// Each window's first slot (row · length + offset), −1 for an empty window.
    private(set) var starts: [Int] = []
    private(set) var widths: [Int] = []
    /// Per slot: input item and target (−1 = none), positional index (−1 = empty slot), and the
    /// segment label (0 = empty slot).
    private(set) var items: [Int32] = [], targets: [Int32] = [], positions: [Int32] = [], segments: [Int32] = []

    init(length: Int) { self.length = length }

    /// Lays windows of `widths` tokens (0…length each) out by first fit in order of decreasing
    /// width, and empties every slot.
    mutating func layout(_ widths: [Int]) {
        self.widths = widths
        let order = widths.indices.sorted { widths[$0] > widths[$1] || (widths[$0] == widths[$1] && $0 < $1) }
        var free: [Int] = []
        starts = [Int](repeating: -1, count: widths.count)
        for w in order where widths[w] > 0 {
            precondition(widths[w] <= length, "WindowPacking: window of \(widths[w]) in rows of \(length)")
            var r = 0
            while r < free.count && free[r] < widths[w] { r += 1 }
            if r == free.count { free.append(length) }
            starts[w] = r * length + length - free[r]
            free[r] -= widths[w]
        }
        rows = free.count
        let n = rows * length
        items = [Int32](repeating: -1, count: n); targets = items; positions = items
        segments = [Int32](repeating: 0, count: n)
    }

    /// Copies window w's tokens from a left-padded row of `length` slots (its last widths[w]
    /// slots); `targets` nil means no targets.
    mutating func fill(_ w: Int, inputs: UnsafePointer<Int32>, targets rowTargets: UnsafePointer<Int32>?) {
        let start = starts[w], width = widths[w], pad = length - width
        guard start >= 0 else { return }
        for t in 0..<width {
            items[start + t] = inputs[pad + t]; targets[start + t] = rowTargets?[pad + t] ?? -1
            positions[start + t] = Int32(pad + t); segments[start + t] = Int32(w + 1)
        }
    }

    /// The slot of window w's last token.
    func lastSlot(_ w: Int) -> Int { starts[w] + widths[w] - 1 }
}
