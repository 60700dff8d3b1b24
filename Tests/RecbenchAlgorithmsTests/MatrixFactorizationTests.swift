import Foundation
import Testing
import RecbenchCore
@testable import RecbenchAlgorithms

/// Small dense reference: solves A x = b (Double, Gaussian elimination with partial pivoting).
private func denseSolve(_ a: [[Double]], _ b: [Double]) -> [Double] {
    let n = b.count
    var m = a, v = b
    for c in 0..<n {
        let p = (c..<n).max { abs(m[$0][c]) < abs(m[$1][c]) }!
        m.swapAt(c, p); v.swapAt(c, p)
        for r in (c + 1)..<n {
            let f = m[r][c] / m[c][c]
            for k in c..<n { m[r][k] -= f * m[c][k] }
            v[r] -= f * v[c]
        }
    }
    var x = [Double](repeating: 0, count: n)
    for r in stride(from: n - 1, through: 0, by: -1) {
        var s = v[r]
        for k in (r + 1)..<n { s -= m[r][k] * x[k] }
        x[r] = s / m[r][r]
    }
    return x
}

/// Users × items with a planted rank-`rank` structure: each user's positives are the `perUser`
/// items of highest planted score; values are 1...5 ratings derived from that score.
private func planted(users: Int, items: Int, rank: Int, perUser: Int, seed: UInt64) -> (
    u: [Int32], i: [Int32], r: [Float]
) {
    var rng = RandomSource(seed: seed)
    let a = (0..<(users * rank)).map { _ in rng.nextGaussian() },
        b = (0..<(items * rank)).map { _ in rng.nextGaussian() }
    var us = [Int32](), its = [Int32](), rs = [Float]()
    for u in 0..<users {
        let s = (0..<items).map { i in (0..<rank).reduce(0.0) { $0 + a[u * rank + $1] * b[i * rank + $1] } }
        let top = (0..<items).sorted { s[$0] > s[$1] }.prefix(perUser)
        for i in top {
            us.append(Int32(u)); its.append(Int32(i)); rs.append(Float(min(5, max(1, (3 + s[i]).rounded()))))
        }
    }
    return (us, its, rs)
}

private func values<C: AlgorithmConfig>(_ type: C.Type, _ o: [String: ParameterValue]) -> C {
    C(ParameterValues(specs: C.parameters, overrides: o))
}

@Suite struct ImplicitALSTests {
    let data = planted(users: 30, items: 20, rank: 3, perUser: 6, seed: 7)
    var matrix: InteractionMatrix {
        InteractionMatrix(userCount: 30, itemCount: 20, users: data.u, items: data.i, values: data.r)
    }

    /// One user's exact solve equals (YᵀY + λI + Σ (c−1) y yᵀ)⁻¹ Σ c y solved densely.
    @Test func userSolveMatchesDenseSolve() throws {
        let d = 3, lambda = 0.5, alpha = 2.0
        let model = ImplicitALS(
            config: values(
                ImplicitALS.Config.self,
                [
                    "factors": .int(d), "solver": .text("cholesky"),
                    "regularization": .real(lambda), "alpha": .real(alpha)
                ]))
        let m = matrix
        var rng = RandomSource(seed: 1)
        var y = DenseMatrix(rows: 20, columns: d); y.randomize(std: 1, rng: &rng)
        var x = DenseMatrix(rows: 30, columns: d)
        let conf = m.byUser.values.map(model.confidence)
        try model.sweep(&x, fixed: y, csr: m.byUser, conf: conf, threads: 1)
        for u in [0, 17] {
            var a = [[Double]](repeating: [Double](repeating: 0, count: d), count: d),
                b = [Double](repeating: 0, count: d)
            for i in 0..<20 { for p in 0..<d { for q in 0..<d { a[p][q] += Double(y[i, p]) * Double(y[i, q]) } } }
            for p in 0..<d { a[p][p] += lambda }
            for i in m.items(of: u).map(Int.init) {
                let c = 1 + alpha
                for p in 0..<d {
                    b[p] += c * Double(y[i, p])
                    for q in 0..<d { a[p][q] += (c - 1) * Double(y[i, p]) * Double(y[i, q]) }
                }
            }
            let ref = denseSolve(a, b)
            for p in 0..<d { #expect(abs(Double(x[u, p]) - ref[p]) < 1e-4) }
        }
    }

    /// Exact ALS minimises the objective block by block, so the loss never rises; so does the
    /// subspace solver, whose every step minimises it exactly over a block of coordinates.
    @Test(arguments: [["solver": "cholesky"], ["solver": "subspace", "block_size": "3"]])
    func lossDecreasesMonotonically(_ solver: [String: String]) throws {
        var o: [String: ParameterValue] = [
            "factors": .int(7), "iterations": .int(12), "regularization": .real(0.1), "solver": .text(solver["solver"]!)
        ]
        if let b = solver["block_size"] { o["block_size"] = .int(Int(b)!) }
        let model = ImplicitALS(config: values(ImplicitALS.Config.self, o))
        let ctx = FitContext(seed: 3)
        try model.fit(TrainingData(task: .ranking, interactions: matrix), context: ctx)
        let loss = ctx.curve.map { $0.values["loss"]! }
        #expect(loss.count == 12)
        for k in 1..<loss.count { #expect(loss[k] <= loss[k - 1] * (1 + 1e-5)) }
        #expect(loss.last! < loss.first! * 0.9)
    }

    /// A subspace block of all the factors is one exact Newton step on the row's quadratic: it equals
    /// the Cholesky solve from any start. d = 12 runs the eight-lane path and its scalar tail, and
    /// rows of 6 items the four-row path and its tail; d = 40 a block factorised by LAPACK rather
    /// than in place.
    @Test(arguments: [12, 40]) func subspaceWithOneBlockIsTheExactSolve(d: Int) throws {
        let m = matrix
        let exact = ImplicitALS(
            config: values(ImplicitALS.Config.self, ["factors": .int(d), "solver": .text("cholesky")]))
        let oneBlock = ImplicitALS(
            config: values(
                ImplicitALS.Config.self,
                ["factors": .int(d), "solver": .text("subspace"), "block_size": .int(64), "alpha": .real(3)]))
        let exact3 = ImplicitALS(
            config: values(
                ImplicitALS.Config.self, ["factors": .int(d), "solver": .text("cholesky"), "alpha": .real(3)]))
        var rng = RandomSource(seed: 4)
        var y = DenseMatrix(rows: 20, columns: d); y.randomize(std: 1, rng: &rng)
        var x1 = DenseMatrix(rows: 30, columns: d), x2 = DenseMatrix(rows: 30, columns: d)
        x2.randomize(std: 1, rng: &rng)
        let conf = m.byUser.values.map(exact3.confidence)
        try exact3.sweep(&x1, fixed: y, csr: m.byUser, conf: conf, threads: 1)
        try oneBlock.sweep(&x2, fixed: y, csr: m.byUser, conf: conf, threads: 1)
        #expect(zip(x1.values, x2.values).map { abs($0 - $1) }.max()! < 1e-4)
        // The item side too (rows of varying length, some past four).
        var y1 = DenseMatrix(rows: 20, columns: d), y2 = DenseMatrix(rows: 20, columns: d)
        y2.randomize(std: 1, rng: &rng)
        let itemConf = m.byItem.values.map(exact.confidence)
        try exact.sweep(&y1, fixed: x1, csr: m.byItem, conf: itemConf, threads: 1)
        let blockOfD = ImplicitALS(
            config: values(
                ImplicitALS.Config.self, ["factors": .int(d), "solver": .text("subspace"), "block_size": .int(d)]))
        try blockOfD.sweep(&y2, fixed: x1, csr: m.byItem, conf: itemConf, threads: 1)
        #expect(zip(y1.values, y2.values).map { abs($0 - $1) }.max()! < 1e-4)
    }

    /// Smaller blocks are block coordinate descent on a convex quadratic: each pass lowers every row's
    /// objective, one pass is not yet the solution, and many passes reach it.
    @Test func subspaceBlocksConvergeToTheExactSolve() throws {
        let d = 12, m = matrix
        let exact = ImplicitALS(
            config: values(ImplicitALS.Config.self, ["factors": .int(d), "solver": .text("cholesky")]))
        var rng = RandomSource(seed: 5)
        var y = DenseMatrix(rows: 20, columns: d); y.randomize(std: 1, rng: &rng)
        var xExact = DenseMatrix(rows: 30, columns: d)
        let conf = m.byUser.values.map(exact.confidence)
        try exact.sweep(&xExact, fixed: y, csr: m.byUser, conf: conf, threads: 1)
        // f(x) = xᵀGx + Σ (c−1)(y·x)² − 2 Σ c (y·x) for user u, in Double.
        func objective(_ x: DenseMatrix, _ u: Int) -> Double {
            var f = 0.0
            for i in 0..<20 {
                let s = (0..<d).reduce(0.0) { $0 + Double(x[u, $1]) * Double(y[i, $1]) }
                f += s * s
            }
            f += exact.config.regularization * (0..<d).reduce(0.0) { $0 + Double(x[u, $1] * x[u, $1]) }
            for (k, i) in m.items(of: u).enumerated() {
                let s = (0..<d).reduce(0.0) { $0 + Double(x[u, $1]) * Double(y[Int(i), $1]) }
                let c = Double(conf[m.byUser.offsets[u] + k])
                f += (c - 1) * s * s - 2 * c * s
            }
            return f
        }
        for block in [1, 5, 8] {
            let model = ImplicitALS(
                config: values(
                    ImplicitALS.Config.self,
                    ["factors": .int(d), "solver": .text("subspace"), "block_size": .int(block)]))
            var x = DenseMatrix(rows: 30, columns: d); var r = RandomSource(seed: 6); x.randomize(std: 1, rng: &r)
            var previous = (0..<30).map { objective(x, $0) }
            for pass in 0..<400 {
                try model.sweep(&x, fixed: y, csr: m.byUser, conf: conf, threads: 1)
                let now = (0..<30).map { objective(x, $0) }
                for u in 0..<30 { #expect(now[u] <= previous[u] + 1e-6 * abs(previous[u]) + 1e-6) }
                if pass == 0 { #expect(zip(x.values, xExact.values).map { abs($0 - $1) }.max()! > 1e-2) }
                previous = now
            }
            #expect(zip(x.values, xExact.values).map { abs($0 - $1) }.max()! < 1e-3, "block \(block)")
        }
    }

    /// Blocks of eight factors run block-major in a kernel (every row through a block before the
    /// next, the fixed side packed by blocks, predictions kept per interaction); a half-sweep of it
    /// must take the row-by-row solver's steps. Rows of 0–45 entries run the eight-at-a-time paths,
    /// their tails and the prefetches; d = 16 and 24 two and three blocks; confidences vary per entry;
    /// both sides are swept, so the parts split by interaction count see rows of every length.
    @Test(.enabled(if: ImplicitSubspace.hasKernel), arguments: [16, 24])
    func blockMajorKernelTakesTheRowByRowSteps(d: Int) throws {
        var rng = RandomSource(seed: 11)
        var users: [Int32] = [], items: [Int32] = [], raw: [Float] = []
        for u in 0..<40 {
            let n = u % 7 == 0 ? 0 : rng.nextInt(below: 46)
            var seen = Set<Int32>()
            while seen.count < n { seen.insert(Int32(rng.nextInt(below: 60))) }
            for i in seen.sorted() {
                users.append(Int32(u)); items.append(i); raw.append(Float(1 + rng.nextInt(below: 5)))
            }
        }
        let m = InteractionMatrix(userCount: 40, itemCount: 60, users: users, items: items, values: raw)
        let model = ImplicitALS(
            config: values(
                ImplicitALS.Config.self,
                [
                    "factors": .int(d), "solver": .text("subspace"), "block_size": .int(8), "alpha": .real(2),
                    "binary": .bool(false)
                ]))
        for side in [m.byUser, m.byItem] {
            var fixed = DenseMatrix(rows: side.columns, columns: d); fixed.randomize(std: 0.5, rng: &rng)
            var start = DenseMatrix(rows: side.rows, columns: d); start.randomize(std: 0.5, rng: &rng)
            let conf = side.values.map(model.confidence)
            #expect(Set(conf).count > 2)
            var blockMajor = start
            try model.sweep(&blockMajor, fixed: fixed, csr: side, conf: conf, threads: 2)
            // Row by row: the general solver with the same G = YᵀY + λI.
            var rowByRow = start
            var gram = [Float](repeating: 0, count: d * d)
            for r in 0..<d {
                for c in 0..<d {
                    gram[r * d + c] =
                        (0..<fixed.rows).reduce(0) { $0 + fixed[$1, r] * fixed[$1, c] }
                        + (r == c ? Float(model.config.regularization) : 0)
                }
            }
            let work = ImplicitSubspace.Work(k: d, block: 8)
            for row in 0..<side.rows {
                let lo = side.offsets[row], n = side.rowCount(row)
                let ok = rowByRow.values.withUnsafeMutableBufferPointer { xp in
                    ImplicitSubspace.solve(
                        base: gram, fixed: fixed.values, k: d, cols: Array(side.indices[lo..<(lo + n)]),
                        conf: Array(conf[lo..<(lo + n)]), n: n, work: work, x: xp.baseAddress! + row * d)
                }
                #expect(ok)
            }
            #expect(zip(rowByRow.values, start.values).map { abs($0 - $1) }.max()! > 1e-2)
            let scale = rowByRow.values.map(abs).max()!
            #expect(zip(rowByRow.values, blockMajor.values).map { abs($0 - $1) }.max()! < 1e-4 * max(1, scale))
        }
    }

    /// CG's sparse part has an AVX2 + FMA kernel; a solve through it must take the portable loop's
    /// steps. d = 5 has no eight-lane part, 20 one and a tail; rows of 0–13 entries the four-row groups,
    /// their tail and the residual pass's prefetch window; the next-row prefetch list is walked too.
    @Test(.enabled(if: ImplicitCG.hasKernel), arguments: [5, 20])
    func cgKernelTakesThePortableSteps(d: Int) {
        var rng = RandomSource(seed: 12)
        let rows = 30
        var y = DenseMatrix(rows: rows, columns: d); y.randomize(std: 0.5, rng: &rng)
        var gram = [Float](repeating: 0, count: d * d)
        for r in 0..<d {
            for c in 0..<d {
                gram[r * d + c] = (0..<rows).reduce(0) { $0 + y[$1, r] * y[$1, c] } + (r == c ? 0.1 : 0)
            }
        }
        let ahead = (0..<9).map { _ in Int32(rng.nextInt(below: rows)) }
        for n in [0, 3, 4, 7, 8, 13] {
            let cols = (0..<n).map { _ in Int32(rng.nextInt(below: rows)) }
            let conf = (0..<n).map { _ in 1 + Float(rng.nextInt(below: 40)) / 4 }
            let x0 = (0..<d).map { _ in Float(rng.nextGaussian()) }
            func solved(kernel: Bool) -> [Float] {
                var x = x0
                ImplicitCG.solve(
                    base: gram, fixed: y.values, k: d, cols: cols, conf: conf, n: n, steps: 3,
                    work: ImplicitCG.Work(k: d),
                    x: &x, ahead: ahead, aheadCount: ahead.count, kernel: kernel)
                return x
            }
            let portable = solved(kernel: false), kernel = solved(kernel: true)
            let scale = portable.map(abs).max()!
            #expect(zip(portable, x0).map { abs($0 - $1) }.max()! > 1e-3, "the solve moved x (n \(n))")
            #expect(zip(portable, kernel).map { abs($0 - $1) }.max()! < 1e-4 * max(1, scale), "n \(n), d \(d)")
        }
    }

    /// CG with as many steps as dimensions solves the d × d system exactly (up to rounding).
    @Test func cgWithEnoughStepsMatchesCholesky() throws {
        let d = 5
        let exact = ImplicitALS(
            config: values(ImplicitALS.Config.self, ["factors": .int(d), "solver": .text("cholesky")]))
        let cg = ImplicitALS(
            config: values(
                ImplicitALS.Config.self, ["factors": .int(d), "solver": .text("cg"), "cg_steps": .int(3 * d)]))
        let m = matrix
        var rng = RandomSource(seed: 2)
        var y = DenseMatrix(rows: 20, columns: d); y.randomize(std: 1, rng: &rng)
        var x1 = DenseMatrix(rows: 30, columns: d), x2 = DenseMatrix(rows: 30, columns: d)
        x2.randomize(std: 1, rng: &rng)  // CG warm start from elsewhere
        let conf = m.byUser.values.map(exact.confidence)
        try exact.sweep(&x1, fixed: y, csr: m.byUser, conf: conf, threads: 1)
        try cg.sweep(&x2, fixed: y, csr: m.byUser, conf: conf, threads: 1)
        let maxDiff = zip(x1.values, x2.values).map { abs($0 - $1) }.max()!
        #expect(maxDiff < 1e-3)
        // and 1 step from a random start does not (the check above is not vacuous)
        let oneStep = ImplicitALS(config: values(ImplicitALS.Config.self, ["factors": .int(d), "cg_steps": .int(1)]))
        var x3 = DenseMatrix(rows: 30, columns: d); var r2 = RandomSource(seed: 9); x3.randomize(std: 1, rng: &r2)
        try oneStep.sweep(&x3, fixed: y, csr: m.byUser, conf: conf, threads: 1)
        #expect(zip(x1.values, x3.values).map { abs($0 - $1) }.max()! > 1e-2)
    }

    @Test func parallelSweepEqualsSerial() throws {
        let config = values(ImplicitALS.Config.self, ["factors": .int(8), "iterations": .int(3)])
        let m = matrix
        let a = ImplicitALS(config: config), b = ImplicitALS(config: config)
        try a.fit(TrainingData(task: .ranking, interactions: m), context: FitContext(threads: 1, seed: 5))
        try b.fit(TrainingData(task: .ranking, interactions: m), context: FitContext(threads: 2, seed: 5))
        #expect(a.userFactors == b.userFactors && a.itemFactors == b.itemFactors)
    }
}

@Suite struct ExplicitALSTests {
    let data = planted(users: 30, items: 20, rank: 3, perUser: 8, seed: 11)
    var matrix: InteractionMatrix {
        InteractionMatrix(userCount: 30, itemCount: 20, users: data.u, items: data.i, values: data.r)
    }

    /// One user's (factors, bias) solve equals the dense solve of the augmented ridge system,
    /// with the factor ridge λ·n (weighted-λ) or λ·√n (regularization_exponent 0.5).
    @Test(arguments: [1.0, 0.5]) func userSolveMatchesDenseSolve(nu: Double) throws {
        let d = 3, lambda = 0.3, lambdaB = 2.0
        let model = ExplicitALS(
            config: values(
                ExplicitALS.Config.self,
                [
                    "factors": .int(d), "iterations": .int(1),
                    "regularization": .real(lambda), "bias_regularization": .real(lambdaB),
                    "regularization_exponent": .real(nu)
                ]))
        let m = matrix
        try model.fit(TrainingData(task: .rating, interactions: m), context: FitContext(seed: 1))
        // Re-solve users against the fitted items, then check against a dense solve.
        var x = model.userFactors, bu = model.userBias
        let y = model.itemFactors, bi = model.itemBias, mu = Double(model.globalMean)
        try model.sweep(&x, &bu, fixed: y, fixedBias: bi, csr: m.byUser, threads: 1)
        for u in [0, 29] {
            let k = d + 1
            var a = [[Double]](repeating: [Double](repeating: 0, count: k), count: k),
                b = [Double](repeating: 0, count: k)
            let items = m.items(of: u).map(Int.init), ratings = Array(m.byUser.rowValues(u))
            for (j, i) in items.enumerated() {
                let z = (0..<d).map { Double(y[i, $0]) } + [1]
                let t = Double(ratings[j]) - mu - Double(bi[i])
                for p in 0..<k { b[p] += t * z[p]; for q in 0..<k { a[p][q] += z[p] * z[q] } }
            }
            for p in 0..<d { a[p][p] += lambda * pow(Double(items.count), nu) }
            a[d][d] += lambdaB
            let ref = denseSolve(a, b)
            for p in 0..<d { #expect(abs(Double(x[u, p]) - ref[p]) < 1e-4) }
            #expect(abs(Double(bu[u]) - ref[d]) < 1e-4)
        }
    }

    /// The reported objective (which must use the same λ·n^ν as the solves) never rises.
    @Test(arguments: [1.0, 0.5]) func lossDecreasesMonotonically(nu: Double) throws {
        let model = ExplicitALS(
            config: values(
                ExplicitALS.Config.self,
                [
                    "factors": .int(4), "iterations": .int(10),
                    "regularization": .real(0.12), "regularization_exponent": .real(nu)
                ]))
        let ctx = FitContext(seed: 3)
        try model.fit(TrainingData(task: .rating, interactions: matrix), context: ctx)
        let loss = ctx.curve.map { $0.values["loss"]! }
        for k in 1..<loss.count { #expect(loss[k] <= loss[k - 1] * (1 + 1e-5)) }
        #expect(loss.last! < 0.9 * loss.first!)
        // predictions stay in the training range
        let p = model.predict(users: [0, 1, 2], items: [0, 5, 19])
        #expect(p.allSatisfy { (1...5).contains($0) })
    }
}

@Suite struct BPRTests {
    /// Planted rank-3 preferences: held-out positives must outrank non-interacted items (AUC > 0.9).
    @Test func plantedLowRankAUC() throws {
        let users = 200, items = 100
        let all = planted(users: users, items: items, rank: 3, perUser: 25, seed: 21)
        var rng = RandomSource(seed: 4)
        var train: [(Int32, Int32)] = [], test: [(Int32, Int32)] = []
        for k in all.u.indices {
            (rng.nextDouble() < 0.8 ? { train.append((all.u[k], all.i[k])) } : { test.append((all.u[k], all.i[k])) })()
        }
        let m = InteractionMatrix(
            userCount: users, itemCount: items, users: train.map(\.0), items: train.map(\.1),
            values: [Float](repeating: 1, count: train.count))
        let positives = Set(all.u.indices.map { Int(all.u[$0]) * items + Int(all.i[$0]) })
        func auc(_ model: BPR) -> Double {
            var scores = [Float](repeating: 0, count: users * items)
            scores.withUnsafeMutableBufferPointer { model.score(users: (0..<users).map(Int32.init), into: $0) }
            var good = 0.0, total = 0.0
            for (u, i) in test {
                for j in 0..<items where !positives.contains(Int(u) * items + j) {
                    let a = scores[Int(u) * items + Int(i)], b = scores[Int(u) * items + j]
                    good += a > b ? 1 : (a == b ? 0.5 : 0); total += 1
                }
            }
            return good / total
        }
        let untrained = BPR(
            config: values(BPR.Config.self, ["factors": .int(16), "epochs": .int(1), "learning_rate": .real(1e-6)]))
        try untrained.fit(TrainingData(task: .ranking, interactions: m), context: FitContext(seed: 1))
        #expect(auc(untrained) < 0.7)
        let model = BPR(config: values(BPR.Config.self, ["factors": .int(16), "epochs": .int(40)]))
        let ctx = FitContext(seed: 1)
        try model.fit(TrainingData(task: .ranking, interactions: m), context: ctx)
        #expect(auc(model) > 0.9)
        let parallel = BPR(config: values(BPR.Config.self, ["factors": .int(16), "epochs": .int(40)]))
        try parallel.fit(TrainingData(task: .ranking, interactions: m), context: FitContext(threads: 2, seed: 1))
        #expect(auc(parallel) > 0.9)
        #expect(ctx.curve.count == 40 && ctx.curve.last!.values["loss"]! < ctx.curve.first!.values["loss"]!)
    }

    /// The bitset and the binary search accept the same negatives, so at 1 thread the two give the
    /// same triples and a bit-identical model; the bitset's bits are exactly the interactions.
    @Test func negativeBitsetMatchesSearch() throws {
        let users = 30, items = 20
        let d = planted(users: users, items: items, rank: 2, perUser: 8, seed: 9)
        let m = InteractionMatrix(
            userCount: users, itemCount: items, users: d.u, items: d.i,
            values: [Float](repeating: 1, count: d.u.count))
        let seen = SeenItems(m.byUser, items: items, bitset: true)
        let pairs = Set(zip(d.u, d.i).map { Int($0) * items + Int($1) })
        for bit in 0..<(users * items) {
            #expect((seen.bits![bit >> 6] >> UInt64(bit & 63)) & 1 == (pairs.contains(bit) ? 1 : 0))
        }
        #expect(SeenItems.bitsetFits(rows: users, items: items, nnz: m.nnz))  // density 8/20 ≥ 1/64
        #expect(SeenItems.bitsetFits(rows: 64, items: 100, nnz: 100))  // exactly 1/64
        #expect(!SeenItems.bitsetFits(rows: 1000, items: 1000, nnz: 15_000))  // density 1.5 % < 1/64
        #expect(!SeenItems.bitsetFits(rows: Int.max / 2, items: 4, nnz: 1))  // the product overflows
        func fitted(_ bitset: Bool) throws -> [Float] {
            let model = BPR(config: values(BPR.Config.self, ["factors": .int(8), "epochs": .int(5)]))
            model.negativeBitset = bitset
            try model.fit(TrainingData(task: .ranking, interactions: m), context: FitContext(seed: 2))
            return model.userFactors.values + model.itemFactors.values + model.itemBias
        }
        #expect(try fitted(true) == fitted(false))
    }

    /// Two threads: user parts cover every pair once, replicas merge by adding their changes, and
    /// since no memory is shared a seed reproduces the model bit for bit; quality as at 1 thread.
    @Test func twoThreadsPartitionMergeAndReproduce() throws {
        let d = planted(users: 50, items: 40, rank: 2, perUser: 6, seed: 13)
        let m = InteractionMatrix(
            userCount: 50, itemCount: 40, users: d.u, items: d.i,
            values: [Float](repeating: 1, count: d.u.count))
        var g = RandomSource(seed: 3)
        let blocks = UserBlocks(m, parts: 3, random: &g)
        var seenPairs: [Int: Int] = [:], partOf: [Int32: Int] = [:]
        for p in 0..<3 {
            #expect(blocks.count(p) > 0)
            for k in 0..<blocks.count(p) {
                let u = blocks.pairs(p)[2 * k], i = blocks.pairs(p)[2 * k + 1]
                seenPairs[Int(u) * 40 + Int(i), default: 0] += 1
                #expect(partOf[u, default: p] == p)  // a user's pairs stay in one part
                partOf[u] = p
            }
        }
        #expect(seenPairs.count == m.nnz && seenPairs.values.allSatisfy { $0 == 1 })
        #expect((0..<3).map { blocks.samples(in: $0, of: 1001) }.reduce(0, +) == 1001)

        // Two item rows of d = 2 (stride 16) with biases. Row 0: replica A took 1 step and moved
        // y₀₀ by +1, replica B took 3 and moved it by +2, so y₀₀ = 1 + ¼·1 + ¾·2 = 2.75 (a plain sum
        // would give 4). Row 1: only B trained it (y₁₁ + 3, bias − 0.5) and its change stands whole.
        let shared = PaddedRows([1, 2, 3, 4], rows: 2, d: 2, bias: [10, 20])
        let a = shared.copy(), b = shared.copy(), st = shared.stride
        #expect(st == 16 && shared.touches == nil)
        a.data[0] = 2; a.touches![0] = 1
        b.data[0] = 3; b.touches![0] = 3
        b.data[st + 1] = 7; b.bias[1] = 19.5; b.touches![1] = 2
        PaddedRows.merge(shared, [a, b], threads: 2)
        for rows in [shared, a, b] {
            #expect(
                [rows.data[0], rows.data[1], rows.bias[0], rows.data[st], rows.data[st + 1], rows.bias[1]]
                    == [2.75, 2, 10, 3, 7, 19.5])
        }
        #expect([a.touches![0], a.touches![1], b.touches![0], b.touches![1]] == [0, 0, 0, 0])
        var y = [Float](repeating: 0, count: 4), bias = [Float](repeating: 0, count: 2)
        shared.store(into: &y, bias: &bias)
        #expect(y == [2.75, 2, 3, 7] && bias == [10, 19.5])

        func fitted() throws -> [Float] {
            let model = BPR(config: values(BPR.Config.self, ["factors": .int(8), "epochs": .int(5)]))
            try model.fit(TrainingData(task: .ranking, interactions: m), context: FitContext(threads: 2, seed: 4))
            return model.userFactors.values + model.itemFactors.values + model.itemBias
        }
        #expect(try fitted() == fitted())
    }

    /// The step returns σ(m) for its margin, exact at the extremes; the loss counts −log σ, with
    /// σ = 0 clamped to 1e-30 and a diverged (NaN) margin kept visible.
    @Test func stepSigmaAndLoss() {
        func sigma(_ xu: Float, _ yi: Float, _ yj: Float) -> Float {
            var x = [xu], i = [yi], j = [yj], bi: Float = 0, bj: Float = 0
            return BPR.step(x: &x, yi: &i, yj: &j, bi: &bi, bj: &bj, d: 1, lr: 0.01, reg: 0)
        }
        #expect(abs(sigma(2, 1, 0) - 1 / (1 + expf(-2))) < 1e-6)  // m = 2
        #expect(abs(sigma(1, 0, 3) - 1 / (1 + expf(3))) < 1e-6)  // m = −3
        #expect(sigma(100, 1, 0) == 1 && sigma(-200, 1, 0) == 0)  // e^m overflows / underflows
        #expect(sigma(.nan, 1, 0).isNaN)
        var loss = LogProduct()
        loss.add(sigma: 0.5); loss.add(sigma: 0.25); loss.add(sigma: 0)
        #expect(abs(loss.value - (log(2) + log(4) + 30 * log(10))) < 1e-6)  // 1e-30 as a Float
        loss.add(sigma: .nan)
        #expect(loss.value.isNaN)
    }

    @Test func negativeVerificationBinarySearch() {
        let row: [Int32] = [2, 5, 9, 14]
        row.withUnsafeBufferPointer { p in
            for j in 0..<16 { #expect(BPR.contains(p, 0, 4, Int32(j)) == row.contains(Int32(j))) }
            #expect(!BPR.contains(p, 1, 3, 2) && !BPR.contains(p, 1, 3, 14) && BPR.contains(p, 1, 3, 9))
        }
    }
}

@Suite struct EASETests {
    /// 6 items: B from a dense Gauss–Jordan reference; zero diagonal; scores = X·B; in both precisions.
    @Test(arguments: ["double", "single"]) func zeroDiagonalAndDenseReference(precision: String) throws {
        let rows: [[Int32]] = [[0, 1, 2], [1, 2], [0, 3, 4], [2, 4, 5], [0, 5], [1, 3, 5], [0, 1, 2, 3], [4]]
        var us = [Int32](), its = [Int32]()
        for (u, r) in rows.enumerated() { for i in r { us.append(Int32(u)); its.append(i) } }
        let m = InteractionMatrix(
            userCount: rows.count, itemCount: 6, users: us, items: its, values: [Float](repeating: 1, count: us.count))
        let lambda = 2.0
        let model = EASE(
            config: values(EASE.Config.self, ["regularization": .real(lambda), "precision": .text(precision)]))
        try model.fit(TrainingData(task: .ranking, interactions: m), context: FitContext(threads: 2))
        #expect(model.precisionUsed.rawValue == precision)
        // Reference: P = (XᵀX + λI)⁻¹ column by column through dense solves.
        var g = [[Double]](repeating: [Double](repeating: 0, count: 6), count: 6)
        for r in rows { for a in r { for b in r { g[Int(a)][Int(b)] += 1 } } }
        for i in 0..<6 { g[i][i] += lambda }
        var p = [[Double]](repeating: [Double](repeating: 0, count: 6), count: 6)
        for j in 0..<6 {
            let col = denseSolve(g, (0..<6).map { $0 == j ? 1 : 0 })
            for i in 0..<6 { p[i][j] = col[i] }
        }
        for i in 0..<6 {
            #expect(model.weights[i, i] == 0)
            for j in 0..<6 where j != i { #expect(abs(Double(model.weights[i, j]) + p[i][j] / p[j][j]) < 1e-5) }
        }
        var scores = [Float](repeating: 0, count: 2 * 6)
        scores.withUnsafeMutableBufferPointer { model.score(users: [6, 2], into: $0) }
        for (r, u) in [6, 2].enumerated() {
            for j in 0..<6 {
                let ref = rows[u].reduce(Float(0)) { $0 + model.weights[Int($1), j] }
                #expect(abs(scores[r * 6 + j] - ref) < 1e-5)
            }
        }
    }
}

@Suite struct EASEPrecisionTests {
    /// Single precision (spotrf/spotri in B's storage, tiled mirror over several 64-item tiles)
    /// agrees with double on a 240-item problem, and `auto` keeps double at this size.
    @Test func singleAgreesWithDouble() throws {
        let p = PlantedClusters()
        let single = try p.fitted(EASE.self, ["precision": .text("single"), "regularization": .real(20)])
        let double = try p.fitted(EASE.self, ["regularization": .real(20)])
        #expect(double.precisionUsed == .double && single.precisionUsed == .single)
        let scale = double.weights.values.map(abs).max()!
        let diff = zip(single.weights.values, double.weights.values).map { abs($0 - $1) }.max()!
        #expect(scale > 0.01 && diff <= 1e-4 * scale, "max |Δ| \(diff) against max |B| \(scale)")
        #expect(abs(p.ndcg(single) - p.ndcg(double)) < 1e-3)
    }

    @Test func memoryEstimateRefusesWhatCannotFit() throws {
        #expect(EASE.estimatedBytes(items: 40_981, precision: .single) == 40_981 * 40_981 * 4)
        let gib = 1 << 30
        #expect(throws: Never.self) {
            try ItemGram.checkFits(model: "EASE", items: 40_981, bytes: 7 * gib, physical: 24 * gib)
        }
        let message = thrownMessage {
            try ItemGram.checkFits(
                model: "EASE in double precision", items: 40_981,
                bytes: 20 * gib, physical: 16 * gib)
        }
        #expect(
            message == "EASE in double precision needs about 20.0 GiB for 40981 items (dense item × item matrices), "
                + "but this machine has 16.0 GiB")
    }
}

@Suite struct PureSVDTests {
    /// On an exactly rank-3 matrix, both solvers reconstruct it with 3 factors.
    @Test func randomizedMatchesLAPACKOnLowRank() throws {
        let users = 40, items = 25
        var rng = RandomSource(seed: 8)
        let a = (0..<(users * 3)).map { _ in Float(rng.nextGaussian()) },
            b = (0..<(items * 3)).map { _ in Float(rng.nextGaussian()) }
        var us = [Int32](), its = [Int32](), vs = [Float]()
        for u in 0..<users {
            for i in 0..<items {
                us.append(Int32(u)); its.append(Int32(i));
                vs.append((0..<3).reduce(Float(0)) { $0 + a[u * 3 + $1] * b[i * 3 + $1] })
            }
        }
        let m = InteractionMatrix(userCount: users, itemCount: items, users: us, items: its, values: vs)
        func reconstruction(_ solver: String) throws -> [Float] {
            let model = PureSVD(
                config: values(
                    PureSVD.Config.self, ["factors": .int(3), "solver": .text(solver), "binary": .bool(false)]))
            try model.fit(TrainingData(task: .ranking, interactions: m), context: FitContext(seed: 3))
            var s = [Float](repeating: 0, count: users * items)
            s.withUnsafeMutableBufferPointer { model.score(users: (0..<users).map(Int32.init), into: $0) }
            return s
        }
        let l = try reconstruction("lapack"), r = try reconstruction("randomized")
        #expect(zip(l, vs).map { abs($0 - $1) }.max()! < 1e-3)
        #expect(zip(r, vs).map { abs($0 - $1) }.max()! < 1e-3)
    }
}

@Suite struct SeededReproducibilityTests {
    let m: InteractionMatrix = {
        let d = planted(users: 40, items: 30, rank: 3, perUser: 7, seed: 5)
        return InteractionMatrix(userCount: 40, itemCount: 30, users: d.u, items: d.i, values: d.r)
    }()

    private func factors<R: FactorModel>(
        _ make: () -> R, seed: UInt64, task: RecommendationTask = .ranking, threads: Int = 1
    ) throws -> [Float] {
        let model = make()
        try model.fit(TrainingData(task: task, interactions: m), context: FitContext(threads: threads, seed: seed))
        let f = model.factors
        return f.users.values + f.items.values + (f.itemBias ?? [])
    }

    @Test func sameSeedSameModel() throws {
        let ials = { ImplicitALS(config: values(ImplicitALS.Config.self, ["factors": .int(6), "iterations": .int(3)])) }
        let eals = { ExplicitALS(config: values(ExplicitALS.Config.self, ["factors": .int(6), "iterations": .int(3)])) }
        let bpr = { BPR(config: values(BPR.Config.self, ["factors": .int(8), "epochs": .int(5)])) }
        let svd = { PureSVD(config: values(PureSVD.Config.self, ["factors": .int(4), "solver": .text("randomized")])) }
        #expect(try factors(ials, seed: 1) == factors(ials, seed: 1))
        #expect(try factors(ials, seed: 1) != factors(ials, seed: 2))
        #expect(try factors(eals, seed: 1, task: .rating) == factors(eals, seed: 1, task: .rating))
        #expect(try factors(bpr, seed: 1) == factors(bpr, seed: 1))
        #expect(try factors(bpr, seed: 1) != factors(bpr, seed: 2))
        #expect(try factors(svd, seed: 1) == factors(svd, seed: 1))
    }
}

/// Message of a thrown error, or nil when nothing was thrown.
private func thrownMessage(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch { return "\(error)" }
}
