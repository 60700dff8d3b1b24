import Foundation
import RecbenchGSL

/// Power of the two-sided paired t-test (equivalently the one-sample t-test on the differences):
/// with n pairs, true mean difference Δ and standard deviation σ of the differences, the statistic
/// follows a noncentral t with ν = n − 1 and δ = √n · Δ / σ, and
///   power = P(T > c) + P(T < −c),  c = t_{1 − α/2, ν}.
/// Both tails, as statsmodels' TTestPower and R's power.t.test(strict = TRUE); R's default
/// (strict = FALSE) drops the lower tail, which differs by less than 1e-6 once power ≥ 0.5.
/// The minimum detectable effect and the pairs needed solve this for Δ or n (n continuous, as in R).
public enum Power {
    public static let defaultAlpha = 0.05
    public static let defaultPower = 0.8

    /// Power for n pairs (n may be fractional while solving; n ≥ 2).
    public static func pairedT(n: Double, delta: Double, sd: Double, alpha: Double = defaultAlpha) -> Double {
        guard n >= 2, sd > 0, alpha > 0, alpha < 1 else { return .nan }
        let nu = n - 1
        let c = GSL.tQuantile(1 - alpha / 2, dof: nu)
        let nc = n.squareRoot() * delta / sd
        let upper = 1 - Statistics.noncentralTCDF(c, dof: nu, noncentrality: nc)
        let lower = Statistics.noncentralTCDF(-c, dof: nu, noncentrality: nc)
        return min(1, max(0, upper + lower))
    }

    /// The smallest |Δ| the test detects with probability `power` at level `alpha` with n pairs
    /// whose differences have standard deviation `sd`. NaN when n < 2 or sd is not positive.
    public static func minimumDetectableEffect(
        n: Int, sd: Double, alpha: Double = defaultAlpha,
        power: Double = defaultPower
    ) -> Double {
        guard n >= 2, sd > 0, sd.isFinite, power > alpha, power < 1 else { return .nan }
        // Power rises with δ; solve in δ = √n Δ / σ (about 2.8 at the defaults, whatever n is).
        let root = Double(n).squareRoot()
        let f: (Double) -> Double = { pairedT(n: Double(n), delta: $0 / root, sd: 1, alpha: alpha) - power }
        var hi = 8.0
        while f(hi) < 0 && hi < 1e4 { hi *= 2 }
        let delta = bisect(lo: 0, hi: hi, f)
        return delta * sd / root
    }

    /// Pairs needed (continuous; round up for a count) to detect a mean difference |delta| with
    /// probability `power`. NaN when delta is 0 or sd is not positive.
    public static func requiredPairs(
        delta: Double, sd: Double, alpha: Double = defaultAlpha,
        power: Double = defaultPower
    ) -> Double {
        guard delta != 0, delta.isFinite, sd > 0, sd.isFinite, power > alpha, power < 1 else { return .nan }
        if pairedT(n: 2, delta: delta, sd: sd, alpha: alpha) >= power { return 2 }
        var hi = 4.0
        while pairedT(n: hi, delta: delta, sd: sd, alpha: alpha) < power {
            hi *= 2
            if hi > 1e12 { return .infinity }
        }
        // Bisection in log n: the answer may be anywhere from a few to billions of pairs.
        let logN = bisect(lo: log(2), hi: log(hi)) { pairedT(n: exp($0), delta: delta, sd: sd, alpha: alpha) - power }
        return exp(logN)
    }

    /// Root of an increasing function on [lo, hi] to relative precision 1e-12.
    static func bisect(lo: Double, hi: Double, _ f: (Double) -> Double) -> Double {
        var lo = lo, hi = hi
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if f(mid) < 0 { lo = mid } else { hi = mid }
            if hi - lo <= 1e-12 * max(1, abs(hi)) { break }
        }
        return (lo + hi) / 2
    }
}
