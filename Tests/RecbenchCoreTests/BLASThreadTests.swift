import Dispatch
import Foundation
import Testing
@testable import RecbenchCore

/// OpenBLAS's thread count is process-wide while trials run concurrently: overlapping
/// single-threaded sections (on many threads, nested, and ending in any order) hold it at 1
/// and leave the outer setting behind when the last one ends.
@Test func overlappingSingleThreadedSectionsRestoreTheOuterSetting() {
    let outer = BLAS.threads
    BLAS.setThreads(2)
    let setting = BLAS.threads  // 2 unless OpenBLAS was built for one core
    defer { BLAS.setThreads(outer) }
    let sawOther = ThreadCountLog()
    DispatchQueue.concurrentPerform(iterations: 16) { i in
        BLAS.singleThreaded {
            sawOther.record(BLAS.threads)
            // Sections end at different times, so a per-caller save would restore 1 here.
            Thread.sleep(forTimeInterval: Double(i % 4) * 0.002)
            BLAS.singleThreaded { sawOther.record(BLAS.threads) }
        }
    }
    #expect(sawOther.values == [1], "OpenBLAS ran with \(sawOther.values) threads inside a section")
    #expect(BLAS.openSingleThreadedSections == 0)
    #expect(BLAS.threads == setting)
}

private final class ThreadCountLog: @unchecked Sendable {
    private let lock = NSLock()
    private var seen = Set<Int>()
    func record(_ n: Int) { lock.lock(); seen.insert(n); lock.unlock() }
    var values: Set<Int> { lock.lock(); defer { lock.unlock() }; return seen }
}
