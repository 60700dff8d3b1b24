import Foundation
import Testing
import RecbenchCore
@testable import RecbenchAlgorithms

private func rp3(_ o: [String: ParameterValue]) -> RP3Beta {
    RP3Beta(config: RP3Beta.Config(ParameterValues(specs: RP3Beta.Config.parameters, overrides: o)))
}

/// The definition, densely: P_ui = x_ui / deg(u), P_iu = x_ui / deg(i), W = P_iu^α · P_ui^α, each
/// column j times deg(j)^−β, diagonal 0, the k largest of each row kept (ties to the lower index),
/// optionally each row divided by its sum. `tied`: rows whose k-th and (k+1)-th weights are equal
/// up to rounding, where which one is kept is decided by floating-point noise.
private func reference(
    _ m: InteractionMatrix, alpha: Double, beta: Double, k: Int,
    normalize: Bool
) -> (w: [[Double]], tied: Set<Int>) {
    var tied = Set<Int>()
    let users = m.userCount, items = m.itemCount
    var x = [[Double]](repeating: [Double](repeating: 0, count: items), count: users)
    for u in 0..<users { for i in m.items(of: u) { x[u][Int(i)] = 1 } }
    let du = x.map { $0.reduce(0, +) }
    let di = (0..<items).map { i in x.reduce(0.0) { $0 + $1[i] } }
    var w = [[Double]](repeating: [Double](repeating: 0, count: items), count: items)
    for i in 0..<items {
        for j in 0..<items where j != i {
            var s = 0.0
            for u in 0..<users where x[u][i] > 0 && x[u][j] > 0 { s += pow(1 / di[i], alpha) * pow(1 / du[u], alpha) }
            w[i][j] = di[j] > 0 ? s * pow(di[j], -beta) : 0
        }
        let order = (0..<items).filter { w[i][$0] > 0 }.sorted { w[i][$0] != w[i][$1] ? w[i][$0] > w[i][$1] : $0 < $1 }
        if order.count > k && abs(w[i][order[k - 1]] - w[i][order[k]]) <= 1e-9 * w[i][order[k]] { tied.insert(i) }
        let keep = Set(order.prefix(k))
        for j in 0..<items where !keep.contains(j) { w[i][j] = 0 }
        let total = w[i].reduce(0, +)
        if normalize && total > 0 { w[i] = w[i].map { $0 / total } }
    }
    return (w, tied)
}

@Suite struct RP3BetaTests {
    let data: InteractionMatrix = {
        var rng = RandomSource(seed: 11)
        var u = [Int32](), i = [Int32]()
        for user in 0..<30 {
            for item in 0..<18 where rng.nextDouble() < 0.15 + 0.03 * Double(item % 5) {
                u.append(Int32(user)); i.append(Int32(item))
            }
        }
        return InteractionMatrix(
            userCount: 30, itemCount: 18, users: u, items: i, values: [Float](repeating: 1, count: u.count))
    }()

    @Test(arguments: [(1.0, 0.6, 100, false), (0.5, 0.3, 4, false), (1.3, 0.2, 6, true), (0.0, 1.0, 100, true)])
    func matchesTheDefinition(alpha: Double, beta: Double, k: Int, normalize: Bool) throws {
        let model = rp3(["alpha": .real(alpha), "beta": .real(beta), "topk": .int(k), "normalize": .bool(normalize)])
        try model.fit(TrainingData(task: .ranking, interactions: data), context: FitContext(threads: 2))
        let (ref, tied) = reference(data, alpha: alpha, beta: beta, k: k, normalize: normalize)
        #expect(tied.count < 4)
        var compared = 0
        for a in 0..<data.itemCount where !tied.contains(a) {
            let expected = (0..<data.itemCount).filter { ref[a][$0] > 0 }
            #expect(
                Set(model.neighbors.range(a).map { Int(model.neighbors.neighbors[$0]) }) == Set(expected), "row \(a)")
            for b in expected {
                let got = Double(model.neighbors.weight(a, b) ?? -1)
                #expect(
                    abs(got - ref[a][b]) <= 1e-5 * max(1, ref[a][b]), "W[\(a)][\(b)] = \(got), expected \(ref[a][b])")
                compared += 1
            }
        }
        #expect(compared > 50)
        // Scores are the user's rows summed.
        var scores = [Float](repeating: 0, count: data.itemCount)
        // A user all of whose items have untied rows, so the reference rows are exact.
        let user = try #require(
            (0..<data.userCount).first { u in data.items(of: u).allSatisfy { !tied.contains(Int($0)) } })
        scores.withUnsafeMutableBufferPointer { model.score(users: [Int32(user)], into: $0) }
        for j in 0..<data.itemCount {
            let s = data.items(of: user).reduce(0.0) { $0 + ref[Int($1)][j] }
            #expect(abs(Double(scores[j]) - s) <= 1e-5 * max(1, s))
        }
    }

    @Test func sameListsAtOneAndTwoThreads() throws {
        let p = PlantedClusters(users: 150, items: 100)
        let a = try p.fitted(RP3Beta.self, ["topk": .int(20)], threads: 1)
        let b = try p.fitted(RP3Beta.self, ["topk": .int(20)], threads: 2)
        #expect(a.neighbors == b.neighbors)
    }

    @Test func beatsPopularityOnPlantedClusters() throws {
        let p = PlantedClusters()
        let pop = p.popularityNDCG, model = p.ndcg(try p.fitted(RP3Beta.self))
        #expect(model > 2 * pop, "RP3beta \(model) vs MostPopular \(pop)")
    }
}
