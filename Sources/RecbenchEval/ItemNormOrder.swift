import Foundation
import RecbenchAlgorithms

/// The catalogue in descending order of item-factor norm, with what an exact early stop needs:
/// by Cauchy–Schwarz no item from position t on can score above ‖u‖·max‖v‖ + max b over those
/// items, so once every kept top-K score of a user beats that bound, the user's scan is over.
/// Popular items carry the long factor vectors of ALS and BPR, so the bound falls fast: on
/// Gowalla and on the 2·10⁷ synthetic set a user's top 10 is settled within about a tenth of
/// the catalogue. The result is the same as a full scan (the bound is strict and allows for the
/// rounding of the computed scores); only the order in which items are scored changes.
struct ItemNormOrder {
    /// position → item.
    let items: [Int32]
    /// item → position.
    let positions: [Int32]
    /// The item biases by position (nil without biases).
    let bias: [Float]?
    /// suffixNorm[t] = the largest ‖v‖ at positions t…; suffixBias[t] likewise for the bias.
    private let suffixNorm: [Double]
    private let suffixBias: [Double]
    /// Relative slack for the sgemm's rounding: a computed d-term dot product is within
    /// (d + 2)·2⁻²⁴·‖u‖‖v‖ of the exact one; the slack is four times that.
    private let slack: Double

    init(_ f: LatentFactors) {
        let n = f.items.rows, d = f.items.columns
        var norm = [Double](repeating: 0, count: n)
        f.items.values.withUnsafeBufferPointer { v in
            for i in 0..<n {
                var s = 0.0
                for c in 0..<d { let x = Double(v[i * d + c]); s += x * x }
                norm[i] = s.squareRoot()
            }
        }
        // NaN sorts first and makes every bound before it NaN, so such a scan never stops early.
        let key = norm.map { $0.isNaN ? Double.infinity : $0 }
        let order = (0..<n).sorted { key[$0] != key[$1] ? key[$0] > key[$1] : $0 < $1 }
        items = order.map { Int32($0) }
        var pos = [Int32](repeating: 0, count: n)
        for (p, i) in order.enumerated() { pos[i] = Int32(p) }
        positions = pos
        bias = f.itemBias.map { b in order.map { b[$0] } }
        var sn = [Double](repeating: 0, count: n + 1), sb = [Double](repeating: -.infinity, count: n + 1)
        for p in stride(from: n - 1, through: 0, by: -1) {
            sn[p] = Swift.max(norm[order[p]], sn[p + 1])
            if norm[order[p]].isNaN { sn[p] = .nan }
            let b = Double(f.itemBias?[order[p]] ?? 0)
            sb[p] = b.isNaN || sb[p + 1].isNaN ? .nan : Swift.max(b, sb[p + 1])
        }
        suffixNorm = sn; suffixBias = sb
        slack = 4 * Double(d + 2) * 0x1p-24
    }

    /// An upper bound on every computed score of a user with factor norm `userNorm` at positions
    /// `from`…; NaN (never below a threshold) when a norm or bias is not a number.
    func bound(userNorm: Double, from t: Int) -> Double {
        guard t < items.count else { return -.infinity }
        let dot = userNorm * suffixNorm[t]
        let a = dot + dot * slack + suffixBias[t]
        // The float addition of the bias and the sum's own rounding.
        return a + Swift.abs(a) * 0x1p-20 + Swift.abs(suffixBias[t]) * 0x1p-22
    }

    /// Each of `row`'s items replaced by its position, ascending.
    func mapSorted(_ slots: UnsafeMutableBufferPointer<Int32>) {
        var row = slots
        for j in row.indices { row[j] = positions[Int(row[j])] }
        row.sort()
    }
}
