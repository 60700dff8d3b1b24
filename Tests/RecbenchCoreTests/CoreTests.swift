import Testing
import Foundation
@testable import RecbenchCore
import RecbenchGSL

@Test func sha256MatchesPublishedVectors() {
    // FIPS 180-2 examples.
    #expect(SHA256Hasher.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(SHA256Hasher.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(
        SHA256Hasher.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    // Fed in uneven pieces, the same digest.
    var h = SHA256Hasher()
    let msg = Array(String(repeating: "a", count: 1000).utf8)
    h.update(msg[0..<1]); h.update(msg[1..<63]); h.update(msg[63..<200]); h.update(msg[200...])
    #expect(h.finalize() == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
}

@Test func sparseMatrixBuildsSortedRowsAndTransposes() {
    // 3 × 4 from unsorted triplets.
    let m = SparseMatrix(
        rows: 3, columns: 4, rowIndices: [2, 0, 0, 1, 2], columnIndices: [1, 3, 0, 2, 0], values: [5, 2, 1, 3, 4])
    #expect(m.offsets == [0, 2, 3, 5])
    #expect(m.indices == [0, 3, 2, 0, 1])
    #expect(m.values == [1, 2, 3, 4, 5])
    #expect(m.value(row: 2, column: 1) == 5)
    #expect(m.value(row: 1, column: 1) == nil)
    let t = m.transposed()
    #expect(t.rows == 4 && t.columns == 3)
    #expect(t.offsets == [0, 2, 3, 4, 5])
    #expect(t.indices == [0, 2, 2, 1, 0])
    #expect(t.values == [1, 4, 5, 3, 2])
    #expect(t.transposed() == m)
}

@Test func historiesFollowTimeThenSourceOrder() {
    // User 0: item 3 (t=10, source 0), item 1 (t=5, source 1), item 2 (t=10, source 3).
    let m = InteractionMatrix(
        userCount: 2, itemCount: 4, users: [0, 0, 1, 0], items: [3, 1, 0, 2], values: [1, 1, 1, 1],
        timestamps: [10, 5, 1, 10])
    #expect(m.history(of: 0) == [1, 3, 2])  // t=5 first; equal t=10 keeps source order (3 before 2)
    #expect(m.history(of: 1) == [0])
    #expect(m.items(of: 0) == [1, 2, 3])
    #expect(m.users(of: 0) == [1])
    #expect(m.itemCounts == [1, 1, 1, 1])
}

@Test func idMapSortsNumericIDsNumerically() {
    let m = IDMap(ids: ["10", "9", "100", "9"])
    #expect(m.externalIDs == ["9", "10", "100"])
    #expect(m.index(of: "100") == 2)
    let s = IDMap(ids: ["b", "a10", "a9"])
    #expect(s.externalIDs == ["a10", "a9", "b"])
}

@Test func datasetSubsetReindexesAndKeepsFeatures() {
    let d = Dataset(
        name: "d", users: [0, 1, 2], items: [0, 1, 1], values: [1, 2, 3], timestamps: nil,
        userIDs: IDMap(ids: ["7", "8", "9"]), itemIDs: IDMap(ids: ["a", "b"]),
        userFeatures: FeatureTable(groups: [FeatureGroup(name: "g", categories: ["x", nil, "y"])]))
    let s = d.subset([1, 2])
    #expect(s.userIDs.externalIDs == ["8", "9"])
    #expect(s.itemIDs.externalIDs == ["b"])
    #expect(s.users == [0, 1] && s.items == [0, 0] && s.values == [2, 3])
    let g = s.userFeatures["g"]!
    #expect(g.columnNames == ["x", "y"])
    #expect(g.matrix.rowIndices(0).isEmpty)  // user 8 had no value
    #expect(Array(g.matrix.rowIndices(1)) == [1])  // user 9 is "y"
}

@Test func randomSourceIsDeterministicAndUniform() {
    var a = RandomSource(seed: 1, stream: "x"), b = RandomSource(seed: 1, stream: "x"),
        c = RandomSource(seed: 1, stream: "y")
    let xa = (0..<5).map { _ in a.next() }, xb = (0..<5).map { _ in b.next() }, xc = (0..<5).map { _ in c.next() }
    #expect(xa == xb && xa != xc)
    var r = RandomSource(seed: 3)
    var counts = [Int](repeating: 0, count: 10)
    for _ in 0..<100_000 { counts[r.nextInt(below: 10)] += 1 }
    // Each bucket within 5 standard deviations of 10 000 (σ ≈ 95).
    #expect(counts.allSatisfy { abs($0 - 10_000) < 475 })
    var g = RandomSource(seed: 4)
    let xs = (0..<100_000).map { _ in g.nextGaussian() }
    let mean = xs.reduce(0, +) / 1e5, varc = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 1e5
    #expect(abs(mean) < 0.02 && abs(varc - 1) < 0.03)
}

@Test func blasAndLapackWrappersSolveSmallSystems() throws {
    // sgemm: [1 2; 3 4] · [5 6; 7 8]ᵀ = [17 23; 39 53]
    let a = DenseMatrix(rows: 2, columns: 2, values: [1, 2, 3, 4]),
        b = DenseMatrix(rows: 2, columns: 2, values: [5, 6, 7, 8])
    #expect(a.timesTransposed(b).values == [17, 23, 39, 53])
    // Cholesky solve of [4 2; 2 3] x = [2; 1] → x = [0.5, 0]
    var m: [Float] = [4, 2, 2, 3], rhs: [Float] = [2, 1]
    try LAPACK.choleskySolve(n: 2, a: &m, b: &rhs)
    #expect(abs(rhs[0] - 0.5) < 1e-6 && abs(rhs[1]) < 1e-6)
    // Inverse of [2 1; 1 2] is [2 -1; -1 2] / 3.
    var s: [Double] = [2, 1, 1, 2]
    try LAPACK.symmetricInverse(n: 2, a: &s)
    let expected: [Double] = [2.0 / 3, -1.0 / 3, -1.0 / 3, 2.0 / 3]
    for i in 0..<4 { #expect(abs(s[i] - expected[i]) < 1e-12) }
    // Not positive definite: a thrown error, not a trap.
    var bad: [Float] = [1, 2, 2, 1], r2: [Float] = [1, 1]
    #expect(throws: LAPACK.Failure.self) { try LAPACK.choleskySolve(n: 2, a: &bad, b: &r2) }
    // SVD of a 3 × 2 matrix reconstructs it.
    var x: [Float] = [3, 1, 1, 3, 0, 2]
    let orig = x
    let (u, sv, vt) = try LAPACK.svd(m: 3, n: 2, a: &x)
    #expect(sv[0] >= sv[1])
    for i in 0..<3 {
        for j in 0..<2 {
            let rec = (0..<2).reduce(Float(0)) { $0 + u[i * 2 + $1] * sv[$1] * vt[$1 * 2 + j] }
            #expect(abs(rec - orig[i * 2 + j]) < 1e-4)
        }
    }
    // Eigenvalues of [2 1; 1 2] are 1 and 3.
    var e: [Float] = [2, 1, 1, 2], w: [Float] = [0, 0]
    try LAPACK.symmetricEigen(n: 2, a: &e, w: &w)
    #expect(abs(w[0] - 1) < 1e-5 && abs(w[1] - 3) < 1e-5)
}

@Test func parallelLoopsCoverEveryIndexOnce() {
    for threads in [1, 2, 3] {
        var hits = [Int](repeating: 0, count: 1000)
        hits.withUnsafeMutableBufferPointer { p in
            let box = UncheckedSendable(p)
            parallelFor(count: 1000, threads: threads, grain: 7) { box.value[$0] += 1 }
        }
        #expect(hits.allSatisfy { $0 == 1 })
        var chunks = [Int](repeating: 0, count: 1000)
        chunks.withUnsafeMutableBufferPointer { p in
            let box = UncheckedSendable(p)
            parallelChunks(count: 1000, threads: threads) { _, range in for i in range { box.value[i] += 1 } }
        }
        #expect(chunks.allSatisfy { $0 == 1 })
    }
}

@Test func gslDistributionsMatchTables() {
    #expect(abs(GSL.normalCDF(1.959963984540054) - 0.975) < 1e-9)
    // t(0.975, 4) = 2.776445 (standard tables).
    #expect(abs(GSL.tQuantile(0.975, dof: 4) - 2.776445) < 1e-5)
    #expect(abs(GSL.tUpper(2.0, dof: 10) - 0.036694) < 1e-5)
}
