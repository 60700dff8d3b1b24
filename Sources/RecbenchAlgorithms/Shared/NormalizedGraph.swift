import RecbenchCore
internal import CIntrinsics

/// The user–item bipartite graph as one symmetric sparse matrix over users + items (users are
/// nodes 0 ..< users, item i is node users + i), normalised as D^−1/2 A D^−1/2: the edge (u, i)
/// weighs 1/√(deg(u)·deg(i)). Graph models propagate embeddings with it (LightGCN). Rows are cut
/// into chunks of about equal nonzeros once, so a multithreaded product balances users against
/// popular items.
struct NormalizedGraph: @unchecked Sendable {
    let users: Int, items: Int
    let offsets: [Int]
    let neighbors: [Int32]
    let weights: [Float]
    /// Row ranges of about equal work for the parallel product.
    let chunks: [Range<Int>]

    var nodes: Int { users + items }
    var nnz: Int { neighbors.count }

    init(_ m: InteractionMatrix, threads: Int) {
        users = m.userCount; items = m.itemCount
        let byUser = m.byUser, byItem = m.byItem
        let inverseRoot = { (d: Int) -> Double in d > 0 ? 1 / Double(d).squareRoot() : 0 }
        let du = (0..<users).map { inverseRoot(byUser.rowCount($0)) },
            di = (0..<items).map { inverseRoot(byItem.rowCount($0)) }
        var offsets = [0], neighbors = [Int32](), weights = [Float]()
        offsets.reserveCapacity(users + items + 1)
        neighbors.reserveCapacity(2 * m.nnz); weights.reserveCapacity(2 * m.nnz)
        for u in 0..<users {
            for i in byUser.rowIndices(u) {
                neighbors.append(Int32(users) + i); weights.append(Float(du[u] * di[Int(i)]))
            }
            offsets.append(neighbors.count)
        }
        for i in 0..<items {
            for u in byItem.rowIndices(i) { neighbors.append(u); weights.append(Float(du[Int(u)] * di[i])) }
            offsets.append(neighbors.count)
        }
        self.offsets = offsets; self.neighbors = neighbors; self.weights = weights
        // Work of a row = its nonzeros + a constant for the row itself.
        let n = users + items, parts = max(1, min(n, threads * 8))
        let total = neighbors.count + n
        var chunks: [Range<Int>] = [], start = 0
        for p in 1...parts {
            let target = total * p / parts
            var end = start
            while end < n && offsets[end] + end < target { end += 1 }
            if p == parts { end = n }
            if end > start { chunks.append(start..<end) }
            start = end
        }
        self.chunks = chunks
    }

    /// Whether this CPU runs the AVX2 + FMA kernel (checked once).
    static let vectorKernel = CPUFeatures.avx2FMA

    /// y = Â x for n_nodes × d row-major x and y (y is overwritten). `portable` forces the plain
    /// loop (tests compare the two).
    func multiply(
        _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, d: Int, threads: Int,
        portable: Bool = false
    ) {
        let vector = Self.vectorKernel && !portable
        offsets.withUnsafeBufferPointer { op in
            neighbors.withUnsafeBufferPointer { np in
                weights.withUnsafeBufferPointer { wp in
                    let p = UncheckedSendable((op, np, wp, x, y))
                    parallelFor(count: chunks.count, threads: threads, grain: 1) { c in
                        let (op, np, wp, x, y) = p.value
                        let rows = chunks[c]
                        if vector {
                            recbench_spmm_rows_avx2(
                                y, x, op.baseAddress!, np.baseAddress!, wp.baseAddress!, rows.lowerBound,
                                rows.upperBound, d)
                        } else {
                            recbench_spmm_rows_portable(
                                y, x, op.baseAddress!, np.baseAddress!, wp.baseAddress!, rows.lowerBound,
                                rows.upperBound, d)
                        }
                    }
                }
            }
        }
    }

    /// The layer mean (1/(K+1)) Σ_{k=0..K} Âᵏ x into `out`, using `scratch` (two n × d buffers).
    /// Â is symmetric, so the same call maps a gradient with respect to the mean back to x.
    func layerMean(
        _ x: UnsafePointer<Float>, layers: Int, into out: UnsafeMutablePointer<Float>,
        scratch: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>), d: Int, threads: Int
    ) {
        let count = nodes * d, scale = 1 / Float(layers + 1)
        out.update(from: x, count: count)
        var current = UnsafePointer(x), (a, b) = scratch
        for _ in 0..<layers {
            multiply(current, into: a, d: d, threads: threads)
            addScaled(a, into: out, count: count, threads: threads, scale: 1)
            current = UnsafePointer(a)
            swap(&a, &b)
        }
        let o = UncheckedSendable(out)
        parallelChunks(count: count, threads: threads) { _, range in for k in range { o.value[k] *= scale } }
    }

    /// out += scale · x, elementwise in parallel chunks.
    private func addScaled(
        _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int, threads: Int,
        scale: Float
    ) {
        let p = UncheckedSendable((x, out))
        parallelChunks(count: count, threads: threads) { _, range in
            let (x, out) = p.value
            for k in range { out[k] += scale * x[k] }
        }
    }
}
