import RecbenchCore
internal import CIntrinsics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SparseMatrix {
    /// Position of (r, c) among the stored entries, by binary search in row r.
    @inline(__always)
    func position(row r: Int, column c: Int) -> Int? {
        var lo = offsets[r], hi = offsets[r + 1]
        let target = Int32(c)
        while lo < hi {
            let mid = (lo + hi) &>> 1
            if indices[mid] < target { lo = mid + 1 } else { hi = mid }
        }
        return lo < offsets[r + 1] && indices[lo] == target ? lo : nil
    }
}
