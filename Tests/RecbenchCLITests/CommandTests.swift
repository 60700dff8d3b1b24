import ArgumentParser
import Foundation
import Testing
@testable import recbench
import RecbenchTestSupport

/// The message ArgumentParser gives for arguments that fail parsing or `validate()`.
private func refusal<C: ParsableCommand>(_ command: C.Type, _ arguments: [String]) -> String? {
    do { _ = try C.parse(arguments); return nil } catch {
        #expect(C.exitCode(for: error) == .validationFailure, "\(arguments): not a usage error: \(error)")
        return C.message(for: error)
    }
}

@Test func badArgumentsAreRefusedBeforeAnythingRuns() {
    #expect(refusal(Run.self, ["x.json", "--threads", "0"]) == "--threads must be positive")
    #expect(refusal(Run.self, ["x.json", "--jobs", "0"]) == "--jobs must be positive")
    #expect(refusal(Run.self, ["x.json", "--force", "--no-cache"]) == "--force and --no-cache exclude each other")
    #expect(refusal(Run.self, ["x.json", "--shard", "5/4"])?.hasSuffix("expected i/n with 1 ≤ i ≤ n, e.g. 2/4") == true)
    #expect(refusal(PlanCommand.self, ["x.json", "--shards", "0"]) == "--shards must be positive")
    #expect(refusal(Compare.self, ["a", "b", "c"]) == "give one or two run folders")
    #expect(refusal(Compare.self, ["a", "--alpha", "1.5"]) == "--alpha must be in (0, 1)")
    #expect(refusal(PowerCommand.self, ["a", "--delta", "0"]) == "--delta must be a non-zero number")
    #expect(
        refusal(Algorithms.self, ["EAES"])?.hasPrefix("unknown algorithm \"EAES\" (did you mean \"EASE\"?)") == true)
    #expect(
        refusal(Bench.Fit.self, ["EASE", "--data", "x", "--param", "regularization=-1"])?
            .hasPrefix("--param regularization=-1: regularization must be") == true)
    #expect(
        refusal(Bench.Scoring.self, ["--seen", "10", "--items", "10"])
            == "every size must be positive, and --seen below --items")
}

@Test func theShardIsTyped() throws {
    let run = try Run.parse(["x.json", "--shard", "2/4"])
    #expect(run.shard?.index == 2 && run.shard?.count == 4)
}

/// An invalid experiment file is a thrown error carrying exit status 2, not an exit from inside
/// the command, so a caller (or this test) sees it.
@Test func aBadExperimentFileIsThrownWithItsExitStatus() throws {
    let dir = Scratch.path("recbench-cli")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let file = dir + "/bad.json"
    try Data("{ \"name\": \"t\", \"taks\": \"ranking\" }".utf8).write(to: URL(fileURLWithPath: file))
    let run = try Run.parse([file, "--output", dir + "/out", "--quiet"])
    do {
        try run.run()
        Issue.record("an invalid file ran")
    } catch let failure as CommandFailure {
        #expect(failure.code == ExitStatus.invalidInput)
        #expect(
            ExitStatus.lines(failure.error).contains {
                $0.hasPrefix(file + ":1: taks: unknown key (did you mean \"task\"?)")
            },
            "\(ExitStatus.lines(failure.error))")
    }
    #expect(!FileManager.default.fileExists(atPath: dir + "/out"), "nothing is written for an invalid file")
}
