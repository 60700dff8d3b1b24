import Foundation
import RecbenchCore
#if canImport(Glibc)
import Glibc
#endif

/// The input being run, where a signal handler can reach it without allocating.
nonisolated(unsafe) var currentInput = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 17)
nonisolated(unsafe) var currentLength = 0
nonisolated(unsafe) var crashPath = UnsafeMutablePointer<CChar>.allocate(capacity: 4096)
nonisolated(unsafe) var hangPath = UnsafeMutablePointer<CChar>.allocate(capacity: 4096)
nonisolated(unsafe) var executions = 0

/// Writes the current input to `path` with only async-signal-safe calls (no allocation).
func saveCurrentInput(_ path: UnsafePointer<CChar>) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if fd >= 0 { _ = write(fd, currentInput, currentLength); close(fd) }
}

/// A progress line for the supervisor, unbuffered (a crash must not swallow it).
func report(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

enum Worker {
    static func run(target: FuzzTarget, seconds: Double, seed: UInt64, crashes: String) -> Never {
        try? FileManager.default.createDirectory(atPath: crashes, withIntermediateDirectories: true)
        _ = strcpy(crashPath, crashes + "/seed\(seed)-crash")
        _ = strcpy(hangPath, crashes + "/seed\(seed)-hang")
        for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] {
            signal(sig) { s in
                saveCurrentInput(crashPath)
                _exit(100 + s)
            }
        }
        // Watchdog: an input that runs for more than 10 s is saved as a hang.
        Thread.detachNewThread {
            var last = -1, still = 0
            while true {
                sleep(1)
                let now = executions
                still = now == last ? still + 1 : 0
                last = now
                if still >= 10 { saveCurrentInput(hangPath); _exit(99) }
            }
        }
        var pool = target.seeds()
        var seen = Set<String>()
        var mutator = Mutator(seed: seed, dictionary: target.dictionary)
        let end = Date().addingTimeInterval(seconds)
        var lastReport = Date()
        // After a restart the seeds have all run once already: go straight to mutations.
        var i = CommandLine.arguments.contains("--mutate-only") ? pool.count : 0
        while Date() < end {
            let base = i < pool.count ? pool[i] : pool[mutator.below(pool.count)]
            let input = i < pool.count ? base : mutator.mutate(base, other: pool[mutator.below(pool.count)])
            i += 1
            let n = min(input.count, 1 << 17)
            input.withUnsafeBufferPointer { currentInput.update(from: $0.baseAddress!, count: n) }
            currentLength = n
            let outcome = target.run(Array(input.prefix(n)))
            executions += 1
            if seen.insert(outcome).inserted && pool.count < 5000 { pool.append(input) }
            if Date().timeIntervalSince(lastReport) >= 1 {
                report("execs \(executions) pool \(pool.count) outcomes \(seen.count)")
                lastReport = Date()
            }
        }
        report("execs \(executions) pool \(pool.count) outcomes \(seen.count)")
        exit(0)
    }
}
