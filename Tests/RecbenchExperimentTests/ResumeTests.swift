import Testing
import Foundation
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchAnalysis
@testable import RecbenchReport

private struct Outcome { var status: Int32; var signalled: Bool; var stdout: String; var stderr: String }

private func launch(_ bin: String, _ args: [String], fault: String? = nil) throws -> (Process, Pipe, Pipe) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: bin)
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    env["RECBENCH_FAULT_KILL"] = fault
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    try p.run()
    return (p, out, err)
}

private func finish(_ p: Process, _ out: Pipe, _ err: Pipe) -> Outcome {
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Outcome(
        status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal,
        stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

private func runCLI(_ bin: String, _ args: [String], fault: String? = nil) throws -> Outcome {
    let (p, o, e) = try launch(bin, args, fault: fault)
    return finish(p, o, e)
}

/// A suite killed with SIGKILL before, during and after writing a trial (and by an outside
/// `kill -9`, and stopped with Ctrl-C) resumes on the same command to outputs identical to an
/// uninterrupted run, reusing every trial finished before the kill.
@Test(
    .enabled(
        if: recbenchBinary() != nil, "needs the built recbench binary (swift build --product recbench, or RECBENCH_BIN)"
    ))
func killedRunsResumeToIdenticalOutputs() throws {
    let bin = try #require(recbenchBinary())
    let dir = temporaryFolder("resume")
    let file = dir + "/tiny-suite.json"
    try tinySuiteText().write(toFile: file, atomically: true, encoding: .utf8)
    let reference = try runCLI(bin, ["run", file, "--output", dir + "/reference", "--no-cache", "--quiet"])
    #expect(reference.status == 0, "\(reference.stderr)")
    let referenceRun = dir + "/reference/tiny-suite/latest"

    // (fault, finished entries left behind, torn entries left behind); 8 trials, one at a time.
    let scenarios: [(String, Int, Int)] = [("before:1", 0, 0), ("during:3", 2, 1), ("after:5", 5, 0), ("after:8", 8, 0)]
    for (fault, finished, torn) in scenarios {
        let out = dir + "/" + fault.replacingOccurrences(of: ":", with: "-")
        let args = ["run", file, "--output", out, "--quiet"]
        let cacheDir = out + "/tiny-suite/cache"
        let killed = try runCLI(bin, args, fault: fault)
        #expect(killed.signalled && killed.status == SIGKILL, "\(fault): \(killed.status) \(killed.stderr)")
        #expect(
            !FileManager.default.fileExists(atPath: out + "/tiny-suite/latest"),
            "\(fault): a killed run left a finished folder")
        let entries = cacheEntries(cacheDir)
        #expect(entries.count == finished + torn, "\(fault): \(entries.count) entries")
        let valid = entries.filter {
            let data = FileManager.default.contents(atPath: cacheDir + "/" + $0) ?? Data()
            return TrialCache.decode(data, key: String($0.dropLast(5))) != nil
        }
        #expect(valid.count == finished, "\(fault)")

        let resumed = try runCLI(bin, args)
        #expect(resumed.status == 0, "\(fault): \(resumed.stderr)")
        if finished > 0 {
            #expect(resumed.stdout.contains("reused \(finished) of 8 trials"), "\(fault): \(resumed.stdout)")
        }
        if torn > 0 {
            #expect(resumed.stdout.contains("recomputed \(torn) corrupt entry"), "\(fault): \(resumed.stdout)")
        }
        #expect(try differingOutputs(referenceRun, out + "/tiny-suite/latest").isEmpty, "\(fault)")
    }

    // An outside kill -9 once two trials are cached (if the run is faster than the poll, it simply finishes).
    let out = dir + "/external"
    let args = ["run", file, "--output", out, "--quiet"]
    let (p, o, e) = try launch(bin, args)
    while p.isRunning && cacheEntries(out + "/tiny-suite/cache").count < 2 { usleep(2_000) }
    kill(p.processIdentifier, SIGKILL)
    _ = finish(p, o, e)
    let resumed = try runCLI(bin, args)
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(try differingOutputs(referenceRun, out + "/tiny-suite/latest").isEmpty)

    // Ctrl-C: a clean stop with status 130 (or a finished run, if it won the race), then resume.
    let sigintOut = dir + "/sigint"
    let sigintArgs = ["run", file, "--output", sigintOut, "--quiet"]
    let (q, qo, qe) = try launch(bin, sigintArgs)
    while q.isRunning && cacheEntries(sigintOut + "/tiny-suite/cache").count < 1 { usleep(2_000) }
    kill(q.processIdentifier, SIGINT)
    let stopped = finish(q, qo, qe)
    #expect(stopped.status == 130 || stopped.status == 0, "\(stopped.status) \(stopped.stderr)")
    if stopped.status == 130 {
        #expect(stopped.stderr.contains("stopping after the trials in flight"))
        #expect(!FileManager.default.fileExists(atPath: sigintOut + "/tiny-suite/latest"))
    }
    #expect(try runCLI(bin, sigintArgs).status == 0)
    #expect(try differingOutputs(referenceRun, sigintOut + "/tiny-suite/latest").isEmpty)
}
