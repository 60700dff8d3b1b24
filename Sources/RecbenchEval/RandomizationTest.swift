import RecbenchCore
import RecbenchGSL

extension Statistics {
    public struct RandomizationResult: Sendable, Equatable {
        /// Pairs, and the non-zero differences among them (zeros are the same under every sign flip).
        public var n: Int
        public var nonZero: Int
        public var meanDifference: Double
        /// True when every sign pattern of the non-zero differences was enumerated.
        public var exact: Bool
        /// Sign patterns drawn (Monte Carlo) or enumerated (exact: 2^nonZero); 0 when the normal
        /// approximation was used (`randomizationWorkLimit`).
        public var permutations: Int
        /// Patterns whose |sum| reached the observed |sum|.
        public var exceedances: Int
        /// Two-sided: (b + 1) / (B + 1) for Monte Carlo, b / 2^m when exact.
        public var p: Double
    }

    /// Monte Carlo sign patterns drawn unless the caller asks otherwise (p resolution ≈ 1e-4).
    public static let randomizationPermutations = 10_000
    /// Up to this many non-zero differences every one of the 2^m sign patterns is enumerated.
    public static let randomizationExactLimit = 20
    /// Above this many sign flips (non-zero differences × patterns) the null distribution of Σ ±dᵢ
    /// is taken as the normal one it converges to, N(0, Σdᵢ²): 10⁴ patterns over 10⁶ users would be
    /// 10¹⁰ flips, and at that m the normal tail is closer to the exact p than the Monte Carlo
    /// estimate's own resolution of 1 / (B + 1).
    public static let randomizationWorkLimit = 100_000_000

    /// Paired randomization (sign-flip permutation) test of `a - b`, two-sided, statistic the mean
    /// difference. Under H0 each difference is as likely to have either sign, so the null
    /// distribution is that of Σ ±dᵢ. Exact for at most `exactLimit` non-zero differences, else
    /// `permutations` seeded Monte Carlo patterns with the +1 correction, which keeps the test valid
    /// (its p is never below 1 / (B + 1)).
    public static func pairedRandomizationTest(
        _ a: [Double], _ b: [Double],
        permutations: Int = randomizationPermutations, seed: UInt64,
        exactLimit: Int = randomizationExactLimit
    ) -> RandomizationResult {
        precondition(a.count == b.count, "paired samples differ in length")
        return randomizationTest(
            differences: zip(a, b).map { $0 - $1 }, permutations: permutations, seed: seed,
            exactLimit: exactLimit)
    }

    /// The same test on the differences themselves. NaN differences are dropped.
    public static func randomizationTest(
        differences: [Double], permutations: Int = randomizationPermutations,
        seed: UInt64,
        exactLimit: Int = randomizationExactLimit
    ) -> RandomizationResult {
        precondition(permutations >= 1, "at least one permutation")
        let finite = differences.filter { !$0.isNaN }
        let d = finite.filter { $0 != 0 }
        let m = d.count
        let observed = d.reduce(0, +)
        let mean = finite.isEmpty ? Double.nan : observed / Double(finite.count)
        guard m > 0 else {
            return RandomizationResult(
                n: finite.count, nonZero: 0, meanDifference: mean, exact: true, permutations: 1,
                exceedances: 1, p: 1)
        }
        // Sums of the same terms in another order differ by rounding only: a pattern whose |sum| is
        // within this slack of the observed one counts as reaching it (SciPy does the same).
        let slack = 1e-12 * d.reduce(0) { $0 + abs($1) }
        let threshold = abs(observed) - slack
        if m <= exactLimit {
            let b = exactExceedances(d, threshold: threshold)
            let total = 1 << m
            return RandomizationResult(
                n: finite.count, nonZero: m, meanDifference: mean, exact: true,
                permutations: total, exceedances: b, p: Double(b) / Double(total))
        }
        if Double(m) * Double(permutations) > Double(randomizationWorkLimit) {
            let z = abs(observed) / d.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return RandomizationResult(
                n: finite.count, nonZero: m, meanDifference: mean, exact: false, permutations: 0, exceedances: 0,
                p: min(1, 2 * GSL.normalUpper(z)))
        }
        var rng = RandomSource(seed: seed, stream: "randomization")
        let b =
            threshold <= 0
            ? permutations
            : monteCarloExceedances(d, threshold: threshold, permutations: permutations, rng: &rng)
        return RandomizationResult(
            n: finite.count, nonZero: m, meanDifference: mean, exact: false,
            permutations: permutations, exceedances: b,
            p: Double(b + 1) / Double(permutations + 1))
    }

    /// Every sign pattern, met in the middle: all signed sums of each half, the right half sorted,
    /// then for each left sum the right sums that push |left + right| to the threshold are counted
    /// by binary search. 2 · 2^(m/2) sums instead of 2^m.
    static func exactExceedances(_ d: [Double], threshold: Double) -> Int {
        let total = 1 << d.count
        guard threshold > 0 else { return total }
        func signedSums(_ part: ArraySlice<Double>) -> [Double] {
            var sums = [0.0]
            for x in part { sums = sums.map { $0 + x } + sums.map { $0 - x } }
            return sums
        }
        let h = d.count / 2
        let left = signedSums(d[..<h]), right = signedSums(d[h...]).sorted()
        // First index whose value is ≥ v / > v.
        func lowerBound(_ v: Double) -> Int {
            var lo = 0, hi = right.count
            while lo < hi { let mid = (lo + hi) / 2; if right[mid] < v { lo = mid + 1 } else { hi = mid } }
            return lo
        }
        func upperBound(_ v: Double) -> Int {
            var lo = 0, hi = right.count
            while lo < hi { let mid = (lo + hi) / 2; if right[mid] <= v { lo = mid + 1 } else { hi = mid } }
            return lo
        }
        var count = 0
        for l in left {
            count += right.count - lowerBound(threshold - l)  // l + r ≥ threshold
            count += upperBound(-threshold - l)  // l + r ≤ −threshold (disjoint: threshold > 0)
        }
        return count
    }

    /// B random sign patterns, 64 random bits per 64 differences. The differences are taken in
    /// groups of four and each group's 16 signed sums are tabulated once, so a pattern costs one
    /// table look-up per four differences (a nibble of random bits picks the entry); four partial
    /// sums break the addition chain. The table (32 bytes per difference) stays in cache up to
    /// tens of thousands of pairs.
    static func monteCarloExceedances(
        _ d: [Double], threshold: Double, permutations: Int,
        rng: inout RandomSource
    ) -> Int {
        let m = d.count
        let groups = (m + 3) / 4
        var table = [Double](repeating: 0, count: groups * 16)
        for g in 0..<groups {
            for mask in 0..<16 {
                var s = 0.0
                for k in 0..<4 where g * 4 + k < m { s += (mask >> k) & 1 == 1 ? -d[g * 4 + k] : d[g * 4 + k] }
                table[g * 16 + mask] = s
            }
        }
        var count = 0
        table.withUnsafeBufferPointer { t in
            for _ in 0..<permutations {
                var a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
                var g = 0
                while g < groups {
                    var bits = rng.next()  // 16 nibbles: signs for the next 16 groups
                    let end = min(g + 16, groups)
                    while g + 4 <= end {
                        a0 += t[g &* 16 &+ Int(bits & 15)]
                        a1 += t[(g &+ 1) &* 16 &+ Int((bits >> 4) & 15)]
                        a2 += t[(g &+ 2) &* 16 &+ Int((bits >> 8) & 15)]
                        a3 += t[(g &+ 3) &* 16 &+ Int((bits >> 12) & 15)]
                        bits >>= 16
                        g += 4
                    }
                    while g < end {
                        a0 += t[g &* 16 &+ Int(bits & 15)]
                        bits >>= 4
                        g += 1
                    }
                }
                if abs((a0 + a1) + (a2 + a3)) >= threshold { count += 1 }
            }
        }
        return count
    }
}
