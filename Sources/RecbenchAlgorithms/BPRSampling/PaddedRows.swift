import RecbenchCore

/// Factor rows while BPR trains: each row starts on a cache line (the stride is rounded up to 16
/// floats), so rows written by different threads never share a line; item biases follow the
/// rows as one block (a row with its bias inline would take a fifth line at d = 64, while the
/// block of biases stays in L1).
final class PaddedRows: @unchecked Sendable {
    let stride: Int, rows: Int, d: Int
    let data: UnsafeMutablePointer<Float>
    /// rows × stride factors, then `rows` biases when there are biases.
    private let count: Int

    init(_ values: [Float], rows: Int, d: Int, bias: [Float]? = nil) {
        self.rows = rows; self.d = d
        stride = (d + 15) / 16 * 16
        count = max(1, rows * stride + (bias == nil ? 0 : rows))
        data = PaddedRows.allocate(count)
        data.initialize(repeating: 0, count: count)
        for r in 0..<rows { for k in 0..<d { data[r * stride + k] = values[r * d + k] } }
        if let bias { for r in 0..<rows { data[rows * stride + r] = bias[r] } }
    }

    private init(copying other: PaddedRows) {
        rows = other.rows; d = other.d; stride = other.stride; count = other.count
        data = PaddedRows.allocate(count)
        data.initialize(from: other.data, count: count)
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64).bindMemory(
            to: Float.self, capacity: count)
    }

    func copy() -> PaddedRows { PaddedRows(copying: self) }

    deinit { data.deallocate() }

    /// The biases (row r's at bias[r]); meaningful only when built with biases.
    var bias: UnsafeMutablePointer<Float> { data + rows * stride }

    /// Adds every replica's change since the last merge to `shared` (y ← y + Σ_t (y_t − y)), then
    /// resets each replica to the result.
    static func merge(_ shared: PaddedRows, _ replicas: [PaddedRows], threads: Int) {
        let stride = shared.stride, biases = shared.count > shared.rows * stride
        let copies = UncheckedSendable(replicas.map(\.data))
        parallelChunks(count: shared.rows, threads: threads) { _, rows in
            let copies = copies.value
            @inline(__always) func add(_ range: Range<Int>) {
                for k in range {
                    let old = shared.data[k]
                    var v = old
                    for c in copies { v += c[k] - old }
                    shared.data[k] = v
                    for c in copies { c[k] = v }
                }
            }
            add((rows.lowerBound * stride)..<(rows.upperBound * stride))
            if biases { add((shared.rows * stride + rows.lowerBound)..<(shared.rows * stride + rows.upperBound)) }
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
