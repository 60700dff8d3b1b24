import Foundation
import RecbenchGSL

extension Statistics {
    /// P(T ≤ t) for the noncentral t distribution with ν degrees of freedom and noncentrality δ
    /// (GSL has none). For t ≥ 0 the classical series in incomplete beta functions
    /// (Guenther 1978; Lenth 1989, AS 243):
    ///   F(t) = Φ(−δ) + ½ Σⱼ [ pⱼ I_x(j + ½, ν/2) + qⱼ I_x(j + 1, ν/2) ],  x = t² / (t² + ν),
    ///   pⱼ = e^(−λ) λʲ / j!,  qⱼ = δ e^(−λ) λʲ / (√2 Γ(j + 3/2)),  λ = δ² / 2,
    /// and F(t; ν, δ) = 1 − F(−t; ν, −δ) for t < 0. The weights are summed in log space from
    /// j = 0 past the Poisson(λ) bulk until a geometric bound on the remaining Poisson mass is below
    /// 1e-17; the q-weights shrink like pⱼ · |δ| / √(j + 1) there, so they are done as well.
    public static func noncentralTCDF(_ t: Double, dof nu: Double, noncentrality delta: Double) -> Double {
        guard t.isFinite else { return t.isNaN || nu.isNaN || delta.isNaN ? .nan : (t > 0 ? 1 : 0) }
        guard nu > 0, delta.isFinite else { return .nan }
        if t < 0 { return 1 - noncentralTCDF(-t, dof: nu, noncentrality: -delta) }
        let phi = GSL.normalCDF(-delta)
        if t == 0 { return phi }
        let x = t * t / (t * t + nu)
        let lambda = delta * delta / 2
        if lambda == 0 { return phi + 0.5 * GSL.betaCDF(x, a: 0.5, b: nu / 2) }
        let logLambda = log(lambda), logDelta = log(abs(delta)), sign: Double = delta < 0 ? -1 : 1
        var sum = 0.0
        let jMax = Int(lambda + 12 * lambda.squareRoot() + 60)
        for j in 0...jMax {
            let jd = Double(j)
            let logBase = -lambda + jd * logLambda
            let p = exp(logBase - GSL.lnGamma(jd + 1))
            let q = sign * exp(logBase + logDelta - 0.5 * log(2.0) - GSL.lnGamma(jd + 1.5))
            sum += p * GSL.betaCDF(x, a: jd + 0.5, b: nu / 2) + q * GSL.betaCDF(x, a: jd + 1, b: nu / 2)
            // Past the mode the Poisson terms fall at least by λ / (j + 1) each step.
            if jd > lambda + 1 && p * (jd + 1) / (jd + 1 - lambda) < 1e-17 { break }
        }
        return min(1, max(0, phi + 0.5 * sum))
    }
}
