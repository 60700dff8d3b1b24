import Testing
import RecbenchCore
import RecbenchAlgorithms

/// The sparse build (each pair computed once, offered to both rows' heaps, merged across workers)
/// against a brute-force reference: every pair's similarity from the dense rows, then each row's
/// M best by (weight descending, index ascending).
@Suite struct NeighborhoodBuildTests {
    /// Rows × columns with about `density` of the entries set; values from `value` (1 = binary).
    static func random(rows: Int, columns: Int, density: Double, seed: UInt64, value: (inout RandomSource) -> Float)
        -> [[Float]]
    {
        var rng = RandomSource(seed: seed, stream: "neighborhood-build")
        var m = [[Float]](repeating: [Float](repeating: 0, count: columns), count: rows)
        for r in 0..<rows { for c in 0..<columns where rng.nextDouble() < density { m[r][c] = value(&rng) } }
        return m
    }

    static func sparse(_ dense: [[Float]]) -> SparseMatrix {
        var ri = [Int32](), ci = [Int32](), v = [Float]()
        for (r, row) in dense.enumerated() {
            for (c, x) in row.enumerated() where x != 0 { ri.append(Int32(r)); ci.append(Int32(c)); v.append(x) }
        }
        return SparseMatrix(rows: dense.count, columns: dense[0].count, rowIndices: ri, columnIndices: ci, values: v)
    }

    /// Reference lists: similarity(a, b) for every b ≠ a sharing a column, kept when above `floor`.
    static func reference(_ dense: [[Float]], kept: Int, floor: Double, similarity: ([Float], [Float]) -> Double) -> [[(
        Int32, Float
    )]] {
        dense.indices.map { a in
            var cands: [(Int32, Float)] = []
            for b in dense.indices where b != a {
                guard zip(dense[a], dense[b]).contains(where: { $0 != 0 && $1 != 0 }) else { continue }
                let s = similarity(dense[a], dense[b])
                if s > floor { cands.append((Int32(b), Float(s))) }
            }
            cands.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
            return Array(cands.prefix(kept))
        }
    }

    static func expectSame(_ got: NeighborLists, _ want: [[(Int32, Float)]]) {
        #expect(got.rows == want.count)
        for r in 0..<min(got.rows, want.count) {
            let g = got.range(r)
            #expect(Array(got.neighbors[g]) == want[r].map(\.0), "row \(r)")
            for (k, (_, w)) in zip(g, want[r]) { #expect(abs(got.weights[k] - w) < 1e-5, "row \(r)") }
        }
    }

    @Test func binaryCosineAndJaccardMatchBruteForce() {
        // Binary data gives many exactly tied similarities, so the index tie-break is exercised.
        let dense = Self.random(rows: 60, columns: 40, density: 0.15, seed: 3) { _ in 1 }
        let m = Self.sparse(dense)
        let cosine = { (x: [Float], y: [Float]) -> Double in
            let dot = zip(x, y).reduce(0.0) { $0 + Double($1.0 * $1.1) }
            let nx = x.reduce(0.0) { $0 + Double($1 * $1) }, ny = y.reduce(0.0) { $0 + Double($1 * $1) }
            return dot / (nx * ny).squareRoot()
        }
        let jaccard = { (x: [Float], y: [Float]) -> Double in
            let both = zip(x, y).filter { $0 != 0 && $1 != 0 }.count,
                either = zip(x, y).filter { $0 != 0 || $1 != 0 }.count
            return Double(both) / Double(either)
        }
        for threads in [1, 2] {
            for kept in [1, 5, 100] {
                let c = Neighborhoods.build(
                    m, options: NeighborhoodOptions(similarity: .cosine, kept: kept), threads: threads)
                Self.expectSame(c, Self.reference(dense, kept: kept, floor: 0, similarity: cosine))
                let j = Neighborhoods.build(
                    m, options: NeighborhoodOptions(similarity: .jaccard, kept: kept), threads: threads)
                Self.expectSame(j, Self.reference(dense, kept: kept, floor: 0, similarity: jaccard))
            }
        }
    }

    @Test func negativeWeightsOrderBelowPositiveOnes() {
        // Centred-looking values in [-2, 2]: cosine weights of both signs; with the floor at -1
        // and M above the row count every pair is kept, and with M = 8 the heaps must rank
        // negative weights correctly against positive ones.
        let dense = Self.random(rows: 40, columns: 30, density: 0.25, seed: 11) { rng in
            let v = Float(Int(rng.nextDouble() * 8) - 4) / 2
            return v == 0 ? 0.5 : v
        }
        let m = Self.sparse(dense)
        let cosine = { (x: [Float], y: [Float]) -> Double in
            let dot = zip(x, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let nx = x.reduce(0.0) { $0 + Double($1) * Double($1) }, ny = y.reduce(0.0) { $0 + Double($1) * Double($1) }
            return dot / (nx * ny).squareRoot()
        }
        for threads in [1, 2] {
            for kept in [8, 100] {
                let got = Neighborhoods.build(
                    m, options: NeighborhoodOptions(similarity: .cosine, minSimilarity: -1, kept: kept),
                    threads: threads)
                Self.expectSame(got, Self.reference(dense, kept: kept, floor: -1, similarity: cosine))
                if kept == 100 { #expect(got.weights.contains { $0 < 0 }) }
            }
        }
    }
}
