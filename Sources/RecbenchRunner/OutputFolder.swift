import Foundation
import RecbenchCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Folders of a run's outputs, made with system calls so that a failure names the folder and the
/// system's reason ("Not a directory", "Read-only file system", "No space left on device").
public enum OutputFolder {
    /// Creates `path` and any missing parents; an existing folder is fine.
    public static func create(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return }
            throw RecbenchError.io(
                path,
                "cannot create a folder here: \(SystemError.text(EEXIST)) "
                    + "(it is not a folder)")
        }
        let parent = PathText.parent(path)
        if !parent.isEmpty && parent != path { try create(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw RecbenchError.io(path, "cannot create a folder here: \(SystemError.text(errno))")
        }
    }

    /// Checks that files can be created in `path` (made if missing) by creating and removing one.
    public static func checkWritable(_ path: String) throws {
        try create(path)
        let name = ".write-check-\(getpid())-\(UInt32.random(in: .min ... .max))"
        let probe = (path as NSString).appendingPathComponent(name)
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw RecbenchError.io(path, "cannot write here: \(SystemError.text(errno))") }
        close(fd)
        unlink(probe)
    }

    /// Modification time, or nil when `path` does not exist.
    static func modified(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    static func isDirectory(_ path: String) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &d) && d.boolValue
    }
}
