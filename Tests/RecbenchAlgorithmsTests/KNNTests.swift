import Testing
import RecbenchCore
import RecbenchAlgorithms

/// A 5 users × 6 items rating matrix (0 = missing). Expected values below were worked out by
/// hand from the definitions (checked with a throwaway numpy script, not with this code).
///        i0 i1 i2 i3 i4 i5
///   u0:   5  3  .  1  .  4
///   u1:   4  .  .  1  2  .
///   u2:   1  1  .  5  .  .
///   u3:   .  .  5  4  .  2
///   u4:   .  1  5  4  3  .
enum Toy {
    static let dense: [[Float]] = [
        [5, 3, 0, 1, 0, 4], [4, 0, 0, 1, 2, 0], [1, 1, 0, 5, 0, 0], [0, 0, 5, 4, 0, 2], [0, 1, 5, 4, 3, 0]
    ]
    static func matrix(_ rows: [[Float]] = dense) -> InteractionMatrix {
        var u = [Int32](), i = [Int32](), v = [Float]()
        for (r, row) in rows.enumerated() {
            for (c, x) in row.enumerated() where x != 0 { u.append(Int32(r)); i.append(Int32(c)); v.append(x) }
        }
        return InteractionMatrix(userCount: rows.count, itemCount: rows[0].count, users: u, items: i, values: v)
    }
    /// Keeps every neighbour, negative ones included (above -1), so raw similarities are visible.
    static let all: [String: ParameterValue] = ["neighbors_kept": .int(10), "min_similarity": .real(-1)]

    /// The hand values below were worked out with plain means, no prediction damping and the Bias
    /// model's default baseline (λ_i 10, λ_u 15); a test's own overrides win.
    static let classic: [String: ParameterValue] = [
        "mean_damping": .real(0), "damping": .real(0),
        "baseline_item_reg": .real(10), "baseline_user_reg": .real(15)
    ]

    static func item(
        _ o: [String: ParameterValue], task: RecommendationTask, data: InteractionMatrix = matrix(), threads: Int = 1
    ) throws -> ItemKNN {
        let m = ItemKNN(
            config: .init(ParameterValues(specs: ItemKNN.Config.parameters, overrides: classic.merging(o) { $1 })))
        try m.fit(
            TrainingData(task: task, interactions: task == .rating ? data : data.binarized()),
            context: FitContext(threads: threads))
        return m
    }
    static func user(
        _ o: [String: ParameterValue], task: RecommendationTask, data: InteractionMatrix = matrix(), threads: Int = 1
    ) throws -> UserKNN {
        let m = UserKNN(
            config: .init(ParameterValues(specs: UserKNN.Config.parameters, overrides: classic.merging(o) { $1 })))
        try m.fit(
            TrainingData(task: task, interactions: task == .rating ? data : data.binarized()),
            context: FitContext(threads: threads))
        return m
    }
    static func with(_ o: [String: ParameterValue], _ extra: [String: ParameterValue]) -> [String: ParameterValue] {
        o.merging(extra) { $1 }
    }
}

func close(_ a: Float?, _ b: Double, _ tol: Double = 1e-5) -> Bool { a.map { abs(Double($0) - b) < tol } ?? false }

@Suite struct KNNSimilarityTests {
    @Test func itemSimilaritiesMatchHandValues() throws {
        let cos = try Toy.item(Toy.all, task: .rating).neighbors
        #expect(
            close(cos.weight(0, 1), 0.7443874) && close(cos.weight(3, 2), 0.7364597)
                && close(cos.weight(1, 5), 0.8090398))
        #expect(cos.weight(0, 2) == nil)  // no common user
        let adj = try Toy.item(Toy.with(Toy.all, ["similarity": .text("adjusted_cosine")]), task: .rating).neighbors
        #expect(
            close(adj.weight(0, 1), 0.184825) && close(adj.weight(0, 3), -0.9204182)
                && close(adj.weight(1, 4), 0.5138328))
        let pea = try Toy.item(Toy.with(Toy.all, ["similarity": .text("pearson")]), task: .rating).neighbors
        #expect(
            close(pea.weight(0, 1), 0.8837879) && close(pea.weight(0, 3), -0.9152086)
                && close(pea.weight(3, 4), 0.9486833))
        let jac = try Toy.item(Toy.with(Toy.all, ["similarity": .text("jaccard")]), task: .rating).neighbors
        #expect(close(jac.weight(0, 3), 0.6) && close(jac.weight(2, 4), 1.0 / 3) && close(jac.weight(1, 2), 0.25))
        let bin = try Toy.item(Toy.all, task: .ranking).neighbors
        #expect(
            close(bin.weight(0, 3), 0.7745967) && close(bin.weight(2, 3), 0.6324555) && close(bin.weight(0, 1), 2.0 / 3)
        )
    }

    @Test func baselinePearsonCorrelatesBiasResiduals() throws {
        let pea = try Toy.item(
            Toy.with(Toy.all, ["similarity": .text("pearson"), "variant": .text("baseline")]), task: .rating
        ).neighbors
        #expect(
            close(pea.weight(0, 1), 0.8276266, 1e-4) && close(pea.weight(1, 3), -0.7480282, 1e-4)
                && close(pea.weight(3, 4), 0.9064996, 1e-4))
    }

    /// Item 0 centred on its mean 10/3 is (5/3, 2/3, −7/3) over u0–u2, item 1 on 5/3 is (4/3, −2/3, −2/3)
    /// over u0, u2, u4: dot over the common u0, u2 = 34/9, norms over whole vectors √78/3 and √24/3,
    /// so s = 34/√1872 (pearson would use only the co-rated entries in the norms).
    @Test func centeredCosineUsesWholeVectorNorms() throws {
        let item = try Toy.item(Toy.with(Toy.all, ["similarity": .text("centered_cosine")]), task: .rating).neighbors
        #expect(
            close(item.weight(0, 1), 34 / 1872.0.squareRoot()) && close(item.weight(0, 3), -0.8473185)
                && close(item.weight(3, 4), 0.5669467) && close(item.weight(1, 5), 1 / 3.0.squareRoot()))
        let user = try Toy.user(Toy.with(Toy.all, ["similarity": .text("centered_cosine")]), task: .rating).neighbors
        #expect(
            close(user.weight(0, 1), 0.9259119) && close(user.weight(0, 2), -0.8280787)
                && close(user.weight(3, 4), 0.4042714))
        #expect(throws: RecbenchError.self) { try Toy.item(["similarity": .text("centered_cosine")], task: .ranking) }
    }

    @Test func userSimilaritiesMatchHandValues() throws {
        let cos = try Toy.user(Toy.all, task: .rating).neighbors
        #expect(close(cos.weight(0, 1), 0.6416889) && close(cos.weight(3, 4), 0.8558399))
        let adj = try Toy.user(Toy.with(Toy.all, ["similarity": .text("adjusted_cosine")]), task: .rating).neighbors
        #expect(
            close(adj.weight(0, 1), 0.7631242) && close(adj.weight(2, 4), 0.5971628)
                && close(adj.weight(0, 2), -0.9029898))
        let pea = try Toy.user(Toy.with(Toy.all, ["similarity": .text("pearson")]), task: .rating).neighbors
        #expect(
            close(pea.weight(0, 1), 0.9725115) && close(pea.weight(3, 4), 0.9872411)
                && close(pea.weight(2, 4), 0.7071068))
        let jac = try Toy.user(Toy.with(Toy.all, ["similarity": .text("jaccard")]), task: .ranking).neighbors
        #expect(close(jac.weight(0, 2), 0.75) && close(jac.weight(1, 3), 0.2))
        let bin = try Toy.user(Toy.all, task: .ranking).neighbors
        #expect(close(bin.weight(0, 2), 0.8660254) && close(bin.weight(1, 2), 2.0 / 3))
    }

    @Test func listsAreSortedAndTruncatedToM() throws {
        let m = try Toy.item(["neighbors_kept": .int(2)], task: .rating).neighbors
        // Item 3's cosine neighbours: i2 0.736, i4 0.506, i1 0.471, … → the first two, best first.
        #expect(Array(m.neighbors[m.range(3)]) == [2, 4])
        for r in 0..<m.rows { #expect(m.range(r).count <= 2) }
        // Default min_similarity 0 keeps only positive weights.
        let adj = try Toy.item(["similarity": .text("adjusted_cosine")], task: .rating).neighbors
        #expect(adj.weights.allSatisfy { $0 > 0 })
    }

    @Test func shrinkageExponentAndMinSupport() throws {
        // cos(i0, i3) = 0.2812402 on 3 common users: shrunk by 3 / (3 + 2).
        let shrunk = try Toy.item(Toy.with(Toy.all, ["shrinkage": .real(2)]), task: .rating).neighbors
        #expect(close(shrunk.weight(0, 3), 0.2812402 * 3 / 5))
        let amp = try Toy.item(Toy.with(Toy.all, ["exponent": .real(2)]), task: .rating).neighbors
        #expect(close(amp.weight(0, 3), 0.2812402 * 0.2812402))
        // min_support 3: only pairs with ≥ 3 common users survive: (i0,i3) and (i1,i3).
        let sup = try Toy.item(Toy.with(Toy.all, ["min_support": .int(3)]), task: .rating).neighbors
        #expect(sup.count == 4 && sup.weight(0, 3) != nil && sup.weight(1, 3) != nil && sup.weight(0, 1) == nil)
        // min_support above every support empties the model; λ = 0 leaves values untouched.
        #expect(try Toy.item(["min_support": .int(6)], task: .rating).neighbors.count == 0)
        let none = try Toy.item(Toy.with(Toy.all, ["shrinkage": .real(0)]), task: .rating).neighbors
        #expect(close(none.weight(0, 3), 0.2812402))
        // min_similarity is strict.
        let strict = try Toy.item(["min_similarity": .real(0.74)], task: .rating).neighbors
        #expect(strict.weight(3, 2) == nil && close(strict.weight(1, 5), 0.8090398))
    }

    /// shrinkage_form denominator: Σxy / (‖x‖‖y‖ + λ), whatever the support. Ratings: i0 = (5, 4, 1) on
    /// u0–u2, i3 = (1, 1, 5, 4, 4): 14 / (√42 √59 + 2). All ones: i0 ∩ i3 = 3 users, 3 / (√3 √5 + 1).
    @Test func shrinkageInTheDenominator() throws {
        let form: [String: ParameterValue] = ["shrinkage_form": .text("denominator")]
        let rated = try Toy.item(Toy.with(Toy.all, form.merging(["shrinkage": .real(2)]) { $1 }), task: .rating)
        #expect(close(rated.neighbors.weight(0, 3), 0.2703772))
        let bin = try Toy.item(Toy.with(Toy.all, form.merging(["shrinkage": .real(1)]) { $1 }), task: .ranking)
        #expect(close(bin.neighbors.weight(0, 3), 0.6156393) && close(bin.neighbors.weight(3, 0), 0.6156393))
        // Jaccard: |i0 ∩ i3| / (|i0 ∪ i3| + λ) = 3 / (5 + 1); user-CF shares the form (u0 · u1 = 2 items).
        let jac = try Toy.item(
            Toy.with(Toy.all, form.merging(["shrinkage": .real(1), "similarity": .text("jaccard")]) { $1 }),
            task: .ranking)
        #expect(close(jac.neighbors.weight(0, 3), 0.5))
        let users = try Toy.user(Toy.with(Toy.all, form.merging(["shrinkage": .real(1)]) { $1 }), task: .ranking)
        #expect(close(users.neighbors.weight(0, 1), 2 / (12.0.squareRoot() + 1)))
        // λ = 0 is plain cosine in either form.
        let zero = try Toy.item(Toy.with(Toy.all, form), task: .ranking)
        #expect(close(zero.neighbors.weight(0, 3), 0.7745967))
    }

    @Test func centringSimilaritiesAreRejectedForRanking() {
        #expect(throws: RecbenchError.self) { try Toy.item(["similarity": .text("centered_cosine")], task: .ranking) }
        #expect(throws: RecbenchError.self) { try Toy.user(["similarity": .text("adjusted_cosine")], task: .ranking) }
    }

    /// Pearson on implicit data correlates the 0/1 item vectors over all 5 users (numpy's corrcoef
    /// of the binarised toy matrix): i0 {u0,u1,u2} and i1 {u0,u2,u4} share 2 users where
    /// 3·3/5 = 1.8 are expected, (2 − 1.8) / √(3·0.4 · 3·0.4) = 1/6; i0 and i4 {u1,u4} share 1 where
    /// 1.2 are expected, −1/6; i2 {u3,u4} and i4, +1/6. i3 (every user) has no variance: 0.
    @Test func pearsonOnImplicitDataIsThePhiCoefficient() throws {
        let phi = try Toy.item(Toy.with(Toy.all, ["similarity": .text("pearson")]), task: .ranking).neighbors
        #expect(close(phi.weight(0, 1), 1.0 / 6) && close(phi.weight(1, 0), 1.0 / 6))
        #expect(close(phi.weight(0, 4), -1.0 / 6) && close(phi.weight(2, 4), 1.0 / 6))
        #expect(close(phi.weight(0, 3), 0))
        // The default floor (similarity > 0) keeps only the pairs that co-occur more than chance.
        let kept = try Toy.item(["similarity": .text("pearson")], task: .ranking).neighbors
        #expect(kept.weight(0, 4) == nil && close(kept.weight(0, 1), 1.0 / 6))
    }

    /// item_means (rates m = (3, 3, 2, 5, 2, 2) / 5): score(u1, i) = m_i + Σ_j w_ji (x_u1,j − m_j)
    /// over the lists that reach i. Worked out with numpy from that formula over the cosine lists
    /// (u1 has i0, i3, i4). Candidate form, k = 2, normalize: i0's list (i3 .775, i1 .667) gives
    /// 0.6 + (.775·(1 − 1) + .667·(0 − 0.6)) / (.775 + .667) = 0.3224657.
    @Test func itemMeansCentreEachInteractionOnItsItemsRate() throws {
        var s = [Float](repeating: 0, count: 6)
        let cand = try Toy.item(
            ["k": .int(2), "neighbors_of": .text("candidate"), "normalize": .bool(true), "item_means": .bool(true)],
            task: .ranking)
        s.withUnsafeMutableBufferPointer { cand.score(users: [1], into: $0) }
        for (got, want) in zip(s, [0.3224657, 0.7850229, 0.6649111, 0.9, 0.2233926, 0.2233926]) {
            #expect(close(got, want))
        }
        let rated = try Toy.item(["k": .int(2), "item_means": .bool(true)], task: .ranking)
        s.withUnsafeMutableBufferPointer { rated.score(users: [1], into: $0) }
        for (got, want) in zip(s, [0.2, 0.8666667, 0.5, 0.7185896, 0.2, 0.4]) { #expect(close(got, want)) }
    }
}

@Suite struct KNNPredictionTests {
    @Test func explicitItemPredictions() throws {
        // u1 rated i0, i3, i4; i1's cosine neighbours among them: i3 0.471, i0 0.744(best), i4 0.251.
        let k2 = try Toy.item(["k": .int(2)], task: .rating)
        #expect(close(k2.predict(users: [1], items: [1])[0], 1.2998626))
        let k1 = try Toy.item(["k": .int(1)], task: .rating)
        #expect(close(k1.predict(users: [1], items: [1])[0], 2.3333333))  // μ_1 + (4 − μ_0)
        let base = try Toy.item(["k": .int(2), "variant": .text("baseline")], task: .rating)
        #expect(close(base.predict(users: [1], items: [1])[0], 2.4740931, 1e-4))
        // The dense scoring path gives the same predictions.
        var s = [Float](repeating: 0, count: 6)
        s.withUnsafeMutableBufferPointer { k2.score(users: [1], into: $0) }
        #expect(close(s[1], 1.2998626))
    }

    /// Item-CF k=1: r̂(u2, i1) = μ_1 + (r_u2,0 − μ_0) = 4 + (5 − 11/3) = 5⅓, clipped to the top rating 5 by
    /// `predict` (the ranking path keeps 5⅓). User-CF k=1: r̂(u1, i1) = μ_u1 + (r_u0,1 − μ_u0) = 5 + 0.5.
    @Test func ratingPredictionsAreClippedToTheTrainingRange() throws {
        let items = try Toy.item(["k": .int(1)], task: .rating, data: Toy.matrix([[5, 5], [1, 3], [5, 0]]))
        #expect(items.predict(users: [2], items: [1]) == [5])
        var s = [Float](repeating: 0, count: 2)
        s.withUnsafeMutableBufferPointer { items.score(users: [2], into: $0) }
        #expect(close(s[1], 16.0 / 3))
        let users = try Toy.user(["k": .int(1)], task: .rating, data: Toy.matrix([[4, 5], [5, 0]]))
        #expect(users.predict(users: [1], items: [1]) == [5])
        s.withUnsafeMutableBufferPointer { users.score(users: [1], into: $0) }
        #expect(close(s[1], 5.5))
    }

    @Test func explicitUserPredictions() throws {
        let mc = try Toy.user(["k": .int(2)], task: .rating)
        #expect(close(mc.predict(users: [1], items: [1])[0], 1.6817640))
        let base = try Toy.user(["k": .int(2), "variant": .text("baseline")], task: .rating)
        #expect(close(base.predict(users: [1], items: [2])[0], 4.8208891, 1e-4))
    }

    @Test func implicitScores() throws {
        let item = try Toy.item(["k": .int(2)], task: .ranking)
        var s = [Float](repeating: 0, count: 6)
        s.withUnsafeMutableBufferPointer { item.score(users: [1], into: $0) }
        for (got, want) in zip(s, [0.7745967, 1.4412633, 0.5, 1.4070522, 0, 0]) { #expect(close(got, want)) }
        let all = try Toy.item(["k": .int(10)], task: .ranking)
        s.withUnsafeMutableBufferPointer { all.score(users: [1], into: $0) }
        for (got, want) in zip(s, [1.182845, 1.8495116, 1.1324555, 1.4070522, 1.0407038, 1.0407038]) {
            #expect(close(got, want))
        }
        let user = try Toy.user(["k": .int(2)], task: .ranking)
        s.withUnsafeMutableBufferPointer { user.score(users: [1], into: $0) }
        for (got, want) in zip(s, [1.2440169, 1.2440169, 0, 1.2440169, 0, 0.5773503]) { #expect(close(got, want)) }
        // normalize: u1's two neighbours (u2 0.667, u0 0.577) become a weighted vote in [0, 1].
        let norm = try Toy.user(["k": .int(2), "normalize": .bool(true)], task: .ranking)
        s.withUnsafeMutableBufferPointer { norm.score(users: [1], into: $0) }
        #expect(close(s[0], 1) && close(s[5], 0.5773503 / 1.2440169))
    }

    /// neighbors_of candidate: i scores Σ s_ij over its own k = 2 nearest items that u1 (i0, i3, i4) has.
    /// Binary cosine lists: i0 → (i3 .775, i1 .667), i1 → (i3, i0), i2 → (i3 .632, i4 .5), i3 → (i0, i1),
    /// i4, i5 → (i3, i2). The rated form gives i2 only 0.5 (i4's list reaches i2; i3's does not).
    @Test func candidateNeighbourhoods() throws {
        let cand: [String: ParameterValue] = ["k": .int(2), "neighbors_of": .text("candidate")]
        var s = [Float](repeating: 0, count: 6)
        let plain = try Toy.item(cand, task: .ranking)
        s.withUnsafeMutableBufferPointer { plain.score(users: [1], into: $0) }
        for (got, want) in zip(s, [0.7745967, 1.4412633, 1.1324555, 0.7745967, 0.6324555, 0.6324555]) {
            #expect(close(got, want))
        }
        // With λ = 1 in the denominator (RecBole's ItemKNN), the same lists with smaller weights.
        let shrunk = try Toy.item(
            Toy.with(cand, ["shrinkage": .real(1), "shrinkage_form": .text("denominator")]), task: .ranking)
        s.withUnsafeMutableBufferPointer { shrunk.score(users: [1], into: $0) }
        for (got, want) in zip(s, [0.6156393, 1.1156393, 0.8138395, 0.6156393, 0.4805061, 0.4805061]) {
            #expect(close(got, want))
        }
        // normalize divides by the candidate's own k weights: i0 gets .775 / (.775 + .667), i2 all of its 1.
        let norm = try Toy.item(Toy.with(cand, ["normalize": .bool(true)]), task: .ranking)
        s.withUnsafeMutableBufferPointer { norm.score(users: [1], into: $0) }
        #expect(close(s[0], 0.5374428) && close(s[2], 1))
        // k at least every list's length: both forms sum every similarity between u's items and i.
        let wide = try Toy.item(["k": .int(10), "neighbors_of": .text("candidate")], task: .ranking)
        s.withUnsafeMutableBufferPointer { wide.score(users: [1], into: $0) }
        for (got, want) in zip(s, [1.182845, 1.8495116, 1.1324555, 1.4070522, 1.0407038, 1.0407038]) {
            #expect(close(got, want))
        }
    }

    @Test func userWithoutNeighboursFallsBack() throws {
        // u5 has no ratings: rating predictions are the bias baseline, ranking is by popularity.
        var rows = Toy.dense; rows.append([0, 0, 0, 0, 0, 0])
        let data = Toy.matrix(rows)
        let bias = BiasBaseline(config: .init(ParameterValues(specs: BiasBaseline.Config.parameters)))
        try bias.fit(TrainingData(task: .rating, interactions: data), context: FitContext())
        for model in [
            try Toy.item([:], task: .rating, data: data) as any RatingPredictor,
            try Toy.user([:], task: .rating, data: data)
        ] {
            let p = model.predict(users: [5, 5], items: [0, 2])
            #expect(p == bias.predict(users: [5, 5], items: [0, 2]))
        }
        for model in [
            try Toy.item([:], task: .ranking, data: data) as any Recommender,
            try Toy.user([:], task: .ranking, data: data)
        ] {
            var s = [Float](repeating: .nan, count: 6)
            s.withUnsafeMutableBufferPointer { model.score(users: [5], into: $0) }
            #expect(s == [3, 3, 2, 5, 2, 2].map { Float($0) / 5 })  // item counts / max
        }
        // Too few neighbours (min_neighbors above k) also falls back to the baseline.
        let strict = try Toy.item(["k": .int(2), "min_neighbors": .int(3)], task: .rating, data: data)
        #expect(strict.predict(users: [1], items: [1]) == bias.predict(users: [1], items: [1]))
    }

    @Test func identicalAtOneAndTwoThreads() throws {
        var rng = RandomSource(seed: 7, stream: "knn-threads")
        var rows = [[Float]](repeating: [Float](repeating: 0, count: 120), count: 200)
        for u in 0..<200 {
            for i in 0..<120 where rng.nextDouble() < 0.08 { rows[u][i] = Float(1 + Int(rng.nextDouble() * 5)) }
        }
        let data = Toy.matrix(rows)
        for sim in ["cosine", "pearson", "adjusted_cosine", "centered_cosine", "jaccard"] {
            let o: [String: ParameterValue] = [
                "similarity": .text(sim), "neighbors_kept": .int(15), "shrinkage": .real(5)
            ]
            let a = try Toy.item(o, task: .rating, data: data, threads: 1),
                b = try Toy.item(o, task: .rating, data: data, threads: 2)
            #expect(a.neighbors == b.neighbors && a.neighbors.count > 0)
            let c = try Toy.user(o, task: .rating, data: data, threads: 1),
                d = try Toy.user(o, task: .rating, data: data, threads: 2)
            #expect(c.neighbors == d.neighbors && c.neighbors.count > 0)
        }
    }
}

/// The toy matrix's 17 ratings sum to 51, so the global mean is exactly 3.
@Suite struct KNNDampingTests {
    static let plain = Toy.classic

    /// β = 2: item 0's ratings (5, 4, 1) give (10 + 2·3) / (3 + 2) = 3.2, item 1's (3, 1, 1) give 2.2.
    /// Item-CF k=1 (cosine, raw ratings, so the means do not touch the similarity): u1's best
    /// neighbour of i1 is i0 (s = 0.7443874), r̂ = 2.2 + (4 − 3.2) = 3.0. With λ_d = 0.5 the
    /// correction is s·0.8 / (s + 0.5), r̂ = 2.6785567.
    @Test func dampedItemMeansAndPredictionDamping() throws {
        let k1 = try Toy.item(Toy.with(Self.plain, ["k": .int(1), "mean_damping": .real(2)]), task: .rating)
        #expect(close(k1.predict(users: [1], items: [1])[0], 3.0))
        let damped = try Toy.item(
            Toy.with(Self.plain, ["k": .int(1), "mean_damping": .real(2), "damping": .real(0.5)]), task: .rating)
        #expect(close(damped.predict(users: [1], items: [1])[0], 2.6785567))
        // Plain means, k = 2 (i0 0.744, i3 0.471): the undamped 1.2998626 moves towards μ_1 = 5/3.
        let k2 = try Toy.item(Toy.with(Self.plain, ["k": .int(2), "damping": .real(0.5)]), task: .rating)
        #expect(close(k2.predict(users: [1], items: [1])[0], 1.4067758))
        var s = [Float](repeating: 0, count: 6)
        s.withUnsafeMutableBufferPointer { k2.score(users: [1], into: $0) }
        #expect(close(s[1], 1.4067758))
    }

    /// β = 2: u1's ratings (4, 1, 2) give 13/5 = 2.6, u0's (5, 3, 1, 4) give 19/6. User-CF k=1: u1's
    /// best cosine neighbour who rated i1 is u0 (s = 0.6416889), r̂ = 2.6 + (3 − 19/6) = 2.4333333;
    /// with λ_d = 0.5, 2.6 + s·(−1/6) / (s + 0.5) = 2.5063246.
    @Test func dampedUserMeansAndPredictionDamping() throws {
        let k1 = try Toy.user(Toy.with(Self.plain, ["k": .int(1), "mean_damping": .real(2)]), task: .rating)
        #expect(close(k1.predict(users: [1], items: [1])[0], 2.4333333))
        let damped = try Toy.user(
            Toy.with(Self.plain, ["k": .int(1), "mean_damping": .real(2), "damping": .real(0.5)]), task: .rating)
        #expect(close(damped.predict(users: [1], items: [1])[0], 2.5063246))
    }

    /// The baseline variant's b_ui is the Bias model fitted with baseline_item_reg / baseline_user_reg:
    /// with too few neighbours (min_neighbors above k) every prediction is exactly that model's.
    @Test func baselineRegularisationReachesTheBiasModel() throws {
        let bias = BiasBaseline(
            config: .init(
                ParameterValues(
                    specs: BiasBaseline.Config.parameters,
                    overrides: ["item_reg": .real(3), "user_reg": .real(4)])))
        try bias.fit(TrainingData(task: .rating, interactions: Toy.matrix()), context: FitContext())
        let o: [String: ParameterValue] = [
            "variant": .text("baseline"), "k": .int(2), "min_neighbors": .int(3),
            "baseline_item_reg": .real(3), "baseline_user_reg": .real(4)
        ]
        let users: [Int32] = [0, 1, 2, 4], items: [Int32] = [2, 1, 5, 0]
        let want = bias.predict(users: users, items: items)
        #expect(try Toy.item(o, task: .rating).predict(users: users, items: items) == want)
        #expect(try Toy.user(o, task: .rating).predict(users: users, items: items) == want)
        // ...and differs from the default-regularised baseline, so the setting is really used.
        let dflt = BiasBaseline(config: .init(ParameterValues(specs: BiasBaseline.Config.parameters)))
        try dflt.fit(TrainingData(task: .rating, interactions: Toy.matrix()), context: FitContext())
        #expect(dflt.predict(users: users, items: items) != want)
    }
}
