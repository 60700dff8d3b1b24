import Foundation

/// What a finished `recbench` process left: its status, whether a signal ended it, and its output.
struct CLIOutcome {
    var status: Int32
    var signalled: Bool
    var stdout: String
    var stderr: String
    var command: String
}

/// Starts `recbench` (or `executable`) with `args` in `directory`; `wait()` collects the outcome.
final class CLIProcess: @unchecked Sendable {
    let process = Process()
    private let out = Pipe(), err = Pipe()
    private let command: String
    private var collected = (Data(), Data())
    private let group = DispatchGroup()

    init(
        _ executable: String, _ args: [String], directory: String? = nil, environment: [String: String] = [:],
        removing unset: Set<String> = []
    ) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        env["CI"] = "1"
        for k in unset { env[k] = nil }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = out; process.standardError = err
        command = ([(executable as NSString).lastPathComponent] + args).joined(separator: " ")
        try process.run()
        // Both pipes drained while the process runs, so a chatty process never blocks on a full pipe.
        let o = out.fileHandleForReading, e = err.fileHandleForReading
        group.enter()
        DispatchQueue.global().async {
            let d = o.readDataToEndOfFile(); self.collected.0 = d; self.group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            let d = e.readDataToEndOfFile(); self.collected.1 = d; self.group.leave()
        }
    }

    func wait() -> CLIOutcome {
        group.wait()
        process.waitUntilExit()
        return CLIOutcome(
            status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
            stdout: String(decoding: collected.0, as: UTF8.self),
            stderr: String(decoding: collected.1, as: UTF8.self),
            command: command)
    }
}

func runCLI(_ args: [String], directory: String? = nil, executable: String? = nil) throws -> CLIOutcome {
    try CLIProcess(executable ?? recbenchBinary()!, args, directory: directory).wait()
}

/// Marks of a crash rather than a reported error: a trap's message or a backtrace.
func crashMarks(_ text: String) -> [String] {
    [
        "Fatal error", "Stack dump", "Backtrace", "Current stack trace", "Illegal instruction", "Segmentation fault",
        "Precondition failed", "Assertion failed", "Trace/breakpoint trap"
    ].filter { text.contains($0) }
}

/// Marks of a raw system error dump instead of a one-line reason.
func dumpMarks(_ text: String) -> [String] {
    ["Error Domain=", "UserInfo=", "NSCocoaErrorDomain", "NSPOSIXErrorDomain", "Optional(", "DecodingError"]
        .filter { text.contains($0) }
}
