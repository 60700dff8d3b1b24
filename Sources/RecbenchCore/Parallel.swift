import Dispatch
import Foundation

/// Runs body(chunk) for chunks of 0..<count on up to `threads` threads. Chunks are contiguous
/// and fixed by (count, threads) alone, so per-chunk work (and its random stream) is
/// reproducible at a given thread count. (OpenBLAS itself always runs on one thread: `BLAS`.)
public func parallelChunks(count: Int, threads: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
    guard count > 0 else { return }
    let t = max(1, min(threads, count))
    if t == 1 { body(0, 0..<count); return }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: t) { c in
            let lo = count * c / t, hi = count * (c + 1) / t
            box.value(c, lo..<hi)
        }
    }
}

/// Runs body(i) for every i in 0..<count with dynamic scheduling in blocks of `grain`.
/// For uneven work (per-user solves); results must be written to per-index slots.
public func parallelFor(count: Int, threads: Int, grain: Int = 64, _ body: (Int) -> Void) {
    parallelForWorkers(count: count, threads: threads, grain: grain) { _, i in body(i) }
}

/// How many workers `parallelForWorkers` runs for these arguments (per-worker scratch is sized by it).
public func parallelWorkerCount(count: Int, threads: Int, grain: Int = 64) -> Int {
    max(1, min(threads, (count + grain - 1) / max(1, grain)))
}

/// parallelFor that also tells the body which worker (0 ..< parallelWorkerCount) runs index i, so
/// per-worker scratch can be reused across indices without locks.
public func parallelForWorkers(count: Int, threads: Int, grain: Int = 64, _ body: (_ worker: Int, _ i: Int) -> Void) {
    guard count > 0 else { return }
    let t = parallelWorkerCount(count: count, threads: threads, grain: grain)
    if t == 1 { for i in 0..<count { body(0, i) }; return }
    let blocks = (count + grain - 1) / grain
    // Exactly t workers pull blocks from a shared counter, so `threads` is honoured (one
    // concurrentPerform iteration per block would run on every core).
    let next = BlockCounter()
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: t) { worker in
            while true {
                let b = next.take()
                if b >= blocks { return }
                for i in (b * grain)..<min(count, (b + 1) * grain) { box.value(worker, i) }
            }
        }
    }
}

private final class BlockCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func take() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value - 1 }
}

/// Wraps a value the caller guarantees is used safely across threads (disjoint writes).
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
