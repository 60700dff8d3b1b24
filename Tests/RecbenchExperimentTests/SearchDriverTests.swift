import Testing
import RecbenchCore
@testable import RecbenchConfig
@testable import RecbenchRunner
import RecbenchAlgorithms

private let ease = AlgorithmRegistry.descriptor(named: "EASE")!
private let als = AlgorithmRegistry.descriptor(named: "ImplicitALS")!

private func spec(
    _ strategy: SearchSpec.Strategy, _ space: [(String, SearchDomain)], trials: Int? = nil, maxSeconds: Double? = nil,
    eta: Int = 3, minBudget: Double? = nil, maxBudget: Double? = nil
) -> SearchSpec {
    SearchSpec(
        strategy: strategy, space: space.map { (name: $0.0, domain: $0.1) }, trials: trials, maxSeconds: maxSeconds,
        seed: 11,
        refit: true, eta: eta, minBudget: minBudget, maxBudget: maxBudget, identity: "")
}

private func outcome(_ value: Double, seconds: Double = 0) -> CandidateOutcome {
    CandidateOutcome(
        value: value, fitSeconds: seconds, validationSeconds: 0, bestIteration: nil, curve: [], failure: nil)
}

@Test func gridProposesTheProductInOrder() {
    let s = spec(
        .grid, [("regularization", .choices([.real(1), .real(10)])), ("binary", .choices([.bool(true), .bool(false)]))])
    let d = SearchDriver(spec: s, descriptor: ease, base: ParameterValues(specs: ease.parameters), higherIsBetter: true)
    #expect(
        d.proposals().map { $0.map { "\($0.0)=\($0.1)" }.joined(separator: ",") }
            == [
                "regularization=1,binary=true", "regularization=1,binary=false", "regularization=10,binary=true",
                "regularization=10,binary=false"
            ])
}

@Test func randomProposalsAreSeededDistinctAndInRange() {
    let s = spec(
        .random, [("factors", .choices([.int(8), .int(16), .int(32)])), ("regularization", .logUniform(0.01, 100))],
        trials: 20)
    let d = SearchDriver(spec: s, descriptor: als, base: ParameterValues(specs: als.parameters), higherIsBetter: true)
    let a = d.proposals(), b = d.proposals()
    #expect(a.count == 20)
    #expect(a.map { $0.map(\.1) } == b.map { $0.map(\.1) })
    #expect(Set(a.map { $0.map { "\($0.1)" }.joined(separator: ",") }).count == 20)
    for p in a {
        guard case let .real(x) = p[1].1 else { Issue.record("regularization not real"); continue }
        #expect(x >= 0.01 && x <= 100)
    }
    // A different seed draws different points.
    var other = s; other.seed = 12
    #expect(
        SearchDriver(spec: other, descriptor: als, base: ParameterValues(specs: als.parameters), higherIsBetter: true)
            .proposals().map { $0.map(\.1) } != a.map { $0.map(\.1) })
    // A small discrete space ends when no new point can be drawn.
    let small = spec(.random, [("factors", .choices([.int(8), .int(16)]))], trials: 5)
    #expect(
        SearchDriver(spec: small, descriptor: als, base: ParameterValues(specs: als.parameters), higherIsBetter: true)
            .proposals().count == 2)
}

@Test func successiveHalvingRungsAndPromotions() throws {
    let s = spec(.successiveHalving, [("alpha", .uniform(0, 100))], trials: 27, maxBudget: 27)
    let d = SearchDriver(
        spec: s, descriptor: als, base: ParameterValues(specs: als.parameters, overrides: ["iterations": .int(27)]),
        higherIsBetter: true)
    #expect(d.rungs(candidates: 27).map { "\($0.count)@\(Int($0.budget))" } == ["27@3", "9@9", "3@27"])
    #expect(d.rungs(candidates: 40).map { "\($0.count)@\(Int($0.budget))" } == ["40@3", "13@9", "4@27"])
    // min_budget raises small rungs without dropping any.
    var raised = s; raised.minBudget = 5
    #expect(
        SearchDriver(
            spec: raised, descriptor: als, base: ParameterValues(d.base),
            higherIsBetter: true
        ).rungs(candidates: 27).map { "\($0.count)@\(Int($0.budget))" } == ["27@5", "9@9", "3@27"])
    // Validation score = alpha (so the ranking is known), except that budget 3 scores are noisy:
    // the candidate with the largest alpha is made to look worst at the first rung.
    let points = d.proposals()
    let alphas = points.map { p -> Double in if case let .real(x) = p[0].1 { return x } else { return .nan } }
    let best = alphas.indices.max { alphas[$0] < alphas[$1] }!
    var seen = [(Int, Int, Int)]()
    let result = try d.run(evaluate: { c in
        seen.append((c.index, c.rung, c.values.int("iterations")))
        let a = alphas[c.index]
        return (outcome(c.rung == 0 && c.index == best ? -1 : a), false)
    })
    #expect(seen.count == 27 + 9 + 3)
    #expect(seen.filter { $0.1 == 0 }.allSatisfy { $0.2 == 3 } && seen.filter { $0.1 == 2 }.allSatisfy { $0.2 == 27 })
    // Rung 1 holds the 9 best of rung 0 (the sabotaged one is out); rung 2 the 3 best of rung 1.
    let ranked = alphas.indices.filter { $0 != best }.sorted { alphas[$0] > alphas[$1] }
    #expect(Set(seen.filter { $0.1 == 1 }.map(\.0)) == Set(ranked.prefix(9)))
    #expect(Set(seen.filter { $0.1 == 2 }.map(\.0)) == Set(ranked.prefix(3)))
    let chosen = result.evaluated[result.chosen]
    #expect(chosen.candidate.index == ranked[0] && chosen.candidate.rung == 2)
}

@Test func sampleFractionBudgetsForModelsWithoutABudgetParameter() {
    let s = spec(.successiveHalving, [("regularization", .logUniform(1, 1000))], trials: 9, maxBudget: 1)
    let d = SearchDriver(spec: s, descriptor: ease, base: ParameterValues(specs: ease.parameters), higherIsBetter: true)
    let rungs = d.rungs(candidates: 9)
    #expect(rungs.map(\.count) == [9, 3])
    #expect(abs(rungs[0].budget - 1.0 / 3) < 1e-12 && rungs[1].budget == 1)
    let c = d.candidate(0, rung: 0, point: d.proposals()[0], budget: rungs[0].budget)
    #expect(abs(c.sampleFraction - 1.0 / 3) < 1e-12)
}

@Test func wallTimeBudgetAndFailedCandidates() throws {
    let s = spec(.random, [("regularization", .logUniform(1, 1000))], trials: 10, maxSeconds: 3.5)
    let d = SearchDriver(
        spec: s, descriptor: ease, base: ParameterValues(specs: ease.parameters), higherIsBetter: false)
    var n = 0
    let result = try d.run(evaluate: { _ in
        n += 1
        // The first candidate fails (NaN); with lower-is-better the smallest finite value wins.
        return (outcome(n == 1 ? .nan : Double(10 - n), seconds: 1), false)
    })
    #expect(result.evaluated.count == 4 && result.stoppedByTime)
    #expect(result.chosen == 3)
}
