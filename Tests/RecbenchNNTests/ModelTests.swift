import Testing
import RecbenchCore
import RecbenchAlgorithms
@testable import RecbenchNN

/// Sequences where item t+1 is determined by item t: next(i) = (i + 7) mod V (histories shorter than V).
func synthesizeChains(users: Int, items: Int, length: Int, seed: UInt64) -> (TrainingData, next: (Int32) -> Int32) {
    var rng = RandomSource(seed: seed)
    let next: (Int32) -> Int32 = { Int32((Int($0) + 7) % items) }  // one cycle through all items
    var us = [Int32](), its = [Int32](), ts = [Int64]()
    for u in 0..<users {
        var i = Int32(rng.nextInt(below: items))
        var seen = Set<Int32>()
        for t in 0..<length {
            if seen.contains(i) { break }  // one interaction per pair; chains are permutation cycles
            seen.insert(i); us.append(Int32(u)); its.append(i); ts.append(Int64(t)); i = next(i)
        }
    }
    let m = InteractionMatrix(
        userCount: users, itemCount: items, users: us, items: its,
        values: [Float](repeating: 1, count: us.count), timestamps: ts)
    return (TrainingData(task: .sequential, interactions: m), next)
}

/// Fraction of users whose top-scored item outside their history (the evaluation protocol's
/// mask) is the true successor of their last item.
func hitRateAtOne(_ model: any Recommender, _ data: TrainingData, next: (Int32) -> Int32) -> Double {
    let n = data.itemCount, users = (0..<data.userCount).map { Int32($0) }
    var scores = [Float](repeating: 0, count: users.count * n)
    scores.withUnsafeMutableBufferPointer { model.score(users: users, into: $0) }
    var hits = 0
    for u in 0..<users.count {
        let h = data.interactions.history(of: u)
        let seen = Set(h)
        let best = (0..<n).filter { !seen.contains(Int32($0)) }.max { scores[u * n + $0] < scores[u * n + $1] }!
        if Int32(best) == next(h.last!) { hits += 1 }
    }
    return Double(hits) / Double(users.count)
}

@Suite struct ModelTests {
    static let small: [String: ParameterValue] = [
        "embedding_size": .int(16), "blocks": .int(1), "heads": .int(2), "inner_size": .int(32), "max_length": .int(12),
        "dropout": .real(0), "learning_rate": .real(0.01), "batch_size": .int(32), "epochs": .int(25)
    ]

    /// The hidden state at position t depends only on items at positions ≤ t.
    @Test func causalMask() {
        let model = SASRec(config: .init(Self.small))
        model.core.build(itemCount: 20, seed: 3)
        let l = 12, d = 16
        func hidden(_ window: [Int32]) -> [Float] {
            let g = Graph(training: false, recordsGradients: false)
            let valid = window.map { $0 >= 0 ? Int32(1) : 0 }
            let h = window.withUnsafeBufferPointer { w in
                valid.withUnsafeBufferPointer { model.core.encode(g, items: w, keyValid: $0, batch: 1) }
            }
            return g.values(h)
        }
        let a: [Int32] = [-1, -1, 4, 7, 1, 9, 3, 3, 12, 5, 6, 0]
        var b = a
        b[9] = 17; b[10] = 2; b[11] = 19  // change everything after t = 8
        let ha = hidden(a), hb = hidden(b)
        #expect(Array(ha[(2 * d)..<(9 * d)]) == Array(hb[(2 * d)..<(9 * d)]))
        #expect(Array(ha[(9 * d)..<(l * d)]) != Array(hb[(9 * d)..<(l * d)]))
        // BERT4Rec's encoder is bidirectional: earlier positions do see the change.
        let bert = BERT4Rec(config: .init(Self.small))
        bert.core.build(itemCount: 20, seed: 3)
        func bidirectional(_ window: [Int32]) -> [Float] {
            let g = Graph(training: false, recordsGradients: false)
            let valid = window.map { $0 >= 0 ? Int32(1) : 0 }
            return g.values(
                window.withUnsafeBufferPointer { w in
                    valid.withUnsafeBufferPointer { bert.core.encode(g, items: w, keyValid: $0, batch: 1) }
                })
        }
        #expect(Array(bidirectional(a)[(2 * d)..<(9 * d)]) != Array(bidirectional(b)[(2 * d)..<(9 * d)]))
    }

    @Test func sasrecLearnsDeterministicSuccessor() throws {
        let (data, next) = synthesizeChains(users: 200, items: 40, length: 14, seed: 1)
        for loss in ["softmax", "bce"] {
            var o = Self.small
            o["loss"] = .text(loss)
            o["epochs"] = .int(40)
            if loss == "bce" { o["negatives"] = .int(1); o["epochs"] = .int(80) }
            let model = SASRec(config: .init(o))
            let context = FitContext(seed: 5)
            try model.fit(data, context: context)
            let hr = hitRateAtOne(model, data, next: next)
            #expect(hr > 0.9, "loss \(loss): HR@1 \(hr) \(context.curve.map { $0.values["loss"]! })")
            #expect(
                context.curve.count == (loss == "bce" ? 80 : 40)
                    && context.curve.allSatisfy { $0.values["loss"] != nil && $0.values["epoch_seconds"] != nil })
            #expect(context.curve.last!.values["loss"]! < context.curve.first!.values["loss"]!)
        }
    }

    @Test func bert4recLearnsDeterministicSuccessor() throws {
        let (data, next) = synthesizeChains(users: 200, items: 40, length: 14, seed: 2)
        var o = Self.small
        o["mask_probability"] = .real(0.3); o["epochs"] = .int(40)
        let model = BERT4Rec(config: .init(o))
        try model.fit(data, context: FitContext(seed: 5))
        let hr = hitRateAtOne(model, data, next: next)
        #expect(hr > 0.8, "HR@1 \(hr)")
    }

    /// Same seed and thread count → bit-identical scores; another seed → different ones.
    @Test(arguments: [1, 2]) func seededRunsReproduce(threads: Int) throws {
        let (data, _) = synthesizeChains(users: 60, items: 30, length: 10, seed: 3)
        var o = Self.small
        o["dropout"] = .real(0.3); o["epochs"] = .int(3); o["negatives"] = .int(2); o["loss"] = .text("bce")
        func run(seed: UInt64) throws -> [Float] {
            let model = SASRec(config: .init(o))
            try model.fit(data, context: FitContext(threads: threads, seed: seed))
            var s = [Float](repeating: 0, count: 60 * 30)
            s.withUnsafeMutableBufferPointer { model.score(users: (0..<60).map { Int32($0) }, into: $0) }
            return s
        }
        let a = try run(seed: 9), b = try run(seed: 9), c = try run(seed: 10)
        #expect(a == b)
        #expect(a != c)
    }

    /// With a validation item, fitting scores the training history (predicting the validation
    /// item) and afterwards continues training history + validation item.
    @Test func scoringContinuesValidationAfterFit() throws {
        let (train, next) = synthesizeChains(users: 100, items: 40, length: 10, seed: 4)
        var vu = [Int32](), vi = [Int32]()
        for u in 0..<100 { vu.append(Int32(u)); vi.append(next(train.interactions.history(of: u).last!)) }
        let validation = InteractionMatrix(
            userCount: 100, itemCount: 40, users: vu, items: vi, values: [Float](repeating: 1, count: 100))
        let data = TrainingData(task: .sequential, interactions: train.interactions, validation: validation)
        var o = Self.small
        o["epochs"] = .int(30); o["patience"] = .int(5)
        let model = SASRec(config: .init(o))
        let context = FitContext(seed: 1)
        try model.fit(data, context: context)
        #expect(context.curve.contains { ($0.values["validation"] ?? 0) > 0.9 })
        // After fit the model predicts the item after the validation item.
        var scores = [Float](repeating: 0, count: 100 * 40)
        scores.withUnsafeMutableBufferPointer { model.score(users: (0..<100).map { Int32($0) }, into: $0) }
        var hits = 0
        for u in 0..<100 {
            let row = scores[(u * 40)..<((u + 1) * 40)]
            if Int32(row.indices.max { row[$0] < row[$1] }! - u * 40) == next(vi[u]) { hits += 1 }
        }
        #expect(hits > 85)
    }

    /// Scoring splits the tower's first layer into a user and an item half computed once each; the
    /// scores equal the forward pass on every (user, item) pair, over several blocks of users and
    /// chunks of pairs that cross users (300 pairs a chunk against 700 items a user).
    @Test func neumfScoresAreItsForwardPass() throws {
        var rng = RandomSource(seed: 3)
        var us = [Int32](), its = [Int32]()
        for u in 0..<50 { for _ in 0..<5 { us.append(Int32(u)); its.append(Int32(rng.nextInt(below: 700))) } }
        let m = InteractionMatrix(
            userCount: 50, itemCount: 700, users: us, items: its, values: [Float](repeating: 1, count: us.count))
        let model = NeuMF(config: .init(["embedding_size": .int(8), "mlp_layers": .int(3), "epochs": .int(1)]))
        try model.fit(TrainingData(task: .ranking, interactions: m), context: FitContext(seed: 2))
        var r = RandomSource(seed: 4)
        for p in model.parameters { p.fillNormal(std: 0.3, rng: &r) }
        model.scoringChunk = 300
        let users = (0..<50).map { Int32($0) }
        var scores = [Float](repeating: 0, count: 50 * 700)
        scores.withUnsafeMutableBufferPointer { model.score(users: users, into: $0) }
        let pairUsers = users.flatMap { u in [Int32](repeating: u, count: 700) }
        let pairItems = users.flatMap { _ in (0..<700).map { Int32($0) } }
        let g = Graph(training: false, recordsGradients: false)
        let forward = pairUsers.withUnsafeBufferPointer { u in
            pairItems.withUnsafeBufferPointer { g.values(model.forward(g, users: u, items: $0)) }
        }
        #expect(Set(forward).count > 1000)
        #expect(zip(scores, forward).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
    }

    /// The forward pass's split first layer (the user half once per run of equal users) against the
    /// layer applied to the concatenation [p′_u ‖ q′_i], for pairs whose users come in runs, alone
    /// and out of order; and its gradients (the two row blocks of one weight) against finite
    /// differences.
    @Test func neumfSplitLayerIsTheConcatenatedLayer() throws {
        let model = NeuMF(config: .init(["embedding_size": .int(4), "mlp_layers": .int(2)]))
        model.build(users: 5, items: 7, seed: 3)
        var r = RandomSource(seed: 6)
        for p in model.parameters { p.fillNormal(std: 0.5, rng: &r) }
        let users: [Int32] = [0, 0, 0, 3, 3, 1, 0, 4, 4, 4], items: [Int32] = [1, 2, 6, 0, 6, 3, 3, 5, 2, 1]
        func forward(_ g: Graph) -> Tensor {
            users.withUnsafeBufferPointer { u in items.withUnsafeBufferPointer { model.forward(g, users: u, items: $0) }
            }
        }
        let g = Graph(training: false, recordsGradients: false)
        let split = g.values(forward(g))
        let e = 4, n = users.count
        let gmf = g.mul(
            g.gatherRows(g.parameter(model.userGMF), users, shape: Shape(n, e)),
            g.gatherRows(g.parameter(model.itemGMF), items, shape: Shape(n, e)))
        var h = g.concat(
            g.gatherRows(g.parameter(model.userMLP), users, shape: Shape(n, e)),
            g.gatherRows(g.parameter(model.itemMLP), items, shape: Shape(n, e)))
        for layer in model.tower { h = g.relu(layer(g, h)) }
        let concatenated = g.values(model.head(g, g.concat(gmf, h)))
        #expect(Set(split).count == n)
        #expect(zip(split, concatenated).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        #expect(gradientCheck(model.parameters, build: forward) <= 0)
    }

    /// Two user groups with disjoint item sets: NeuMF ranks a user's unseen in-group items above
    /// out-of-group items (per-user AUC > 0.9) for nearly all users, with dense Adam and with
    /// `sparse_adam`; and no gradient is left in any parameter after the fit, so the lazy steps'
    /// row lists covered every row a step wrote.
    @Test(arguments: [false, true]) func neumfSeparatesGroups(sparseAdam: Bool) throws {
        var rng = RandomSource(seed: 8)
        var us = [Int32](), its = [Int32]()
        for u in 0..<60 {
            let base = u < 30 ? 0 : 20
            var chosen = Set<Int>()
            while chosen.count < 12 { chosen.insert(base + rng.nextInt(below: 20)) }
            for i in chosen.sorted() { us.append(Int32(u)); its.append(Int32(i)) }
        }
        let m = InteractionMatrix(
            userCount: 60, itemCount: 40, users: us, items: its, values: [Float](repeating: 1, count: us.count))
        let model = NeuMF(
            config: .init([
                "embedding_size": .int(8), "mlp_layers": .int(2), "epochs": .int(30),
                "learning_rate": .real(0.01), "batch_size": .int(64), "sparse_adam": .bool(sparseAdam)
            ]))
        let context = FitContext(seed: 2)
        try model.fit(TrainingData(task: .ranking, interactions: m), context: context)
        var scores = [Float](repeating: 0, count: 60 * 40)
        scores.withUnsafeMutableBufferPointer { model.score(users: (0..<60).map { Int32($0) }, into: $0) }
        var good = 0
        for u in 0..<60 {
            let base = u < 30 ? 0 : 20, seen = Set(m.items(of: u))
            let inGroup = (base..<(base + 20)).filter { !seen.contains(Int32($0)) }.map { scores[u * 40 + $0] }
            let outGroup = (0..<40).filter { $0 < base || $0 >= base + 20 }.map { scores[u * 40 + $0] }
            // Fraction of (in-group unseen, out-of-group) pairs ordered correctly (a per-user AUC).
            var ordered = 0
            for a in inGroup { for b in outGroup where a > b { ordered += 1 } }
            if Double(ordered) / Double(inGroup.count * outGroup.count) > 0.9 { good += 1 }
        }

        #expect(good >= 55, "\(good) of 60 users separated")
        #expect(context.curve.last!.values["loss"]! < context.curve.first!.values["loss"]!)
        #expect(model.parameters.allSatisfy { p in (0..<p.count).allSatisfy { p.grad[$0] == 0 } })
    }
}
