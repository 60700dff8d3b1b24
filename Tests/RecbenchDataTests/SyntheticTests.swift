import Foundation
import RecbenchCore
import Testing
import RecbenchData

@Suite struct SyntheticTests {
    static let config = SyntheticConfig(users: 500, items: 300, interactions: 20_000, seed: 11)
    static let data = SyntheticData.generate(config)

    @Test func sizeAndShape() {
        let d = Self.data
        #expect(d.count == 20_000 && d.userCount == 500 && d.itemCount == 300)
        #expect(d.values.allSatisfy { $0 >= 1 && $0 <= 5 && $0 == $0.rounded() })
        // Every user has at least one interaction and no (user, item) pair repeats.
        #expect(Set(d.users).count == 500)
        let pairs = Set((0..<d.count).map { Int(d.users[$0]) * 1000 + Int(d.items[$0]) })
        #expect(pairs.count == d.count)
        // Timestamps strictly increase within each user's block.
        let ts = d.timestamps!
        #expect((1..<d.count).allSatisfy { d.users[$0] != d.users[$0 - 1] || ts[$0] > ts[$0 - 1] })
        // Ratings use the whole scale.
        #expect(Set(d.values).count == 5)
    }

    @Test func deterministicForASeed() {
        let again = SyntheticData.generate(Self.config)
        #expect(again.users == Self.data.users && again.items == Self.data.items)
        #expect(again.values == Self.data.values && again.timestamps == Self.data.timestamps)
        var other = Self.config; other.seed = 12
        #expect(SyntheticData.generate(other).items != Self.data.items)
    }

    @Test func popularityAndActivityAreSkewed() {
        let d = Self.data
        var itemCounts = [Int](repeating: 0, count: d.itemCount), userCounts = [Int](repeating: 0, count: d.userCount)
        for p in 0..<d.count { itemCounts[Int(d.items[p])] += 1; userCounts[Int(d.users[p])] += 1 }
        itemCounts.sort(by: >); userCounts.sort(by: >)
        // The top 10% of items take far more than 10% of interactions.
        let top = itemCounts.prefix(30).reduce(0, +)
        #expect(Double(top) / Double(d.count) > 0.25)
        #expect(userCounts[0] > 5 * userCounts[250])
        // No skew: much flatter.
        var flat = Self.config; flat.popularitySkew = 0
        let f = SyntheticData.generate(flat)
        var fc = [Int](repeating: 0, count: f.itemCount)
        for i in f.items { fc[Int(i)] += 1 }
        fc.sort(by: >)
        #expect(fc.prefix(30).reduce(0, +) < top)
    }

    @Test func featuresAreInformative() throws {
        let d = Self.data
        let seg = try #require(d.userFeatures["segment"])
        #expect(seg.matrix.rows == 500 && seg.matrix.nnz == 500 && seg.columnNames.count == 8)
        let cat = try #require(d.itemFeatures["category"])
        #expect(
            cat.kind == .multiHot && cat.matrix.rows == 300 && (0..<300).allSatisfy { cat.matrix.rowCount($0) >= 1 })
        // Users of segment k pick items of category k more often than users of other segments do.
        var inSeg = 0.0, inSegN = 0.0, outSeg = 0.0, outSegN = 0.0
        for p in 0..<d.count {
            let s = Int(seg.matrix.rowIndices(Int(d.users[p])).first!)
            let hasK = cat.matrix.value(row: Int(d.items[p]), column: s) != nil
            inSeg += hasK ? 1 : 0; inSegN += 1
            // Compare with the category of the "next" segment as a baseline.
            let other = (s + 1) % 8
            outSeg += cat.matrix.value(row: Int(d.items[p]), column: other) != nil ? 1 : 0; outSegN += 1
        }
        #expect(inSeg / inSegN > 1.2 * outSeg / outSegN)
        let bare = SyntheticData.generate(SyntheticConfig(users: 10, items: 10, interactions: 30, withFeatures: false))
        #expect(bare.userFeatures.isEmpty && bare.itemFeatures.isEmpty && bare.count == 30)
    }

    @Test func edgeCases() {
        // Fewer interactions than users; more than the matrix holds (capped at users × items).
        let few = SyntheticData.generate(SyntheticConfig(users: 50, items: 20, interactions: 10))
        #expect(few.count == 10 && Set(few.users).count == 10)
        let full = SyntheticData.generate(SyntheticConfig(users: 5, items: 4, interactions: 1000))
        #expect(full.count == 20 && Set((0..<20).map { full.users[$0] * 10 + full.items[$0] }).count == 20)
    }

    @Test func aliasTableMatchesWeights() {
        let t = AliasTable(weights: [1, 2, 3, 4, 0])
        var r = RandomSource(seed: 3)
        var c = [Int](repeating: 0, count: 5)
        for _ in 0..<100_000 { c[t.sample(&r)] += 1 }
        #expect(c[4] == 0)
        for i in 0..<4 { #expect(abs(Double(c[i]) / 100_000 - Double(i + 1) / 10) < 0.01) }
    }
}
