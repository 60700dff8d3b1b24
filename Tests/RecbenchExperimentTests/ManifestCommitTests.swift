import Foundation
import Testing
import RecbenchConfig
import RecbenchRunner
import RecbenchReport
import RecbenchTestSupport

/// `git ARGS` in `folder`: its trimmed output, nil when git fails or is missing.
private func git(_ args: [String], in folder: String) -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments =
        ["git", "-C", folder, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"] + args
    let out = Pipe()
    p.standardOutput = out; p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return p.terminationStatus == 0
        ? String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : nil
}

private let gitAvailable = git(["--version"], in: "/") != nil

/// Runs a tiny synthetic experiment whose file lies in `folder`; the manifest's "versions".
private func versions(experimentIn folder: String) throws -> JSONNode {
    let file = folder + "/tiny.json"
    try Data(
        """
        {"name": "tiny", "task": "ranking", "datasets": [{"name": "s", "synthetic": {"users": 30, "items": 20, "interactions": 200}}],
         "split": {"method": "kfold", "k": 2}, "algorithms": [{"name": "MostPopular"}], "metrics": ["ndcg@5"]}
        """.utf8
    ).write(to: URL(fileURLWithPath: file))
    let spec = try ExperimentLoader(registry: nil).load(path: file)
    let env = DataEnvironment(registry: nil, environment: [:], cacheDirectory: folder + "/cache", baseDirectory: folder)
    let r = try ExperimentRun.execute(
        spec: spec, data: env, progress: SilentProgress(), outputRoot: folder + "/results")
    let manifest = try JSONParser.parse(String(contentsOfFile: r.directory + "/manifest.json", encoding: .utf8))
    return try #require(manifest["versions"])
}

@Test(.enabled(if: gitAvailable)) func manifestNamesTheBuildCommitAndTheExperimentsOwn() throws {
    let repo = Scratch.path("recbench-exp-repo")
    try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
    #expect(git(["init", "-q"], in: repo) != nil)
    try Data("x\n".utf8).write(to: URL(fileURLWithPath: repo + "/README"))
    #expect(git(["add", "README"], in: repo) != nil && git(["commit", "-qm", "first"], in: repo) != nil)
    let head = try #require(git(["rev-parse", "HEAD"], in: repo))
    let inRepo = try versions(experimentIn: repo)
    // The experiment's repository, not the working directory's or Recbench's.
    #expect(inRepo["experiment_commit"]?.value == .string(head))
    // Built from a git checkout (this package's), the build commit is a hash, never this repository's.
    guard case let .string(build)? = inRepo["recbench_commit"]?.value else {
        Issue.record("no recbench_commit"); return
    }
    #expect(build != head)
    if git(["rev-parse", "HEAD"], in: packageRoot) != nil {
        let hash = build.hasSuffix("-dirty") ? String(build.dropLast(6)) : build
        #expect(hash.count == 40 && hash.allSatisfy(\.isHexDigit), "recbench_commit \(build)")
        // The build's commit is in this package's history.
        #expect(git(["cat-file", "-e", hash + "^{commit}"], in: packageRoot) != nil)
    }
    // Outside any repository: no experiment commit.
    let plain = Scratch.path("recbench-exp-plain")
    try FileManager.default.createDirectory(atPath: plain, withIntermediateDirectories: true)
    if git(["rev-parse", "HEAD"], in: plain) == nil {
        #expect(try versions(experimentIn: plain)["experiment_commit"]?.value == .null)
    }
}
