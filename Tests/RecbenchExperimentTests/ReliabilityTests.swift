import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RecbenchCore
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchAnalysis
@testable import RecbenchReport

private func spec(_ text: String, file: String = "reliability.json") throws -> ExperimentSpec {
    try ExperimentLoader(registry: nil).load(text: text, file: file)
}

private func execute(
    _ s: ExperimentSpec, out: String, cache: TrialCache.Mode = .use,
    progress: ProgressReporter = SilentProgress()
) throws -> RunResult {
    try ExperimentRun.execute(spec: s, data: syntheticEnvironment, progress: progress, outputRoot: out, cache: cache)
}

/// BPR (thread-dependent) beside Bias (not), two folds, on `threads` threads.
private func bprSuite(threads: Int) -> String {
    """
    { "name": "bpr-threads", "seed": 4, "task": "ranking", "threads": \(threads), "jobs": 1,
      "datasets": [{ "name": "syn", "synthetic": { "users": 120, "items": 90, "interactions": 2500, "seed": 2 } }],
      "split": { "method": "kfold", "k": 2 },
      "algorithms": [{ "name": "Bias" }, { "name": "BPR", "params": { "factors": 8, "epochs": 4 } }],
      "metrics": ["ndcg@10", "recall@10"] }
    """
}

/// A run at 1 thread after one at 2 on the same cache reuses Bias (thread-independent) and
/// recomputes BPR, whose results depend on the thread count: its figures equal a fresh 1-thread
/// run's, not the 2-thread ones (issue 14, item 3).
@Test func cacheKeysBPROnTheThreadCount() throws {
    let out = temporaryFolder("bpr-threads")
    let two = try execute(try spec(bprSuite(threads: 2)), out: out)
    let one = try execute(try spec(bprSuite(threads: 1)), out: out)
    let fresh = try execute(try spec(bprSuite(threads: 1)), out: temporaryFolder("bpr-fresh"), cache: .off)
    let bpr = { (r: RunResult) in r.trials.filter { $0.algorithm == "BPR" }.map(\.values) }
    #expect(one.cachedTrials == 2, "only the two Bias trials may come from the cache")
    #expect(bpr(one) == bpr(fresh))
    #expect(one.trials.filter { $0.algorithm == "BPR" }.allSatisfy { $0.threads == 1 })
    // The test could fail: two threads do give BPR other figures.
    #expect(bpr(two) != bpr(fresh))
    #expect(cacheEntries(TrialCache.directory(outputRoot: out, experiment: "bpr-threads")).count == 6)
    // Keys: Bias the same at both counts, BPR not.
    let plan = Plan(spec: try spec(bprSuite(threads: 1)))
    let bias = plan.trials.first { $0.configuration.descriptor.name == "Bias" }!
    let bprTrial = plan.trials.first { $0.configuration.descriptor.name == "BPR" }!
    let s1 = try spec(bprSuite(threads: 1)), s2 = try spec(bprSuite(threads: 2))
    let key = { (t: Trial, s: ExperimentSpec) in TrialCache.key(t, spec: s, datasetKey: "d", foldKey: "f") }
    #expect(key(bias, s1) == key(bias, s2))
    #expect(key(bprTrial, s1) != key(bprTrial, s2))
}

/// Two entry files swapped on disk are both refused (their headers name other keys) and
/// recomputed; the run's results are those of the first run (issue 14, item 13).
@Test func swappedCacheEntriesAreRefused() throws {
    let s = try tinySpec(), out = temporaryFolder("cache-swap")
    let dir = TrialCache.directory(outputRoot: out, experiment: s.name)
    let first = try execute(s, out: out)
    let entries = cacheEntries(dir)
    let a = dir + "/" + entries[0], b = dir + "/" + entries[3]
    let da = try Data(contentsOf: URL(fileURLWithPath: a)), db = try Data(contentsOf: URL(fileURLWithPath: b))
    try db.write(to: URL(fileURLWithPath: a)); try da.write(to: URL(fileURLWithPath: b))
    let again = try execute(s, out: out)
    #expect(again.recomputedCorruptEntries == 2)
    #expect(again.cachedTrials == 6)
    #expect(try differingOutputs(first.directory, again.directory).isEmpty)
}

/// ExplicitALS with init_std 1e308 goes non-finite: its trials are failed with the reason in every
/// output, the other configurations' results are complete, and the failed configuration has no
/// aggregate (issue 14, item 10).
@Test func divergedTrialsAreFailedAndTheSuiteFinishes() throws {
    let text = """
        { "name": "diverging", "seed": 3, "task": "rating", "threads": 1,
          "datasets": [{ "name": "syn", "synthetic": { "users": 80, "items": 60, "interactions": 1500, "seed": 5 } }],
          "split": { "method": "kfold", "k": 2 },
          "algorithms": [{ "name": "Bias" },
                         { "name": "ExplicitALS", "params": { "init_std": [0.1, 1e308], "iterations": 3, "factors": 4 } }],
          "metrics": ["rmse", "mae"] }
        """
    let r = try execute(try spec(text), out: temporaryFolder("diverged"), cache: .off)
    #expect(r.trials.count == 4)
    #expect(
        r.failures.map(\.configuration) == [
            "ExplicitALS(init_std=1e+308, iterations=3, factors=4)",
            "ExplicitALS(init_std=1e+308, iterations=3, factors=4)"
        ])
    #expect(r.failures.map(\.fold) == [1, 2])
    #expect(r.failures.allSatisfy { $0.reason.contains("non-finite") }, "\(r.failures.map(\.reason))")
    #expect(!r.aggregates.contains { $0.configuration.contains("1e+308") })
    let fine = r.aggregates.filter { $0.configuration == "ExplicitALS(init_std=0.1, iterations=3, factors=4)" }
    #expect(fine.count == 2 && fine.allSatisfy { $0.mean.isFinite && $0.folds == 2 })
    let summary = try String(contentsOfFile: r.directory + "/summary.md", encoding: .utf8)
    #expect(summary.contains("## Failed trials"))
    #expect(
        summary.contains(
            "| syn | 2 | ExplicitALS(init_std=1e+308, iterations=3, factors=4) | \(r.failures[1].reason) |"))
    #expect(summary.contains("| ExplicitALS(init_std=1e+308, iterations=3, factors=4) | failed | failed | – |"))
    #expect(
        Writers.console(r).contains(
            "2 trial(s) failed:\n  syn fold 1 ExplicitALS(init_std=1e+308, iterations=3, factors=4): non-finite"))
    let manifest = try String(contentsOfFile: r.directory + "/manifest.json", encoding: .utf8)
    #expect(manifest.contains("\"reason\": \"\(r.failures[0].reason)\""))
    let back = try RunFolder.load(r.directory)
    #expect(back.failures == r.failures)
    #expect(back.aggregates == r.aggregates)
}

/// Counts what the runner reports, to see whether any trial started.
private final class RecordingProgress: ProgressReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var events = 0
    var started: Int { lock.lock(); defer { lock.unlock() }; return events }
    func start(total: Int) { lock.lock(); events += 1; lock.unlock() }
    func trialStarted(index: Int, label: String) { lock.lock(); events += 1; lock.unlock() }
    func fitProgress(trial: Int, fraction: Double) {}
    func trialFinished(index: Int) {}
    func finish() {}
}

/// An output or cache folder that cannot be written is reported, with its path and the system's
/// reason, before any data is loaded or trial run (issue 14, item 12).
@Test func unwritableOutputIsFoundBeforeAnyTrial() throws {
    let dir = temporaryFolder("unwritable")
    let blocker = dir + "/a-file"
    try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
    for (out, cacheDir) in [(blocker + "/out", nil), (dir + "/out", blocker + "/cache")] as [(String, String?)] {
        let progress = RecordingProgress()
        do {
            _ = try ExperimentRun.execute(
                spec: try tinySpec(), data: syntheticEnvironment, progress: progress,
                outputRoot: out, cacheDirectory: cacheDir)
            Issue.record("\(out): the run succeeded")
        } catch {
            let message = String(describing: error)
            let names = [blocker, (blocker as NSString).standardizingPath]
            #expect(names.contains { message.hasPrefix($0 + ": ") }, "\(message)")
            #expect(message.contains("it is not a folder"), "\(message)")
        }
        #expect(progress.started == 0, "\(out): trials ran before the output folder was checked")
    }
}

/// Writing to a full device keeps the system's reason (issue 14, item 8).
@Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "needs Linux's /dev/full"))
func aFullDeviceKeepsItsReason() throws {
    let fd = open("/dev/full", O_WRONLY)
    try #require(fd >= 0)
    defer { close(fd) }
    #expect(AtomicFile.writeAll(fd, Data(count: 4096)) == ENOSPC)
    #expect(SystemError.text(ENOSPC) == "No space left on device")
    // Foundation's wrapping of the same failure reads back as the reason, on one line.
    let wrapped = NSError(
        domain: NSCocoaErrorDomain, code: 640,
        userInfo: [
            NSFilePathErrorKey: "/x/results.json",
            NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))
        ])
    #expect(SystemError.describe(wrapped) == "/x/results.json: No space left on device")
}

/// Many reservations of one name at once all get different names, each with its own folder.
@Test func runIDReservationsNeverCollide() throws {
    let dir = temporaryFolder("reserve")
    let base = "20240102-030405-0123abcd"
    let names = UncheckedSendable(UnsafeMutableBufferPointer<String>.allocate(capacity: 16))
    names.value.initialize(repeating: "")
    defer { names.value.deinitialize(); names.value.deallocate() }
    DispatchQueue.concurrentPerform(iterations: 16) { i in
        names.value[i] = (try? RunID.reserve(base: base, in: dir).id) ?? "failed"
    }
    let taken = Array(names.value)
    #expect(Set(taken).count == 16 && !taken.contains("failed"), "\(taken)")
    #expect(taken.contains(base) && taken.contains(base + "-16"))
    for id in taken { #expect(OutputFolder.isDirectory(dir + "/" + id + ".partial")) }
    // A finished folder of the base name also makes the next run take a counter.
    let other = temporaryFolder("reserve-finished")
    try FileManager.default.createDirectory(atPath: other + "/" + base, withIntermediateDirectories: true)
    #expect(try RunID.reserve(base: base, in: other).id == base + "-2")
}

/// `latest` is replaced by a rename (never missing) and never moves back to an earlier run.
@Test func latestOnlyMovesForward() throws {
    let dir = temporaryFolder("latest")
    let ids = [
        "20240101-000000-aaaaaaaa", "20240101-000000-aaaaaaaa-9", "20240101-000000-aaaaaaaa-10",
        "20240101-000001-bbbbbbbb"
    ]
    for id in ids {
        try FileManager.default.createDirectory(atPath: dir + "/" + id, withIntermediateDirectories: true)
    }
    try RunID.publishLatest("20240101-000000-aaaaaaaa-9", in: dir)
    try RunID.publishLatest("20240101-000000-aaaaaaaa-10", in: dir)
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/latest") == "20240101-000000-aaaaaaaa-10")
    try RunID.publishLatest("20240101-000000-aaaaaaaa", in: dir)
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/latest") == "20240101-000000-aaaaaaaa-10")
    try RunID.publishLatest("20240101-000001-bbbbbbbb", in: dir)
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/latest") == "20240101-000001-bbbbbbbb")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".latest-") }
    #expect(leftovers.isEmpty)
}

private func setModified(_ path: String, _ iso: String) throws {
    let date = try #require(ISO8601DateFormatter().date(from: iso))
    try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path)
}

/// At the next run of an experiment, `.partial` run folders older than every live process are
/// removed; a live process's newer one stays, and nothing else is touched (issue 14, item 11).
@Test func stalePartialFoldersAreRemovedAndNothingElse() throws {
    let s = try tinySpec(), out = temporaryFolder("stale")
    let exp = out + "/" + s.name, running = exp + "/.running"
    let fm = FileManager.default
    try fm.createDirectory(atPath: running, withIntermediateDirectories: true)
    func folder(_ name: String, _ modified: String, in parent: String? = nil, file: Bool = false) throws {
        let path = (parent ?? exp) + "/" + name
        if file {
            try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        } else {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
            try Data("half".utf8).write(to: URL(fileURLWithPath: path + "/results.json"))
        }
        try setModified(path, modified)
    }
    // A live process registered in 2021 (this test holds its lock), and a dead one from 2019.
    let live = running + "/other-host-1-1.lock", dead = running + "/other-host-2-2.lock"
    for f in [live, dead] { try Data().write(to: URL(fileURLWithPath: f)) }
    let holder = open(live, O_RDWR)
    try #require(holder >= 0 && flock(holder, LOCK_EX | LOCK_NB) == 0)
    try setModified(live, "2021-01-01T00:00:00Z"); try setModified(dead, "2019-01-01T00:00:00Z")

    try folder("20200101-000000-deadbeef.partial", "2020-06-01T00:00:00Z")  // older than every live process
    try folder("20200101-000000-deadbeef-2.partial", "2020-07-01T00:00:00Z")
    try folder("20210601-000000-deadbeef.partial", "2021-06-01T00:00:00Z")  // newer than the live process
    try folder("notes.partial", "2020-01-01T00:00:00Z")  // not a run folder's name
    try folder("20200101-000000-cafebabe.partial", "2020-01-01T00:00:00Z", file: true)  // a file, not a folder
    try folder("20200101-000000-cafebabe", "2020-01-01T00:00:00Z")  // a finished run
    try fm.createDirectory(atPath: out + "/other-experiment", withIntermediateDirectories: true)
    try folder("20200101-000000-deadbeef.partial", "2020-01-01T00:00:00Z", in: out + "/other-experiment")

    let r = try execute(s, out: out, cache: .off)
    let after = Set(try fm.contentsOfDirectory(atPath: exp))
    #expect(!after.contains("20200101-000000-deadbeef.partial"))
    #expect(!after.contains("20200101-000000-deadbeef-2.partial"))
    let kept: Set = [
        "20210601-000000-deadbeef.partial", "notes.partial", "20200101-000000-cafebabe.partial",
        "20200101-000000-cafebabe", (r.directory as NSString).lastPathComponent, "latest"
    ]
    #expect(after.isSuperset(of: kept), "\(after)")
    #expect(fm.fileExists(atPath: out + "/other-experiment/20200101-000000-deadbeef.partial"))
    #expect(!fm.fileExists(atPath: dead), "the dead registration is removed")
    #expect(fm.fileExists(atPath: live))
    let registrations = try fm.contentsOfDirectory(atPath: running)
        .filter { $0.hasSuffix(".lock") && $0 != "latest.lock" }
    #expect(registrations == ["other-host-1-1.lock"])

    // Once the live process is gone, its era's folder is stale too.
    close(holder)
    _ = try execute(s, out: out, cache: .off)
    #expect(!fm.fileExists(atPath: exp + "/20210601-000000-deadbeef.partial"))
    #expect(fm.fileExists(atPath: exp + "/notes.partial") && fm.fileExists(atPath: exp + "/20200101-000000-cafebabe"))
}

/// A fold without test interactions stops the run with the split's place in the file, instead of
/// a summary of blank cells and exit 0 (issue 14, item 5).
@Test func aFoldWithoutTestUsersIsAnInputError() throws {
    let text = """
        { "name": "no-test", "task": "ranking", "threads": 1,
          "datasets": [{ "name": "syn", "synthetic": { "users": 30, "items": 20, "interactions": 200, "seed": 1 } }],
          "split": { "method": "temporal", "cutoff": 4000000000 },
          "algorithms": [{ "name": "MostPopular" }],
          "metrics": ["ndcg@10"] }
        """
    do {
        _ = try execute(try spec(text, file: "no-test.json"), out: temporaryFolder("no-test"), cache: .off)
        Issue.record("ran")
    } catch let e as SpecErrors {
        #expect(
            e.description == "no-test.json:3: split: data set \"syn\": fold 1 of 1 has no test interactions, "
                + "so no user can be evaluated (200 interactions of 30 users)")
    }
}
