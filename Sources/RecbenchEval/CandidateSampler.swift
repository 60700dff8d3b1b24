import RecbenchCore

/// Candidate sets for the sampled-negatives protocol (rank each user's test items among N random
/// unseen items instead of the whole catalogue).
public enum CandidateSampler {
    /// Per user with test items: the test items ∪ `negatives` items drawn uniformly without
    /// replacement from the items in neither that user's training nor test row (all of them when
    /// fewer remain). Rows = test.userCount, columns = test.itemCount; value 1 marks a test item,
    /// 0 a sampled negative. Each user draws from its own stream of `seed`, so the result does not
    /// depend on which other users are present or on the order of evaluation.
    public static func sampled(test: InteractionMatrix, train: InteractionMatrix, negatives: Int, seed: UInt64)
        -> SparseMatrix
    {
        precondition(negatives >= 0)
        let users = test.userCount, n = test.itemCount
        var offsets = [Int](repeating: 0, count: users + 1)
        var indices: [Int32] = []
        var values: [Float] = []
        // mark[i] == stamp: item i is in the user's train or test row (or already drawn).
        var mark = [Int32](repeating: -1, count: n)
        var drawn: [Int32] = []
        for u in 0..<users {
            let testItems = test.items(of: u)
            if !testItems.isEmpty {
                let stamp = Int32(truncatingIfNeeded: u)
                var seen = 0
                for i in testItems where mark[Int(i)] != stamp { mark[Int(i)] = stamp; seen += 1 }
                if u < train.userCount {
                    for i in train.items(of: u) where Int(i) < n && mark[Int(i)] != stamp {
                        mark[Int(i)] = stamp; seen += 1
                    }
                }
                let available = n - seen
                let want = min(negatives, available)
                var rng = RandomSource(seed: seed, stream: "candidates-user-\(u)")
                drawn.removeAll(keepingCapacity: true)
                if want * 2 <= available {
                    // Few draws relative to the pool: rejection sampling, marking each draw.
                    while drawn.count < want {
                        let i = rng.nextInt(below: n)
                        if mark[i] != stamp { mark[i] = stamp; drawn.append(Int32(i)) }
                    }
                } else {
                    // Most of the pool: list it and take a partial Fisher–Yates prefix.
                    var pool: [Int32] = []
                    pool.reserveCapacity(available)
                    for i in 0..<n where mark[i] != stamp { pool.append(Int32(i)) }
                    for j in 0..<want { pool.swapAt(j, j + rng.nextInt(below: available - j)) }
                    drawn.append(contentsOf: pool[0..<want])
                }
                drawn.sort()
                // Merge the sorted test row and the sorted draws (disjoint by construction).
                var a = testItems.startIndex, b = 0
                while a < testItems.endIndex || b < drawn.count {
                    if b == drawn.count || (a < testItems.endIndex && testItems[a] < drawn[b]) {
                        indices.append(testItems[a]); values.append(1); a += 1
                    } else {
                        indices.append(drawn[b]); values.append(0); b += 1
                    }
                }
            }
            offsets[u + 1] = indices.count
        }
        return SparseMatrix(rows: users, columns: n, offsets: offsets, indices: indices, values: values)
    }
}
