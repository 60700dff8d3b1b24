import Foundation

/// Progress of a run. The runner reports; the CLI decides how (a bar on a terminal, nothing otherwise).
public protocol ProgressReporter: Sendable {
    func start(total: Int)
    func trialStarted(index: Int, label: String)
    func fitProgress(trial: Int, fraction: Double)
    func trialFinished(index: Int)
    /// A trial's result, computed or read from the cache (before `trialFinished`).
    func trialCompleted(_ result: TrialResult, cached: Bool)
    /// A trial that failed (diverged or threw); the run goes on.
    func trialFailed(_ failure: TrialFailure)
    func finish()
}

extension ProgressReporter {
    public func trialCompleted(_ result: TrialResult, cached: Bool) {}
    public func trialFailed(_ failure: TrialFailure) {}
}

public struct SilentProgress: ProgressReporter {
    public init() {}
    public func start(total: Int) {}
    public func trialStarted(index: Int, label: String) {}
    public func fitProgress(trial: Int, fraction: Double) {}
    public func trialFinished(index: Int) {}
    public func finish() {}
}

/// A one-line bar on standard error, redrawn at most ten times a second, never wider than the
/// terminal (a line that wraps would leave one copy of the bar per redraw on the screen).
public final class TerminalProgress: ProgressReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0, finished = 0
    private var current = ""
    /// Fit fractions of the trials in flight (several with --jobs), by plan index.
    private var inFlight: [Int: Double] = [:]
    private var lastDraw = Date.distantPast
    private let started = Date()
    private let columns: @Sendable () -> Int

    /// `columns` is asked at every redraw, so a resized terminal is followed.
    public init(columns: @escaping @Sendable () -> Int = { TerminalProgress.terminalColumns() }) {
        self.columns = columns
    }

    /// A bar only when standard error is a terminal (and not under CI).
    public static func isInteractive() -> Bool {
        isatty(2) != 0 && ProcessInfo.processInfo.environment["CI"] == nil
    }

    /// Width of the terminal on standard error; `$COLUMNS`, then 80, when the kernel does not say.
    public static func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let c = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), c > 0 { return c }
        return 80
    }

    public func start(total: Int) {
        lock.lock(); self.total = total; lock.unlock()
        draw(force: true)
    }

    public func trialStarted(index: Int, label: String) {
        lock.lock(); current = label; inFlight[index] = 0; lock.unlock()
        draw(force: true)
    }

    public func fitProgress(trial: Int, fraction f: Double) {
        lock.lock(); if inFlight[trial] != nil { inFlight[trial] = f }; lock.unlock()
        draw(force: false)
    }

    public func trialFinished(index: Int) {
        lock.lock(); finished += 1; inFlight[index] = nil; lock.unlock()
        draw(force: true)
    }

    public func finish() { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }

    private func draw(force: Bool) {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let line = Self.line(
            finished: finished, total: total, running: inFlight.values.reduce(0, +),
            elapsed: Int(now.timeIntervalSince(started)), label: current, columns: columns())
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    /// The bar's text (without the carriage return and erase): at most `columns - 1` characters,
    /// so the cursor never reaches the last column and the terminal never wraps. The fraction is
    /// clamped to 0...1 whatever the counts say (cached trials, several trials in flight).
    public static func line(finished: Int, total: Int, running: Double, elapsed: Int, label: String, columns: Int)
        -> String
    {
        let room = max(0, columns - 1)
        let raw = total <= 0 ? 1 : (Double(finished) + running) / Double(total)
        let done = raw.isFinite ? min(1, max(0, raw)) : 0
        let counts = "\(min(finished, max(total, 0)))/\(max(total, 0)) trials"
        let clock = "\(elapsed / 60):\(String(format: "%02d", elapsed % 60))"
        // The bar takes what is left beside the counts, between 10 and 24 cells; it is dropped
        // when even 10 cells do not fit, and the label takes only what remains.
        let fixed = counts.count + 2 + clock.count
        let barWidth = min(24, room - fixed - 1)
        var line = counts + "  " + clock
        if barWidth >= 10 {
            let filled = min(barWidth, max(0, Int(done * Double(barWidth))))
            line = String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled) + " " + line
        }
        if line.count + 2 < room { line += "  " + label }
        return line.count > room ? String(line.prefix(room)) : line
    }
}
