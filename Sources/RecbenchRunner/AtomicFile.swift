import Foundation
import RecbenchCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes that never leave a half-written file: write a temporary sibling, then rename over.
/// System calls rather than Foundation, so a failure keeps the system's reason ("No space left on
/// device") and the temporary file is removed.
public enum AtomicFile {
    public static func write(_ contents: String, to path: String) throws {
        try write(Data(contents.utf8), to: path)
    }

    public static func write(_ data: Data, to path: String) throws {
        let dir = PathText.parent(path)
        if !dir.isEmpty { try OutputFolder.create(dir) }
        let tmp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw RecbenchError.io(path, "cannot write: \(SystemError.text(errno))") }
        var failure = writeAll(fd, data)
        if close(fd) != 0, failure == nil { failure = errno }
        if failure == nil, rename(tmp, path) != 0 { failure = errno }
        if let failure {
            unlink(tmp)
            throw RecbenchError.io(path, "cannot write: \(SystemError.text(failure))")
        }
    }

    /// Writes every byte to `fd`; the errno of the first failure, or nil.
    static func writeAll(_ fd: Int32, _ data: Data) -> Int32? {
        data.withUnsafeBytes { (b: UnsafeRawBufferPointer) -> Int32? in
            var offset = 0
            while offset < b.count {
                let n = systemWrite(fd, b.baseAddress! + offset, b.count - offset)
                if n < 0 { if errno == EINTR { continue }; return errno }
                if n == 0 { return EIO }
                offset += n
            }
            return nil
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
