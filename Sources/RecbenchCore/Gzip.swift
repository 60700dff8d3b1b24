import Foundation
import CZlib

/// gzip (RFC 1952) compression through the system's zlib: what `gzip -dc`, Python's gzip module
/// and pandas read. Streams from memory to memory; exported tables are written compressed whole.
public enum Gzip {
    /// The bytes compressed as one gzip member at `level` (1 fastest … 9 smallest; zlib's default 6).
    public static func compress(_ data: Data, level: Int32 = 6) throws -> Data {
        var stream = z_stream()
        // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
        var status = deflateInit2_(
            &stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw RecbenchError.invalid("gzip: zlib could not start (status \(status))") }
        defer { deflateEnd(&stream) }
        var output = Data()
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            let base = input.bindMemory(to: Bytef.self).baseAddress
            var offset = 0
            repeat {
                // avail_in is 32-bit: feed at most 1 GiB at a time.
                let take = min(input.count - offset, 1 << 30)
                stream.next_in = UnsafeMutablePointer(mutating: base.map { $0 + offset })
                stream.avail_in = uInt(take)
                offset += take
                let flush = offset == input.count ? Z_FINISH : Z_NO_FLUSH
                repeat {
                    status = buffer.withUnsafeMutableBufferPointer { out in
                        stream.next_out = out.baseAddress
                        stream.avail_out = uInt(chunk)
                        return deflate(&stream, flush)
                    }
                    guard status != Z_STREAM_ERROR else { throw RecbenchError.invalid("gzip: zlib stream error") }
                    output.append(contentsOf: buffer[0..<(chunk - Int(stream.avail_out))])
                } while stream.avail_out == 0
            } while offset < input.count
        }
        guard status == Z_STREAM_END else {
            throw RecbenchError.invalid("gzip: compression did not finish (status \(status))")
        }
        return output
    }

    /// The concatenated contents of every gzip member in `data` (for tests and for reading exports back).
    public static func decompress(_ data: Data) throws -> Data {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw RecbenchError.invalid("gzip: zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            guard let base = input.bindMemory(to: Bytef.self).baseAddress else { return }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = uInt(input.count)
            while true {
                let status = buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(chunk)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                output.append(contentsOf: buffer[0..<(chunk - Int(stream.avail_out))])
                if status == Z_STREAM_END {
                    // Another member may follow (`cat a.gz b.gz`).
                    if stream.avail_in == 0 { return }
                    inflateReset(&stream)
                    continue
                }
                guard status == Z_OK || (status == Z_BUF_ERROR && stream.avail_out == 0) else {
                    throw RecbenchError.invalid("gzip: not valid gzip data (zlib status \(status))")
                }
            }
        }
        return output
    }
}
