import Crypto
import Foundation

/// SHA-256 (FIPS 180-4) for data-set checksums, fingerprints and cache keys, as lower-case hex.
/// A thin wrapper over swift-crypto (a maintained, vectorised implementation), keeping one call style.
public struct SHA256Hasher {
    private var state = Crypto.SHA256()

    public init() {}

    public mutating func update<D: DataProtocol>(_ data: D) { state.update(data: data) }

    public mutating func update(_ string: String) { update(Array(string.utf8)) }

    public mutating func finalize() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](); out.reserveCapacity(64)
        for byte in state.finalize() { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func hex<D: DataProtocol>(_ data: D) -> String {
        var s = SHA256Hasher(); s.update(data); return s.finalize()
    }
    public static func hex(_ string: String) -> String { hex(Array(string.utf8)) }

    /// Streams a file in 1 MiB chunks.
    public static func hex(fileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw RecbenchError.io(path, "cannot open for reading")
        }
        defer { try? handle.close() }
        var s = SHA256Hasher()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { s.update(chunk) }
        return s.finalize()
    }
}
