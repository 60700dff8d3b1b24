import Foundation
import RecbenchCore
import RecbenchGSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prediction and gradients of one example given as a sparse feature list.
enum FMMath {
    /// ŷ = w0 + Σ w_j x_j + ½ Σ_f [(Σ_j v_jf x_j)² − Σ_j v_jf² x_j²], in O(k · nnz) (Rendle 2010,
    /// lemma 3.1). `q` receives Σ_j v_jf x_j (length k), which the gradients reuse.
    static func predict(
        features: ArraySlice<Int32>, values: ArraySlice<Float>, params p: FMParams,
        q: inout [Double]
    ) -> Double {
        let k = p.k
        for f in 0..<k { q[f] = 0 }
        var y = p.w0, squares = 0.0
        for (j, x) in zip(features, values) {
            let jj = Int(j), xd = Double(x)
            y += Double(p.w[jj]) * xd
            for f in 0..<k {
                let t = Double(p.v[jj * k + f]) * xd
                q[f] += t; squares += t * t
            }
        }
        var pairs = 0.0
        for f in 0..<k { pairs += q[f] * q[f] }
        return y + 0.5 * (pairs - squares)
    }

    /// The definition: w0 + Σ w_j x_j + Σ_{j<j'} ⟨v_j, v_j'⟩ x_j x_j' (O(k · nnz²); tests only).
    static func predictNaive(features: [Int32], values: [Float], params p: FMParams) -> Double {
        var y = p.w0
        for (j, x) in zip(features, values) { y += Double(p.w[Int(j)]) * Double(x) }
        for a in features.indices {
            for b in (a + 1)..<max(a + 1, features.count) {
                var dot = 0.0
                for f in 0..<p.k {
                    dot += Double(p.v[Int(features[a]) * p.k + f]) * Double(p.v[Int(features[b]) * p.k + f])
                }
                y += dot * Double(values[a]) * Double(values[b])
            }
        }
        return y
    }

    /// Gradient of ½(ŷ − y)² (no regulariser) for every listed position: gw[p] = g·x_p,
    /// gv[p·k + f] = g·x_p·(q_f − v_{j,f}·x_p), with g = ŷ − y. Returns (loss, ∂/∂w0).
    static func regressionGradient(
        features: ArraySlice<Int32>, values: ArraySlice<Float>, target: Float,
        params p: FMParams, q: inout [Double], gw: inout [Double],
        gv: inout [Double]
    ) -> (loss: Double, gw0: Double) {
        let yhat = predict(features: features, values: values, params: p, q: &q)
        let g = yhat - Double(target)
        accumulate(features: features, values: values, coefficient: g, q: q, params: p, gw: &gw, gv: &gv, at: 0)
        return (0.5 * g * g, g)
    }

    /// BPR: loss −ln σ(ŷ(u,i) − ŷ(u,j)) over x⁺ = user ⊕ positive and x⁻ = user ⊕ negative.
    /// Gradients are listed for user, positive and negative features in that order (a feature that
    /// the positive and negative item share appears twice; its gradient is the sum).
    static func bprGradient(
        user: (ArraySlice<Int32>, ArraySlice<Float>), positive: (ArraySlice<Int32>, ArraySlice<Float>),
        negative: (ArraySlice<Int32>, ArraySlice<Float>), params p: FMParams,
        scratch s: inout BPRScratch, gw: inout [Double], gv: inout [Double]
    ) -> Double {
        let k = p.k
        // ŷ(x⁺) − ŷ(x⁻): the user's own terms cancel, so only item terms and ⟨q_u, q_i − q_j⟩ remain.
        let yi = predict(features: positive.0, values: positive.1, params: p, q: &s.qi)
        let yj = predict(features: negative.0, values: negative.1, params: p, q: &s.qj)
        _ = predict(features: user.0, values: user.1, params: p, q: &s.qu)
        var d = yi - yj
        for f in 0..<k { d += s.qu[f] * (s.qi[f] - s.qj[f]) }
        // dL/dd = −σ(−d)
        let c = -1 / (1 + exp(d))
        var pos = 0
        for (j, x) in zip(user.0, user.1) {
            gw[pos] = 0
            for f in 0..<k { gv[pos * k + f] = c * Double(x) * (s.qi[f] - s.qj[f]) }
            _ = j; pos += 1
        }
        for f in 0..<k { s.tmp[f] = s.qu[f] + s.qi[f] }
        accumulate(
            features: positive.0, values: positive.1, coefficient: c, q: s.tmp, params: p, gw: &gw, gv: &gv, at: pos)
        pos += positive.0.count
        for f in 0..<k { s.tmp[f] = s.qu[f] + s.qj[f] }
        accumulate(
            features: negative.0, values: negative.1, coefficient: -c, q: s.tmp, params: p, gw: &gw, gv: &gv, at: pos)
        return log1p(exp(-d))
    }

    struct BPRScratch {
        var qu: [Double], qi: [Double], qj: [Double], tmp: [Double]
        init(k: Int) { qu = [Double](repeating: 0, count: k); qi = qu; qj = qu; tmp = qu }
    }

    @inline(__always)
    private static func accumulate(
        features: ArraySlice<Int32>, values: ArraySlice<Float>, coefficient c: Double,
        q: [Double], params p: FMParams, gw: inout [Double], gv: inout [Double], at start: Int
    ) {
        let k = p.k
        var pos = start
        for (j, x) in zip(features, values) {
            let xd = Double(x), jj = Int(j)
            gw[pos] = c * xd
            for f in 0..<k { gv[pos * k + f] = c * xd * (q[f] - Double(p.v[jj * k + f]) * xd) }
            pos += 1
        }
    }
}

// MARK: - Coordinate-wise solvers (MCMC and ALS)
