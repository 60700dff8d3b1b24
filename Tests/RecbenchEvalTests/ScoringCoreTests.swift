import Testing
import RecbenchCore
import RecbenchAlgorithms
@testable import RecbenchEval

@Suite struct SelectTests {
    @Test func selectEqualsFullSortOnRandomCases() {
        var rng = RandomSource(seed: 7)
        for trial in 0..<300 {
            // Every other row long enough for the 32-wide vector scan, NaNs and ties inside its steps.
            let n = 1 + rng.nextInt(below: trial % 2 == 0 ? 40 : 300)
            // Few distinct values so ties are common; some NaNs and infinities.
            let scores: [Float] = (0..<n).map { _ in
                switch rng.nextInt(below: 12) {
                case 0: return .nan
                case 1: return -.infinity
                default: return Float(rng.nextInt(below: 5))
                }
            }
            let excludeAll = trial % 25 == 0  // a user with every item excluded
            let excluded = (0..<n).filter { _ in excludeAll || rng.nextInt(below: 4) == 0 }.map { Int32($0) }
            let k = rng.nextInt(below: n + 4)  // includes 0 and K larger than the candidate count
            let got = scores.withUnsafeBufferPointer {
                ScoringCore.select(scores: $0, k: k, excluded: excluded[...])
            }
            let want = referenceTopK(scores, k: k, excluded: Set(excluded))
            #expect(got == want, "trial \(trial): n=\(n) k=\(k)")
            if excludeAll { #expect(got.isEmpty) }
        }
    }

    @Test func excludedIndicesPastTheRowEndAreIgnored() {
        let s: [Float] = [1, 4, 2, 3]
        let got = s.withUnsafeBufferPointer { ScoringCore.select(scores: $0, k: 3, excluded: [1, 7, 9]) }
        #expect(got == [3, 2, 0])
    }

    @Test func tiesGoToTheLowerIndexAndNaNRanksLast() {
        let s: [Float] = [1, .nan, 3, 3, 2, 3]
        let got = s.withUnsafeBufferPointer { ScoringCore.select(scores: $0, k: 6, excluded: [3]) }
        #expect(got == [2, 5, 4, 0, 1])
    }
}

@Suite struct TopKTests {
    /// 37 users × 23 items with tied scores, two exclude matrices and one user with every item excluded.
    func fixture() -> (TableModel, [SparseMatrix], [Int32]) {
        var rng = RandomSource(seed: 11)
        let users = 37, n = 23
        let table: [Float] = (0..<(users * n)).map { _ in
            rng.nextInt(below: 20) == 0 ? .nan : Float(rng.nextInt(below: 6))
        }
        var a: [(Int, Int)] = [], b: [(Int, Int)] = []
        for u in 0..<users {
            for i in 0..<n {
                if u == 5 || rng.nextInt(below: 5) == 0 { a.append((u, i)) }
                if rng.nextInt(below: 9) == 0 { b.append((u, i)) }  // may overlap a
            }
        }
        let ex = [interactions(users: users, items: n, a).byUser, interactions(users: users, items: n, b).byUser]
        let order: [Int32] = (0..<users).map { Int32($0) }.reversed()  // not ascending, on purpose
        return (TableModel(table: table, itemCount: n), ex, order)
    }

    @Test func matchesReferenceAndIsIndependentOfBlocksAndThreads() {
        let (model, ex, users) = fixture()
        let n = 23, k = 20  // user 5 has nothing left; others often have fewer than 20 candidates
        let full = ScoringCore.topK(model: model, users: users, itemCount: n, k: k, exclude: ex, threads: 1)
        for (r, u) in users.enumerated() {
            let row = Array(model.table[(Int(u) * n)..<((Int(u) + 1) * n)])
            let excluded = Set(ex.flatMap { $0.rowIndices(Int(u)) })
            var want = referenceTopK(row, k: k, excluded: excluded)
            want += [Int32](repeating: -1, count: k - want.count)  // padding
            #expect(Array(full.row(r)) == want, "user \(u)")
        }
        #expect(Array(full.row(users.firstIndex(of: 5)!)) == [Int32](repeating: -1, count: k))
        for (block, threads) in [(4, 1), (4, 2), (1, 2), (512, 2), (7, 3)] {
            let other = ScoringCore.topK(
                model: model, users: users, itemCount: n, k: k, exclude: ex,
                threads: threads, blockSize: block)
            #expect(other.items == full.items, "block \(block), threads \(threads)")
            #expect(zip(other.scores, full.scores).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
        }
    }

    @Test func candidatesRestrictThePool() {
        let (model, ex, users) = fixture()
        let n = 23
        var pairs: [(Int, Int)] = []
        var rng = RandomSource(seed: 3)
        for u in 0..<37 { for i in 0..<n where rng.nextInt(below: 3) == 0 { pairs.append((u, i)) } }
        let cand = interactions(users: 37, items: n, pairs).byUser
        let got = ScoringCore.topK(
            model: model, users: users, itemCount: n, k: 6, exclude: ex, candidates: cand,
            threads: 2, blockSize: 5)
        for (r, u) in users.enumerated() {
            let row = Array(model.table[(Int(u) * n)..<((Int(u) + 1) * n)])
            var want = referenceTopK(
                row, k: 6, excluded: Set(ex.flatMap { $0.rowIndices(Int(u)) }),
                candidates: Array(cand.rowIndices(Int(u))))
            want += [Int32](repeating: -1, count: 6 - want.count)
            #expect(Array(got.row(r)) == want)
        }
    }

    @Test func factorPathEqualsScorePath() {
        // Small integer factors: every dot product is exact in Float, so both paths must agree exactly.
        var rng = RandomSource(seed: 5)
        let users = 19, n = 31, d = 3
        let uf = DenseMatrix(
            rows: users, columns: d, values: (0..<(users * d)).map { _ in Float(rng.nextInt(below: 7) - 3) })
        let itf = DenseMatrix(rows: n, columns: d, values: (0..<(n * d)).map { _ in Float(rng.nextInt(below: 7) - 3) })
        let bias = (0..<n).map { _ in Float(rng.nextInt(below: 3)) }
        let f = LatentFactors(users: uf, items: itf, itemBias: bias)
        let train = interactions(users: users, items: n, (0..<users).flatMap { u in [(u, u % n), (u, (u * 7) % n)] })
        let ids = (0..<users).map { Int32($0) }
        let viaFactors = ScoringCore.topK(
            model: FactorModel(f, exposeFactors: true), users: ids, itemCount: n, k: 8,
            exclude: [train.byUser], threads: 2, blockSize: 4)
        let viaScore = ScoringCore.topK(
            model: FactorModel(f, exposeFactors: false), users: ids, itemCount: n, k: 8,
            exclude: [train.byUser], threads: 1)
        #expect(viaFactors.items == viaScore.items)
        #expect(viaFactors.scores == viaScore.scores)
        #expect(!viaFactors.items.contains(-1))
    }

    @Test func aucHandCaseWithTies() {
        // One user, scores [0.9, 0.5, 0.5, 0.1, 0.5].
        let model = TableModel(table: [0.9, 0.5, 0.5, 0.1, 0.5], itemCount: 5)
        func auc(test: [Int], exclude: [Int], candidates: [Int]? = nil) -> Double {
            let t = interactions(users: 1, items: 5, test.map { (0, $0) }).byUser
            let e = interactions(users: 1, items: 5, exclude.map { (0, $0) }).byUser
            let c = candidates.map { interactions(users: 1, items: 5, $0.map { (0, $0) }).byUser }
            return ScoringCore.topK(
                model: model, users: [0], itemCount: 5, k: 2, exclude: [e], candidates: c,
                aucTest: t, threads: 1
            ).auc![0]
        }
        // Test {1,3}, item 0 excluded: positives 0.5, 0.1; negatives items 2, 4 (0.5, 0.5).
        //   (1,2) tie ½, (1,4) tie ½, (3,2) 0, (3,4) 0 → 1/4.
        #expect(auc(test: [1, 3], exclude: [0]) == 0.25)
        // Nothing excluded: negatives 0 (0.9), 2, 4 → (½ + ½)/6 = 1/6.
        #expect(abs(auc(test: [1, 3], exclude: []) - 1.0 / 6) < 1e-12)
        // Test {0,2}: (0,·) 3 correct; (2,1) ½, (2,3) 1, (2,4) ½ → 5/6.
        #expect(abs(auc(test: [0, 2], exclude: []) - 5.0 / 6) < 1e-12)
        // Candidates {0,1,3}, nothing excluded: negative 0 only, above both positives → 0.
        #expect(auc(test: [1, 3], exclude: [], candidates: [0, 1, 3]) == 0)
        // Candidates {0,1,3} with 0 excluded: no negatives left → NaN.
        #expect(auc(test: [1, 3], exclude: [0], candidates: [0, 1, 3]).isNaN)
    }
}

@Suite struct CandidateSamplerTests {
    @Test func containsTestNeverTrainRightCountDeterministic() {
        var rng = RandomSource(seed: 9)
        let users = 30, n = 40
        var tr: [(Int, Int)] = [], te: [(Int, Int)] = []
        for u in 0..<users {
            for i in 0..<n {
                let x = rng.nextInt(below: 10)
                // User 0 has no test items; user 1 trains on almost everything (fewer than 5 items left).
                if x < 3 || (u == 1 && i > 2) { tr.append((u, i)) } else if x == 3 && u != 0 { te.append((u, i)) }
            }
        }
        let train = interactions(users: users, items: n, tr), test = interactions(users: users, items: n, te)
        let c = CandidateSampler.sampled(test: test, train: train, negatives: 5, seed: 42)
        #expect(c.rows == users && c.columns == n)
        #expect(c.rowCount(0) == 0)
        for u in 0..<users where test.items(of: u).count > 0 {
            let row = Set(c.rowIndices(u))
            let testSet = Set(test.items(of: u)), trainSet = Set(train.items(of: u))
            #expect(testSet.isSubset(of: row))
            #expect(row.isDisjoint(with: trainSet))
            let available = n - testSet.union(trainSet).count
            #expect(c.rowCount(u) == testSet.count + min(5, available))
            #expect(Array(c.rowIndices(u)) == Array(c.rowIndices(u)).sorted())
            #expect(row.count == c.rowCount(u))  // no duplicates
            for e in c.rowRange(u) { #expect(c.values[e] == (testSet.contains(c.indices[e]) ? 1 : 0)) }
        }
        #expect(CandidateSampler.sampled(test: test, train: train, negatives: 5, seed: 42) == c)
        #expect(CandidateSampler.sampled(test: test, train: train, negatives: 5, seed: 43) != c)
        // The dense branch (negatives close to the pool size) keeps the same guarantees.
        let big = CandidateSampler.sampled(test: test, train: train, negatives: 30, seed: 1)
        for u in 0..<users where test.items(of: u).count > 0 {
            let used = Set(test.items(of: u)).union(train.items(of: u)).count
            #expect(big.rowCount(u) == test.items(of: u).count + min(30, n - used))
            #expect(Set(big.rowIndices(u)).isDisjoint(with: Set(train.items(of: u))))
        }
    }
}

/// The fused tiled factor path (ScoringCore.topK(factors:…)).
@Suite struct FactorTileTests {
    /// Integer factors in -2...2 and a bias in 0...2: every score is exact in Float, so heavy ties
    /// are real ties and the reference full sort must be matched bit for bit.
    struct Fixture {
        let f: LatentFactors
        let exclude: [SparseMatrix]
        let users: [Int32]
        let n: Int
        func scores(_ u: Int) -> [Float] {
            let d = f.users.columns
            return (0..<n).map { i in
                var s: Float = 0
                for c in 0..<d { s += f.users.values[u * d + c] * f.items.values[i * d + c] }
                return s + (f.itemBias?[i] ?? 0)
            }
        }
    }

    func fixture(users: Int, items n: Int, d: Int, bias: Bool, seed: UInt64) -> Fixture {
        var rng = RandomSource(seed: seed)
        let uf = DenseMatrix(
            rows: users, columns: d, values: (0..<(users * d)).map { _ in Float(rng.nextInt(below: 5) - 2) })
        let itf = DenseMatrix(rows: n, columns: d, values: (0..<(n * d)).map { _ in Float(rng.nextInt(below: 5) - 2) })
        let b: [Float]? = bias ? (0..<n).map { _ in Float(rng.nextInt(below: 3)) } : nil
        var a: [(Int, Int)] = [], c: [(Int, Int)] = []
        for u in 0..<users {
            for i in 0..<n {
                if u == 3 || rng.nextInt(below: 4) == 0 { a.append((u, i)) }  // user 3: every item seen
                if u % 2 == 0 && rng.nextInt(below: 10) == 0 { c.append((u, i)) }  // overlaps a
            }
        }
        // User 4 has almost everything excluded, so K exceeds its candidate count.
        for i in 0..<(n - 2) { a.append((4, i)) }
        let ex = [interactions(users: users, items: n, a).byUser, interactions(users: users, items: n, c).byUser]
        let order: [Int32] = (0..<users).map { Int32($0) }.shuffled(using: &rng)
        return Fixture(f: LatentFactors(users: uf, items: itf, itemBias: b), exclude: ex, users: order, n: n)
    }

    @Test(arguments: [false, true])
    func tiledEqualsFullSortForEveryTileShapeAndThreadCount(bias: Bool) {
        // d = 11: the kernel's panel packs whole groups by 8 × 8 transposes and the rest one by one.
        let fx = fixture(users: 41, items: 97, d: 11, bias: bias, seed: bias ? 21 : 22)
        let k = 12
        var want: [Int32] = []
        for u in fx.users {
            let excluded = Set(fx.exclude.flatMap { $0.rowIndices(Int(u)) })
            let top = referenceTopK(fx.scores(Int(u)), k: k, excluded: excluded)
            want += top + [Int32](repeating: -1, count: k - top.count)
        }
        // (1 × 1) tiles, ragged tiles, and one tile holding everything (the unblocked case).
        for (tile, threads) in [
            (ScoringTile(users: 1, items: 1), 1), (ScoringTile(users: 3, items: 5), 2),
            (ScoringTile(users: 7, items: 64), 3), (ScoringTile(users: 41, items: 97), 1),
            (ScoringTile(users: 256, items: 4096), 2)
        ] {
            // The fused kernel (on CPUs that have it) and the sgemm path that serves the others.
            for ordering in [ScoringCore.ItemOrdering.byNorm, .natural, .sampled] {
                for fused in [true, false] {
                    let got = ScoringCore.topK(
                        factors: fx.f, users: fx.users, k: k, exclude: fx.exclude, candidates: nil, threads: threads,
                        tile: tile, ordering: ordering, fused: fused)
                    #expect(
                        got.items == want,
                        "tile \(tile.users)×\(tile.items), threads \(threads), \(ordering), fused \(fused)")
                }
            }
            let got = ScoringCore.topK(
                factors: fx.f, users: fx.users, k: k, exclude: fx.exclude, threads: threads, tile: tile)
            for (r, u) in fx.users.enumerated() {
                let s = fx.scores(Int(u))
                for (j, item) in got.row(r).enumerated() {
                    #expect(got.scores[r * k + j] == (item < 0 ? -.infinity : s[Int(item)]))
                }
            }
        }
        let r3 = fx.users.firstIndex(of: 3)!, r4 = fx.users.firstIndex(of: 4)!
        let got = ScoringCore.topK(factors: fx.f, users: fx.users, k: k, exclude: fx.exclude, threads: 2)
        #expect(Array(got.row(r3)) == [Int32](repeating: -1, count: k))
        #expect(got.row(r4).filter { $0 >= 0 }.count <= 2)
    }

    /// Popularity-shaped integer factors (a first coordinate from 0 to 60, long-tailed, shuffled
    /// over the item indices; small integers elsewhere; a bias in -2...2; one NaN item), so that
    /// scores are exact, ties are common across items of different norms, and the norm bound
    /// settles most users early. The lists must be the full sort's, bit for bit, at any tile
    /// shape and thread count, while only part of the (user, item) scores is computed.
    @Test func earlyStopKeepsTheFullScanListsAndScoresAFraction() throws {
        let users = 200, n = 3000, d = 6, k = 10
        var rng = RandomSource(seed: 77)
        let popularity = (0..<n).map { Float(60 / (1 + $0 / 25)) }.shuffled(using: &rng)
        var itf = [Float](), uf = [Float]()
        for i in 0..<n {
            itf.append(popularity[i])
            for _ in 1..<d { itf.append(Float(rng.nextInt(below: 3) - 1)) }
        }
        itf[1234 * d + 2] = .nan
        for _ in 0..<users {
            uf.append(Float(3 + rng.nextInt(below: 2)))
            for _ in 1..<d { uf.append(Float(rng.nextInt(below: 3) - 1)) }
        }
        let bias = (0..<n).map { _ in Float(rng.nextInt(below: 5) - 2) }
        let f = LatentFactors(
            users: DenseMatrix(rows: users, columns: d, values: uf),
            items: DenseMatrix(rows: n, columns: d, values: itf),
            itemBias: bias)
        var seen: [(Int, Int)] = []
        for u in 0..<users {
            for i in 0..<n where rng.nextInt(below: 10) == 0 || (u == 5 && i < 2990) { seen.append((u, i)) }
        }
        let exclude = [interactions(users: users, items: n, seen).byUser]
        let order: [Int32] = (0..<users).map { Int32($0) }.shuffled(using: &rng)
        var want: [Int32] = []
        for u in order {
            let s = (0..<n).map { i in (0..<d).reduce(Float(0)) { $0 + uf[Int(u) * d + $1] * itf[i * d + $1] } + bias[i]
            }
            let top = referenceTopK(s, k: k, excluded: Set(exclude[0].rowIndices(Int(u))))
            want += top + [Int32](repeating: -1, count: k - top.count)
        }
        for (tile, threads) in [
            (ScoringTile(users: 64, items: 256), 2), (ScoringTile(users: 16, items: 100), 1),
            (ScoringTile(users: 7, items: 33), 3)
        ] {
            let unfused = ScoringCore.topK(
                factors: f, users: order, k: k, exclude: exclude, candidates: nil, threads: threads, tile: tile,
                ordering: .byNorm, fused: false)
            #expect(unfused.items == want, "sgemm path, tile \(tile.users)×\(tile.items), threads \(threads)")
            let got = ScoringCore.topK(
                factors: f, users: order, k: k, exclude: exclude, candidates: nil, threads: threads, tile: tile,
                ordering: .byNorm)
            #expect(got.items == want, "tile \(tile.users)×\(tile.items), threads \(threads)")
            let fraction = try #require(got.scoredFraction)
            #expect(fraction > 0 && fraction < 0.2, "tile \(tile.users)×\(tile.items): \(fraction)")
            // The sample (one user in 16, ranked in natural order) sees the bound cut and picks the norm order.
            let sampled = ScoringCore.topK(
                factors: f, users: order, k: k, exclude: exclude, threads: threads, tile: tile)
            #expect(sampled.items == want)
            #expect(try #require(sampled.scoredFraction) < 0.1 + fraction)
        }
    }

    /// Uniform random factors have nearly equal norms: the sample finds the bound cuts nothing and
    /// keeps the natural order, so every score is computed, once.
    @Test func equalNormsKeepTheNaturalOrder() throws {
        var rng = RandomSource(seed: 5)
        let users = 320, n = 700, d = 16
        let f = LatentFactors(
            users: DenseMatrix(
                rows: users, columns: d, values: (0..<(users * d)).map { _ in Float(rng.nextDouble()) - 0.5 }),
            items: DenseMatrix(rows: n, columns: d, values: (0..<(n * d)).map { _ in Float(rng.nextDouble()) - 0.5 }))
        let ids = (0..<users).map { Int32($0) }
        let got = ScoringCore.topK(
            factors: f, users: ids, k: 10, exclude: [], threads: 2, tile: ScoringTile(users: 32, items: 128))
        #expect(got.scoredFraction == 1)
        let byNorm = ScoringCore.topK(
            factors: f, users: ids, k: 10, exclude: [], candidates: nil, threads: 2,
            tile: ScoringTile(users: 32, items: 128), ordering: .byNorm)
        #expect(byNorm.items == got.items)
        #expect(try #require(byNorm.scoredFraction) > ScoringCore.byNormUpTo)
    }

    @Test func candidatesWithFactorsMatchTheReference() {
        let fx = fixture(users: 23, items: 40, d: 4, bias: true, seed: 8)
        var rng = RandomSource(seed: 4)
        var pairs: [(Int, Int)] = []
        for u in 0..<23 { for i in 0..<40 where rng.nextInt(below: 4) == 0 { pairs.append((u, i)) } }
        let cand = interactions(users: 23, items: 40, pairs).byUser
        let got = ScoringCore.topK(
            factors: fx.f, users: fx.users, k: 5, exclude: fx.exclude, candidates: cand, threads: 2)
        for (r, u) in fx.users.enumerated() {
            let top = referenceTopK(
                fx.scores(Int(u)), k: 5, excluded: Set(fx.exclude.flatMap { $0.rowIndices(Int(u)) }),
                candidates: Array(cand.rowIndices(Int(u))))
            #expect(Array(got.row(r)) == top + [Int32](repeating: -1, count: 5 - top.count), "user \(u)")
        }
        // The model entry point routes factor models with candidates to the same path.
        let viaModel = ScoringCore.topK(
            model: FactorModel(fx.f, exposeFactors: true), users: fx.users, itemCount: 40, k: 5,
            exclude: fx.exclude, candidates: cand, threads: 1)
        #expect(viaModel.items == got.items)
    }

    @Test func zeroKAndEmptyUserList() {
        let fx = fixture(users: 5, items: 9, d: 2, bias: false, seed: 1)
        let none = ScoringCore.topK(factors: fx.f, users: fx.users, k: 0, exclude: fx.exclude, threads: 2)
        #expect(none.items.isEmpty && none.k == 0)
        let empty = ScoringCore.topK(factors: fx.f, users: [], k: 3, exclude: fx.exclude, threads: 2)
        #expect(empty.items.isEmpty)
    }
}
