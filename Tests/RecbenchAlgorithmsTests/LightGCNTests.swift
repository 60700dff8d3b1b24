import Foundation
import Testing
import RecbenchCore
@testable import RecbenchAlgorithms

private func lightGCN(_ o: [String: ParameterValue]) -> LightGCN {
    LightGCN(config: LightGCN.Config(ParameterValues(specs: LightGCN.Config.parameters, overrides: o)))
}

@Suite struct LightGCNTests {
    /// 4 users × 5 items; item 4 has no interactions (its rows stay zero).
    let m: InteractionMatrix = {
        let pairs: [(Int32, Int32)] = [(0, 0), (0, 1), (1, 1), (1, 2), (1, 3), (2, 0), (2, 3), (3, 2)]
        return InteractionMatrix(
            userCount: 4, itemCount: 5, users: pairs.map(\.0), items: pairs.map(\.1),
            values: [Float](repeating: 1, count: pairs.count))
    }()

    /// The layer mean equals (I + Â + Â²)/3 · x with Â built densely from its definition.
    @Test func layerMeanMatchesDenseDefinition() {
        let g = NormalizedGraph(m, threads: 2)
        let n = 9, d = 3
        var a = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        let du = (0..<4).map { Double(m.byUser.rowCount($0)) }, di = (0..<5).map { Double(m.byItem.rowCount($0)) }
        for u in 0..<4 {
            for i in m.items(of: u) {
                let w = 1 / (du[u] * di[Int(i)]).squareRoot(); a[u][4 + Int(i)] = w; a[4 + Int(i)][u] = w
            }
        }
        var rng = RandomSource(seed: 2)
        let x = (0..<(n * d)).map { _ in Float(rng.nextGaussian()) }
        func times(_ v: [Double]) -> [Double] {
            (0..<n).flatMap { r in (0..<d).map { c in (0..<n).reduce(0.0) { $0 + a[r][$1] * v[$1 * d + c] } } }
        }
        let x0 = x.map(Double.init), x1 = times(x0), x2 = times(x1)
        let expected = (0..<(n * d)).map { (x0[$0] + x1[$0] + x2[$0]) / 3 }
        let out = UnsafeMutablePointer<Float>.allocate(capacity: n * d),
            s1 = UnsafeMutablePointer<Float>.allocate(capacity: n * d),
            s2 = UnsafeMutablePointer<Float>.allocate(capacity: n * d)
        defer { out.deallocate(); s1.deallocate(); s2.deallocate() }
        x.withUnsafeBufferPointer {
            g.layerMean($0.baseAddress!, layers: 2, into: out, scratch: (s1, s2), d: d, threads: 2)
        }
        for k in 0..<(n * d) { #expect(abs(Double(out[k]) - expected[k]) < 1e-5, "entry \(k)") }
        // The isolated item keeps only layer 0.
        #expect((0..<d).allSatisfy { abs(out[8 * d + $0] - x[8 * d + $0] / 3) < 1e-6 })
    }

    /// The analytic gradient of (BPR loss + regularisation) with respect to E⁰ agrees with central
    /// differences in Double, through two propagation layers, at one thread and at three (whose
    /// row-owning parts must give the same bits).
    @Test(arguments: [1, 3]) func gradientMatchesFiniteDifferences(threads: Int) {
        let g = NormalizedGraph(m, threads: threads)
        let d = 3, count = g.nodes * d, reg: Float = 0.3
        let s = LightGCN.Buffers(count: count)
        defer { s.deallocate() }
        var rng = RandomSource(seed: 9)
        for k in 0..<count { s.e0[k] = Float(rng.nextGaussian()) * 0.7 }
        // (user, positive item, negative item) as node indices; user 1 appears twice.
        let triples: [SIMD3<Int32>] = [SIMD3(0, 4, 6), SIMD3(1, 5, 8), SIMD3(1, 7, 4), SIMD3(2, 7, 5)]
        func objective() -> Double {
            triples.withUnsafeBufferPointer {
                let r = LightGCN.lossAndGradient(
                    g, s, triples: $0, d: d, layers: 2, regularization: reg, threads: threads)
                return r.loss + r.reg
            }
        }
        let value = objective()
        let analytic = Array(UnsafeBufferPointer(start: s.grad0, count: count))
        let serial = triples.withUnsafeBufferPointer {
            LightGCN.lossAndGradient(g, s, triples: $0, d: d, layers: 2, regularization: reg, threads: 1)
        }
        #expect(serial.loss + serial.reg == value)
        #expect(Array(UnsafeBufferPointer(start: s.grad0, count: count)) == analytic)
        var checked = 0
        for k in 0..<count {
            let x = s.e0[k], h: Float = 1e-2
            s.e0[k] = x + h; let up = objective()
            s.e0[k] = x - h; let down = objective()
            s.e0[k] = x
            let numeric = (up - down) / (2 * Double(h))
            #expect(
                abs(numeric - Double(analytic[k])) < 2e-3 + 2e-2 * abs(numeric),
                "∂/∂e0[\(k)]: \(analytic[k]) vs \(numeric)")
            if abs(numeric) > 1e-3 { checked += 1 }
        }
        #expect(checked > count / 2)
    }

    /// Three Adam steps agree with the textbook form (bias-corrected moments, in Double), and the
    /// AVX2 kernel with the Swift lanes to the bit; 37 entries over two threads leave scalar tails.
    @Test func adamStepsMatchTheTextbookAndTheSwiftLanes() {
        let n = 37, lr: Float = 0.01
        var rng = RandomSource(seed: 5)
        let start = (0..<n).map { _ in Float(rng.nextGaussian()) }
        let grads = (0..<3).map { _ in (0..<n).map { _ in Float(rng.nextGaussian()) } }
        func run(vector: Bool) -> [Float] {
            var o = LightGCN.Optimizer(adam: true, learningRate: lr, count: n)
            o.vectorKernel = vector && CPUFeatures.avx2FMA
            defer { o.deallocate() }
            var x = start
            for step in grads {
                var g = step
                x.withUnsafeMutableBufferPointer { xp in
                    g.withUnsafeMutableBufferPointer { o.step(xp.baseAddress!, gradient: $0.baseAddress!, threads: 2) }
                }
            }
            return x
        }
        let scalar = run(vector: false)
        #expect(run(vector: true) == scalar)
        var x = start.map(Double.init), m = [Double](repeating: 0, count: n), v = m
        for (t, step) in grads.enumerated() {
            for k in 0..<n {
                let g = Double(step[k])
                m[k] = 0.9 * m[k] + 0.1 * g; v[k] = 0.999 * v[k] + 0.001 * g * g
                let mh = m[k] / (1 - pow(0.9, Double(t + 1))), vh = v[k] / (1 - pow(0.999, Double(t + 1)))
                x[k] -= Double(lr) * mh / (vh.squareRoot() + 1e-8)
            }
        }
        for k in 0..<n { #expect(abs(Double(scalar[k]) - x[k]) < 1e-6, "entry \(k)") }
    }

    @Test func beatsPopularityOnPlantedClusters() throws {
        let p = PlantedClusters()
        let pop = p.popularityNDCG
        let model = try p.fitted(
            LightGCN.self, ["epochs": .int(40), "batch_size": .int(256), "learning_rate": .real(0.01)])
        let ndcg = p.ndcg(model)
        #expect(ndcg > 2 * pop, "LightGCN \(ndcg) vs MostPopular \(pop)")
        #expect(model.factors.users.rows == 400 && model.factors.items.columns == 64)
    }

    /// User 0 has 40 items, user 1 one, user 2 none (50 items). Drawn by interaction, user 1 is
    /// one triple in 41; drawn by user, half of them (binomial: 10,250 ± 72 of 20,500, the bound
    /// is 5.6 σ), and user 2 never. Every positive is the user's, every negative is not.
    @Test(arguments: LightGCN.Config.Sampling.allCases) func triplesFollowTheSampling(
        sampling: LightGCN.Config.Sampling
    ) {
        let pairs: [(Int32, Int32)] = (0..<40).map { (0, Int32($0)) } + [(1, 40)]
        let m = InteractionMatrix(
            userCount: 3, itemCount: 50, users: pairs.map(\.0), items: pairs.map(\.1),
            values: [Float](repeating: 1, count: pairs.count))
        let draw = LightGCN.TripleDraw(m.byUser, items: 50, sampling: sampling)
        #expect(draw.activeUsers == [0, 1] && draw.pairs.count == 41)
        var rng = RandomSource(seed: 11), order = Array(0..<41), triples = [SIMD3<Int32>](), perUser = [0, 0, 0]
        for _ in 0..<500 {
            rng.shuffle(&order)
            var batch = [SIMD3<Int32>](repeating: .zero, count: 41)
            draw.draw(into: &batch, count: 41, from: 0, of: order, rng: &rng)
            triples += batch
        }
        for t in triples {
            perUser[Int(t.x)] += 1
            let items = Set(m.byUser.rowIndices(Int(t.x)).map { $0 + 3 })
            #expect(items.contains(t.y) && !items.contains(t.z) && (3..<53).contains(t.z))
        }
        #expect(perUser[2] == 0)
        switch sampling {
        case .interactions: #expect(perUser[1] == 500)
        case .users: #expect(abs(perUser[1] - 10_250) < 400, "user 1 drawn \(perUser[1]) of 20,500")
        }
    }

    @Test func seedGivesTheSameModelAndLossFalls() throws {
        let p = PlantedClusters(users: 120, items: 90)
        let o: [String: ParameterValue] = [
            "epochs": .int(5), "batch_size": .int(128), "learning_rate": .real(0.01), "factors": .int(8)
        ]
        let a = lightGCN(o), b = lightGCN(o)
        let ca = FitContext(threads: 2, seed: 4), cb = FitContext(threads: 2, seed: 4)
        try a.fit(TrainingData(task: .ranking, interactions: p.train), context: ca)
        try b.fit(TrainingData(task: .ranking, interactions: p.train), context: cb)
        #expect(a.userFactors == b.userFactors && a.itemFactors == b.itemFactors)
        let losses = ca.curve.compactMap { $0.values["loss"] }
        #expect(losses.count == 5 && losses.last! < losses.first!)
    }
}

@Test func vectorAndPortableKernelsAgree() {
    var rng = RandomSource(seed: 3)
    var u = [Int32](), i = [Int32]()
    for user in 0..<50 {
        for item in 0..<40 where rng.nextDouble() < 0.2 { u.append(Int32(user)); i.append(Int32(item)) }
    }
    let g = NormalizedGraph(
        InteractionMatrix(
            userCount: 50, itemCount: 40, users: u, items: i,
            values: [Float](repeating: 1, count: u.count)), threads: 2)
    for d in [64, 43, 8, 1] {  // 32-wide blocks, 8-wide blocks and the scalar tail
        let x = (0..<(g.nodes * d)).map { _ in Float(rng.nextGaussian()) }
        let a = UnsafeMutablePointer<Float>.allocate(capacity: g.nodes * d),
            b = UnsafeMutablePointer<Float>.allocate(capacity: g.nodes * d)
        defer { a.deallocate(); b.deallocate() }
        x.withUnsafeBufferPointer {
            g.multiply($0.baseAddress!, into: a, d: d, threads: 2)
            g.multiply($0.baseAddress!, into: b, d: d, threads: 1, portable: true)
        }
        for k in 0..<(g.nodes * d) { #expect(abs(a[k] - b[k]) <= 1e-5 * max(1, abs(b[k])), "d \(d), entry \(k)") }
    }
}
