import Foundation

/// An axis of the report's charts: a range that covers the data and ticks at "nice" values, steps of
/// 1, 2 or 5 × 10^k (linear) or 1-2-5 multiples of powers of ten (log), labelled with as many
/// decimals as the step needs. `labelled` thins the labels so that none overlaps its neighbour.
struct ChartAxis {
    let low: Double, high: Double
    let ticks: [Double]
    let isLog: Bool
    /// The linear step (0 for a log axis), which decides the labels' decimals.
    let step: Double

    /// About `target` ticks over [lo, hi] (lo == hi gets a unit range around it).
    static func linear(_ lo: Double, _ hi: Double, target: Int = 5) -> ChartAxis {
        var lo = lo, hi = hi
        if !(hi > lo) { let c = lo, half = 0.5 * max(abs(c), 1); lo = c - half; hi = c + half }
        let step = niceStep((hi - lo) / Double(max(1, target)))
        let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
        let ticks = stride(from: first, through: last, by: 1).map { i -> Double in
            let v = i * step
            return abs(v) < step * 1e-9 ? 0 : v
        }
        return ChartAxis(low: first * step, high: last * step, ticks: ticks, isLog: false, step: step)
    }

    /// Log axis over [lo, hi] (both > 0): whole decades, with 2 and 5 between them while it spans at most two.
    static func log(_ lo: Double, _ hi: Double) -> ChartAxis {
        let d0 = log10(lo).rounded(.down), d1 = max(log10(hi).rounded(.up), d0 + 1)
        let decades = Int(d1 - d0)
        var ticks = [Double]()
        let every = max(1, (decades + 7) / 8)
        for d in Swift.stride(from: Int(d0), through: Int(d1), by: 1) {
            let p = pow(10, Double(d))
            if (d - Int(d0)) % every == 0 { ticks.append(p) }
            if decades <= 2 && d < Int(d1) { ticks += [2 * p, 5 * p] }
        }
        return ChartAxis(low: pow(10, d0), high: pow(10, d1), ticks: ticks.sorted(), isLog: true, step: 0)
    }

    /// 1, 2 or 5 × 10^k, the smallest at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, log10(raw).rounded(.down))
        let n = raw / magnitude
        return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * magnitude
    }

    /// Whether `v` is 1, 2 or 5 times a power of ten: what every linear step and every log tick is.
    static func isOneTwoFive(_ v: Double) -> Bool {
        guard v > 0, v.isFinite else { return false }
        let m = v / pow(10, log10(v).rounded(.down))
        return [1.0, 2, 5, 10].contains { abs(m - $0) < 1e-6 }
    }

    /// Position of `v` in 0…1 along the axis.
    func fraction(_ v: Double) -> Double {
        isLog ? (log10(v) - log10(low)) / (log10(high) - log10(low)) : (v - low) / (high - low)
    }

    func label(_ v: Double) -> String {
        if isLog {
            return v >= 1e5 || v < 1e-3 ? String(format: "%.0e", v) : String(format: "%g", v)
        }
        let decimals = max(0, Int(-log10(step).rounded(.down)))
        return String(format: "%.\(decimals)f", v)
    }

    /// Estimated width of a label in the report's 12 px font.
    static func textWidth(_ s: String) -> Double { 7 * Double(s.count) }

    /// The ticks whose labels are drawn: every n-th, with the smallest n at which labels centred at
    /// `position(tick)` keep at least 6 px apart.
    func labelled(_ position: (Double) -> Double) -> [Double] {
        for every in 1...max(1, ticks.count) {
            let kept = ticks.enumerated().filter { $0.offset % every == 0 }.map(\.element)
            let fits = zip(kept, kept.dropFirst()).allSatisfy { a, b in
                position(b) - position(a) >= (Self.textWidth(label(a)) + Self.textWidth(label(b))) / 2 + 6
            }
            if fits { return kept }
        }
        return ticks.first.map { [$0] } ?? []
    }
}
