#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RecbenchCore
internal import CIntrinsics

/// Per-thread scratch for the normal-equation solvers (allocated once per block of rows, not per row).
final class NormalEquationScratch {
    let k: Int
    private(set) var capacity: Int
    var a: UnsafeMutablePointer<Float>  // k × k system matrix
    var rows: UnsafeMutablePointer<Float>  // gathered, scaled rows (capacity × k)
    var t: UnsafeMutablePointer<Float>  // per-row targets / weights (capacity)
    var w: UnsafeMutablePointer<Float>  // per-row weights (capacity)
    let r: UnsafeMutablePointer<Float>, p: UnsafeMutablePointer<Float>, ap: UnsafeMutablePointer<Float>

    init(k: Int, capacity: Int = 256) {
        self.k = k; self.capacity = max(1, capacity)
        a = .allocate(capacity: k * k)
        rows = .allocate(capacity: self.capacity * k)
        t = .allocate(capacity: self.capacity); w = .allocate(capacity: self.capacity)
        r = .allocate(capacity: k); p = .allocate(capacity: k); ap = .allocate(capacity: k)
    }

    /// Makes room for n gathered rows (contents are not kept).
    func reserve(_ n: Int) {
        guard n > capacity else { return }
        rows.deallocate(); t.deallocate(); w.deallocate()
        capacity = max(n, capacity * 2)
        rows = .allocate(capacity: capacity * k)
        t = .allocate(capacity: capacity); w = .allocate(capacity: capacity)
    }

    deinit {
        a.deallocate(); rows.deallocate(); t.deallocate(); w.deallocate(); r.deallocate(); p.deallocate();
        ap.deallocate()
    }
}
