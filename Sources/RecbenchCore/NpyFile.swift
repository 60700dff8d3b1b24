import Foundation

/// NumPy's `.npy` format, version 1.0 (numpy.lib.format): the magic "\x93NUMPY", version 1 0, a
/// little-endian 16-bit header length, then an ASCII dict literal padded with spaces and ended by
/// a newline so that magic + length + header is a multiple of 64 bytes, then the raw C-order data.
/// Only what model exports need: little-endian float32 ('<f4'), int32 ('<i4') and int64 ('<i8') arrays.
public enum NpyFile {
    public enum Elements: Sendable, Equatable {
        case float32([Float])
        case int32([Int32])
        /// Offsets of a sparse matrix too large for 32 bits.
        case int64([Int64])

        public var descr: String {
            switch self {
            case .float32: "<f4";
            case .int32: "<i4";
            case .int64: "<i8"
            }
        }
        public var count: Int {
            switch self {
            case let .float32(v): v.count;
            case let .int32(v): v.count;
            case let .int64(v): v.count
            }
        }
    }

    /// The header bytes (magic through the newline) for `descr` and `shape`.
    public static func header(descr: String, shape: [Int]) -> Data {
        // A 1-D shape is written "(n,)", as Python's tuple syntax requires.
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(dims), }"
        let fixed = 6 + 2 + 2  // magic, version, header length
        let total = (fixed + dict.utf8.count + 1 + 63) / 64 * 64
        dict += String(repeating: " ", count: total - fixed - dict.utf8.count - 1) + "\n"
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(dict.utf8.count)
        out.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        out.append(contentsOf: Array(dict.utf8))
        return out
    }

    /// A whole file: header, then the elements in little-endian order. `shape`'s product must be the count.
    public static func encode(_ elements: Elements, shape: [Int]) -> Data {
        precondition(shape.reduce(1, *) == elements.count, "shape \(shape) does not hold \(elements.count) elements")
        var out = header(descr: elements.descr, shape: shape)
        switch elements {
        case let .float32(v):
            out.reserveCapacity(out.count + 4 * v.count)
            for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        case let .int32(v):
            out.reserveCapacity(out.count + 4 * v.count)
            for x in v { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } }
        case let .int64(v):
            out.reserveCapacity(out.count + 8 * v.count)
            for x in v { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } }
        }
        return out
    }
}
