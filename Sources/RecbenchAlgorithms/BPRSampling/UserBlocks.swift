import RecbenchCore

/// BPR's training pairs grouped by user part, one part a thread: users are cut once, in a random
/// order, into parts of about equal interaction counts, so no two threads write the same user row.
/// With one part the pairs are in CSR order.
final class UserBlocks: @unchecked Sendable {
    let nnz: Int
    private let pairData: UnsafeMutablePointer<Int32>  // (user, item) per pair, grouped by part
    private let partStart: [Int]  // parts + 1, in pairs

    init(_ m: InteractionMatrix, parts: Int, random: inout RandomSource) {
        nnz = m.nnz
        pairData = .allocate(capacity: max(1, 2 * nnz))
        var order = Array(0..<m.userCount)
        if parts > 1 { random.shuffle(&order) }
        var partStart = [0]
        var at = 0
        for u in order {
            // Part p starts at the first user reached once p/parts of the pairs are placed.
            while partStart.count < parts && at * parts >= partStart.count * nnz { partStart.append(at) }
            for k in m.byUser.rowRange(u) {
                pairData[2 * at] = Int32(u); pairData[2 * at + 1] = m.byUser.indices[k]; at += 1
            }
        }
        while partStart.count <= parts { partStart.append(nnz) }
        self.partStart = partStart
    }

    deinit { pairData.deallocate() }

    func pairs(_ part: Int) -> UnsafePointer<Int32> { UnsafePointer(pairData + 2 * partStart[part]) }
    func count(_ part: Int) -> Int { partStart[part + 1] - partStart[part] }

    /// The part's share of an epoch's triples; the shares of all parts add up to `samples` exactly.
    func samples(in part: Int, of samples: Int) -> Int {
        func upTo(_ k: Int) -> Int { nnz.dividingFullWidth(samples.multipliedFullWidth(by: partStart[k])).quotient }
        return upTo(part + 1) - upTo(part)
    }
}
