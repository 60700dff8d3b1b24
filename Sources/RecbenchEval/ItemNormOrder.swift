import Foundation
import RecbenchAlgorithms
import RecbenchCore

/// The catalogue in descending order of item-factor norm (norm and bias, with biases), with what
/// an exact early stop needs:
/// by Cauchy–Schwarz no item from position t on can score above ‖u‖·max‖v‖ + max b over those
/// items, so once every kept top-K score of a user beats that bound, the user's scan is over.
/// Popular items carry the long factor vectors of ALS, so the bound falls fast: on
/// Gowalla and on the 2·10⁷ synthetic set a user's top 10 is settled within about a tenth of
/// the catalogue. The result is the same as a full scan (the bound is strict and allows for the
/// rounding of the computed scores); only the order in which items are scored changes.
///
/// Where the bound cannot cut (factors of nearly equal norms), walking in that order only costs
/// (gathering each tile's rows, ties decided by index on every candidate), so `natural` keeps
/// the catalogue's own order and never stops early; `ScoringCore.topK` picks one of the two
/// from a sample of users (`sampledShare`).
struct ItemNormOrder {
    /// Whether positions differ from item indices (false: `natural`).
    let permuted: Bool
    /// position → item (empty when not permuted).
    let items: [Int32]
    /// item → position (empty when not permuted).
    let positions: [Int32]
    /// The item biases by position (nil without biases).
    let bias: [Float]?
    /// suffixNorm[t] = the largest ‖v‖ at positions t…; suffixBias[t] likewise for the bias.
    private let suffixNorm: [Double]
    private let suffixBias: [Double]
    /// Relative slack for the sgemm's rounding: a computed d-term dot product is within
    /// (d + 2)·2⁻²⁴·‖u‖‖v‖ of the exact one; the slack is four times that.
    private let slack: Double

    /// The catalogue's own order, no early stop.
    static func natural(_ f: LatentFactors) -> ItemNormOrder { ItemNormOrder(natural: f) }

    private init(natural f: LatentFactors) {
        permuted = false; items = []; positions = []; bias = f.itemBias
        suffixNorm = []; suffixBias = []; slack = 0
    }

    /// Descending ν·‖v‖ + b for a typical user norm ν (by norm alone without biases; ties by
    /// index): any order keeps the bound valid, and this one makes the norm and bias maxima
    /// of what is left fall together for the users it is likely to meet.
    init(byNorm f: LatentFactors, typicalUserNorm nu: Double) {
        permuted = true
        let n = f.items.rows, d = f.items.columns
        let norm = (0..<n).map { Self.rowNorm(f.items, $0) }
        // NaN sorts first and makes every bound before it NaN, so such a scan never stops early.
        let key = (0..<n).map { i in
            let k = nu * norm[i] + Double(f.itemBias?[i] ?? 0)
            return k.isNaN ? Double.infinity : k
        }
        // Sorted as (key, item) pairs side by side: comparing through key[i] missed the cache on
        // every comparison once the catalogue outgrew it.
        var pairs = (0..<n).map { (key: key[$0], item: $0) }
        pairs.sort { $0.key != $1.key ? $0.key > $1.key : $0.item < $1.item }
        let order = pairs.map(\.item)
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
        guard permuted else { return .infinity }
        guard t < items.count else { return -.infinity }
        let dot = userNorm * suffixNorm[t]
        let a = dot + dot * slack + suffixBias[t]
        // The float addition of the bias and the sum's own rounding.
        return a + Swift.abs(a) * 0x1p-20 + Swift.abs(suffixBias[t]) * 0x1p-22
    }

    /// ‖row r of m‖, accumulated in Double.
    static func rowNorm(_ m: DenseMatrix, _ r: Int) -> Double {
        m.values.withUnsafeBufferPointer { v in
            var s = 0.0
            for c in 0..<m.columns { let x = Double(v[r * m.columns + c]); s += x * x }
            return s.squareRoot()
        }
    }

    /// The median factor norm of up to 255 users spread over `users` (1 when there are none).
    static func typicalNorm(_ f: LatentFactors, users: [Int32]) -> Double {
        let count = min(255, users.count)
        guard count > 0 else { return 1 }
        let norms = (0..<count).map { r in rowNorm(f.users, Int(users[r * users.count / count])) }
        let m = norms.sorted()[count / 2]
        return m.isFinite ? m : 1
    }

    /// The first position from which no item can beat `threshold` for a user of norm `userNorm`
    /// (the bound only falls along the order), `items.count` when none; 0 ≤ result ≤ n.
    func settled(userNorm: Double, threshold: Float) -> Int {
        var lo = 0, hi = items.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Double(threshold) > bound(userNorm: userNorm, from: mid) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// Each of `row`'s items replaced by its position, ascending.
    func mapSorted(_ slots: UnsafeMutableBufferPointer<Int32>) {
        var row = slots
        for j in row.indices { row[j] = positions[Int(row[j])] }
        row.sort()
    }
}
