import Foundation
import RecbenchCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Registers a running `recbench run` (or `merge`) in `<experiment folder>/.running/`: one file
/// per process, held with an exclusive `flock` for the process's lifetime. The kernel drops the
/// lock when the process ends, however it ends (kill -9 included), so the registry tells live
/// processes from dead ones without trusting process IDs, which other machines sharing the folder
/// would reuse. Made before any trial runs, it is also the check that the output folder is writable.
///
/// It exists to clean up `<run-id>.partial` folders that a killed or failed run left behind: one
/// whose last change is older than the registration of every live process cannot belong to any of
/// them (a run reserves its folder after registering), so it is removed. Nothing else is deleted:
/// not finished runs, not folders of other names, not other experiments' folders.
public final class RunLock: @unchecked Sendable {
    public let experimentDirectory: String
    let path: String
    private var fd: Int32

    static let folderName = ".running"

    public init(experimentDirectory: String) throws {
        self.experimentDirectory = experimentDirectory
        let registry = (experimentDirectory as NSString).appendingPathComponent(Self.folderName)
        try OutputFolder.create(registry)
        let host = Self.hostName().filter { $0.isLetter || $0.isNumber || $0 == "-" }
        let name = "\(host)-\(getpid())-\(UInt32.random(in: .min ... .max)).lock"
        path = (registry as NSString).appendingPathComponent(name)
        // Made and locked under another name, then renamed: a registration is never seen unlocked
        // (and so taken for a dead one) between its creation and its lock.
        let pending = path + ".new"
        fd = open(pending, O_RDWR | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            let reason = SystemError.text(errno)
            throw RecbenchError.io(experimentDirectory, "cannot write the run's outputs here: \(reason)")
        }
        _ = AtomicFile.writeAll(fd, Data("pid \(getpid()) on \(Self.hostName())\n".utf8))
        guard flock(fd, LOCK_EX | LOCK_NB) == 0, rename(pending, path) == 0 else {
            let reason = SystemError.text(errno)
            close(fd); unlink(pending)
            throw RecbenchError.io(path, "cannot register the run: \(reason)")
        }
    }

    /// gethostname(2), not ProcessInfo.hostName, which may wait for a name lookup.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "host" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { release() }

    /// Unregisters (also done when the process ends).
    public func release() {
        guard fd >= 0 else { return }
        unlink(path)
        close(fd)
        fd = -1
    }

    /// Registration times of the live processes (this one included); removes the registrations
    /// of dead ones.
    func liveRegistrations() -> [Date] {
        let registry = (experimentDirectory as NSString).appendingPathComponent(Self.folderName)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: registry)) ?? []
        var live: [Date] = []
        for name in names where name.hasSuffix(".lock") {
            let file = (registry as NSString).appendingPathComponent(name)
            // Read-only is enough for flock, and works on another user's file; a file that cannot
            // be opened at all counts as live (never guess a process dead).
            let other = open(file, O_RDONLY)
            guard other >= 0 else {
                if let date = OutputFolder.modified(file) { live.append(date) }
                continue
            }
            defer { close(other) }
            if flock(other, LOCK_EX | LOCK_NB) == 0 {
                unlink(file)  // its process is gone: the lock was free
            } else if let date = OutputFolder.modified(file) {
                live.append(date)
            }
        }
        return live
    }

    /// Removes this experiment's `<run-id>.partial` folders that are older than every live
    /// process's registration; returns their names.
    @discardableResult
    public func removeStalePartials() -> [String] {
        guard let oldest = liveRegistrations().min() else { return [] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: experimentDirectory)) ?? []
        var removed: [String] = []
        for name in names.sorted() where name.hasSuffix(".partial") && RunID.isRunID(String(name.dropLast(8))) {
            let folder = (experimentDirectory as NSString).appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: folder),  // not following links
                attributes[.type] as? FileAttributeType == .typeDirectory,
                let changed = attributes[.modificationDate] as? Date, changed < oldest
            else { continue }
            if (try? FileManager.default.removeItem(atPath: folder)) != nil { removed.append(name) }
        }
        return removed
    }
}
