import Testing
import RecbenchCore
import RecbenchAlgorithms
@testable import RecbenchNN

/// Users with three categorical attributes ("planted", "noise1", "noise2", 4 levels each) and items
/// with one ("kind", 4 levels). Only "planted" matters: a user rates 5 the items whose kind equals
/// their planted level and 1 the rest. Each user rates `perUser` random items.
func plantedFieldData(
    users: Int = 300, items: Int = 40, perUser: Int = 12, seed: UInt64 = 5,
    noiseEffects: Bool = false
) -> TrainingData {
    var rng = RandomSource(seed: seed)
    let levels = (0..<3).map { _ in (0..<users).map { _ in rng.nextInt(below: 4) } }
    let kind = (0..<items).map { $0 % 4 }
    var us = [Int32](), its = [Int32](), rs = [Float]()
    for u in 0..<users {
        var chosen = Set<Int>()
        while chosen.count < perUser { chosen.insert(rng.nextInt(below: items)) }
        for i in chosen.sorted() {
            us.append(Int32(u)); its.append(Int32(i));
            rs.append((kind[i] == levels[0][u] ? 4 : 1) + (noiseEffects ? Float(levels[1][u] + levels[2][u]) / 6 : 0))
        }
    }
    let m = InteractionMatrix(userCount: users, itemCount: items, users: us, items: its, values: rs)
    let userFeatures = FeatureTable(
        groups: ["planted", "noise1", "noise2"].enumerated().map { k, name in
            FeatureGroup(name: name, categories: levels[k].map { "L\($0)" })
        })
    let itemFeatures = FeatureTable(groups: [FeatureGroup(name: "kind", categories: kind.map { "K\($0)" })])
    return TrainingData(task: .rating, interactions: m, userFeatures: userFeatures, itemFeatures: itemFeatures)
}

/// Items 1… fall into two kinds (odd = A, even = B); item 0 is a trigger half of the users have
/// rated. Kind-A items get 5 from users with the trigger and 1 from the others; kind-B items and
/// the trigger get 3 from everyone. So only the trigger among a user's past items says how they
/// rate a kind-A candidate.
func plantedItemData(users: Int = 300, items: Int = 41, perUser: Int = 10, seed: UInt64 = 9) -> TrainingData {
    var rng = RandomSource(seed: seed)
    var us = [Int32](), its = [Int32](), rs = [Float](), ts = [Int64]()
    for u in 0..<users {
        let triggered = u % 2 == 0
        var chosen = Set<Int>()
        while chosen.count < perUser { chosen.insert(1 + rng.nextInt(below: items - 1)) }
        var list = chosen.sorted()
        if triggered { list.insert(0, at: rng.nextInt(below: list.count + 1)) }
        for (t, i) in list.enumerated() {
            us.append(Int32(u)); its.append(Int32(i)); ts.append(Int64(t))
            rs.append(i == 0 || i % 2 == 0 ? 3 : (triggered ? 5 : 1))
        }
    }
    let m = InteractionMatrix(userCount: users, itemCount: items, users: us, items: its, values: rs, timestamps: ts)
    return TrainingData(task: .rating, interactions: m)
}

@Suite struct FieldModelTests {
    @Test func weightedPoolAndReshape() {
        let w = randomParameter("w", Shape(2, 3)), v = randomParameter("v", Shape(2, 3, 4)),
            b = randomParameter("b", Shape(12, 2))
        #expect(gradientCheck([w, v]) { g in g.weightedPool(g.parameter(w), g.parameter(v)) } <= 0)
        // Through a reshape (a view) the gradient reaches the original tensor.
        #expect(gradientCheck([v, b]) { g in g.matmul(g.reshape(g.parameter(v), Shape(2, 12)), g.parameter(b)) } <= 0)
        // Hand-computed: rows [1, 2] and [3, 4] weighted 2 and −1 give [−1, 0].
        let g = Graph()
        let out = g.weightedPool(g.input(Shape(1, 2), [2, -1]), g.input(Shape(1, 2, 2), [1, 2, 3, 4]))
        #expect(g.values(out) == [-1, 0])
    }

    /// The fused activation unit against the same function built from the general ops (values and
    /// every gradient; the history rows and the candidate spread over the slots by `gatherRows`,
    /// rows shared by several slots and one empty slot), and against finite differences on a draw
    /// whose ReLU inputs all lie at least 0.1 from the kink (central differences across it are
    /// wrong), with both signs among them; at one and at three threads.
    @Test(arguments: [1, 3]) func activationWeights(threads: Int) throws {
        let (b, l, d, a, rows) = (3, 4, 2, 5, 7)
        let slots: [Int32] = [0, 1, 2, 1, 3, -1, 0, 4, 5, 6, 2, 2]
        /// Values, ReLU inputs (composed only) and gradients of h, c, the stacked unit and biases.
        func run(_ p: [Parameter], fused: Bool) -> (values: [Float], pre: [Float], grads: [[Float]]) {
            let (h, c, u, biases) = (p[0], p[1], p[2], p[3])
            func part(_ p: Parameter, _ range: Range<Int>, _ shape: Shape) -> Parameter {
                let q = Parameter("part", shape)
                q.values = Array(p.values[range])
                return q
            }
            let blocks = (0..<3).map { k in part(u, (k * d * a)..<((k + 1) * d * a), Shape(d, a)) }
            let v = part(u, (3 * d * a)..<((3 * d + 1) * a), Shape(a, 1)), bias = part(biases, 0..<a, Shape(a)),
                v0 = part(biases, a..<(a + 1), Shape(1))
            for q in p { q.zeroGrad() }
            let g = Graph(threads: threads), H = g.parameter(h), C = g.parameter(c)
            let spreadH = g.gatherRows(H, slots, shape: Shape(b, l, d))
            var pre = [Float]()
            let out: Tensor
            if fused {
                out = g.activationWeights(
                    history: H, slots: slots, length: l, candidate: C, unit: g.parameter(u), biases: g.parameter(biases)
                )
            } else {
                let spread = (0..<(b * l)).map { Int32($0 / l) }
                let cs = g.gatherRows(C, spread, shape: Shape(b, l, d))
                let hw = g.matmul(spreadH, g.parameter(blocks[0]))
                let pw = g.matmul(g.mul(spreadH, cs), g.parameter(blocks[1]))
                let cw = g.gatherRows(g.matmul(C, g.parameter(blocks[2])), spread, shape: Shape(b, l, a))
                let z = g.addBias(g.add(g.add(hw, pw), cw), g.parameter(bias))
                pre = g.values(z)
                out = g.addBias(g.matmul(g.relu(z), g.parameter(v)), g.parameter(v0))
            }
            let seed = (0..<out.shape.count).map { Float($0 % 7) - 3 }
            seed.withUnsafeBufferPointer { g.backward(out, seed: $0) }
            let grads = { (p: Parameter) in Array(UnsafeBufferPointer(start: p.grad, count: p.count)) }
            let stacked =
                fused ? [grads(u), grads(biases)] : [blocks.flatMap(grads) + grads(v), grads(bias) + grads(v0)]
            return (g.values(out), pre, [grads(h), grads(c)] + stacked)
        }
        func draw(_ seed: UInt64) -> [Parameter] {
            [("h", Shape(rows, d)), ("c", Shape(b, d)), ("u", Shape(3 * d + 1, a)), ("biases", Shape(a + 1))].map {
                randomParameter($0.0, $0.1, seed: seed)
            }
        }
        let clear = try #require(
            (1...200).lazy.map(draw).first { p in
                let pre = run(p, fused: false).pre
                return pre.allSatisfy { abs($0) >= 0.1 } && pre.contains { $0 < 0 } && pre.contains { $0 > 0 }
            })
        for p in [draw(1), clear] {
            let fused = run(p, fused: true), composed = run(p, fused: false)
            #expect(composed.pre.contains { $0 < 0 } && composed.pre.contains { $0 > 0 })
            for (x, y) in zip([fused.values] + fused.grads, [composed.values] + composed.grads) {
                #expect(x.count == y.count)
                #expect(zip(x, y).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "\(x) vs \(y)")
            }
        }
        let worst = gradientCheck(clear) { g in
            g.threads = threads
            return g.activationWeights(
                history: g.parameter(clear[0]), slots: slots, length: l, candidate: g.parameter(clear[1]),
                unit: g.parameter(clear[2]), biases: g.parameter(clear[3]))
        }
        #expect(worst <= 0, "worst violation \(worst)")
    }

    @Test func pairwiseInteraction() {
        let x = randomParameter("x", Shape(2, 3, 4))
        #expect(gradientCheck([x]) { g in g.pairwiseInteraction(g.parameter(x)) } <= 0)
        // Hand-computed: fields [1, 2], [3, 0], [0, −1] → ⟨1,2⟩ = 3, ⟨1,3⟩ = −2, ⟨2,3⟩ = 0; sum 1.
        let g = Graph()
        #expect(g.values(g.pairwiseInteraction(g.input(Shape(1, 3, 2), [1, 2, 3, 0, 0, -1]))) == [1])
    }

    @Test func squaredNormPenalty() {
        let x = randomParameter("x", Shape(2, 3))
        #expect(gradientCheck([x]) { g in g.squaredNorm(g.parameter(x), scale: 0.3) } <= 0)
        // 0.5 · (1 + 4 + 9) = 7; a penalty is collected only on a training graph.
        let training = Graph(training: true), inference = Graph(training: false, recordsGradients: false)
        for g in [training, inference] { g.penalize(g.variable(Shape(3), [1, -2, 3]), scale: 0.5) }
        #expect(training.penalties.map { training.scalar($0) } == [7])
        #expect(inference.penalties.isEmpty)
    }

    @Test func meanSquaredError() {
        let x = randomParameter("x", Shape(5, 1))
        let targets: [Float] = [1, 2, 3, 4, 5]
        #expect(gradientCheck([x]) { g in g.meanSquaredError(g.parameter(x), targets: targets) } <= 0)
        let g = Graph()
        // ((1−2)² + (4−2)²) / 2 = 2.5
        #expect(g.scalar(g.meanSquaredError(g.input(Shape(2), [1, 4]), targets: [2, 2])) == 2.5)
    }

    static func values(_ specs: [ParameterSpec], _ overrides: [String: ParameterValue]) -> ParameterValues {
        ParameterValues(specs: specs, overrides: overrides)
    }

    /// The whole AutoInt forward pass (field embedding bags with a multi-hot history field and,
    /// optionally, the rating fields; two interacting layers of two heads with residual ReLU, linear
    /// output, first-order and pairwise terms) against finite differences on every parameter.
    /// Central differences are wrong where a ReLU input lies within ε of 0. A scan of draws 1–12 at
    /// ε = 10⁻² and 3·10⁻³ found the kink's signature (a violation at 10⁻² that shrinks or vanishes at
    /// 3·10⁻³) in most draws; the draws here pass at both.
    @Test(arguments: [(5, false), (10, false), (7, true), (12, true)] as [(UInt64, Bool)])
    func autoIntGradients(_ seed: UInt64, ratingFields: Bool) {
        let data = plantedFieldData(users: 6, items: 5, perUser: 3)
        let model = AutoInt(
            config: .init(
                Self.values(
                    AutoInt.Config.parameters,
                    [
                        "embedding_size": .int(3), "heads": .int(2), "attention_size": .int(2), "layers": .int(2),
                        "history": .bool(true), "pairwise_term": .bool(true), "rating_fields": .bool(ratingFields)
                    ])))
        model.build(data, seed: 3)
        var rng = RandomSource(seed: seed)
        for p in model.parameters { p.fillNormal(std: 0.5, rng: &rng) }
        #expect(gradientCheck(model.parameters) { g in model.forward(g, users: [0, 3, 5], items: [1, 4, 2]) } <= 0)
    }

    /// The whole DIN forward pass (activation unit, weighted pooling with padding, MLP, pairwise term).
    /// Draw 4 of the parameters puts a ReLU input within ε of its kink (violation 0.011 at ε = 10⁻²,
    /// 0.0046 at 3·10⁻³); draws 1–3 and 5–14 pass at both.
    @Test func dinGradients() {
        let data = plantedItemData(users: 4, items: 7, perUser: 3)
        let model = DIN(
            config: .init(
                Self.values(
                    DIN.Config.parameters,
                    [
                        "embedding_size": .int(3), "max_length": .int(5), "attention_size": .int(3),
                        "hidden_size": .int(4), "pairwise_term": .bool(true)
                    ])))
        model.build(data, seed: 3)
        var rng = RandomSource(seed: 5)
        for p in model.parameters { p.fillNormal(std: 0.5, rng: &rng) }
        #expect(gradientCheck(model.parameters) { g in model.forward(g, users: [0, 1, 3], items: [1, 2, 0]) } <= 0)
    }

    /// A batch cut in two halves on two graphs (`SplitStep`, the second into shadow gradients)
    /// gives the loss and every gradient of the whole batch on one graph, penalties included, for
    /// both tasks' losses.
    @Test(arguments: [true, false]) func halvesGiveTheWholeBatchGradient(rating: Bool) {
        let data = plantedFieldData(users: 6, items: 5, perUser: 3)
        let model = AutoInt(
            config: .init(
                Self.values(
                    AutoInt.Config.parameters,
                    [
                        "embedding_size": .int(4), "heads": .int(2), "attention_size": .int(2), "history": .bool(true),
                        "pairwise_term": .bool(true), "embedding_regularization": .real(0.3)
                    ])))
        model.build(data, seed: 3)
        var rng = RandomSource(seed: 8)
        for p in model.parameters { p.fillNormal(std: 0.5, rng: &rng) }
        var whole = FieldBatch()
        for (k, (u, i)) in [(0, 1), (3, 4), (5, 2), (1, 0), (2, 3), (4, 4), (0, 2)].enumerated() {
            whole.append(Int32(u), Int32(i), rating ? Float(1 + k % 5) : Float(k % 2))
        }
        var first = FieldBatch(), second = FieldBatch()
        for k in 0..<whole.count {
            if k < 4 {
                first.append(whole.users[k], whole.items[k], whole.targets[k])
            } else {
                second.append(whole.users[k], whole.items[k], whole.targets[k])
            }
        }
        func run(parts: [FieldBatch]) -> (Double, [[Float]]) {
            for p in model.parameters { p.zeroGrad() }
            let step = SplitStep(parameters: model.parameters, parts: parts.count, threads: 2, seed: 1, rating: rating)
            let loss = step.accumulate(parts) { g, u, i in model.forward(g, users: u, items: i) }
            for s in step.shadows { s.flush(threads: 2) }
            return (loss, model.parameters.map { Array(UnsafeBufferPointer(start: $0.grad, count: $0.count)) })
        }
        let (wholeLoss, wholeGrads) = run(parts: [whole]), (splitLoss, splitGrads) = run(parts: [first, second])
        #expect(abs(wholeLoss - splitLoss) <= 1e-6 * abs(wholeLoss), "\(wholeLoss) vs \(splitLoss)")
        #expect(wholeGrads.joined().contains { $0 != 0 })
        for (x, y) in zip(wholeGrads, splitGrads) {
            #expect(zip(x, y).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) }, "\(x) vs \(y)")
        }
    }

    /// Only the "planted" user field predicts the rating, jointly with the item's kind (5 when they
    /// match, else 1), so the model must relate the two fields through attention. After fitting the
    /// data (training RMSE < 0.1), the attention the item's kind field pays to the planted field
    /// must exceed twice what it pays to either noise field, and so must the attention the planted
    /// field receives averaged over all querying fields (×1.5). Measured: 0.270 vs 0.103 and 0.258
    /// vs 0.127 (a uniform softmax would give each of the six fields 0.167).
    @Test func autoIntAttendsToThePlantedField() throws {
        let data = plantedFieldData()
        let model = AutoInt(
            config: .init(
                Self.values(
                    AutoInt.Config.parameters,
                    [
                        "embedding_size": .int(8), "heads": .int(1), "attention_size": .int(8), "layers": .int(1),
                        "epochs": .int(40), "batch_size": .int(128), "learning_rate": .real(0.01),
                        "linear_terms": .bool(false)
                    ])))
        try model.fit(data, context: FitContext(seed: 1))
        let m = data.interactions
        var users = [Int32](), items = [Int32]()
        for u in 0..<m.userCount { for i in m.items(of: u) { users.append(Int32(u)); items.append(i) } }
        let p = model.predict(users: users, items: items)
        let rmse = (zip(p, m.byUser.values).map { Double(($0 - $1) * ($0 - $1)) }.reduce(0, +) / Double(p.count))
            .squareRoot()
        #expect(rmse < 0.1, "training RMSE \(rmse)")
        for (query, factor) in [("item:kind", 2), (nil, 1.5)] as [(String?, Float)] {
            var total = [String: Float]()
            for u in 0..<30 {
                for (name, w) in model.attentionWeights(user: Int32(u), item: Int32(u % 40), query: query) {
                    total[name, default: 0] += w
                }
            }
            #expect(abs(total.values.reduce(0, +) / 30 - 1) < 1e-4)
            let planted = total["user:planted"]!, noise = max(total["user:noise1"]!, total["user:noise2"]!)
            #expect(planted > factor * noise, "query \(query ?? "all"): planted \(planted / 30) vs noise \(noise / 30)")
        }
    }

    /// A kind-A candidate's rating depends only on whether the trigger item is among the user's
    /// past items: DIN's activation weight on the trigger must be, on average over triggered users,
    /// over 3 times the mean |weight| of their other past items (1 if the unit ignored the item).
    @Test func dinAttendsToThePlantedItem() throws {
        let data = plantedItemData()
        let model = DIN(
            config: .init(
                Self.values(
                    DIN.Config.parameters,
                    [
                        "embedding_size": .int(8), "attention_size": .int(16), "hidden_size": .int(32),
                        "mlp_layers": .int(1),
                        "epochs": .int(40), "batch_size": .int(128), "learning_rate": .real(0.01),
                        "linear_terms": .bool(false)
                    ])))
        try model.fit(data, context: FitContext(seed: 1))
        var ratios = [Double]()
        for u in stride(from: 0, to: 60, by: 2) {
            let w = model.attentionWeights(user: Int32(u), item: 1)
            let trigger = abs(w.first { $0.item == 0 }!.weight),
                others = w.filter { $0.item != 0 }.map { abs($0.weight) }
            ratios.append(Double(trigger) / (Double(others.reduce(0, +)) / Double(others.count)))
        }
        let mean = ratios.reduce(0, +) / Double(ratios.count)
        #expect(mean > 3, "trigger's |weight| over the others' mean: \(mean)")
    }

    /// Hand-built: user 0 rates items 0 and 1 with 5 and 3, user 1 rates item 1 with 4; the global
    /// mean is 4. The rating fields weight each entry by (r − 4) / √count, and a pair's own entry
    /// (user 0's rating of item 1, from either side) is left out of its bags, as is the item in the
    /// history field. Read through `FieldLookup` with an identity table, so each field's embedding
    /// is its bag's weights; several examples share one entity's pooled bag and leave out different
    /// counterparts.
    @Test func ratingFieldsAndThePairLeftOut() {
        let m = InteractionMatrix(userCount: 2, itemCount: 3, users: [0, 0, 1], items: [0, 1, 1], values: [5, 3, 4])
        let f = FeatureFields(
            TrainingData(task: .rating, interactions: m), userAttributes: false, itemAttributes: false, history: true,
            ratings: true)
        // Blocks: user 0–1, history 2–4, rated 5–7, item 8–10, raters 11–12.
        #expect(f.names == ["user", "history", "rated", "item", "raters"])
        #expect(f.featureCount == 13)
        let r = 1 / Float(2).squareRoot(), n = f.featureCount
        /// Each example's fields as {feature: weight}, zero weights omitted.
        func bags(_ fields: FieldBags, _ entities: [Int32], _ counterparts: [Int32]) -> [[[Int32: Float]]] {
            let lookup = FieldLookup(fields, entities: entities, counterparts: counterparts)
            let g = Graph()
            let identity = (0..<(n * n)).map { $0 % (n + 1) == 0 ? Float(1) : 0 }
            let out = g.value(lookup.embed(g, g.input(Shape(n, n), identity)))
            return entities.indices.map { k in
                (0..<fields.fields).map { field in
                    let row = (k * fields.fields + field) * n
                    return Dictionary(
                        uniqueKeysWithValues: (0..<n).compactMap { c in
                            out[row + c] == 0 ? nil : (Int32(c), out[row + c])
                        })
                }
            }
        }
        // User 0 scored against item 2 (not rated: nothing left out), trained on (0, 1) (item 1
        // leaves the history and rated fields), and with no counterpart.
        #expect(
            bags(f.user, [0, 0, 0], [2, 1, -1]) == [
                [[0: 1], [2: 0.5, 3: 0.5], [5: r, 6: -r]], [[0: 1], [2: 0.5], [5: r]],
                [[0: 1], [2: 0.5, 3: 0.5], [5: r, 6: -r]]
            ])
        // Item 1's raters are user 0 (−r) and user 1 (0): each example leaves its own user out.
        #expect(
            bags(f.item, [1, 1, 1, 0], [0, 1, -1, 1]) == [
                [[9: 1], [:]], [[9: 1], [11: -r]], [[9: 1], [11: -r]], [[8: 1], [11: 1]]
            ])
        // An entity outside the table (a padding position) has empty bags.
        #expect(bags(f.item, [-1], [0]) == [[[:], [:]]])
    }

    /// The engine splits products, embedding bags and Adam's update over the threads without
    /// changing any sum's order, so a fit is the same at one and two threads. The shape is chosen so
    /// every split engages (a bag batch of > 2^16 floats, products > 2^20 multiply-adds, a table of
    /// > 2^15 weights).
    @Test func sameFitAtOneAndTwoThreads() throws {
        let data = plantedFieldData(users: 600, items: 80)
        func predictions(_ threads: Int) throws -> [Float] {
            let model = AutoInt(
                config: .init(
                    Self.values(
                        AutoInt.Config.parameters,
                        [
                            "embedding_size": .int(64), "epochs": .int(2), "history": .bool(true),
                            "rating_fields": .bool(true), "pairwise_term": .bool(true)
                        ])))
            try model.fit(data, context: FitContext(threads: threads, seed: 1))
            #expect(model.table.count >= 1 << 15)
            return model.predict(users: (0..<600).map { Int32($0) }, items: (0..<600).map { Int32($0 % 80) })
        }
        let one = try predictions(1), two = try predictions(2)
        #expect(one == two)
        #expect(Set(one).count > 100, "predictions must vary")
    }
}
