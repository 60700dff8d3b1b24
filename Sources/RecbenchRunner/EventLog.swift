import Foundation
import RecbenchConfig
import RecbenchCore

/// `--log-json FILE`: one JSON object per line for pipelines — the run's start and end, each trial's start and
/// finish (with its figures) or failure, warnings and errors. Every event has `"event"` and `"time"` (ISO 8601,
/// UTC) first. Lines are written whole under a lock, so concurrent trials never interleave.
public final class JSONEventLog: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()
    private let clock = ISO8601DateFormatter()

    /// Creates (or truncates) `path`; throws a one-line `RecbenchError` when it cannot be written.
    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let h = FileHandle(forWritingAtPath: path)
        else {
            throw RecbenchError.io(path, "cannot write the JSON event log")
        }
        handle = h
        clock.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    }

    deinit { try? handle.close() }

    /// Writes one event line: `{"event": name, "time": …, fields…}`.
    public func emit(_ name: String, _ fields: [(String, JSONNode)] = []) {
        lock.lock(); defer { lock.unlock() }
        let node = JSONNode.object([("event", .string(name)), ("time", .string(clock.string(from: Date())))] + fields)
        handle.write(Data((Self.compact(node) + "\n").utf8))
    }

    public func warning(_ message: String) { emit("warning", [("message", .string(message))]) }
    public func error(_ message: String) { emit("error", [("message", .string(message))]) }

    /// One line, no spaces, keys in the order given.
    static func compact(_ node: JSONNode) -> String {
        switch node.value {
        case let .object(m):
            return "{" + m.map { JSONWriter.quote($0.key) + ":" + compact($0.value) }.joined(separator: ",") + "}"
        case let .array(a): return "[" + a.map(compact).joined(separator: ",") + "]"
        case let .string(s): return JSONWriter.quote(s)
        case let .number(_, literal): return literal
        case let .bool(b): return b ? "true" : "false"
        case .null: return "null"
        }
    }
}

/// A progress reporter that logs each trial to a `JSONEventLog` and forwards every call to `inner` (the terminal
/// bar, or nothing), so the log adds to the console rather than replacing it.
public struct LoggedProgress: ProgressReporter {
    public let log: JSONEventLog
    public let inner: ProgressReporter
    public init(log: JSONEventLog, inner: ProgressReporter) { self.log = log; self.inner = inner }

    public func start(total: Int) { log.emit("trials_planned", [("trials", .int(total))]); inner.start(total: total) }

    public func trialStarted(index: Int, label: String) {
        log.emit("trial_started", [("trial", .int(index + 1)), ("label", .string(label))])
        inner.trialStarted(index: index, label: label)
    }

    public func fitProgress(trial: Int, fraction: Double) { inner.fitProgress(trial: trial, fraction: fraction) }

    public func trialFinished(index: Int) { inner.trialFinished(index: index) }

    public func trialCompleted(_ r: TrialResult, cached: Bool) {
        var metrics = [(String, JSONNode)]()
        for (label, value) in zip(r.metricLabels, r.values) { metrics.append((label, .number(value))) }
        log.emit(
            "trial_finished",
            [
                ("trial", .int(r.trial + 1)), ("dataset", .string(r.dataset)), ("fold", .int(r.fold)),
                ("configuration", .string(r.configuration)), ("algorithm", .string(r.algorithm)),
                ("parameters", .object(r.parameters.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
                ("cached", .bool(cached)), ("fit_seconds", .number(r.fitSeconds)),
                ("score_seconds", .number(r.scoreSeconds)),
                ("evaluate_seconds", .number(r.evaluateSeconds)), ("test_interactions", .int(r.testInteractions)),
                ("metrics", .object(metrics))
            ])
        inner.trialCompleted(r, cached: cached)
    }

    public func trialFailed(_ f: TrialFailure) {
        log.emit(
            "trial_failed",
            [
                ("trial", .int(f.trial + 1)), ("dataset", .string(f.dataset)), ("fold", .int(f.fold)),
                ("configuration", .string(f.configuration)), ("algorithm", .string(f.algorithm)),
                ("reason", .string(f.reason))
            ])
        inner.trialFailed(f)
    }

    public func finish() { inner.finish() }
}
