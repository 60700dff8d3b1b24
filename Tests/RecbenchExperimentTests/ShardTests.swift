import Testing
import Foundation
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchAnalysis
@testable import RecbenchReport

@Test func shardAssignmentIsStableAndCoversEveryTrialOnce() throws {
    let plan = Plan(spec: try tinySpec())
    for n in 1...5 {
        var seen = [Int](repeating: 0, count: plan.trials.count)
        for i in 1...n {
            let shard = try Shard(index: i, count: n)
            for t in plan.trials(in: shard) {
                seen[t.index] += 1
                #expect(t.index % n == i - 1)
            }
        }
        #expect(seen.allSatisfy { $0 == 1 }, "n = \(n): \(seen)")
    }
    // The same file gives the same plan, fingerprint and assignment in another process or machine.
    let again = Plan(spec: try tinySpec())
    #expect(again.fingerprint == plan.fingerprint)
    #expect(
        try again.trials(in: Shard(parsing: "2/3")).map(\.seed)
            == plan.trials(in: Shard(index: 2, count: 3)).map(\.seed))
    #expect(try Plan(spec: tinySpec(itemReg: [5, 50])).fingerprint != plan.fingerprint)
    for bad in ["0/4", "5/4", "1/0", "a/b", "2", "1/2/3"] {
        #expect(throws: (any Error).self) { try Shard(parsing: bad) }
    }
}

private func shardRuns(_ spec: ExperimentSpec, count: Int, out: String) throws -> [RunResult] {
    try (1...count).map { i in
        try ExperimentRun.execute(
            spec: spec, data: syntheticEnvironment, progress: SilentProgress(), outputRoot: out,
            shard: Shard(index: i, count: count), cache: .off)
    }
}

@Test func mergeOfShardsEqualsSingleRun() throws {
    let spec = try tinySpec(), out = temporaryFolder("shards")
    let single = try ExperimentRun.execute(
        spec: spec, data: syntheticEnvironment, progress: SilentProgress(),
        outputRoot: temporaryFolder("single"), cache: .off)
    let shards = try shardRuns(spec, count: 3, out: out)
    #expect(shards.map(\.trials.count) == [3, 3, 2])
    #expect(shards.allSatisfy { $0.directory.contains("-shard") && $0.planFingerprint == single.planFingerprint })
    // A shard is not a finished run: `latest` is not set by it.
    #expect(!FileManager.default.fileExists(atPath: out + "/\(spec.name)/latest"))
    let merged = try ExperimentRun.merge(shards.map(\.directory).reversed(), outputRoot: temporaryFolder("merged"))
    #expect(merged.trials.map(\.trial) == Array(0..<8))
    #expect(merged.shard == nil)
    #expect(try differingOutputs(single.directory, merged.directory).isEmpty)
    // And it reads back as a whole run.
    let loaded = try RunFolder.load(merged.directory)
    #expect(try encoded(loaded.trials) == encoded(merged.trials))
    #expect(loaded.shard == nil && loaded.planFingerprint == single.planFingerprint)
}

@Test func mergeRefusesOtherPlansGapsAndDuplicates() throws {
    let spec = try tinySpec(), out = temporaryFolder("shards-bad")
    let shards = try shardRuns(spec, count: 2, out: out).map(\.directory)
    let other = try shardRuns(try tinySpec(itemReg: [5, 50]), count: 2, out: temporaryFolder("shards-other")).map(
        \.directory)
    func refusal(_ dirs: [String]) -> String {
        do { _ = try ExperimentRun.merge(dirs, outputRoot: temporaryFolder("merge-bad")); return "merged" } catch {
            return String(describing: error)
        }
    }
    #expect(refusal([shards[0], other[1]]).contains("different plan"))
    let gap = refusal([shards[0]])
    #expect(gap.contains("4 of 8 trials are in none") && gap.contains("missing shard(s) of 2: 2"))
    #expect(refusal([shards[0], shards[1], shards[1]]).contains("is in both"))
    #expect(refusal([]).contains("give the run folders"))
    // Nothing was written by a refused merge.
    #expect(refusal(shards) == "merged")
}
