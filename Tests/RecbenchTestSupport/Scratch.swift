import Foundation

/// Scratch paths for tests, all under one folder per test process, `recbench-tests-<pid>` in the temporary
/// folder, removed when the process exits, so a test run leaves nothing in /tmp. A run that never reached its
/// exit handler (crashed, killed) leaves its folder to the next run's sweep.
public enum Scratch {
    static let rootPrefix = "recbench-tests-"

    /// This process's scratch folder; made on first use, after the sweep of dead runs' folders.
    /// (A static `let` is initialised once, thread-safely, however many tests reach it at the same time.)
    public static let root: String = {
        sweepStaleRoots()
        let root = (NSTemporaryDirectory() as NSString).appendingPathComponent(rootPrefix + "\(getpid())")
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: Scratch.root) }
        return root
    }()

    /// A fresh path under `root`, not created: the prefix (so failure messages still say whose files they are)
    /// and a UUID.
    public static func path(_ prefix: String) -> String {
        root + "/" + prefix + "-" + UUID().uuidString
    }

    /// Removes the scratch folders in `directory` whose process is gone. Only ESRCH means gone: a live process
    /// (this one, another test run, another user's with EPERM) keeps its folder.
    public static func sweepStaleRoots(in directory: String = NSTemporaryDirectory()) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix(rootPrefix) {
            guard let pid = pid_t(name.dropFirst(rootPrefix.count)), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
            }
        }
    }
}
