import RecbenchCore
internal import CIntrinsics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One worker's dense accumulators for a row's products. Every entry is back to zero after a row
/// is consumed (the caller clears what it reads), so no per-row clearing of size `rows` is
/// needed; `touched` lists the rows that received a contribution, in first-touch order.
struct PairScratch {
    let count: UnsafeMutablePointer<Int32>
    let touched: UnsafeMutablePointer<Int32>
    let dot: UnsafeMutablePointer<Double>
    let squaresA: UnsafeMutablePointer<Double>
    let squaresB: UnsafeMutablePointer<Double>
    let pearson: Bool

    init(rows: Int, pearson: Bool) {
        self.pearson = pearson
        count = .allocate(capacity: rows); count.initialize(repeating: 0, count: rows)
        touched = .allocate(capacity: rows + 1)
        dot = .allocate(capacity: rows); dot.initialize(repeating: 0, count: rows)
        let p = pearson ? rows : 0
        squaresA = .allocate(capacity: p); squaresA.initialize(repeating: 0, count: p)
        squaresB = .allocate(capacity: p); squaresB.initialize(repeating: 0, count: p)
    }

    func deallocate() {
        count.deallocate(); touched.deallocate(); dot.deallocate(); squaresA.deallocate(); squaresB.deallocate()
    }
}
