import Testing
import RecbenchCore
@testable import RecbenchAlgorithms

private func implicit(_ rows: [[Int]], items: Int) -> InteractionMatrix {
    var u = [Int32](), i = [Int32]()
    for (user, list) in rows.enumerated() { for item in list { u.append(Int32(user)); i.append(Int32(item)) } }
    return InteractionMatrix(
        userCount: rows.count, itemCount: items, users: u, items: i, values: [Float](repeating: 1, count: u.count))
}

private func slim(_ o: [String: ParameterValue]) -> SLIM {
    SLIM(config: SLIM.Config(ParameterValues(specs: SLIM.Config.parameters, overrides: o)))
}

@Suite struct SLIMTests {
    /// Two items: each column has one free coordinate, solved exactly in one step:
    /// w = max(0, G_01 − λ₁) / (G_11 + λ₂), λ₁ = m·α·ρ, λ₂ = m·α·(1 − ρ).
    @Test func twoItemsByHand() throws {
        let m = implicit([[0, 1], [0, 1], [0], [1]], items: 2)  // G = [[3, 2], [2, 3]], m = 4
        let model = slim(["alpha": .real(0.1), "l1_ratio": .real(0.5)])  // λ₁ = λ₂ = 0.2
        try model.fit(TrainingData(task: .ranking, interactions: m), context: FitContext())
        let w = model.weights
        #expect(w.nnz == 2)
        #expect(abs(Double(w.value(row: 0, column: 1)!) - 1.8 / 3.2) < 1e-6)
        #expect(abs(Double(w.value(row: 1, column: 0)!) - 1.8 / 3.2) < 1e-6)
        var scores = [Float](repeating: -1, count: 2)
        scores.withUnsafeMutableBufferPointer { model.score(users: [2], into: $0) }
        #expect(scores[0] == 0 && abs(scores[1] - 0.5625) < 1e-6)
        // A penalty above the co-occurrence leaves every weight at zero.
        let strong = slim(["alpha": .real(2), "l1_ratio": .real(0.5)])  // λ₁ = 4 > G_01 = 2
        try strong.fit(TrainingData(task: .ranking, interactions: m), context: FitContext())
        #expect(strong.weights.nnz == 0)
    }

    /// On random data the weights satisfy the optimality (KKT) conditions of the non-negative
    /// ElasticNet over every item, including the ones the candidate screen skipped:
    /// w_k > 0 ⇒ g_k = λ₁, w_k = 0 ⇒ g_k ≤ λ₁, with g_k = G_kj − (G w)_k − λ₂ w_k; and w_jj = 0.
    @Test func optimalityConditionsHold() throws {
        var rng = RandomSource(seed: 5)
        let users = 60, items = 25
        var rows = [[Int]]()
        for _ in 0..<users { rows.append((0..<items).filter { i in rng.nextDouble() < 0.25 + 0.02 * Double(i % 7) }) }
        let m = implicit(rows, items: items)
        let alpha = 0.1, ratio = 0.8
        let model = slim([
            "alpha": .real(alpha), "l1_ratio": .real(ratio), "tolerance": .real(1e-9), "max_iterations": .int(5000)
        ])
        try model.fit(TrainingData(task: .ranking, interactions: m), context: FitContext(threads: 2))
        let l1 = Double(users) * alpha * ratio, l2 = Double(users) * alpha * (1 - ratio)
        var g = [[Double]](repeating: [Double](repeating: 0, count: items), count: items)
        for r in rows { for a in r { for b in r { g[a][b] += 1 } } }
        var positives = 0, screened = 0
        for j in 0..<items {
            let w = (0..<items).map { Double(model.weights.value(row: $0, column: j) ?? 0) }
            #expect(w[j] == 0)
            for k in 0..<items where k != j {
                let gw = (0..<items).reduce(0.0) { $0 + g[k][$1] * w[$1] }
                let grad = g[k][j] - gw - l2 * w[k]
                #expect(w[k] >= 0)
                if w[k] > 0 {
                    positives += 1; #expect(abs(grad - l1) < 1e-3, "column \(j), item \(k): \(grad)")
                } else {
                    #expect(grad <= l1 + 1e-3, "column \(j), item \(k): \(grad) > \(l1)")
                }
                if g[k][j] <= l1 { screened += 1 }
            }
        }
        // Both kinds of coordinates occur, so the test exercises the screen and the solver.
        #expect(positives > 50 && screened > 50, "\(positives) positive, \(screened) screened")
    }

    @Test func topKKeepsTheLargestWeightsOfEachColumn() throws {
        let p = PlantedClusters()
        let all = try p.fitted(SLIM.self, ["alpha": .real(0.01)])
        let pruned = try p.fitted(SLIM.self, ["alpha": .real(0.01), "topk": .int(3)])
        let full = all.weights.transposed(), top = pruned.weights.transposed()  // rows = columns j
        #expect(full.nnz > top.nnz)
        for j in 0..<full.rows {
            let sorted = full.rowValues(j).sorted(by: >)
            #expect(top.rowCount(j) == min(3, sorted.count))
            #expect(Array(top.rowValues(j)).sorted(by: >) == Array(sorted.prefix(3)))
        }
    }

    @Test func beatsPopularityOnPlantedClusters() throws {
        let p = PlantedClusters()
        let pop = p.popularityNDCG, model = p.ndcg(try p.fitted(SLIM.self))
        #expect(model > 2 * pop, "SLIM \(model) vs MostPopular \(pop)")
    }

    @Test func sameResultAtOneAndTwoThreads() throws {
        let p = PlantedClusters(users: 120, items: 90)
        let a = try p.fitted(SLIM.self, threads: 1), b = try p.fitted(SLIM.self, threads: 2)
        #expect(a.weights == b.weights)
    }
}
