import Dispatch
import Foundation

/// Wall-clock laps of a trial's phases, and the wall and CPU time of whole measurements. Under a
/// shared machine's load CPU time moves less than wall time, so the benchmarks report both.
public struct Stopwatch {
    private var last = DispatchTime.now().uptimeNanoseconds
    public init() {}

    /// Seconds since the previous lap (or since the stopwatch was made).
    public mutating func lap() -> Double {
        let now = DispatchTime.now().uptimeNanoseconds
        defer { last = now }
        return Double(now - last) / 1e9
    }

    /// Seconds of wall time taken by `body`.
    public static func wall(_ body: () throws -> Void) rethrows -> Double {
        var clock = Stopwatch()
        try body()
        return clock.lap()
    }

    /// CPU seconds (user + system) of the process so far.
    public static func cpuSeconds() -> Double {
        var u = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &u)
        #else
        getrusage(RUSAGE_SELF, &u)
        #endif
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(u.ru_utime) + s(u.ru_stime)
    }
}
