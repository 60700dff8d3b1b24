import Testing
import Foundation
import RecbenchCore
import RecbenchData
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchAnalysis
@testable import RecbenchReport

private func run(_ spec: ExperimentSpec, out: String, cache: TrialCache.Mode = .use) throws -> RunResult {
    try ExperimentRun.execute(
        spec: spec, data: syntheticEnvironment, progress: SilentProgress(), outputRoot: out, cache: cache)
}

private func withoutTimings(_ ts: [TrialResult]) -> [TrialResult] {
    ts.map {
        var t = $0; t.fitSeconds = 0; t.scoreSeconds = 0; t.evaluateSeconds = 0; t.peakResidentBytes = nil;
        t.startResidentBytes = nil; return t
    }
}

@Test func cacheHitMissAndForce() throws {
    let spec = try tinySpec(), out = temporaryFolder("cache")
    let cacheDir = TrialCache.directory(outputRoot: out, experiment: spec.name)
    let first = try run(spec, out: out)
    #expect(first.trials.count == 8)
    #expect(first.cachedTrials == 0)
    #expect(cacheEntries(cacheDir).count == 8)

    let second = try run(spec, out: out)
    #expect(second.cachedTrials == 8)
    #expect(try encoded(second.trials) == encoded(first.trials))  // cached results come back exactly, timings included
    #expect(try differingOutputs(first.directory, second.directory).isEmpty)

    let forced = try run(spec, out: out, cache: .refresh)
    #expect(forced.cachedTrials == 0)
    #expect(try encoded(withoutTimings(forced.trials)) == encoded(withoutTimings(first.trials)))
    #expect(cacheEntries(cacheDir).count == 8)

    // An edit to one grid value: only Bias(item_reg=50) is new (one per fold); the rest is reused.
    let edited = try run(try tinySpec(itemReg: [5, 50]), out: out)
    #expect(edited.cachedTrials == 6)
    #expect(cacheEntries(cacheDir).count == 10)
    let reused = edited.trials.filter { $0.configuration != "Bias(item_reg=50)" }
    #expect(
        try encoded(withoutTimings(reused))
            == encoded(withoutTimings(first.trials.filter { $0.configuration != "Bias(item_reg=25)" })))

    // Off: nothing read, nothing written.
    let off = temporaryFolder("cache-off")
    let none = try run(spec, out: off, cache: .off)
    #expect(none.cachedTrials == 0)
    #expect(cacheEntries(TrialCache.directory(outputRoot: off, experiment: spec.name)).isEmpty)
}

@Test func corruptedEntriesAreRecomputed() throws {
    let spec = try tinySpec(), out = temporaryFolder("cache-corrupt")
    let cacheDir = TrialCache.directory(outputRoot: out, experiment: spec.name)
    let first = try run(spec, out: out)
    let entries = cacheEntries(cacheDir)
    // One entry with a flipped byte in its body, one cut short, one emptied.
    var flipped = try Data(contentsOf: URL(fileURLWithPath: cacheDir + "/" + entries[0]))
    flipped[flipped.count - 10] ^= 0x01
    try flipped.write(to: URL(fileURLWithPath: cacheDir + "/" + entries[0]))
    let whole = try Data(contentsOf: URL(fileURLWithPath: cacheDir + "/" + entries[1]))
    try whole.prefix(whole.count * 2 / 3).write(to: URL(fileURLWithPath: cacheDir + "/" + entries[1]))
    try Data().write(to: URL(fileURLWithPath: cacheDir + "/" + entries[2]))

    let again = try run(spec, out: out)
    #expect(again.recomputedCorruptEntries == 3)
    #expect(again.cachedTrials == 5)
    #expect(try encoded(withoutTimings(again.trials)) == encoded(withoutTimings(first.trials)))
    #expect(try differingOutputs(first.directory, again.directory).isEmpty)
    // The recomputed entries were rewritten whole.
    let cache = TrialCache(directory: cacheDir)
    for e in entries {
        let data = try Data(contentsOf: URL(fileURLWithPath: cacheDir + "/" + e))
        #expect(TrialCache.decode(data, key: String(e.dropLast(5))) != nil, "\(e)")
    }
    #expect(cache.load(String(entries[0].dropLast(5))) != .miss)
}

@Test func entryHeaderRejectsEveryTruncationAndBitFlip() throws {
    let r = try run(try tinySpec(), out: temporaryFolder("cache-format"), cache: .off).trials[1]
    let key = String(repeating: "ab", count: 32)
    let data = try TrialCache.encode(r, key: key)
    #expect(try encoded([#require(TrialCache.decode(data, key: key))]) == encoded([r]))
    for cut in stride(from: 0, to: data.count, by: max(1, data.count / 97)) {
        #expect(TrialCache.decode(data.prefix(cut), key: key) == nil, "prefix \(cut) of \(data.count) accepted")
    }
    for position in stride(from: 0, to: data.count, by: max(1, data.count / 31)) {
        var bad = data; bad[position] ^= 0x20
        #expect(TrialCache.decode(bad, key: key) == nil, "flip at \(position) accepted")
    }
}

@Test func keysSeparateEveryTrialAndIgnoreLabels() throws {
    let spec = try tinySpec(), plan = Plan(spec: spec)
    let runner = Runner(spec: spec, data: syntheticEnvironment)
    let prepared = try runner.prepare(spec.datasets[0])
    let ds = TrialCache.datasetKey(prepared)
    let keys = plan.trials.map {
        TrialCache.key($0, spec: spec, datasetKey: ds, foldKey: TrialCache.foldKey(prepared.folds[$0.fold - 1]))
    }
    #expect(Set(keys).count == plan.trials.count)
    // Same data prepared again: same keys (they name content, not a run).
    let again = try runner.prepare(spec.datasets[0])
    #expect(TrialCache.datasetKey(again) == ds)
    // Another metric list changes every key.
    var other = spec; other.metrics.removeLast()
    let t = plan.trials[0], fk = TrialCache.foldKey(prepared.folds[0])
    #expect(TrialCache.key(t, spec: other, datasetKey: ds, foldKey: fk) != keys[0])
    // Another experiment name (not part of the result) keeps the key.
    var renamed = spec; renamed.name = "renamed"
    #expect(TrialCache.key(t, spec: renamed, datasetKey: ds, foldKey: fk) == keys[0])
}

/// Folds hold 4-byte positions now; their cache key still hashes 8-byte ones, so entries written before
/// the change match. Checked against the old computation, over more positions than one hashing chunk.
@Test func aFoldKeyHashesPositionsAsEightByteIntegers() {
    let train = (0..<40_000).map { Int32($0 * 3) }, test = (0..<20_000).map { Int32($0 * 3 + 1) }
    let fold = Fold(index: 2, train: train, test: test, validation: [5, 8])
    var h = SHA256Hasher()
    h.update("fold 2|train:"); train.map { Int($0) }.withUnsafeBytes { h.update($0) }
    h.update("|validation:"); [5, 8].withUnsafeBytes { h.update($0) }
    h.update("|test:"); test.map { Int($0) }.withUnsafeBytes { h.update($0) }
    #expect(TrialCache.foldKey(fold) == h.finalize())
}
