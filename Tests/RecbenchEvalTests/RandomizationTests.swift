import Foundation
import Testing
import RecbenchCore
@testable import RecbenchEval

// Reference p-values from SciPy 1.17.1, scipy.stats.permutation_test((x, y), statistic, permutation_type='samples',
// vectorized=True, alternative='two-sided', ...) with statistic = lambda x, y, axis: np.mean(x - y, axis=axis)
// (the paired, sign-flip test on the mean difference). n_resamples=np.inf enumerates every sign pattern.

private let sleep1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
private let sleep2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

/// The fourth fixture, generated identically in NumPy: 0.3 sin(1.7 i) + 0.025 cos(0.3 i) + 0.03, zero where i % 5 == 0.
private let d300: [Double] = (0..<300).map { (i: Int) -> Double in
    let x = Double(i)
    let value: Double = 0.3 * sin(1.7 * x) + 0.025 * cos(0.3 * x) + 0.03
    return i % 5 == 0 ? 0 : value
}

@Test func randomizationExactMatchesSciPy() {
    // Sleep data (one zero difference, tied |d|): permutation_test(..., n_resamples=np.inf) p = 0.00390625.
    let s = Statistics.pairedRandomizationTest(sleep1, sleep2, seed: 1)
    #expect(s.exact && s.nonZero == 9 && s.permutations == 512)
    #expect(abs(s.p - 0.00390625) <= 0.005)
    #expect(s.p == 2.0 / 512)  // only the observed pattern and its mirror reach |sum| = 15.8
    // Twelve differences, no ties: p = 0.0234375 (= 96 / 4096).
    let d12 = [1.5, -0.3, 2.2, 0.9, 3.1, -1.2, 0.4, 2.7, 1.8, 0.6, -0.8, 2.5]
    let r12 = Statistics.randomizationTest(differences: d12, seed: 1)
    #expect(r12.exact && abs(r12.p - 0.0234375) <= 0.005)
    #expect(r12.exceedances == 96)
    // Twenty differences with three zeros and ties (0.05, -0.05): p = 0.232025146484375, exact over 2^20 in SciPy.
    let d20 = [
        0.12, -0.05, 0.0, 0.31, -0.22, 0.08, 0.0, 0.15, -0.11, 0.27, 0.05, -0.05, 0.19, 0.0, -0.3, 0.22, 0.04,
        -0.09, 0.16, 0.1
    ]
    let r20 = Statistics.randomizationTest(differences: d20, seed: 1)
    #expect(r20.exact && r20.nonZero == 17)
    #expect(abs(r20.p - 0.232025146484375) <= 0.005)
    #expect(abs(r20.p - 0.232025146484375) < 1e-12)  // exact enumeration: the same count of patterns
}

@Test func randomizationMonteCarloMatchesSciPy() {
    // 300 differences (60 zeros): SciPy with n_resamples=1_000_000, random_state=np.random.default_rng(1):
    // p = 0.028521971478028523 (its Monte Carlo error ≈ 0.0002). Ours at the default 10^4 patterns.
    let r = Statistics.randomizationTest(differences: d300, seed: 42)
    #expect(!r.exact && r.permutations == 10_000 && r.nonZero == 240)
    #expect(abs(r.p - 0.028521971478028523) <= 0.005, "p = \(r.p)")
    // +1 correction: p = (b + 1) / (B + 1).
    #expect(r.p == Double(r.exceedances + 1) / 10_001)
    // Seeded: same seed, same p; the count of patterns changes the resolution.
    #expect(Statistics.randomizationTest(differences: d300, seed: 42) == r)
    #expect(Statistics.randomizationTest(differences: d300, seed: 43).p != r.p)
}

@Test func randomizationMonteCarloAgreesWithExactEnumeration() {
    // Forcing Monte Carlo on the twelve-difference sample: 10^5 patterns must land within 4 binomial
    // standard deviations (4 · √(0.0234 · 0.9766 / 10^5) ≈ 0.0019) of the exact 96/4096.
    let d12 = [1.5, -0.3, 2.2, 0.9, 3.1, -1.2, 0.4, 2.7, 1.8, 0.6, -0.8, 2.5]
    let mc = Statistics.randomizationTest(differences: d12, permutations: 100_000, seed: 7, exactLimit: 0)
    #expect(!mc.exact)
    #expect(abs(mc.p - 96.0 / 4096) < 0.0019, "p = \(mc.p)")
    // 200 values span four 64-bit words of signs: 110 × (+1) and 90 × (−1), observed sum 20. Under
    // sign flips the sum is 2K − 200 with K ~ Binomial(200, ½), so exactly p = P(K ≥ 110) + P(K ≤ 90)
    // = 2 (1 − P(K ≤ 109)). A bit reused or skipped between words would change that distribution.
    let d = [Double](repeating: 1, count: 110) + [Double](repeating: -1, count: 90)
    var upperTail = 0.0
    for k in 110...200 {
        let logChoose: Double = lgamma(201.0) - lgamma(Double(k + 1)) - lgamma(Double(201 - k))
        upperTail += exp(logChoose - 200 * log(2.0))
    }
    let exact = 2 * upperTail
    let big = Statistics.randomizationTest(differences: d, permutations: 100_000, seed: 3)
    let sd = (exact * (1 - exact) / 100_000).squareRoot()
    #expect(abs(big.p - exact) < 4 * sd, "p = \(big.p), exact \(exact)")
}

@Test func randomizationDegenerateCases() {
    // All zero: no evidence. Empty after dropping NaN: p = 1.
    #expect(Statistics.randomizationTest(differences: [0, 0, 0], seed: 1).p == 1)
    #expect(Statistics.randomizationTest(differences: [.nan, 0], seed: 1).p == 1)
    // Five equal positive differences: 2 of 32 patterns reach |sum| = 5 (all + or all −).
    let r = Statistics.randomizationTest(differences: [1, 1, 1, 1, 1], seed: 1)
    #expect(r.exact && r.exceedances == 2 && r.p == 2.0 / 32)
    // Symmetric sample (sum 0): every pattern reaches it.
    #expect(Statistics.randomizationTest(differences: [1, -1, 2, -2], seed: 1).p == 1)
    // Monte Carlo with a zero observed sum: b = B, p = 1.
    let z = (0..<40).map { Double($0 % 2 == 0 ? 1 : -1) }
    #expect(Statistics.randomizationTest(differences: z, permutations: 50, seed: 1).p == 1)
}
