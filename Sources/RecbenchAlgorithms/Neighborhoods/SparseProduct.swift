import RecbenchCore
internal import CIntrinsics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The raw arrays of a row's product with the later rows of its columns.
struct SparseProduct {
    let ro: UnsafeBufferPointer<Int>, rv: UnsafeBufferPointer<Float>
    let ci: UnsafeBufferPointer<Int32>, cv: UnsafeBufferPointer<Float>
    let span: UnsafeBufferPointer<SIMD2<Int32>>

    /// Co-occurrence counts of row a with every later row sharing a column.
    @inline(__always)
    func countCooccurrences(row a: Int, into s: PairScratch) -> Int {
        var touchedCount = 0
        for k in ro[a]..<ro[a + 1] {
            for k2 in Int(span[k].x)..<Int(span[k].y) {
                let b = Int(ci[k2]), c = s.count[b]
                // Branch-free first-touch bookkeeping: the branch would be mispredicted about
                // half the time, which costs more than the unconditional store.
                s.touched[touchedCount] = Int32(truncatingIfNeeded: b)
                touchedCount &+= c == 0 ? 1 : 0
                s.count[b] = c &+ 1
            }
        }
        return touchedCount
    }

    /// Counts, dot products and (Pearson) co-support sums of squares of row a with every later
    /// row sharing a column.
    @inline(__always)
    func accumulate(row a: Int, into s: PairScratch) -> Int {
        var touchedCount = 0
        for k in ro[a]..<ro[a + 1] {
            let x = Double(rv[k])
            for k2 in Int(span[k].x)..<Int(span[k].y) {
                let b = Int(ci[k2]), c = s.count[b], y = Double(cv[k2])
                s.touched[touchedCount] = Int32(truncatingIfNeeded: b)
                touchedCount &+= c == 0 ? 1 : 0
                s.count[b] = c &+ 1
                s.dot[b] += x * y
                if s.pearson { s.squaresA[b] += x * x; s.squaresB[b] += y * y }
            }
        }
        return touchedCount
    }
}
