import Foundation

/// Writes that never leave a half-written file: write a temporary sibling, then rename over.
public enum AtomicFile {
    public static func write(_ contents: String, to path: String) throws {
        try write(Data(contents.utf8), to: path)
    }

    public static func write(_ data: Data, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let tmp = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: tmp, contents: data) else {
            throw RecbenchErrorIO.cannotWrite(path)
        }
        if rename(tmp, path) != 0 {
            let err = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: tmp)
            throw RecbenchErrorIO.rename(path, err)
        }
    }
}

enum RecbenchErrorIO: Error, CustomStringConvertible {
    case cannotWrite(String), rename(String, String)
    var description: String {
        switch self {
        case let .cannotWrite(p): return "\(p): cannot write (check the folder exists and is writable)"
        case let .rename(p, e): return "\(p): cannot move the finished file into place: \(e)"
        }
    }
}
