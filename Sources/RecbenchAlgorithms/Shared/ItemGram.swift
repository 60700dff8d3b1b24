import Foundation
import RecbenchCore

/// The item–item Gram matrix XᵀX of a training matrix, dense and row-major (items × items, both
/// triangles), shared by the linear item models (EASE, SLIM). Row i is Σ_{u ∈ U(i)} x_ui · x_u, so
/// rows are independent and filled in parallel without locks; the work is Σ_u deg(u)².
enum ItemGram {
    /// Bytes of a dense n × n matrix of `scalar`-byte entries.
    static func bytes(items n: Int, scalar: Int) -> Int { n * n * scalar }

    /// Fills `g` (n × n, zeroed by the caller) with XᵀX of `m`'s values (binarize `m` first for 0/1).
    static func compute<T: BinaryFloatingPoint>(
        _ m: InteractionMatrix, into g: UnsafeMutablePointer<T>, threads: Int,
        progress: (Double) -> Void = { _ in }
    ) {
        let n = m.itemCount, byUser = m.byUser, byItem = m.byItem
        let done = DoneCounter()
        byUser.offsets.withUnsafeBufferPointer { uo in
            byUser.indices.withUnsafeBufferPointer { ui in
                byUser.values.withUnsafeBufferPointer { uv in
                    byItem.values.withUnsafeBufferPointer { iv in
                        let p = UncheckedSendable((g, uo, ui, uv, iv))
                        parallelFor(count: n, threads: threads, grain: 16) { i in
                            let (g, uo, ui, uv, iv) = p.value
                            let row = g + i * n
                            for k in byItem.rowRange(i) {
                                let u = Int(byItem.indices[k]), x = T(iv[k])
                                for k2 in uo[u]..<uo[u + 1] { row[Int(ui[k2])] += x * T(uv[k2]) }
                            }
                            if done.increment() % 1024 == 0 { progress(Double(done.value) / Double(max(1, n))) }
                        }
                    }
                }
            }
        }
    }

    /// Refuses, before allocating, a dense n × n model that cannot fit in this machine's memory
    /// (`physical`: the machine's bytes; more than 90 % of it is refused).
    static func checkFits(
        model: String, items n: Int, bytes: Int,
        physical: Int = Int(ProcessInfo.processInfo.physicalMemory)
    ) throws {
        guard physical > 0, bytes > physical * 9 / 10 else { return }
        func gib(_ b: Int) -> String { String(format: "%.1f GiB", Double(b) / 1_073_741_824) }
        throw RecbenchError.unsupported(
            "\(model) needs about \(gib(bytes)) for \(n) items (dense item × item matrices), "
                + "but this machine has \(gib(physical))")
    }
}

/// A shared progress counter (only for reporting; its exact value under races does not matter).
final class DoneCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; count += 1; return count }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
