import Foundation
import RecbenchCore

// Row kernels of the element-wise ops and the fused ops (DIN's unit, NeuMF's scoring), eight lanes
// at a time (`load8`, `store8` from RecbenchCore, `max8` in FastMath.swift) with a scalar tail: the compiler does not
// vectorise these loops itself (the pointers may alias). Each lane computes what the scalar loop
// did, so results are unchanged.

/// y[k] += x[k] for k < n.
@inline(__always) func addRow(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
    var k = 0
    while k + 8 <= n { store8(load8(y + k) + load8(x + k), y + k); k += 8 }
    while k < n { y[k] += x[k]; k += 1 }
}
/// y[k] += s · x[k] for k < n.
@inline(__always) func addScaledRow(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ s: Float, _ n: Int) {
    var k = 0
    while k + 8 <= n { store8(load8(y + k) + s * load8(x + k), y + k); k += 8 }
    while k < n { y[k] += s * x[k]; k += 1 }
}
/// y[k] += a[k] · b[k] for k < n.
@inline(__always) func addProductRow(
    _ y: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int
) {
    var k = 0
    while k + 8 <= n { store8(load8(y + k) + load8(a + k) * load8(b + k), y + k); k += 8 }
    while k < n { y[k] += a[k] * b[k]; k += 1 }
}
/// Σ a[k] · b[k] for k < n.
@inline(__always) func dotRow(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0), k = 0
    while k + 8 <= n { acc += load8(a + k) * load8(b + k); k += 8 }
    var s = acc.sum()
    while k < n { s += a[k] * b[k]; k += 1 }
    return s
}
/// y[k] = a[k] · b[k] for k < n.
@inline(__always) func productRow(
    _ y: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int
) {
    var k = 0
    while k + 8 <= n { store8(load8(a + k) * load8(b + k), y + k); k += 8 }
    while k < n { y[k] = a[k] * b[k]; k += 1 }
}
/// y[k] = max(0, a[k] + b[k]) for k < n.
@inline(__always) func reluOfSumRow(
    _ y: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int
) {
    var k = 0
    while k + 8 <= n { store8(max8(load8(a + k) + load8(b + k), .zero), y + k); k += 8 }
    while k < n { y[k] = max(0, a[k] + b[k]); k += 1 }
}
/// y[k] = a[k] + b[k] for k < n.
@inline(__always) func sumRow(
    _ y: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int
) {
    var k = 0
    while k + 8 <= n { store8(load8(a + k) + load8(b + k), y + k); k += 8 }
    while k < n { y[k] = a[k] + b[k]; k += 1 }
}
/// y[k] = max(0, x[k]) for k < n.
@inline(__always) func reluRow(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
    var k = 0
    while k + 8 <= n { store8(max8(load8(x + k), .zero), y + k); k += 8 }
    while k < n { y[k] = max(0, x[k]); k += 1 }
}
/// y[k] += g[k] where x[k] > 0, for k < n: the ReLU's backward pass.
@inline(__always) func addWherePositiveRow(
    _ y: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int
) {
    var k = 0
    while k + 8 <= n {
        store8(load8(y + k) + load8(g + k).replacing(with: 0, where: load8(x + k) .<= 0), y + k); k += 8
    }
    while k < n { if x[k] > 0 { y[k] += g[k] }; k += 1 }
}

/// p = softmax(x) over a row of n (x shifted by its maximum, `fastExp` eight lanes at a time);
/// returns the row's log-partition log Σ_j e^{x_j}, which cross-entropy losses subtract from.
@inline(__always) func softmaxRow(_ x: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
    var mx = -Float.infinity, j = 0
    if n >= 8 {
        var m8 = load8(x)
        j = 8
        while j + 8 <= n { m8 = max8(m8, load8(x + j)); j += 8 }
        mx = m8.max()
    }
    while j < n { mx = max(mx, x[j]); j += 1 }
    var s8 = SIMD8<Float>(repeating: 0), sum: Float = 0
    j = 0
    let m8 = SIMD8<Float>(repeating: mx)
    while j + 8 <= n { let e = fastExp(load8(x + j) - m8); store8(e, p + j); s8 += e; j += 8 }
    while j < n { let e = fastExp(x[j] - mx); p[j] = e; sum += e; j += 1 }
    sum += s8.sum()
    let inv = 1 / sum
    for j in 0..<n { p[j] *= inv }
    return mx + logf(sum)
}
