import Foundation

/// Progress of a run. The runner reports; the CLI decides how (a bar on a terminal, nothing otherwise).
public protocol ProgressReporter: Sendable {
    func start(total: Int)
    func trialStarted(index: Int, label: String)
    func fitProgress(trial: Int, fraction: Double)
    func trialFinished(index: Int)
    func finish()
}

public struct SilentProgress: ProgressReporter {
    public init() {}
    public func start(total: Int) {}
    public func trialStarted(index: Int, label: String) {}
    public func fitProgress(trial: Int, fraction: Double) {}
    public func trialFinished(index: Int) {}
    public func finish() {}
}

/// A one-line bar on standard error, redrawn at most ten times a second.
public final class TerminalProgress: ProgressReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0, finished = 0
    private var current = "", fraction = 0.0
    private var lastDraw = Date.distantPast
    private let started = Date()

    public init() {}

    /// A bar only when standard error is a terminal (and not under CI).
    public static func isInteractive() -> Bool {
        isatty(2) != 0 && ProcessInfo.processInfo.environment["CI"] == nil
    }

    public func start(total: Int) { lock.lock(); self.total = total; lock.unlock(); draw(force: true) }
    public func trialStarted(index: Int, label: String) { lock.lock(); current = label; fraction = 0; lock.unlock(); draw(force: true) }
    public func fitProgress(trial: Int, fraction f: Double) { lock.lock(); fraction = f; lock.unlock(); draw(force: false) }
    public func trialFinished(index: Int) { lock.lock(); finished += 1; lock.unlock(); draw(force: true) }
    public func finish() { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }

    private func draw(force: Bool) {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let width = 24
        let done = total == 0 ? 1 : (Double(finished) + fraction) / Double(total)
        let filled = Int(done * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let elapsed = Int(now.timeIntervalSince(started))
        var line = "\r\u{1B}[K\(bar) \(finished)/\(total) trials  \(elapsed / 60):\(String(format: "%02d", elapsed % 60))  \(current)"
        if line.count > 120 { line = String(line.prefix(120)) }
        FileHandle.standardError.write(Data(line.utf8))
    }
}
