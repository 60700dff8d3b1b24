internal import CIntrinsics
import RecbenchCore

/// Adam's element-wise update of one range of a table: the one loop that RecbenchNN's `Adam` and
/// LightGCN's optimizer both run. With the raw gradient r (plus `extra`, a later part of the step's
/// gradient), g = clip·r + l2·w, m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², w ← shrink·w −
/// lr·m / (√v + ε), where the caller folds the bias corrections into lr and ε. The gradient (and
/// `extra`) is zeroed as it is read, saving a pass over the table. The AVX2 kernel, the eight Swift
/// lanes and the scalar tail round every operation alike, so a range's split changes nothing.
public struct AdamRule: Sendable {
    public var beta1: Float, beta2: Float, learningRate: Float, epsilon: Float
    public var clip: Float, l2: Float, shrink: Float
    /// Whether the AVX2 kernel runs (tests turn it off to compare it with the Swift lanes).
    public var vectorKernel: Bool

    public init(
        beta1: Float, beta2: Float, learningRate: Float, epsilon: Float, clip: Float = 1, l2: Float = 0,
        shrink: Float = 1, vectorKernel: Bool = CPUFeatures.avx2FMA
    ) {
        self.beta1 = beta1; self.beta2 = beta2; self.learningRate = learningRate; self.epsilon = epsilon
        self.clip = clip; self.l2 = l2; self.shrink = shrink; self.vectorKernel = vectorKernel
    }

    /// Updates elements lo..<hi; returns Σ r² over them.
    public func apply(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, extra: UnsafeMutablePointer<Float>?,
        _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>, _ lo: Int, _ hi: Int
    ) -> Double {
        let (b1, b2, lr, eps, clip, l2, shrink) = (beta1, beta2, learningRate, epsilon, clip, l2, shrink)
        var i = lo, sq = SIMD8<Float>(repeating: 0), tail: Float = 0
        if vectorKernel {
            let n = ((hi - lo) / 8) * 8
            tail = recbench_adam_avx2(
                w + lo, g + lo, extra.map { $0 + lo }, m + lo, v + lo, n, clip, l2, shrink, b1, 1 - b1, b2, 1 - b2,
                lr, eps)
            i += n
        }
        while i + 8 <= hi {
            var raw = load8(g + i)
            if let extra { raw += load8(extra + i); store8(.zero, extra + i) }
            let gi = raw * clip + l2 * load8(w + i)
            let mi = b1 * load8(m + i) + (1 - b1) * gi, vi = b2 * load8(v + i) + (1 - b2) * gi * gi
            store8(mi, m + i); store8(vi, v + i)
            store8(load8(w + i) * shrink - lr * mi / (vi.squareRoot() + eps), w + i)
            store8(.zero, g + i)
            sq += raw * raw; i += 8
        }
        while i < hi {
            var raw = g[i]
            if let extra { raw += extra[i]; extra[i] = 0 }
            let gi = raw * clip + l2 * w[i]
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            w[i] = w[i] * shrink - lr * m[i] / (v[i].squareRoot() + eps)
            g[i] = 0
            tail += raw * raw; i += 1
        }
        return Double(sq.sum() + tail)
    }
}
