import Foundation
import RecbenchCore
import RecbenchData
import RecbenchConfig

/// Finished trials on disk, one file per trial, named by a key over everything that determines
/// the result (data, fold, algorithm and resolved parameters, seed, evaluation settings,
/// Recbench version). A rerun after an edit, or after an interruption, recomputes only the
/// trials whose key is new.
///
/// An entry is a header line `recbench-trial 2 <key> <bytes> <sha256>` followed by the JSON of one
/// `TrialResult`. Entries are written to a temporary file and renamed into place; the header still
/// guards against torn or corrupted files (a file system without rename ordering, a bad disk, a
/// hand edit): an entry that does not match its header is treated as missing and recomputed. The
/// key in the header binds the entry to its file name, so an entry copied or renamed onto another
/// key's file is refused too.
public struct TrialCache: Sendable {
    public enum Mode: Sendable, Equatable {
        /// Neither read nor written.
        case off
        /// Read hits, store new results.
        case use
        /// Recompute everything (`--force`), storing the new results over the old ones.
        case refresh
    }

    public enum Lookup: Sendable, Equatable {
        case hit(TrialResult)
        case miss
        /// A file exists but fails its checks; it will be recomputed and overwritten.
        case corrupt
    }

    public let directory: String
    public let mode: Mode
    let faults: FaultInjection?

    public init(
        directory: String, mode: Mode = .use, environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.directory = directory; self.mode = mode
        faults = FaultInjection(environment["RECBENCH_FAULT_KILL"])
    }

    /// `<output root>/<experiment>/cache`, beside the experiment's run folders.
    public static func directory(outputRoot: String, experiment: String) -> String {
        (outputRoot as NSString).appendingPathComponent(experiment + "/cache")
    }

    static let magic = "recbench-trial 2"

    // MARK: keys

    /// What a data set contributes to every key: its content fingerprint and its side features.
    public static func datasetKey(_ p: PreparedDataset) -> String {
        var h = SHA256Hasher()
        h.update("data=" + p.record.dataFingerprint)
        for (side, table) in [("user", p.dataset.userFeatures), ("item", p.dataset.itemFeatures)] {
            for g in table.groups {
                h.update("|\(side) feature \(g.name) \(g.kind.rawValue) \(g.matrix.rows)x\(g.matrix.columns):")
                h.update(g.columnNames.joined(separator: "\u{1f}"))
                g.matrix.offsets.withUnsafeBytes { h.update($0) }
                g.matrix.indices.withUnsafeBytes { h.update($0) }
                g.matrix.values.withUnsafeBytes { h.update($0) }
            }
        }
        return h.finalize()
    }

    /// What a fold contributes: the exact train, validation and test positions.
    public static func foldKey(_ f: Fold) -> String {
        var h = SHA256Hasher()
        h.update("fold \(f.index)|train:"); hashPositions(f.train, into: &h)
        h.update("|validation:"); hashPositions(f.validation, into: &h)
        h.update("|test:"); hashPositions(f.test, into: &h)
        return h.finalize()
    }

    /// Positions hashed as the 8-byte integers they were stored as before folds held 4-byte ones,
    /// so cache entries and split fingerprints made then still match.
    static func hashPositions(_ positions: [Int32], into h: inout SHA256Hasher) {
        var wide = [Int](repeating: 0, count: min(positions.count, 1 << 14))
        var start = 0
        while start < positions.count {
            let n = min(wide.count, positions.count - start)
            for k in 0..<n { wide[k] = Int(positions[start + k]) }
            wide.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[0..<(n * 8)])) }
            start += n
        }
    }

    /// The key of one trial. The thread count is part of it only for algorithms that declare
    /// `threadDependent` (BPR): the others give the same result at every count (the runner's tests
    /// check one thread equals two), so shards on machines of different sizes share their entries.
    public static func key(_ t: Trial, spec: ExperimentSpec, datasetKey: String, foldKey: String) -> String {
        var parts =
            [
                magic, "recbench=" + SystemInfo.recbenchVersion,
                "task=" + spec.task.rawValue, "metrics=" + spec.metrics.map(\.label).joined(separator: ","),
                "candidates=" + spec.candidates.label,
                "dataset=" + datasetKey, "fold=\(t.fold)", "split=" + foldKey,
                "algorithm=" + t.configuration.descriptor.name, "parameters=" + t.configuration.values.canonical,
                "seed=\(t.seed)"
            ] + spec.selectionKey(t.configuration, dataset: t.datasetIndex)
        if t.configuration.descriptor.threadDependent { parts.append("threads=\(Runner.fixedThreads(spec))") }
        // Only a threshold adds a line, so the keys of experiments without one are unchanged.
        if let r = spec.relevance.key { parts.append("relevance=" + r) }
        return SHA256Hasher.hex(parts.joined(separator: "\n"))
    }

    func path(_ key: String) -> String { (directory as NSString).appendingPathComponent(key + ".json") }

    // MARK: read and write

    public func load(_ key: String) -> Lookup {
        guard mode == .use, let data = FileManager.default.contents(atPath: path(key)) else { return .miss }
        return Self.decode(data, key: key).map(Lookup.hit) ?? .corrupt
    }

    public func store(_ r: TrialResult, key: String) throws {
        guard mode != .off else { return }
        try write(try Self.encode(r, key: key), key: key)
    }

    /// Writes an entry by temporary file and rename, with the test-only fault injection.
    func write(_ data: Data, key: String) throws {
        let point = faults?.next()
        if point == .before { FaultInjection.die() }
        if point == .during {
            // A torn entry: half the bytes, written in place, then the process dies.
            _ = FileManager.default.createFile(atPath: path(key), contents: data.prefix(data.count / 2))
            FaultInjection.die()
        }
        try AtomicFile.write(data, to: path(key))
        if point == .after { FaultInjection.die() }
    }

    static func encode(_ r: TrialResult, key: String) throws -> Data { try entry(r, magic: magic, key: key) }

    /// One checksummed entry: a header line (magic, key, body length, SHA-256 of the body), then the JSON body.
    static func entry<T: Encodable>(_ value: T, magic: String, key: String) throws -> Data {
        let body = try JSONCoding.encoder().encode(value)
        return Data("\(magic) \(key) \(body.count) \(SHA256Hasher.hex(body))\n".utf8) + body
    }

    /// The entry's value, or nil when the header is missing, has another magic, names another key,
    /// or the body does not match its length and checksum (an entry copied onto another key's file
    /// is refused as well as a torn one).
    static func value<T: Decodable>(_ type: T.Type, of data: Data, magic: String, key: String) -> T? {
        guard let newline = data.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let header = String(decoding: data[data.startIndex..<newline], as: UTF8.self).split(separator: " ")
        let body = data[data.index(after: newline)...]
        guard header.count == 5, header[0] + " " + header[1] == magic, header[2] == key, Int(header[3]) == body.count,
            String(header[4]) == SHA256Hasher.hex(body)
        else { return nil }
        return try? JSONCoding.decoder().decode(T.self, from: Data(body))
    }

    static func decode(_ data: Data, key: String) -> TrialResult? {
        value(TrialResult.self, of: data, magic: magic, key: key)
    }
}

/// Test-only fault injection: `RECBENCH_FAULT_KILL=before:3` (or `during:3`, `after:3`) kills the
/// process with SIGKILL at that point of its third cache write, so the resume tests can stop a run
/// at exact moments that an outside `kill -9` would only hit by luck.
final class FaultInjection: @unchecked Sendable {
    enum Point: String { case before, during, after }
    let point: Point
    let write: Int
    private var count = 0
    private let lock = NSLock()

    init?(_ setting: String?) {
        guard let parts = setting?.split(separator: ":"), parts.count == 2,
            let p = Point(rawValue: String(parts[0])), let n = Int(parts[1]), n > 0
        else { return nil }
        point = p; write = n
    }

    /// The fault to trigger at this write, if any.
    func next() -> Point? {
        lock.lock(); defer { lock.unlock() }
        count += 1
        return count == write ? point : nil
    }

    static func die() -> Never {
        kill(getpid(), SIGKILL)
        while true { pause() }
    }
}
