import RecbenchCore

/// Factor rows while BPR trains: each row starts on a cache line (the stride is rounded up to 16
/// floats), so rows written by different threads never share a line; item biases follow the
/// rows as one block (a row with its bias inline would take a fifth line at d = 64, while the
/// block of biases stays in L1).
final class PaddedRows: @unchecked Sendable {
    let stride: Int, rows: Int, d: Int
    let data: UnsafeMutablePointer<Float>
    /// A replica's count of SGD steps per row since the last merge (nil for the shared rows),
    /// which weighs its change in `merge`.
    let touches: UnsafeMutablePointer<Int32>?
    /// rows × stride factors, then `rows` biases when there are biases.
    private let count: Int

    init(_ values: [Float], rows: Int, d: Int, bias: [Float]? = nil) {
        self.rows = rows; self.d = d
        stride = (d + 15) / 16 * 16
        count = max(1, rows * stride + (bias == nil ? 0 : rows))
        data = PaddedRows.allocate(count)
        data.initialize(repeating: 0, count: count)
        touches = nil
        for r in 0..<rows { for k in 0..<d { data[r * stride + k] = values[r * d + k] } }
        if let bias { for r in 0..<rows { data[rows * stride + r] = bias[r] } }
    }

    private init(copying other: PaddedRows) {
        rows = other.rows; d = other.d; stride = other.stride; count = other.count
        data = PaddedRows.allocate(count)
        data.initialize(from: other.data, count: count)
        touches = .allocate(capacity: max(1, rows))
        touches!.initialize(repeating: 0, count: max(1, rows))
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64).bindMemory(
            to: Float.self, capacity: count)
    }

    func copy() -> PaddedRows { PaddedRows(copying: self) }

    deinit {
        data.deallocate()
        touches?.deallocate()
    }

    /// The biases (row r's at bias[r]); meaningful only when built with biases.
    var bias: UnsafeMutablePointer<Float> { data + rows * stride }

    /// Moves each shared row to the replicas' changes since the last merge weighted by their share
    /// of the row's steps, y ← y + Σ_t (n_t / Σn)(y_t − y), then resets each replica to the result
    /// and its counts to zero. A row one replica alone trained takes that replica's change whole;
    /// a row both trained near its optimum lands there once, where a plain sum of the changes would
    /// overshoot it by the number of replicas (popular items, trained by every thread, flipped
    /// about their fixed point so at two threads BPR fell below popularity on a 2·10⁶ set).
    static func merge(_ shared: PaddedRows, _ replicas: [PaddedRows], threads: Int) {
        let stride = shared.stride, d = shared.d, biases = shared.count > shared.rows * stride
        let copies = UncheckedSendable(replicas.map { ($0.data, $0.touches!) })
        parallelChunks(count: shared.rows, threads: threads) { _, rows in
            let copies = copies.value
            var weight = [Float](repeating: 0, count: copies.count)
            for r in rows {
                let total = copies.reduce(0) { $0 + Int($1.1[r]) }
                guard total > 0 else { continue }
                for (t, c) in copies.enumerated() {
                    weight[t] = Float(c.1[r]) / Float(total); c.1[r] = 0
                }
                @inline(__always) func blend(_ k: Int) {
                    let old = shared.data[k]
                    var v = old
                    for (t, c) in copies.enumerated() where weight[t] > 0 { v += weight[t] * (c.0[k] - old) }
                    shared.data[k] = v
                    for c in copies { c.0[k] = v }
                }
                for k in (r * stride)..<(r * stride + d) { blend(k) }
                if biases { blend(shared.rows * stride + r) }
            }
        }
    }

    func store(into values: inout [Float]) {
        for r in 0..<rows { for k in 0..<d { values[r * d + k] = data[r * stride + k] } }
    }

    func store(into values: inout [Float], bias: inout [Float]) {
        store(into: &values)
        for r in 0..<rows { bias[r] = self.bias[r] }
    }
}
