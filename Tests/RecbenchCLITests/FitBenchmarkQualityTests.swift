import Foundation
import RecbenchBench
import RecbenchConfig
import Testing
import RecbenchTestSupport

/// `bench fit --test`: the held-out file's pairs are mapped onto the training file's IDs, unknown users and
/// items are dropped, and the lists are scored with the metric formulas. MostPopular makes the lists known.
@Test func fitBenchmarkScoresItsListsAgainstTheHeldOutFile() throws {
    let dir = Scratch.path("recbench-fitq")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    func write(_ name: String, _ rows: [(String, String)]) throws -> String {
        let text = "user\titem\trating\ttimestamp\n" + rows.map { "\($0.0)\t\($0.1)\t1\t0\n" }.joined()
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/" + name))
        return dir + "/" + name
    }
    // Popularity x 3, y 2, z 1.
    let train = try write("train.tsv", [("a", "x"), ("b", "x"), ("b", "y"), ("c", "x"), ("c", "y"), ("c", "z")])
    // a: z; b: z and the unknown q; d is unknown; c has nothing held out.
    let test = try write("test.tsv", [("a", "z"), ("b", "z"), ("b", "q"), ("d", "x")])
    let descriptor = try #require(AlgorithmRegistry.descriptor(named: "MostPopular"))
    var b = FitBenchmark(
        descriptor: descriptor, parameters: try FitBenchmark.parameters([], of: descriptor), data: train)
    b.test = test; b.k = 2
    let q = try #require(try b.run().quality)
    // a's list is [y, z]: the hit at rank 2 gives 1/log2(3); b's is [z, none]: 1. Both recall their one item.
    #expect(q.users == 2)
    #expect(abs(q.ndcg - (1 / log2(3.0) + 1) / 2) < 1e-12)
    #expect(q.recall == 1)
}
