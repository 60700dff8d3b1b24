import Testing
import Foundation
import RecbenchCore
@testable import RecbenchAlgorithms
import RecbenchData

private func randomParams(features: Int, k: Int, seed: UInt64) -> FMParams {
    var rng = RandomSource(seed: seed)
    var p = FMParams(featureCount: features, k: k)
    p.w0 = rng.nextGaussian()
    for j in 0..<features { p.w[j] = Float(rng.nextGaussian()) }
    for i in p.v.indices { p.v[i] = Float(rng.nextGaussian() * 0.5) }
    return p
}

/// A planted FM-like rating problem: y = 3 + b_u + b_i + ⟨p_u, q_i⟩ + N(0, noise²) on a random
/// subset of pairs; returns (train, test pairs, test targets).
private func planted(users: Int, items: Int, density: Double, k: Int, noise: Double, seed: UInt64)
    -> (InteractionMatrix, [Int32], [Int32], [Float])
{
    var rng = RandomSource(seed: seed)
    let pu = (0..<users * k).map { _ in rng.nextGaussian() * 0.5 },
        qi = (0..<items * k).map { _ in rng.nextGaussian() * 0.5 }
    let bu = (0..<users).map { _ in rng.nextGaussian() * 0.3 }, bi = (0..<items).map { _ in rng.nextGaussian() * 0.3 }
    var tu = [Int32](), ti = [Int32](), ty = [Float](), su = [Int32](), si = [Int32](), sy = [Float]()
    for u in 0..<users {
        for i in 0..<items where rng.nextDouble() < density {
            var y = 3 + bu[u] + bi[i]
            for f in 0..<k { y += pu[u * k + f] * qi[i * k + f] }
            y += rng.nextGaussian() * noise
            if rng.nextDouble() < 0.85 {
                tu.append(Int32(u)); ti.append(Int32(i)); ty.append(Float(y))
            } else {
                su.append(Int32(u)); si.append(Int32(i)); sy.append(Float(y))
            }
        }
    }
    return (InteractionMatrix(userCount: users, itemCount: items, users: tu, items: ti, values: ty), su, si, sy)
}

private func rmse(_ a: [Float], _ b: [Float]) -> Double {
    (zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(a.count)).squareRoot()
}

/// Small side features: a categorical user group and a multi-hot item group.
private func sideFeatures(users: Int, items: Int) -> (FeatureTable, FeatureTable) {
    let ug = FeatureGroup(name: "band", categories: (0..<users).map { "b\($0 % 3)" })
    var r = [Int32](), c = [Int32]()
    for i in 0..<items {
        r.append(Int32(i)); c.append(Int32(i % 4)); if i % 3 == 0 { r.append(Int32(i)); c.append(Int32((i + 1) % 4)) }
    }
    let ig = FeatureGroup(
        name: "tags", kind: .multiHot, columnNames: ["a", "b", "c", "d"],
        matrix: SparseMatrix(
            rows: items, columns: 4, rowIndices: r, columnIndices: c,
            values: [Float](repeating: 1, count: r.count)))
    return (FeatureTable(groups: [ug]), FeatureTable(groups: [ig]))
}

@Suite struct FactorizationMachineTests {
    @Test func linearTimePredictionEqualsNaivePairwiseSum() {
        var rng = RandomSource(seed: 3)
        for trial in 0..<20 {
            let k = 1 + trial % 7, n = 30
            let p = randomParams(features: n, k: k, seed: UInt64(trial))
            var feats = Array(0..<Int32(n)); rng.shuffle(&feats)
            let nnz = 1 + rng.nextInt(below: 12)
            let f = Array(feats.prefix(nnz)), x = (0..<nnz).map { _ in Float(rng.nextGaussian()) }
            var q = [Double](repeating: 0, count: k)
            let fast = FMMath.predict(features: f[...], values: x[...], params: p, q: &q)
            let naive = FMMath.predictNaive(features: f, values: x, params: p)
            #expect(abs(fast - naive) <= 1e-9 * max(1, abs(naive)), "k=\(k) nnz=\(nnz): \(fast) vs \(naive)")
        }
    }

    @Test func regressionGradientMatchesFiniteDifferences() {
        let k = 4
        var p = randomParams(features: 12, k: k, seed: 11)
        let f: [Int32] = [1, 4, 7, 10], x: [Float] = [1, 0.5, -1.5, 2]
        var q = [Double](repeating: 0, count: k), gw = [Double](repeating: 0, count: 4),
            gv = [Double](repeating: 0, count: 4 * k)
        let (_, g0) = FMMath.regressionGradient(
            features: f[...], values: x[...], target: 2.5, params: p, q: &q, gw: &gw, gv: &gv)
        func loss(_ p: FMParams) -> Double {
            var q = [Double](repeating: 0, count: k)
            let y = FMMath.predict(features: f[...], values: x[...], params: p, q: &q) - 2.5
            return 0.5 * y * y
        }
        let h = 1.0 / 64  // a power of two, so the Float perturbation is exact
        func central(_ set: (inout FMParams, Float) -> Void, _ value: Float) -> Double {
            var a = p, b = p
            set(&a, value + Float(h)); set(&b, value - Float(h))
            return (loss(a) - loss(b)) / (2 * h)
        }
        p.w0 = 0.25
        let (_, g0b) = FMMath.regressionGradient(
            features: f[...], values: x[...], target: 2.5, params: p, q: &q, gw: &gw, gv: &gv)
        _ = g0
        let fd0 = { () -> Double in
            var a = p, b = p; a.w0 += h; b.w0 -= h; return (loss(a) - loss(b)) / (2 * h)
        }()
        #expect(abs(fd0 - g0b) < 1e-6 * max(1, abs(g0b)))
        for (pos, j) in f.enumerated() {
            let jj = Int(j)
            // The loss is quadratic in each single parameter, so central differences are exact up to rounding.
            let fw = central({ $0.w[jj] = $1 }, p.w[jj])
            #expect(abs(fw - gw[pos]) < 1e-5 * max(1, abs(fw)), "w[\(jj)]: \(fw) vs \(gw[pos])")
            for c in 0..<k {
                let fv = central({ $0.v[jj * k + c] = $1 }, p.v[jj * k + c])
                #expect(
                    abs(fv - gv[pos * k + c]) < 1e-5 * max(1, abs(fv)), "v[\(jj),\(c)]: \(fv) vs \(gv[pos * k + c])")
            }
        }
    }

    @Test func bprGradientMatchesFiniteDifferences() {
        let k = 3
        let p = randomParams(features: 10, k: k, seed: 5)
        let uf: [Int32] = [0, 2], ux: [Float] = [1, 0.7]
        let pf: [Int32] = [4, 6, 8], px: [Float] = [1, 1, 0.5]
        let nf: [Int32] = [5, 6], nx: [Float] = [1, 1]  // feature 6 shared by both items
        var s = FMMath.BPRScratch(k: k), gw = [Double](repeating: 0, count: 7),
            gv = [Double](repeating: 0, count: 7 * k)
        _ = FMMath.bprGradient(
            user: (uf[...], ux[...]), positive: (pf[...], px[...]), negative: (nf[...], nx[...]),
            params: p, scratch: &s, gw: &gw, gv: &gv)
        func loss(_ p: FMParams) -> Double {
            var q = [Double](repeating: 0, count: k)
            let yp = FMMath.predict(features: (uf + pf)[...], values: (ux + px)[...], params: p, q: &q)
            let yn = FMMath.predict(features: (uf + nf)[...], values: (ux + nx)[...], params: p, q: &q)
            return log(1 + exp(-(yp - yn)))
        }
        let all = uf + pf + nf
        for j in Set(all) {
            let jj = Int(j)
            let positions = all.indices.filter { all[$0] == j }
            let h: Float = 1.0 / 256
            var a = p, b = p
            a.w[jj] += h; b.w[jj] -= h
            let fw = (loss(a) - loss(b)) / Double(2 * h)
            let gwSum = positions.reduce(0.0) { $0 + gw[$1] }
            #expect(abs(fw - gwSum) < 1e-4, "w[\(jj)]: \(fw) vs \(gwSum)")
            for c in 0..<k {
                var a = p, b = p
                a.v[jj * k + c] += h; b.v[jj * k + c] -= h
                let fv = (loss(a) - loss(b)) / Double(2 * h)
                let g = positions.reduce(0.0) { $0 + gv[$1 * k + c] }
                #expect(abs(fv - g) < 1e-4, "v[\(jj),\(c)]: \(fv) vs \(g)")
            }
        }
    }

    @Test func cachedResidualsEqualRecomputedOnes() {
        // The per-entity sufficient statistics must move the residuals exactly as the parameters move.
        let (train, _, _, _) = planted(users: 40, items: 30, density: 0.4, k: 2, noise: 0.3, seed: 1)
        let (uf, itf) = sideFeatures(users: 40, items: 30)
        let data = TrainingData(task: .rating, interactions: train, userFeatures: uf, itemFeatures: itf)
        let design = FMDesign.build(
            data, options: FMFeatureOptions(userAttributes: true, itemAttributes: true, implicitHistory: true))
        var p = FMParams(featureCount: design.featureCount, k: 3)
        var rng = RandomSource(seed: 2)
        for i in p.v.indices { p.v[i] = Float(rng.nextGaussian() * 0.1) }
        for sampling in [true, false] {
            let s = FMCoordinateSolver(
                design: design, examples: FMExamples(train), params: p, sampling: sampling,
                regularization: 0.1, threads: 1, seed: 9)
            for _ in 0..<3 {
                s.iterate(refreshing: false)
                let incremental = (0..<train.nnz).map { s.e[$0] }
                s.refresh()
                let worst = (0..<train.nnz).map { abs(s.e[$0] - incremental[$0]) }.max()!
                #expect(worst < 1e-6, "max residual drift \(worst)")
            }
        }
    }

    @Test func alsDecreasesTheTrainingObjective() {
        let (train, _, _, _) = planted(users: 60, items: 50, density: 0.3, k: 3, noise: 0.5, seed: 4)
        let (uf, itf) = sideFeatures(users: 60, items: 50)
        let data = TrainingData(task: .rating, interactions: train, userFeatures: uf, itemFeatures: itf)
        let design = FMDesign.build(
            data, options: FMFeatureOptions(userAttributes: true, itemAttributes: true, implicitHistory: true))
        var p = FMParams(featureCount: design.featureCount, k: 4)
        var rng = RandomSource(seed: 8)
        for i in p.v.indices { p.v[i] = Float(rng.nextGaussian() * 0.1) }
        let s = FMCoordinateSolver(
            design: design, examples: FMExamples(train), params: p, sampling: false,
            regularization: 0.5, threads: 2, seed: 1)
        var last = s.objective()
        let first = last
        for _ in 0..<10 {
            s.iterate()
            let now = s.objective()
            #expect(now <= last * (1 + 1e-6), "objective rose from \(last) to \(now)")
            last = now
        }
        #expect(last < 0.5 * first)
    }

    @Test func mcmcRecoversNoiseLevelOnPlantedProblem() throws {
        let noise = 0.3
        let (train, su, si, sy) = planted(users: 150, items: 120, density: 0.5, k: 3, noise: noise, seed: 21)
        let fm = FactorizationMachine(config: .init(["factors": .int(4), "iterations": .int(120), "burn_in": .int(30)]))
        try fm.fit(TrainingData(task: .rating, interactions: train), context: FitContext(threads: 2, seed: 5))
        let r = rmse(fm.predict(users: su, items: si), sy)
        #expect(r < noise * 1.15, "test RMSE \(r) vs noise \(noise)")
        #expect(fm.sampleCount == 90)
    }

    @Test func alsAndSGDFitThePlantedProblem() throws {
        let (train, su, si, sy) = planted(users: 120, items: 100, density: 0.5, k: 3, noise: 0.3, seed: 22)
        let baseline = rmse(
            [Float](repeating: train.byUser.values.reduce(0, +) / Float(train.nnz), count: sy.count), sy)
        for solver in ["als", "sgd"] {
            let fm = FactorizationMachine(
                config: .init([
                    "factors": .int(4), "solver": .text(solver), "iterations": .int(40),
                    "regularization": .real(solver == "als" ? 2 : 0.02),
                    "learning_rate": .real(0.02)
                ]))
            try fm.fit(TrainingData(task: .rating, interactions: train), context: FitContext(seed: 5))
            let r = rmse(fm.predict(users: su, items: si), sy)
            #expect(r < 0.6 * baseline, "\(solver): test RMSE \(r), global mean \(baseline)")
        }
    }

    @Test func seededRunsReproduceAtAnyThreadCount() throws {
        let (train, su, si, _) = planted(users: 50, items: 40, density: 0.4, k: 2, noise: 0.3, seed: 3)
        let (uf, itf) = sideFeatures(users: 50, items: 40)
        let data = TrainingData(task: .rating, interactions: train, userFeatures: uf, itemFeatures: itf)
        func run(seed: UInt64, threads: Int) throws -> [Float] {
            let fm = FactorizationMachine(
                config: .init([
                    "iterations": .int(20), "burn_in": .int(5), "user_attributes": .bool(true),
                    "item_attributes": .bool(true), "implicit_history": .bool(true)
                ]))
            try fm.fit(data, context: FitContext(threads: threads, seed: seed))
            return fm.predict(users: su, items: si)
        }
        let a = try run(seed: 7, threads: 1), b = try run(seed: 7, threads: 1), c = try run(seed: 7, threads: 2)
        let d = try run(seed: 8, threads: 1)
        #expect(a == b)
        #expect(a == c)
        #expect(a != d)
    }

    @Test func rankingScoresAreTheAveragedPredictionMinusUserTerms() throws {
        let (train, _, _, _) = planted(users: 30, items: 25, density: 0.5, k: 2, noise: 0.3, seed: 6)
        let fm = FactorizationMachine(
            config: .init(["iterations": .int(15), "burn_in": .int(5), "implicit_history": .bool(true)]))
        try fm.fit(TrainingData(task: .rating, interactions: train), context: FitContext(seed: 1))
        #expect(fm.factors.users.columns == 10 * 10)  // k · kept samples
        var scores = [Float](repeating: 0, count: 3 * 25)
        scores.withUnsafeMutableBufferPointer { fm.score(users: [0, 7, 29], into: $0) }
        let lo = train.byUser.values.min()!, hi = train.byUser.values.max()!
        for (r, u) in [0, 7, 29].enumerated() {
            let pred = fm.predict(users: [Int32](repeating: Int32(u), count: 25), items: (0..<25).map { Int32($0) })
            for i in 0..<25 where pred[i] > lo && pred[i] < hi {
                #expect(abs(scores[r * 25 + i] + fm.userBase[u] - pred[i]) < 1e-4)
            }
        }
    }

    @Test func designHasGroupsAndNormalisedHistory() {
        let m = InteractionMatrix(
            userCount: 3, itemCount: 4, users: [0, 0, 0, 0, 1, 2], items: [0, 1, 2, 3, 2, 1],
            values: [1, 2, 3, 4, 5, 1])
        let (uf, itf) = sideFeatures(users: 3, items: 4)
        let d = FMDesign.build(
            TrainingData(task: .rating, interactions: m, userFeatures: uf, itemFeatures: itf),
            options: FMFeatureOptions(userAttributes: true, itemAttributes: true, implicitHistory: true))
        #expect(d.groupNames == ["user", "user:band", "history", "item", "item:tags"])
        #expect(d.featureCount == 3 + 3 + 4 + 4 + 4)
        // User 0: its ID, its band, and 4 history items of weight 1/2.
        let r0 = d.user.rowRange(0)
        #expect(Array(d.user.rowFeatures[r0]) == [0, 3, 6, 7, 8, 9])
        #expect(Array(d.user.rowValues[r0]) == [1, 1, 0.5, 0.5, 0.5, 0.5])
        // Item 0: its ID (first item feature is 10) and tags a and b (i % 3 == 0).
        #expect(Array(d.item.rowFeatures[d.item.rowRange(0)]) == [10, 14, 15])
        #expect(d.item.columnOffsets.last == d.item.nnz)
    }

    @Test func coldUserSplitLeavesAtMostMaxTrainRatingsPerTestUser() throws {
        // 30 users with 3...20 ratings each.
        var us = [Int32](), its = [Int32]()
        for u in 0..<30 { for i in 0..<(3 + (u * 7) % 18) { us.append(Int32(u)); its.append(Int32(i)) } }
        let d = Dataset(
            name: "t", users: us, items: its, values: [Float](repeating: 4, count: us.count), timestamps: nil,
            userIDs: IDMap(count: 30), itemIDs: IDMap(count: 20))
        let folds = try Splitter.folds(d, method: .coldUsers(k: 3, maxTrain: 5), seed: 1)
        #expect(folds.count == 3)
        var tested = Set<Int32>()
        for fold in folds {
            #expect(Set(fold.train).isDisjoint(with: fold.test) && fold.train.count + fold.test.count == d.count)
            let testUsers = Set(fold.test.map { us[Int($0)] })
            #expect(tested.isDisjoint(with: testUsers))  // each user is tested in one fold only
            tested.formUnion(testUsers)
            for u in testUsers {
                let n = fold.train.filter { us[Int($0)] == u }.count
                #expect(n >= 1 && n <= 5, "user \(u) keeps \(n) training ratings")
            }
        }
        // Every user with more than 5 ratings is tested somewhere; the others never are.
        let eligible: [Int32] = (0..<30).filter { (u: Int) -> Bool in 3 + (u * 7) % 18 > 5 }.map { Int32($0) }
        #expect(tested == Set(eligible))
    }
}
