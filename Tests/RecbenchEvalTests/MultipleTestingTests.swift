import Testing
@testable import RecbenchEval

@Test func holmOnKnownSet() {
    // By hand: sorted 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → monotone 0.06.
    let adj = Statistics.holmBonferroni([0.01, 0.04, 0.03, 0.005])
    let expected = [0.03, 0.06, 0.06, 0.02]
    for (x, y) in zip(adj, expected) { #expect(abs(x - y) < 1e-12) }
    // NaN ignored (family of 2): 0.2·2 = 0.4, 0.7·1 = 0.7.
    let b = Statistics.holmBonferroni([0.7, .nan, 0.2])
    #expect(abs(b[0] - 0.7) < 1e-12 && b[1].isNaN && abs(b[2] - 0.4) < 1e-12)
    // Capped at 1 and monotone: 0.6·2 = 1.2 → 1, then max(1, 0.9) = 1.
    #expect(Statistics.holmBonferroni([0.9, 0.6]) == [1, 1])
}

@Test func benjaminiHochbergMatchesReference() {
    // By hand: sorted 0.005, 0.01, 0.03, 0.04 → 4p/j = 0.02, 0.02, 0.04, 0.04, running minimum from the top.
    // statsmodels multipletests(p, method='fdr_bh') gives [0.02, 0.04, 0.04, 0.02].
    let a = Statistics.benjaminiHochberg([0.01, 0.04, 0.03, 0.005])
    for (x, y) in zip(a, [0.02, 0.04, 0.04, 0.02]) { #expect(abs(x - y) < 1e-12) }
    // statsmodels multipletests([0.2, 0.001, 0.049, 0.9, 0.012, 0.03, 0.5], method='fdr_bh'):
    let p = [0.2, 0.001, 0.049, 0.9, 0.012, 0.03, 0.5]
    let expected = [0.28, 0.007, 0.08575, 0.9, 0.042, 0.07, 0.5833333333333334]
    for (x, y) in zip(Statistics.benjaminiHochberg(p), expected) { #expect(abs(x - y) < 1e-12) }
    // ... and method='holm' on the same set, for the other correction.
    let holm = [0.6, 0.007, 0.196, 1.0, 0.072, 0.15, 1.0]
    for (x, y) in zip(Statistics.holmBonferroni(p), holm) { #expect(abs(x - y) < 1e-12) }
    // BH never exceeds Holm, and NaN stays out of the family.
    for (x, y) in zip(Statistics.benjaminiHochberg(p), Statistics.holmBonferroni(p)) { #expect(x <= y + 1e-15) }
    let n = Statistics.benjaminiHochberg([0.04, .nan, 0.01])
    #expect(abs(n[0] - 0.04) < 1e-12 && n[1].isNaN && abs(n[2] - 0.02) < 1e-12)
}
