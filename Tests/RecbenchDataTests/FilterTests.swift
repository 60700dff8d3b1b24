import Foundation
import RecbenchCore
import Testing
import RecbenchData

/// A dataset from (user, item, value, timestamp) rows with external IDs "u<n>" / "i<n>".
func handMade(_ r: [(Int, Int, Float, Int64)], name: String = "hand") -> Dataset {
    let um = IDMap(ids: r.map { "u\($0.0)" }), im = IDMap(ids: r.map { "i\($0.1)" })
    return Dataset(
        name: name, users: r.map { um.index(of: "u\($0.0)")! }, items: r.map { im.index(of: "i\($0.1)")! },
        values: r.map(\.2), timestamps: r.map(\.3), userIDs: um, itemIDs: im)
}

@Suite struct FilterTests {
    let dup = handMade([(1, 1, 1, 10), (1, 2, 2, 11), (1, 1, 4, 12), (2, 1, 5, 13), (1, 1, 3, 14)])

    @Test func deduplicateFirst() {
        let d = Filters.deduplicate(dup, policy: .first)
        #expect(rows(d) == ["u1 i1 1.0 10", "u1 i2 2.0 11", "u2 i1 5.0 13"])
    }

    @Test func deduplicateLast() {
        let d = Filters.deduplicate(dup, policy: .last)
        #expect(rows(d) == ["u1 i2 2.0 11", "u2 i1 5.0 13", "u1 i1 3.0 14"])
    }

    @Test func deduplicateMean() {
        let d = Filters.deduplicate(dup, policy: .mean)
        #expect(rows(d) == ["u1 i1 \(Float(8) / 3) 10", "u1 i2 2.0 11", "u2 i1 5.0 13"])
    }

    @Test func kCoreIsIterative() {
        // Item threshold 2, user threshold 2. u3 has a single interaction → dropped; that leaves i3
        // with one interaction → dropped; that leaves u2 with one → dropped; that leaves i2 with one → dropped.
        let d = handMade([
            (1, 1, 1, 0), (1, 2, 1, 0), (2, 2, 1, 0), (2, 3, 1, 0), (3, 3, 1, 0),
            (4, 1, 1, 0), (4, 4, 1, 0), (5, 1, 1, 0), (5, 4, 1, 0), (1, 4, 1, 0)
        ])
        let k = Filters.kCore(d, minUserInteractions: 2, minItemInteractions: 2)
        #expect(k.userIDs.externalIDs == ["u1", "u4", "u5"])
        #expect(k.itemIDs.externalIDs == ["i1", "i4"])
        #expect(rows(k) == ["u1 i1 1.0 0", "u4 i1 1.0 0", "u4 i4 1.0 0", "u5 i1 1.0 0", "u5 i4 1.0 0", "u1 i4 1.0 0"])
        // The result is a fixed point.
        #expect(Filters.kCore(k, minUserInteractions: 2, minItemInteractions: 2).count == k.count)
    }

    @Test func ratingThresholdAndBinarize() {
        let d = handMade([(1, 1, 1, 0), (1, 2, 4, 1), (2, 3, 3.5, 2), (3, 1, 5, 3)])
        let kept = Filters.ratingThreshold(d, minimum: 3.5, binarize: false)
        #expect(rows(kept) == ["u1 i2 4.0 1", "u2 i3 3.5 2", "u3 i1 5.0 3"])
        let bin = Filters.ratingThreshold(d, minimum: 4, binarize: true)
        #expect(rows(bin) == ["u1 i2 1.0 1", "u3 i1 1.0 3"])
        #expect(bin.userIDs.externalIDs == ["u1", "u3"])  // u2 gone, re-indexed
    }

    @Test func filtersKeepFeaturesAligned() {
        var d = handMade([(1, 1, 1, 0), (2, 2, 5, 0), (3, 3, 5, 0)])
        d.itemFeatures = FeatureTable(groups: [FeatureGroup(name: "g", categories: ["a", "b", "c"])])
        let f = Filters.ratingThreshold(d, minimum: 2, binarize: false)
        let g = f.itemFeatures["g"]!
        #expect(g.matrix.rows == 2)
        #expect(g.columnNames[Int(g.matrix.rowIndices(0).first!)] == "b")
        #expect(g.columnNames[Int(g.matrix.rowIndices(1).first!)] == "c")
    }
}
