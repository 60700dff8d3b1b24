#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RecbenchCore
internal import CIntrinsics

/// Software prefetch hints (keep in all cache levels). No Swift API exposes them; the CIntrinsics
/// header wraps the compiler builtin, which inlines to one instruction.
enum Prefetch {
    @inline(__always) static func read(_ p: UnsafeRawPointer) { recbench_prefetch_read(p) }
    @inline(__always) static func write(_ p: UnsafeRawPointer) { recbench_prefetch_write(p) }
}
