import Foundation

/// Runs workers until the time is up, restarting after each crash, and reports the totals.
enum Supervisor {
    static func run(seconds: Double, seed: UInt64, crashes: String) -> Int32 {
        let end = Date().addingTimeInterval(seconds)
        var total = 0, crashCount = 0, hangs = 0, round: UInt64 = 0, outcomes = 0
        while Date() < end {
            let remaining = end.timeIntervalSinceNow
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
            var args = Array(CommandLine.arguments.dropFirst())
            args.removeAll { $0 == "--worker" }
            for name in ["--seconds", "--seed"] {
                if let i = args.firstIndex(of: name) { args.removeSubrange(i...min(i + 1, args.count - 1)) }
            }
            p.arguments =
                args + [
                    "--worker", "--seconds", String(format: "%.1f", remaining),
                    "--seed", String(seed &+ round * 7919)
                ]
                + (round > 0 ? ["--mutate-only"] : [])
            var env = ProcessInfo.processInfo.environment
            env["SWIFT_BACKTRACE"] = "enable=no"
            p.environment = env
            let out = Pipe(), err = Pipe()
            p.standardOutput = out; p.standardError = err
            do { try p.run() } catch { print("cannot start the worker: \(error)"); return 2 }
            var lastCount = 0
            // Standard error drained beside standard output (the worker must never block on it).
            let errText = ErrorText()
            let reader = Thread { errText.set(err.fileHandleForReading.readDataToEndOfFile()) }
            reader.start()
            let lines = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            for line in lines.split(separator: "\n") {
                let f = line.split(separator: " ")
                if f.count >= 6, f[0] == "execs", let n = Int(f[1]) {
                    lastCount = n; outcomes = max(outcomes, Int(f[5]) ?? 0)
                }
            }
            p.waitUntilExit()
            // The worker's scratch folder (see makeTarget), which a crash leaves behind.
            for dir in ["/dev/shm", NSTemporaryDirectory()] {
                try? FileManager.default.removeItem(atPath: dir + "/recbench-fuzz-\(p.processIdentifier)")
            }
            total += lastCount
            let status = p.terminationStatus
            if status != 0 {
                total += 1
                if status == 99 { hangs += 1 } else { crashCount += 1 }
                while !errText.done { usleep(10_000) }
                let message = String(decoding: errText.data.suffix(2000), as: UTF8.self)
                let kind = status == 99 ? "hang" : "crash"
                let note = crashes + "/seed\(seed &+ round * 7919)-\(kind)-\(status).txt"
                try? message.write(toFile: note, atomically: true, encoding: .utf8)
                if crashCount + hangs <= 10 {
                    let first = message.split(separator: "\n").first ?? ""
                    print("\(kind) (status \(status)), input saved under \(crashes)/: \(first)")
                }
            }
            round += 1
        }
        print(
            "fuzz \(CommandLine.arguments[1]): \(total) executions in \(Int(seconds)) s, \(crashCount) crashes, "
                + "\(hangs) hangs, "
                + "\(outcomes) distinct outcomes")
        return crashCount + hangs > 0 ? 1 : 0
    }
}

/// A worker's standard error, filled by a reader thread.
final class ErrorText: @unchecked Sendable {
    private let lock = NSLock()
    private var value = Data(), finished = false
    func set(_ d: Data) { lock.lock(); value = d; finished = true; lock.unlock() }
    var data: Data { lock.lock(); defer { lock.unlock() }; return value }
    var done: Bool { lock.lock(); defer { lock.unlock() }; return finished }
}
