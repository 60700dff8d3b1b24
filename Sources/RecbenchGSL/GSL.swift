internal import CGSL

/// The GSL functions Recbench uses: distribution functions for statistics and random variates
/// for Gibbs samplers. Nothing else in Recbench imports GSL's C module.
public enum GSL {
    /// Turns GSL's default abort-on-error handler off once; out-of-domain inputs then return NaN.
    private static let handlerOff: Void = { _ = gsl_set_error_handler_off() }()

    /// P(T ≤ t) for Student's t with ν degrees of freedom.
    public static func tCDF(_ t: Double, dof: Double) -> Double { _ = handlerOff; return gsl_cdf_tdist_P(t, dof) }
    /// P(T > t).
    public static func tUpper(_ t: Double, dof: Double) -> Double { _ = handlerOff; return gsl_cdf_tdist_Q(t, dof) }
    public static func tQuantile(_ p: Double, dof: Double) -> Double {
        _ = handlerOff; return gsl_cdf_tdist_Pinv(p, dof)
    }
    public static func normalCDF(_ z: Double) -> Double { _ = handlerOff; return gsl_cdf_ugaussian_P(z) }
    public static func normalUpper(_ z: Double) -> Double { _ = handlerOff; return gsl_cdf_ugaussian_Q(z) }
    public static func normalQuantile(_ p: Double) -> Double { _ = handlerOff; return gsl_cdf_ugaussian_Pinv(p) }
    public static func chiSquaredUpper(_ x: Double, dof: Double) -> Double {
        _ = handlerOff; return gsl_cdf_chisq_Q(x, dof)
    }
    /// Regularised incomplete beta I_x(a, b) = P(X ≤ x) for X ~ Beta(a, b).
    public static func betaCDF(_ x: Double, a: Double, b: Double) -> Double {
        _ = handlerOff
        return gsl_cdf_beta_P(x, a, b)
    }
    /// ln Γ(x) for x > 0.
    public static func lnGamma(_ x: Double) -> Double { _ = handlerOff; return gsl_sf_lngamma(x) }
}

/// A GSL Mersenne-Twister generator for samplers that want GSL's variate algorithms
/// (Gaussian by Ziggurat, Gamma by Marsaglia–Tsang). Not shared between threads.
public final class GSLRandom {
    private let rng: UnsafeMutablePointer<gsl_rng>

    public init(seed: UInt64) {
        rng = gsl_rng_alloc(recbench_rng_mt19937())
        gsl_rng_set(rng, UInt(truncatingIfNeeded: seed))
    }
    deinit { gsl_rng_free(rng) }

    public func uniform() -> Double { gsl_rng_uniform(rng) }
    public func gaussian(sigma: Double = 1) -> Double { gsl_ran_gaussian_ziggurat(rng, sigma) }
    /// Gamma with shape a and scale b (mean a·b).
    public func gamma(shape a: Double, scale b: Double) -> Double { gsl_ran_gamma(rng, a, b) }
}

extension GSL {
    /// The linked GSL's version, for run manifests.
    public static var version: String { String(cString: recbench_gsl_version()) }
}
