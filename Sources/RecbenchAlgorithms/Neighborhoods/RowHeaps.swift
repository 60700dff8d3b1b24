import RecbenchCore
internal import CIntrinsics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One worker's bounded min-heaps, one per row, in flat storage: each keeps the `capacity` best
/// candidates offered to its row. A candidate is one UInt64 key that orders as (weight, then
/// lower index), so every comparison is a single integer compare and a heap's entries share
/// cache lines. `floor` holds each full heap's worst key (0 until full), so most offers are
/// rejected by one load from a small array. `published`, shared by all workers, holds a row's
/// floor once a worker has offered it all of the row's own pairs (`publish`): a key at or below
/// it can never be in the row's final top M (that worker holds M better ones), so every worker
/// rejects it. Published values are written once and read with relaxed atomics; a reader that
/// sees the old 0 only filters less, so the result does not depend on timing.
final class RowHeaps: @unchecked Sendable {
    let rows: Int, capacity: Int
    private let sizes: UnsafeMutablePointer<Int32>
    private let floor: UnsafeMutablePointer<UInt64>
    private let keys: UnsafeMutablePointer<UInt64>
    private let published: UnsafeMutablePointer<UInt64>

    init(rows: Int, capacity: Int, published: UnsafeMutablePointer<UInt64>) {
        self.rows = rows; self.capacity = capacity; self.published = published
        sizes = .allocate(capacity: rows); sizes.initialize(repeating: 0, count: rows)
        floor = .allocate(capacity: rows); floor.initialize(repeating: 0, count: rows)
        keys = .allocate(capacity: rows * capacity)
    }

    func deallocate() { sizes.deallocate(); floor.deallocate(); keys.deallocate() }

    /// Float bits mapped so that integer order is numeric order, above the complemented index
    /// (so a lower index ranks higher among equal weights). Every finite weight's key is > 0.
    @inline(__always) static func key(_ weight: Float, _ index: Int32) -> UInt64 {
        let b = weight.bitPattern
        let ordered = b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000
        return UInt64(ordered) << 32 | UInt64(~UInt32(bitPattern: index))
    }

    @inline(__always) static func decode(_ key: UInt64) -> (Int32, Float) {
        let ordered = UInt32(truncatingIfNeeded: key >> 32)
        let b = ordered & 0x8000_0000 != 0 ? ordered & 0x7FFF_FFFF : ~ordered
        return (Int32(bitPattern: ~UInt32(truncatingIfNeeded: key)), Float(bitPattern: b))
    }

    @inline(__always)
    func offer(row r: Int, index: Int32, weight: Float) {
        let k = RowHeaps.key(weight, index)
        guard k > floor[r], k > recbench_load_relaxed(published + r), capacity > 0 else { return }
        insert(row: r, key: k)
    }

    /// Makes row r's floor every worker's filter (call once the row's own pairs are all offered).
    @inline(__always)
    func publish(row r: Int) {
        if Int(sizes[r]) == capacity { recbench_store_relaxed(published + r, floor[r]) }
    }

    private func insert(row r: Int, key: UInt64) {
        let h = keys + r * capacity
        var size = Int(sizes[r])
        if size < capacity {
            var i = size
            size += 1; sizes[r] = Int32(size)
            while i > 0 {
                let p = (i - 1) / 2
                guard key < h[p] else { break }
                h[i] = h[p]; i = p
            }
            h[i] = key
            if size == capacity { floor[r] = h[0] }
        } else {
            var i = 0
            while true {
                let l = 2 * i + 1
                if l >= size { break }
                let c = l + 1 < size && h[l + 1] < h[l] ? l + 1 : l
                guard h[c] < key else { break }
                h[i] = h[c]; i = c
            }
            h[i] = key
            floor[r] = h[0]
        }
        #if DEBUG
        if let problem = violation(row: r) { preconditionFailure("RowHeaps: \(problem)") }
        #endif
    }

    /// What breaks row r's heap invariants (nil when they hold): at most `capacity` keys, each
    /// parent at or below its children, and a full heap's floor equal to its root (the offer filter).
    func violation(row r: Int) -> String? {
        let h = keys + r * capacity, size = Int(sizes[r])
        guard size <= capacity else { return "row \(r) holds \(size) keys, capacity \(capacity)" }
        for i in 1..<max(1, size) where h[(i - 1) / 2] > h[i] { return "row \(r): key \(i) is below its parent" }
        if size == capacity, capacity > 0, floor[r] != h[0] { return "row \(r): the floor is not the root" }
        return nil
    }

    /// Each row's final list: the best `capacity` of all workers' candidates, most similar first.
    static func merge(_ heaps: [RowHeaps], rows n: Int, capacity: Int, threads: Int) -> NeighborLists {
        var offsets = [Int](repeating: 0, count: n + 1)
        for r in 0..<n {
            var c = 0
            for h in heaps { c += Int(h.sizes[r]) }
            offsets[r + 1] = offsets[r] + min(capacity, c)
        }
        var neighbors = [Int32](repeating: 0, count: offsets[n]), weights = [Float](repeating: 0, count: offsets[n])
        let workers = parallelWorkerCount(count: n, threads: threads, grain: 256)
        // One reusable buffer per worker: a per-row allocation would contend in malloc.
        let buffers = (0..<workers).map { _ in
            UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, heaps.count * capacity))
        }
        defer { buffers.forEach { $0.deallocate() } }
        neighbors.withUnsafeMutableBufferPointer { nb in
            weights.withUnsafeMutableBufferPointer { wb in
                let out = UncheckedSendable((nb, wb, buffers))
                parallelForWorkers(count: n, threads: threads, grain: 256) { worker, r in
                    let (nb, wb, buffers) = out.value
                    let all = buffers[worker]
                    var count = 0
                    for h in heaps {
                        let size = Int(h.sizes[r])
                        (all + count).update(from: h.keys + r * h.capacity, count: size)
                        count += size
                    }
                    // Ascending sort (no comparison closure: twice as fast), read from the top.
                    var keys = UnsafeMutableBufferPointer(start: all, count: count)
                    keys.sort()
                    for k in 0..<(offsets[r + 1] - offsets[r]) {
                        let (index, weight) = decode(keys[count - 1 - k])
                        nb[offsets[r] + k] = index; wb[offsets[r] + k] = weight
                    }
                }
            }
        }
        return NeighborLists(rows: n, offsets: offsets, neighbors: neighbors, weights: weights)
    }
}
