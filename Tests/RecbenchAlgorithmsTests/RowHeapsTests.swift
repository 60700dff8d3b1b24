import Testing
@testable import RecbenchAlgorithms
import RecbenchCore

/// Random offers keep every row's heap valid, and the merged lists are the brute-force top M
/// (weight descending, lower index first among equal weights).
@Test func rowHeapsKeepTheirInvariantsAndTheBestCandidates() {
    let rows = 6, capacity = 4
    let published = UnsafeMutablePointer<UInt64>.allocate(capacity: rows)
    published.initialize(repeating: 0, count: rows)
    defer { published.deallocate() }
    let heaps = RowHeaps(rows: rows, capacity: capacity, published: published)
    defer { heaps.deallocate() }
    var rng = RandomSource(seed: 7, stream: "row-heaps")
    var offered = [[(index: Int32, weight: Float)]](repeating: [], count: rows)
    for index in 0..<40 {
        for r in 0..<rows {
            // Few distinct weights, so ties between indices are common.
            let weight = Float(rng.next() % 9) / 8
            heaps.offer(row: r, index: Int32(index), weight: weight)
            offered[r].append((Int32(index), weight))
            #expect(heaps.violation(row: r) == nil)
        }
    }
    let lists = RowHeaps.merge([heaps], rows: rows, capacity: capacity, threads: 2)
    for r in 0..<rows {
        let expected = offered[r].sorted { $0.weight != $1.weight ? $0.weight > $1.weight : $0.index < $1.index }
            .prefix(capacity)
        let got = lists.offsets[r]..<lists.offsets[r + 1]
        #expect(Array(lists.neighbors[got]) == expected.map(\.index), "row \(r)")
        #expect(Array(lists.weights[got]) == expected.map(\.weight), "row \(r)")
    }
}
