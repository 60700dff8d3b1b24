import Foundation
import RecbenchCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Names of run folders: `<yyyyMMdd-HHmmss>-<config hash 8>[-shard<i>of<n>][-<n>]`, the start in
/// UTC, the file's hash, and a counter from 2 when another run already holds the name (two
/// processes started in the same second on the same file). A name is taken by creating
/// `<name>.partial` — `mkdir` succeeds for exactly one process — while no finished `<name>`
/// exists; the folder becomes `<name>` by one `rename` once every file is written, and `rename`
/// onto a finished (non-empty) folder fails, so no run ever replaces or mixes into another.
public enum RunID {
    /// The name before any counter.
    public static func base(started: Date, configHash: String, shard: Shard?) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX"); formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        var id = formatter.string(from: started) + "-" + String(configHash.prefix(8))
        if let shard { id += "-shard\(shard.index)of\(shard.count)" }
        return id
    }

    /// Whether `name` has the shape of a run ID (the stale-folder cleanup touches nothing else).
    public static func isRunID(_ name: String) -> Bool {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0].count == 8, parts[1].count == 6, parts[2].count == 8,
            (parts[0] + parts[1]).allSatisfy({ $0.isASCII && $0.isNumber }),
            parts[2].allSatisfy({ $0.isASCII && $0.isHexDigit })
        else { return false }
        return parts.dropFirst(3).allSatisfy { p in
            (p.allSatisfy { $0.isASCII && $0.isNumber } && !p.isEmpty) || (p.hasPrefix("shard") && p.contains("of"))
        }
    }

    /// Orders run IDs by start time, then counter (so "…-10" follows "…-9").
    static func sortKey(_ id: String) -> (String, Int) {
        let parts = id.split(separator: "-")
        let counter = parts.count > 3 ? Int(parts.last!) ?? 1 : 1
        return (parts.prefix(2).joined(separator: "-"), counter)
    }

    /// Takes the first free name from `base` in `experimentDirectory`: returns it with its
    /// `.partial` folder, now owned by this process.
    public static func reserve(base: String, in experimentDirectory: String) throws -> (id: String, partial: String) {
        try OutputFolder.create(experimentDirectory)
        for n in 1...100_000 {
            let id = n == 1 ? base : "\(base)-\(n)"
            let final = (experimentDirectory as NSString).appendingPathComponent(id)
            let partial = final + ".partial"
            if FileManager.default.fileExists(atPath: final) { continue }
            if mkdir(partial, 0o755) != 0 {
                if errno == EEXIST { continue }
                throw RecbenchError.io(partial, "cannot create the run folder: \(SystemError.text(errno))")
            }
            // A run that held the name may have finished between the check and the mkdir.
            if FileManager.default.fileExists(atPath: final) { rmdir(partial); continue }
            return (id, partial)
        }
        throw RecbenchError.io(experimentDirectory, "no free run folder name from \(base)")
    }

    /// Renames the finished `.partial` folder to its run ID; never replaces an existing run.
    public static func publish(partial: String, as final: String) throws {
        if rename(partial, final) != 0 {
            throw RecbenchError.io(final, "cannot move the finished run into place: \(SystemError.text(errno))")
        }
    }

    /// Points `<experiment>/latest` at `id` by renaming a fresh link over it (readers always see a
    /// complete run), unless it already points at a run that started later. Processes finishing
    /// at the same moment take turns through a lock beside the run registry.
    public static func publishLatest(_ id: String, in experimentDirectory: String) throws {
        let latest = (experimentDirectory as NSString).appendingPathComponent("latest")
        let lockPath = (experimentDirectory as NSString).appendingPathComponent(RunLock.folderName + "/latest.lock")
        try OutputFolder.create(PathText.parent(lockPath))
        let lock = open(lockPath, O_RDWR | O_CREAT, 0o644)
        guard lock >= 0 else { throw RecbenchError.io(lockPath, "cannot lock: \(SystemError.text(errno))") }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 && errno == EINTR {}
        if let current = try? FileManager.default.destinationOfSymbolicLink(atPath: latest), isRunID(current),
            sortKey(current) > sortKey(id),
            FileManager.default.fileExists(atPath: (experimentDirectory as NSString).appendingPathComponent(current))
        {
            return
        }
        let tmp = (experimentDirectory as NSString)
            .appendingPathComponent(".latest-\(getpid())-\(UInt32.random(in: .min ... .max))")
        guard symlink(id, tmp) == 0 else {
            throw RecbenchError.io(latest, "cannot create the link: \(SystemError.text(errno))")
        }
        if rename(tmp, latest) != 0 {
            let reason = SystemError.text(errno)
            unlink(tmp)
            throw RecbenchError.io(latest, "cannot point at the new run: \(reason)")
        }
    }
}
