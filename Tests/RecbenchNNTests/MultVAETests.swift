import Foundation
import Testing
import RecbenchCore
import RecbenchAlgorithms
import RecbenchEval
@testable import RecbenchNN

/// Finite-difference checks of the variational ops, and Mult-VAE on planted clusters.
@Suite struct VariationalOpTests {
    @Test func embeddingBagSumsWeightedRows() {
        let t = randomParameter("t", Shape(5, 3))
        let offsets: [Int32] = [0, 2, 2, 5], items: [Int32] = [4, 0, 1, 1, 3], weights: [Float] = [0.5, -2, 1, 0.25, 3]
        let g = Graph(training: false, recordsGradients: false)
        let out = g.values(g.embeddingBag(g.parameter(t), offsets: offsets, indices: items, weights: weights))
        let v = t.values
        for c in 0..<3 {
            #expect(abs(out[c] - (0.5 * v[12 + c] - 2 * v[c])) < 1e-6)
            #expect(out[3 + c] == 0)  // an empty row
            #expect(abs(out[6 + c] - (1.25 * v[3 + c] + 3 * v[9 + c])) < 1e-6)
        }
        #expect(
            gradientCheck([t]) { g in g.embeddingBag(g.parameter(t), offsets: offsets, indices: items, weights: weights)
            } <= 0)
    }

    /// The AVX2 + FMA bag kernels (forward: the sparse row product; backward: the column-sliced
    /// scatter) against the portable loops, at a width with 32-, 8- and 1-column parts, bags large
    /// enough to split over two threads, repeated and empty bags. FMA rounds once per term, so
    /// the two agree to rounding, and the backward pass is the same at one and two threads.
    @Test func bagKernelsTakeThePortableSteps() {
        let d = 45, v = 60, rows = 120
        let t = randomParameter("bag-table", Shape(v, d))
        var rng = RandomSource(seed: 5, stream: "bags")
        var offsets: [Int32] = [0], items: [Int32] = [], weights: [Float] = []
        for r in 0..<rows {
            for _ in 0..<(r % 7 == 0 ? 0 : 1 + Int(rng.nextDouble() * 40)) {
                items.append(Int32(rng.nextDouble() * Double(v))); weights.append(Float(rng.nextGaussian()))
            }
            offsets.append(Int32(items.count))
        }
        let seed = (0..<(rows * d)).map { _ in Float(rng.nextGaussian()) }
        func run(vector: Bool, threads: Int) -> (values: [Float], grads: [Float]) {
            t.zeroGrad()
            let g = Graph(threads: threads)
            g.vectorKernels = vector
            let out = g.embeddingBag(g.parameter(t), offsets: offsets, indices: items, weights: weights)
            let values = g.values(out)
            seed.withUnsafeBufferPointer { g.backward(out, seed: $0) }
            return (values, Array(UnsafeBufferPointer(start: t.grad, count: t.count)))
        }
        let portable = run(vector: false, threads: 1)
        let one = run(vector: true, threads: 1), two = run(vector: true, threads: 2)
        #expect(portable.grads.contains { $0 != 0 })
        for (a, b) in zip(one.values, portable.values) { #expect(abs(a - b) <= 1e-4 * max(1, abs(b))) }
        for (a, b) in zip(one.grads, portable.grads) { #expect(abs(a - b) <= 1e-4 * max(1, abs(b))) }
        #expect(two.values == one.values && two.grads == one.grads)
    }

    @Test func tanhAndReparameterize() {
        let a = randomParameter("a", Shape(3, 4)), lv = randomParameter("lv", Shape(3, 4), std: 0.5, seed: 2)
        #expect(gradientCheck([a]) { g in g.tanh(g.parameter(a)) } <= 0)
        // Training: the noise repeats under the fixed graph seed, so the check sees one function.
        #expect(
            gradientCheck([a, lv], training: true) { g in
                g.reparameterize(mean: g.parameter(a), logVariance: g.parameter(lv))
            } <= 0)
        // Prediction: z = μ exactly.
        let g = Graph(training: false, recordsGradients: false)
        #expect(g.values(g.reparameterize(mean: g.parameter(a), logVariance: g.parameter(lv))) == a.values)
    }

    @Test func gaussianKLValueAndGradient() {
        let mu = randomParameter("mu", Shape(2, 3)), lv = randomParameter("lv", Shape(2, 3), std: 0.5, seed: 3)
        let g = Graph(training: false, recordsGradients: false)
        let kl = g.scalar(g.gaussianKL(mean: g.parameter(mu), logVariance: g.parameter(lv)))
        var expected = 0.0
        for i in 0..<6 { expected += -0.5 * Double(1 + lv.values[i] - mu.values[i] * mu.values[i] - exp(lv.values[i])) }
        #expect(abs(Double(kl) - expected / 2) < 1e-5)
        #expect(gradientCheck([mu, lv]) { g in g.gaussianKL(mean: g.parameter(mu), logVariance: g.parameter(lv)) } <= 0)
    }

    @Test func multinomialNLLValueAndGradient() {
        let x = randomParameter("x", Shape(3, 5))
        let offsets: [Int32] = [0, 2, 3, 3], targets: [Int32] = [1, 4, 0], weights: [Float] = [1, 2, 1]
        let g = Graph(training: false, recordsGradients: false)
        let nll = g.scalar(
            g.multinomialNLL(logits: g.parameter(x), offsets: offsets, targets: targets, weights: weights))
        func logSoftmax(_ r: Int, _ j: Int) -> Double {
            let row = (0..<5).map { Double(x.values[r * 5 + $0]) }
            return row[j] - log(row.map(exp).reduce(0, +))
        }
        let expected = -(logSoftmax(0, 1) + 2 * logSoftmax(0, 4) + logSoftmax(1, 0)) / 3
        #expect(abs(Double(nll) - expected) < 1e-5)
        #expect(
            gradientCheck([x]) { g in
                g.multinomialNLL(logits: g.parameter(x), offsets: offsets, targets: targets, weights: weights)
            } <= 0)
    }

    /// A batch large enough for the rows to split over two threads gives the same loss and gradient
    /// as one thread, to the bit (each row's sums keep their order).
    @Test func multinomialNLLIsTheSameAtTwoThreads() {
        let rows = 40, classes = 2000
        let x = randomParameter("nll-wide", Shape(rows, classes))
        var rng = RandomSource(seed: 11, stream: "nll-targets")
        var offsets: [Int32] = [0], targets: [Int32] = [], weights: [Float] = []
        for _ in 0..<rows {
            for _ in 0..<(1 + Int(rng.nextDouble() * 20)) {
                targets.append(Int32(rng.nextDouble() * Double(classes))); weights.append(1 + rng.nextFloat())
            }
            offsets.append(Int32(targets.count))
        }
        func run(_ threads: Int) -> (Float, [Float]) {
            x.zeroGrad()
            let g = Graph(threads: threads)
            let loss = g.multinomialNLL(logits: g.parameter(x), offsets: offsets, targets: targets, weights: weights)
            g.backward(loss)
            return (g.scalar(loss), Array(UnsafeBufferPointer(start: x.grad, count: x.count)))
        }
        let one = run(1), two = run(2)
        #expect(one.0 > 0 && one.0 == two.0 && one.1 == two.1 && one.1.contains { $0 != 0 })
    }
}

@Suite struct MultVAETests {
    /// Users in groups that each like their own block of items (plus a shared popular head); one
    /// item of each user held out.
    static func planted(users: Int = 300, items: Int = 120, groups: Int = 4, seed: UInt64 = 5)
        -> (train: InteractionMatrix, test: InteractionMatrix)
    {
        var rng = RandomSource(seed: seed)
        let head = 12, block = (items - head) / groups
        var tu = [Int32](), ti = [Int32](), su = [Int32](), si = [Int32]()
        for u in 0..<users {
            var chosen = Set<Int>(), order: [Int] = []
            while chosen.count < 12 {
                let r = rng.nextDouble()
                let i =
                    rng.nextDouble() < 0.8
                    ? head + (u % groups) * block + min(block - 1, Int(Double(block) * r * r))
                    : min(head - 1, Int(Double(head) * r * r))
                if chosen.insert(i).inserted { order.append(i) }
            }
            let held = order[rng.nextInt(below: order.count)]
            for i in order {
                if i == held {
                    su.append(Int32(u)); si.append(Int32(i))
                } else {
                    tu.append(Int32(u)); ti.append(Int32(i))
                }
            }
        }
        func matrix(_ u: [Int32], _ i: [Int32]) -> InteractionMatrix {
            InteractionMatrix(
                userCount: users, itemCount: items, users: u, items: i, values: [Float](repeating: 1, count: u.count))
        }
        return (matrix(tu, ti), matrix(su, si))
    }

    static func ndcg(_ model: any Recommender, _ train: InteractionMatrix, _ test: InteractionMatrix) -> Double {
        let users = (0..<test.userCount).map { Int32($0) }
        let lists = ScoringCore.topK(
            model: model, users: users, itemCount: train.itemCount, k: 10, exclude: [train.byUser], threads: 2)
        return Evaluator.ranking(lists: lists, test: test, train: train, metrics: [MetricSpec(name: "ndcg", k: 10)])
            .metrics[0].value
    }

    /// The whole objective (sparse encoder, reparameterised z, tanh decoder, multinomial NLL + β·KL)
    /// against finite differences in every parameter; the fixed graph seed repeats ε.
    @Test func wholeObjectiveGradientChecks() throws {
        let m = InteractionMatrix(
            userCount: 3, itemCount: 6, users: [0, 0, 0, 1, 1, 2], items: [0, 2, 5, 1, 2, 4],
            values: [1, 1, 1, 1, 1, 1])
        let vae = MultVAE(config: .init(["hidden_size": .int(4), "latent": .int(2), "epochs": .int(1)]))
        try vae.fit(TrainingData(task: .ranking, interactions: m), context: FitContext(seed: 3))
        let batch = vae.rows([0, 1, 2], drop: nil)
        let worst = gradientCheck(vae.parameters, training: true) { g in vae.loss(g, batch, beta: 0.3) }
        #expect(worst <= 0, "worst violation \(worst)")
    }

    /// Input rows are L2-normalised; dropout zeroes entries and scales the survivors by 1/(1 − p).
    @Test func inputRowsAreNormalisedAndDropped() throws {
        let m = InteractionMatrix(
            userCount: 2, itemCount: 5, users: [0, 0, 0, 0, 1], items: [0, 1, 3, 4, 2],
            values: [1, 1, 1, 1, 1])
        let vae = MultVAE(config: .init(["hidden_size": .int(2), "latent": .int(1), "epochs": .int(1)]))
        try vae.fit(TrainingData(task: .ranking, interactions: m), context: FitContext(seed: 1))
        let plain = vae.rows([0, 1], drop: nil)
        #expect(plain.offsets == [0, 4, 5] && plain.items == [0, 1, 3, 4, 2])
        #expect(plain.weights == [0.5, 0.5, 0.5, 0.5, 1] && plain.targets == [1, 1, 1, 1, 1])
        var rng = RandomSource(seed: 11)
        var kept = 0, total = 0
        for _ in 0..<200 {
            let dropped = withUnsafeMutablePointer(to: &rng) { vae.rows([0, 1], drop: (0.25, $0)) }
            #expect(dropped.targets == plain.targets)  // the likelihood still sees the whole row
            for (w, p) in zip(dropped.weights, plain.weights) {
                #expect(w == 0 || abs(w - p / 0.75) < 1e-6)
                kept += w == 0 ? 0 : 1; total += 1
            }
        }
        #expect(abs(Double(kept) / Double(total) - 0.75) < 0.05)
    }

    /// β grows by 1/total_anneal_steps per update and stops at the cap.
    @Test func klWeightIsAnnealedLinearlyToTheCap() {
        #expect(MultVAE.klWeight(step: 1, cap: 0.2, steps: 100) == Float(0.01))
        #expect(MultVAE.klWeight(step: 10, cap: 0.2, steps: 100) == Float(0.1))
        #expect(MultVAE.klWeight(step: 20, cap: 0.2, steps: 100) == Float(0.2))
        #expect(MultVAE.klWeight(step: 5000, cap: 0.2, steps: 100) == Float(0.2))
        #expect(MultVAE.klWeight(step: 3, cap: 10, steps: 4) == Float(0.75))
    }

    @Test func beatsPopularityOnPlantedGroups() throws {
        let (train, test) = Self.planted()
        let pop = MostPopular(config: .init(ParameterValues(specs: MostPopular.Config.parameters)))
        try pop.fit(TrainingData(task: .ranking, interactions: train), context: FitContext())
        let vae = MultVAE(
            config: .init(
                ParameterValues(
                    specs: MultVAE.Config.parameters,
                    overrides: [
                        "hidden_size": .int(64), "latent": .int(16), "epochs": .int(60), "batch_size": .int(50),
                        "learning_rate": .real(0.005), "total_anneal_steps": .int(2000)
                    ])))
        let context = FitContext(threads: 2, seed: 8)
        try vae.fit(TrainingData(task: .ranking, interactions: train), context: context)
        let a = Self.ndcg(vae, train, test), b = Self.ndcg(pop, train, test)
        #expect(a > 1.5 * b, "MultVAE \(a) vs MostPopular \(b)")
        let losses = context.curve.compactMap { $0.values["loss"] }
        #expect(losses.count == 60 && losses.last! < losses.first!)
    }
}
