import Testing
@testable import RecbenchEval

// Reference values: statsmodels 0.15.0 (SciPy 1.17.1), which solves the same noncentral-t power
// equation as R's power.t.test(type = "paired" or "one.sample", strict = TRUE); R's default
// strict = FALSE leaves out the lower rejection tail, a difference below 1e-6 at these powers.
// The noncentral t CDF is checked against scipy.stats.nct.cdf(t, df, nc).

@Test func noncentralTMatchesSciPy() {
    let cases: [(t: Double, nu: Double, delta: Double, cdf: Double)] = [
        (2.0, 9, 1.5, 0.6558759139985497),
        (-1.0, 4, 0.5, 0.08614956903656282),
        (1.96, 4714, 2.8, 0.20047301857378183),
        (0.5, 3, -2.0, 0.9921996989235637),
        (3.0, 20, 8.0, 3.141880649599462e-06),
        (10.0, 30, 12.0, 0.1016883658492785),
        (-2.5, 15, -1.0, 0.09164345070385709),
        (1.2, 2.5, 0.0, 0.8342805811670612)  // δ = 0: scipy.stats.t.cdf(1.2, 2.5)
    ]
    for c in cases {
        let f = Statistics.noncentralTCDF(c.t, dof: c.nu, noncentrality: c.delta)
        #expect(
            abs(f - c.cdf) <= 1e-9 * max(1, c.cdf) || abs(f / c.cdf - 1) < 1e-7,
            "F(\(c.t); \(c.nu), \(c.delta)) = \(f), SciPy \(c.cdf)")
    }
}

@Test func powerMatchesStatsmodels() {
    // TTestPower().power(effect_size=0.5, nobs=20, alpha=0.05, alternative='two-sided') = 0.5645044184390203
    // (R: power.t.test(n = 20, delta = 0.5, sd = 1, type = "paired") prints power = 0.5645044).
    let p = Power.pairedT(n: 20, delta: 0.5, sd: 1)
    #expect(abs(p / 0.5645044184390203 - 1) < 0.01)
    #expect(abs(p - 0.5645044184390203) < 1e-8)
    // Power at Δ = 0 is α; it rises with n and with Δ.
    #expect(abs(Power.pairedT(n: 30, delta: 0, sd: 1) - 0.05) < 1e-12)
    #expect(Power.pairedT(n: 40, delta: 0.5, sd: 1) > p && Power.pairedT(n: 20, delta: 0.6, sd: 1) > p)
}

@Test func minimumDetectableEffectMatchesStatsmodels() {
    // TTestPower().solve_power(effect_size=None, nobs=4715, alpha=0.05, power=0.8) = 0.04080945055714467,
    // times sd 0.2 = 0.008161890111428934 (R: power.t.test(n = 4715, sd = 0.2, power = 0.8, type = "paired")).
    // solve_power stops early (its answer has power 0.8000177); solving statsmodels' own power function
    // tightly, scipy.optimize.brentq(lambda e: TTestPower().power(e, 4715, 0.05) - 0.8, 0.01, 0.1, xtol=1e-15)
    // = 0.04080852989654184, times 0.2 = 0.008161705979308367.
    let mde = Power.minimumDetectableEffect(n: 4715, sd: 0.2)
    #expect(abs(mde / 0.008161890111428934 - 1) < 0.01)
    #expect(abs(mde / 0.008161705979308367 - 1) < 1e-6)
    // Few pairs, stricter power: solve_power(nobs=5, alpha=0.05, power=0.9) · 0.01 = 0.019658888509731073.
    let small = Power.minimumDetectableEffect(n: 5, sd: 0.01, power: 0.9)
    #expect(abs(small / 0.019658888509731073 - 1) < 1e-6)
    // The solution has the asked-for power.
    #expect(abs(Power.pairedT(n: 4715, delta: mde, sd: 0.2) - 0.8) < 1e-9)
    #expect(Power.minimumDetectableEffect(n: 1, sd: 1).isNaN && Power.minimumDetectableEffect(n: 10, sd: 0).isNaN)
}

@Test func requiredPairsMatchesStatsmodels() {
    // TTestPower().solve_power(effect_size=0.005/0.15, nobs=None, alpha=0.05, power=0.8) = 7065.895428294744
    // (R: power.t.test(delta = 0.005, sd = 0.15, power = 0.8, type = "paired") gives n = 7065.9).
    let n = Power.requiredPairs(delta: 0.005, sd: 0.15)
    #expect(abs(n / 7065.895428294744 - 1) < 0.01)
    #expect(abs(n / 7065.895428294744 - 1) < 1e-6)
    // Round trip: n pairs detect exactly Δ; the sign of Δ does not matter.
    #expect(abs(Power.minimumDetectableEffect(n: 7066, sd: 0.15) - 0.005) < 1e-6)
    #expect(abs(Power.requiredPairs(delta: -0.005, sd: 0.15) - n) < 1e-6 * n)
    #expect(Power.requiredPairs(delta: 0, sd: 1).isNaN)
}
