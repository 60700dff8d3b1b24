import RecbenchCore
import RecbenchGSL

/// Paired significance tests, bootstrap intervals and effect sizes over per-user (or per-fold)
/// metric values. Pure functions; the distribution functions come from GSL. The randomization
/// test, multiple-testing corrections and the noncentral t live in their own files.
public enum Statistics {
    public struct TTestResult: Sendable, Equatable {
        public var n: Int
        public var meanDifference: Double
        public var t: Double
        public var degreesOfFreedom: Double
        /// Two-sided.
        public var p: Double
    }

    /// Paired t-test of `a - b` against zero, two-sided. Identical samples give t = 0, p = 1;
    /// a constant non-zero difference gives p = 0 (the variance is zero).
    public static func pairedTTest(_ a: [Double], _ b: [Double]) -> TTestResult {
        precondition(a.count == b.count, "paired samples differ in length")
        let d = zip(a, b).map { $0 - $1 }
        let n = d.count
        guard n >= 2 else {
            return TTestResult(n: n, meanDifference: d.first ?? .nan, t: .nan, degreesOfFreedom: .nan, p: .nan)
        }
        let m = mean(d), s = standardDeviation(d, mean: m)
        let dof = Double(n - 1)
        if s == 0 {
            return TTestResult(
                n: n, meanDifference: m, t: m == 0 ? 0 : (m > 0 ? .infinity : -.infinity), degreesOfFreedom: dof,
                p: m == 0 ? 1 : 0)
        }
        let t = m / (s / Double(n).squareRoot())
        return TTestResult(
            n: n, meanDifference: m, t: t, degreesOfFreedom: dof, p: min(1, 2 * GSL.tUpper(abs(t), dof: dof)))
    }

    public struct WilcoxonResult: Sendable, Equatable {
        /// Non-zero differences used (zeros are dropped, Wilcoxon's original convention).
        public var n: Int
        /// Sum of the ranks of the positive differences.
        public var wPlus: Double
        /// Normal-approximation z (with continuity correction); nil for the exact test.
        public var z: Double?
        public var exact: Bool
        /// Two-sided.
        public var p: Double
    }

    /// Largest n for which the exact null distribution is used (when |differences| have no ties).
    public static let wilcoxonExactLimit = 25

    /// Wilcoxon signed-rank test of `a - b`, two-sided. Zero differences are dropped. Exact null
    /// distribution of W+ for n ≤ 25 without tied |differences|; otherwise the normal approximation
    /// with the tie correction of the variance and a continuity correction of ½.
    public static func wilcoxonSignedRank(_ a: [Double], _ b: [Double]) -> WilcoxonResult {
        precondition(a.count == b.count, "paired samples differ in length")
        let d = zip(a, b).map { $0 - $1 }.filter { $0 != 0 && !$0.isNaN }
        let n = d.count
        guard n > 0 else { return WilcoxonResult(n: 0, wPlus: 0, z: nil, exact: true, p: 1) }
        // Mid-ranks of |d|; tie groups feed the variance correction.
        let order = d.indices.sorted { abs(d[$0]) < abs(d[$1]) }
        var ranks = [Double](repeating: 0, count: n)
        var tieTerm = 0.0
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n, abs(d[order[j + 1]]) == abs(d[order[i]]) { j += 1 }
            let mid = Double(i + j + 2) / 2
            for k in i...j { ranks[order[k]] = mid }
            let t = Double(j - i + 1)
            tieTerm += t * t * t - t
            i = j + 1
        }
        let wPlus = zip(d, ranks).reduce(0.0) { $0 + ($1.0 > 0 ? $1.1 : 0) }
        let nn = Double(n)
        if n <= wilcoxonExactLimit && tieTerm == 0 {
            // Counts of subsets of {1…n} by sum: each of the 2^n sign patterns is equally likely under H0.
            let maxSum = n * (n + 1) / 2
            var counts = [Double](repeating: 0, count: maxSum + 1)
            counts[0] = 1
            for r in 1...n { for s in stride(from: maxSum, through: r, by: -1) { counts[s] += counts[s - r] } }
            let total = counts.reduce(0, +)
            let w = Int(wPlus.rounded())
            let lower = counts[0...w].reduce(0, +) / total
            let upper = counts[w...].reduce(0, +) / total
            return WilcoxonResult(n: n, wPlus: wPlus, z: nil, exact: true, p: min(1, 2 * min(lower, upper)))
        }
        let expected = nn * (nn + 1) / 4
        let variance = nn * (nn + 1) * (2 * nn + 1) / 24 - tieTerm / 48
        guard variance > 0 else { return WilcoxonResult(n: n, wPlus: wPlus, z: 0, exact: false, p: 1) }
        var diff = wPlus - expected
        diff -= diff > 0 ? 0.5 : (diff < 0 ? -0.5 : 0)
        let z = diff / variance.squareRoot()
        return WilcoxonResult(n: n, wPlus: wPlus, z: z, exact: false, p: min(1, 2 * GSL.normalUpper(abs(z))))
    }

    /// Percentile bootstrap interval for the mean of `a - b` (pairs resampled with replacement),
    /// seeded so the same inputs give the same interval.
    public static func bootstrapMeanDifferenceCI(
        _ a: [Double], _ b: [Double], level: Double = 0.95,
        resamples: Int = 2000, seed: UInt64
    ) -> (low: Double, high: Double) {
        precondition(a.count == b.count, "paired samples differ in length")
        let d = zip(a, b).map { $0 - $1 }
        return bootstrapMeanCI(d, level: level, resamples: resamples, seed: seed)
    }

    /// Above this many resampled values (n × resamples) `bootstrapMeanCI` gives the normal interval
    /// mean ± z·s/√n, which the bootstrap distribution of a mean converges to: a thousand resamples
    /// of 10⁶ users are 10⁹ random reads for an interval that differs from the normal one by less
    /// than its own Monte Carlo error.
    public static let bootstrapWorkLimit = 100_000_000

    /// Percentile bootstrap interval for the mean of `x`. Each 64-bit draw gives two resampling
    /// indices (Lemire's multiply-shift on each 32-bit half, with rejection, so unbiased): the
    /// generator is the cost of a resample.
    public static func bootstrapMeanCI(_ x: [Double], level: Double = 0.95, resamples: Int = 2000, seed: UInt64) -> (
        low: Double, high: Double
    ) {
        let n = x.count
        guard n > 0 else { return (.nan, .nan) }
        if Double(n) * Double(resamples) > Double(bootstrapWorkLimit) {
            let m = mean(x),
                half =
                    GSL.normalQuantile(0.5 + level / 2) * standardDeviation(x, mean: m)
                    / Double(n).squareRoot()
            return (m - half, m + half)
        }
        precondition(n < 1 << 32, "bootstrap of 2^32 values or more")
        var rng = RandomSource(seed: seed, stream: "bootstrap")
        var means = [Double](repeating: 0, count: resamples)
        let b = UInt64(n)
        // Products whose low half falls below this would over-represent some indices: drawn again.
        let reject = UInt32(truncatingIfNeeded: ((1 << 32) - b) % b)
        x.withUnsafeBufferPointer { xs in
            for r in 0..<resamples {
                var s = 0.0, k = 0
                while k < n {
                    let w = rng.next()
                    var m = (w & 0xFFFF_FFFF) &* b
                    while UInt32(truncatingIfNeeded: m) < reject { m = (rng.next() & 0xFFFF_FFFF) &* b }
                    s += xs[Int(m >> 32)]
                    if k + 1 < n {
                        var m2 = (w >> 32) &* b
                        while UInt32(truncatingIfNeeded: m2) < reject { m2 = (rng.next() >> 32) &* b }
                        s += xs[Int(m2 >> 32)]
                    }
                    k += 2
                }
                means[r] = s / Double(n)
            }
        }
        means.sort()
        let alpha = (1 - level) / 2
        return (quantile(sorted: means, alpha), quantile(sorted: means, 1 - alpha))
    }

    /// Cohen's d for paired samples (d_z): mean difference over the standard deviation of the differences.
    public static func cohensDPaired(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "paired samples differ in length")
        let d = zip(a, b).map { $0 - $1 }
        guard d.count >= 2 else { return .nan }
        let m = mean(d), s = standardDeviation(d, mean: m)
        return s == 0 ? (m == 0 ? 0 : .nan) : m / s
    }

    public static func mean(_ x: [Double]) -> Double { x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count) }

    /// Sample standard deviation (n − 1).
    public static func standardDeviation(_ x: [Double], mean m: Double? = nil) -> Double {
        guard x.count >= 2 else { return .nan }
        let m = m ?? mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
    }

    /// Linear interpolation between order statistics (type 7, the R/NumPy default).
    static func quantile(sorted x: [Double], _ q: Double) -> Double {
        let h = q * Double(x.count - 1)
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, x.count - 1)
        return x[lo] + (h - Double(lo)) * (x[hi] - x[lo])
    }
}
