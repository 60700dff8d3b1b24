import Testing
import RecbenchCore
@testable import RecbenchEval

// Student's sleep data (Cushny & Peebles 1905, R's `sleep`): extra hours of sleep under two drugs, ten patients.
private let sleep1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
private let sleep2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

@Test func pairedTTestMatchesPublishedSleepExample() {
    // R: t.test(extra ~ group, data = sleep, paired = TRUE) gives t = -4.0621, df = 9, p-value = 0.002833;
    // scipy.stats.ttest_rel gives p = 0.002832890197384273.
    let r = Statistics.pairedTTest(sleep1, sleep2)
    #expect(abs(r.t - -4.062127683382037) < 1e-9)
    #expect(r.degreesOfFreedom == 9)
    #expect(abs(r.p - 0.002832890197384273) < 1e-9)
    #expect(abs(r.meanDifference - -1.58) < 1e-12)
}

@Test func wilcoxonNormalApproximationWithTiesAndZeroMatchesReference() {
    // Sleep data: one zero difference (dropped) and tied |d|, so the normal approximation with tie and
    // continuity correction applies. R's wilcox.test(..., paired = TRUE) and
    // scipy.stats.wilcoxon(method="approx", correction=True) both give p = 0.009090698015925044, V = 0.
    let r = Statistics.wilcoxonSignedRank(sleep1, sleep2)
    #expect(!r.exact)
    #expect(r.n == 9)
    #expect(r.wPlus == 0)
    #expect(abs(r.p - 0.009090698015925044) < 1e-9)
}

@Test func wilcoxonExactMatchesReference() {
    // No ties, n = 12: exact distribution. scipy.stats.wilcoxon(d, method="exact"): statistic 11, p = 0.02685546875 (= 110/4096).
    let d = [1.5, -0.3, 2.2, 0.9, 3.1, -1.2, 0.4, 2.7, 1.8, 0.6, -0.8, 2.5]
    let r = Statistics.wilcoxonSignedRank(d, [Double](repeating: 0, count: d.count))
    #expect(r.exact)
    #expect(r.wPlus == 78 - 11)
    #expect(abs(r.p - 0.02685546875) < 1e-12)
    // A near-symmetric sample: scipy gives p = 0.76953125 (statistic 24, n = 10).
    let d2 = [0.5, -1.1, 0.2, -0.7, 1.4, -0.3, 0.9, -1.6, 0.05, -0.45]
    let r2 = Statistics.wilcoxonSignedRank(d2, [Double](repeating: 0, count: d2.count))
    #expect(r2.exact)
    #expect(abs(r2.p - 0.76953125) < 1e-12)
    // Hand check: all five differences positive, n = 5: P(W+ = 15) = 1/32, two-sided 1/16.
    #expect(Statistics.wilcoxonSignedRank([1, 2, 3, 4, 5], [0, 0, 0, 0, 0]).p == 0.0625)
    // No non-zero difference: no evidence at all.
    #expect(Statistics.wilcoxonSignedRank([1, 2], [1, 2]).p == 1)
}

@Test func tTestAndEffectSizeOnExactSample() {
    // scipy.stats.ttest_1samp(d, 0): t = 2.7342280497444036, p = 0.01943092034565029;
    // numpy mean(d)/std(d, ddof=1) = 0.7893036502728784.
    let d = [1.5, -0.3, 2.2, 0.9, 3.1, -1.2, 0.4, 2.7, 1.8, 0.6, -0.8, 2.5]
    let zero = [Double](repeating: 0, count: d.count)
    let r = Statistics.pairedTTest(d, zero)
    #expect(abs(r.t - 2.7342280497444036) < 1e-9)
    #expect(abs(r.p - 0.01943092034565029) < 1e-9)
    #expect(abs(Statistics.cohensDPaired(d, zero) - 0.7893036502728784) < 1e-12)
    // Degenerate cases: identical samples p = 1; constant shift p = 0.
    #expect(Statistics.pairedTTest([1, 2, 3], [1, 2, 3]).p == 1)
    #expect(Statistics.pairedTTest([2, 3, 4], [1, 2, 3]).p == 0)
}

@Test func bootstrapIntervalCoversTrueMeanAtNominalRate() {
    // 400 synthetic paired samples (n = 60) whose differences have true mean 0.3; the 95 % percentile
    // interval must cover 0.3 about 95 % of the time (binomial sd ≈ 1.1 %, so 91.5–98.5 % is ±3 sd).
    var rng = RandomSource(seed: 11, stream: "coverage")
    var covered = 0
    let reps = 400
    for r in 0..<reps {
        let a = (0..<60).map { _ in 0.3 + rng.nextGaussian() }
        let b = (0..<60).map { _ in 0.0 * rng.nextDouble() }
        let ci = Statistics.bootstrapMeanDifferenceCI(a, b, resamples: 500, seed: UInt64(r))
        #expect(ci.low < ci.high)
        if ci.low <= 0.3 && 0.3 <= ci.high { covered += 1 }
    }
    let rate = Double(covered) / Double(reps)
    #expect(rate > 0.915 && rate < 0.985, "coverage \(rate)")
    // Seeded: the same seed gives the same interval, another seed a different one.
    let a = [1.0, 2, 3, 4, 5, 6], b = [0.5, 2.5, 2, 3, 6, 4]
    let x = Statistics.bootstrapMeanDifferenceCI(a, b, seed: 1), y = Statistics.bootstrapMeanDifferenceCI(a, b, seed: 1)
    #expect(x.low == y.low && x.high == y.high)
    #expect(
        Statistics.bootstrapMeanDifferenceCI(a, b, seed: 2).low != x.low
            || Statistics.bootstrapMeanDifferenceCI(a, b, seed: 2).high != x.high)
}

/// Past `bootstrapWorkLimit` resampled values the interval is the normal one; on either side of the
/// limit the two agree to within the percentile bootstrap's own Monte Carlo error (its 2.5 % and
/// 97.5 % points from ~2,000 resamples scatter by ≈ 0.06 standard errors).
@Test func bootstrapTurnsNormalForLargeSamples() {
    var rng = RandomSource(seed: 21, stream: "large-bootstrap")
    let x = (0..<50_000).map { _ in 0.1 + rng.nextGaussian() * (rng.nextDouble() < 0.5 ? 1 : 3) }
    let se = Statistics.standardDeviation(x) / Double(x.count).squareRoot()
    #expect(50_000 * 1999 <= Statistics.bootstrapWorkLimit && 50_000 * 2001 > Statistics.bootstrapWorkLimit)
    let resampled = Statistics.bootstrapMeanCI(x, resamples: 1999, seed: 3)
    let normal = Statistics.bootstrapMeanCI(x, resamples: 2001, seed: 3)
    let m = Statistics.mean(x)
    #expect(abs(normal.low - (m - 1.959964 * se)) < 1e-6 * se && abs(normal.high - (m + 1.959964 * se)) < 1e-6 * se)
    #expect(abs(resampled.low - normal.low) < 0.25 * se && abs(resampled.high - normal.high) < 0.25 * se)
}

/// Past `randomizationWorkLimit` sign flips the sign-flip test takes the normal null N(0, Σd²);
/// its p agrees with a Monte Carlo estimate just below the limit (4,000 patterns: sd ≈ 0.0035 at p ≈ 0.05).
@Test func randomizationTurnsNormalForLargeSamples() {
    var rng = RandomSource(seed: 5, stream: "large-randomization")
    // Centred, then shifted by 0.014: z = 0.014·√20000 / sd ≈ 2, p ≈ 0.05.
    let g = (0..<20_000).map { _ in rng.nextGaussian() }, gm = Statistics.mean(g)
    let d = g.map { $0 - gm + 0.014 }
    let normal = Statistics.randomizationTest(differences: d, permutations: 10_000, seed: 1)
    let drawn = Statistics.randomizationTest(differences: d, permutations: 4_000, seed: 1)
    #expect(normal.permutations == 0 && !normal.exact && drawn.permutations == 4_000)
    #expect(normal.p > 0.02 && normal.p < 0.1, "p \(normal.p)")
    #expect(abs(normal.p - drawn.p) < 0.015, "normal \(normal.p), Monte Carlo \(drawn.p)")
}
