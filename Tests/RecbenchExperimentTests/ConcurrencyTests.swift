import Testing
import Foundation
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchAnalysis
@testable import RecbenchReport

/// The run folders (not `latest`, `cache` or the registry) of an experiment folder.
private func runFolders(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { RunID.isRunID($0) }.sorted()
}

/// Two, and four, identical `recbench run` processes started together on one output folder and one
/// cache all succeed, each with its own complete run folder equal to a lone run's; `latest` names one
/// of them; no partial folder or temporary file is left; every cache entry is whole (issue 14, item 1).
@Test(
    .enabled(if: recbenchBinary() != nil, "needs the built recbench binary (swift build --product recbench)"),
    arguments: [2, 4])
func concurrentRunsOnOneFolderKeepEveryOutput(_ processes: Int) throws {
    let dir = temporaryFolder("concurrent-\(processes)")
    let file = dir + "/tiny-suite.json"
    try tinySuiteText().write(toFile: file, atomically: true, encoding: .utf8)
    let reference = try runCLI(["run", file, "--output", dir + "/reference", "--no-cache", "--quiet"])
    #expect(reference.status == 0, "\(reference.stderr)")

    let out = dir + "/shared"
    let started = try (0..<processes).map { _ in
        try CLIProcess(recbenchBinary()!, ["run", file, "--output", out, "--quiet"])
    }
    let outcomes = started.map { $0.wait() }
    for o in outcomes { #expect(o.status == 0 && !o.signalled, "\(o.status): \(o.stderr)") }
    let exp = out + "/tiny-suite"
    let folders = runFolders(exp)
    #expect(folders.count == processes, "\(folders)")
    // Each process names its own folder.
    let named = Set(
        outcomes.compactMap { o in
            o.stdout.split(separator: "\n").first { $0.hasPrefix("results: ") }
                .map { String($0.dropFirst(9).prefix { $0 != " " }) }
        })
    #expect(named == Set(folders.map { exp + "/" + $0 }), "\(named)")
    for f in folders {
        #expect(try differingOutputs(dir + "/reference/tiny-suite/latest", exp + "/" + f).isEmpty, "\(f)")
        let data = try Data(contentsOf: URL(fileURLWithPath: exp + "/" + f + "/results.json"))
        let results = try JSONSerialization.jsonObject(with: data)
        #expect((results as? [String: Any])?["runID"] as? String == f)
    }
    let latest = try FileManager.default.destinationOfSymbolicLink(atPath: exp + "/latest")
    #expect(folders.contains(latest))
    let everything = try FileManager.default.subpathsOfDirectory(atPath: out)
    #expect(everything.filter { $0.contains(".partial") || $0.contains(".tmp-") || $0.contains(".latest-") }.isEmpty)
    let cache = exp + "/cache"
    let entries = cacheEntries(cache)
    #expect(entries.count == 8)
    for e in entries {
        let data = try Data(contentsOf: URL(fileURLWithPath: cache + "/" + e))
        #expect(TrialCache.decode(data, key: String(e.dropLast(5))) != nil, "\(e) torn")
    }
}

/// The binary's exit status for a diverged trial is 1, with the outputs written and the reason on
/// standard error (issue 14, item 10).
@Test(.enabled(if: recbenchBinary() != nil, "needs the built recbench binary (swift build --product recbench)"))
func divergedRunExitsOneWithItsOutputs() throws {
    let dir = temporaryFolder("diverged-cli")
    let file = dir + "/diverging.json"
    try """
    { "name": "diverging", "seed": 3, "task": "rating", "threads": 1,
      "datasets": [{ "name": "syn", "synthetic": { "users": 80, "items": 60, "interactions": 1500, "seed": 5 } }],
      "split": { "method": "kfold", "k": 2 },
      "algorithms": [{ "name": "Bias" }, { "name": "ExplicitALS", "params": { "init_std": 1e308, "iterations": 3 } }],
      "metrics": ["rmse"] }
    """.write(toFile: file, atomically: true, encoding: .utf8)
    let o = try runCLI(["run", file, "--output", dir + "/out", "--no-cache"])
    #expect(o.status == 1 && !o.signalled, "\(o.status) \(o.stderr)")
    #expect(
        o.stderr.split(separator: "\n").allSatisfy {
            $0.hasPrefix("error: trial ") && $0.contains("ExplicitALS: non-finite")
        },
        "\(o.stderr)")
    #expect(o.stdout.contains("ExplicitALS") && o.stdout.contains("failed"))
    #expect(FileManager.default.fileExists(atPath: dir + "/out/diverging/latest/summary.md"))
}

/// Whether this process may make a private mount namespace with a tiny tmpfs (root on Linux).
private let canMountTmpfs: Bool = {
    #if os(Linux)
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return false }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
    p.arguments = ["--mount", "--propagation", "private", "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt"]
    p.standardError = FileHandle.nullDevice; p.standardOutput = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
    #else
    return false
    #endif
}()

/// A run whose output folder fills up mid-write exits 2 with "No space left on device" and leaves no
/// partial folder (a private tmpfs of 64 KiB, in a mount namespace of its own) (issue 14, item 8).
@Test(.enabled(if: recbenchBinary() != nil && canMountTmpfs, "needs the binary and root for a private tmpfs"))
func aFullDiskKeepsItsReason() throws {
    let dir = temporaryFolder("full-disk")
    let file = dir + "/tiny-suite.json", mount = dir + "/small"
    try tinySuiteText().write(toFile: file, atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
    let script =
        "mount -t tmpfs -o size=64k tmpfs \"$1\" && \"$2\" run \"$3\" --output \"$1\" --quiet --no-cache; "
        + "echo \"status=$?\" >&2; ls -A \"$1/tiny-suite\" >&2"
    let o = try runCLI(
        [
            "--mount", "--propagation", "private", "sh", "-c", script, "sh", mount, recbenchBinary()!,
            file
        ], executable: "/usr/bin/unshare")
    #expect(o.stderr.contains("status=2"), "\(o.stderr)")
    let lines = o.stderr.split(separator: "\n")
    #expect(lines.contains { $0.hasPrefix("error: ") && $0.hasSuffix("No space left on device") }, "\(o.stderr)")
    let left = o.stderr.components(separatedBy: "status=2\n").last ?? ""
    #expect(left.split(separator: "\n") == [".running"], "the experiment folder holds \(left)")
    #expect(crashMarks(o.stderr).isEmpty && dumpMarks(o.stderr).isEmpty)
}
