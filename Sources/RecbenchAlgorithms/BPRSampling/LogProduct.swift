import Foundation
import RecbenchCore

/// Σ −log σ(m) over many margins without a logarithm per term: σ(m) values are multiplied in a
/// Double and the product's log taken only when it gets small. σ(m) below 1e-30 (m < −69) counts
/// as 1e-30, a bounded underestimate of a loss that only reports progress.
struct LogProduct {
    private var product = 1.0, logs = 0.0
    @inline(__always)
    mutating func add(sigma s: Float) {
        product *= s.isNaN ? .nan : Double(max(1e-30, s))  // a diverged model's NaN stays visible
        if product < 1e-200 { logs += log(product); product = 1 }
    }
    var value: Double { -(logs + log(product)) }
}
