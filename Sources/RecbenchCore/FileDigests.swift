import Foundation

/// SHA-256 of data files, computed once per process: a file is hashed again only when its path, size or
/// modification time changed. Loading a data set twice in one run (validation, then the run; two entries
/// over the same files) costs one hash.
public final class FileDigests: @unchecked Sendable {
    public static let shared = FileDigests()

    private struct Key: Hashable { let path: String; let size: UInt64; let modified: Double }
    private var known: [Key: String] = [:]
    private let lock = NSLock()
    /// How many digests were actually computed (not answered from memory); for tests.
    public private(set) var computed = 0

    public init() {}

    /// The digest of the file at `path`, whose bytes are `contents` (already read or mapped by the caller).
    /// A file whose size or modification time cannot be read is always hashed.
    public func digest<D: DataProtocol>(path: String, contents: D) -> String {
        guard let key = Self.key(path) else { return count(SHA256Hasher.hex(contents)) }
        lock.lock()
        if let hit = known[key] { lock.unlock(); return hit }
        lock.unlock()
        let hex = count(SHA256Hasher.hex(contents))
        lock.lock(); known[key] = hex; lock.unlock()
        return hex
    }

    /// The digest of the file at `path`, read in chunks when not known.
    public func digest(path: String) throws -> String {
        if let key = Self.key(path) {
            lock.lock(); defer { lock.unlock() }
            if let hit = known[key] { return hit }
        }
        let hex = count(try SHA256Hasher.hex(fileAt: path))
        if let key = Self.key(path) { lock.lock(); known[key] = hex; lock.unlock() }
        return hex
    }

    private func count(_ hex: String) -> String { lock.lock(); computed += 1; lock.unlock(); return hex }

    private static func key(_ path: String) -> Key? {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        guard let a = try? FileManager.default.attributesOfItem(atPath: url.path),
            let size = (a[.size] as? NSNumber)?.uint64Value,
            let date = a[.modificationDate] as? Date
        else { return nil }
        return Key(path: url.path, size: size, modified: date.timeIntervalSince1970)
    }
}
