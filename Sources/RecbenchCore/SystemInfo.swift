import Foundation

/// Facts about the process and machine for manifests and profiles.
public enum SystemInfo {
    /// Peak resident set size of this process since start or the last `resetPeakMemory()`, in bytes.
    public static func peakResidentBytes() -> Int? {
        #if os(Linux)
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first
            return kb.map { $0 * 1024 }
        }
        return nil
        #else
        var u = rusage()
        getrusage(RUSAGE_SELF, &u)
        return Int(u.ru_maxrss)
        #endif
    }

    /// Resident set size of this process now, in bytes (Linux; nil elsewhere).
    public static func residentBytes() -> Int? {
        #if os(Linux)
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
        }
        #endif
        return nil
    }

    /// Resets the peak-RSS counter (Linux), so each trial reports its own peak.
    public static func resetPeakMemory() {
        #if os(Linux)
        if let h = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
            try? h.write(contentsOf: Data("5".utf8)); try? h.close()
        }
        #endif
    }

    public static var machine: String {
        var u = utsname()
        uname(&u)
        func field<T>(_ v: T) -> String {
            withUnsafeBytes(of: v) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return "\(field(u.sysname)) \(field(u.release)) \(field(u.machine))"
    }

    public static var cpuModel: String {
        #if os(Linux)
        if let s = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = s.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
            let name = line.split(separator: ":", maxSplits: 1).last
        {
            return name.trimmingCharacters(in: .whitespaces)
        }
        #endif
        return "unknown"
    }

    public static var swiftVersion: String {
        #if compiler(>=6.3)
        return "6.3+"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    public static let recbenchVersion = "0.1.0"
}
