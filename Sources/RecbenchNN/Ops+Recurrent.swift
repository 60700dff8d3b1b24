import RecbenchCore
#if canImport(Glibc)
import Glibc
#endif

/// A gated recurrent unit layer (Cho et al. 2014) as one op: the time loop runs inside, with one
/// sgemm per step each way, instead of a dozen taped ops per step.
extension Graph {
    /// GRU over B sequences of L steps. `inputGates` is B × L × 3H, the input's contribution x_t W + b
    /// to the gates in the order [reset r | update z | candidate n] (the caller's matmul + addBias);
    /// `recurrent` (H × 3H) and `recurrentBias` (3H) give h_{t−1} U + c. With h_0 = 0:
    ///   r = σ(x_r + (hU + c)_r),  z = σ(x_z + (hU + c)_z),  n = tanh(x_n + r ⊙ (hU + c)_n),
    ///   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}.
    /// Returns every h_t, B × L × H.
    public func gru(inputGates: Tensor, recurrent: Tensor, recurrentBias: Tensor) -> Tensor {
        let h = recurrent.shape.rows, b = inputGates.shape.d0, l = inputGates.shape.count / (b * 3 * h)
        precondition(
            recurrent.shape.last == 3 * h && recurrentBias.shape.count == 3 * h
                && inputGates.shape.count == b * l * 3 * h, "gru: \(inputGates.shape), \(recurrent.shape)")
        let out = make(Shape(b, l, h), needsGrad: needs(inputGates, recurrent, recurrentBias))
        let x = value(inputGates), u = value(recurrent), c = value(recurrentBias), y = value(out)
        // Saved per step: the gates r, z, n and (hU + c)_n, each B × H, step-major.
        let gates = floats.take(l * 4 * b * h), hu = floats.take(b * 3 * h), zero = floats.take(b * h)
        zero.update(repeating: 0, count: b * h)
        let prev = floats.take(b * h)
        for t in 0..<l {
            // prev ← h_{t−1} (rows of the output are strided by L · H).
            for s in 0..<b { (prev + s * h).update(from: t == 0 ? zero : y + (s * l + t - 1) * h, count: h) }
            for s in 0..<b { for j in 0..<(3 * h) { hu[s * 3 * h + j] = c[j] } }
            BLAS.sgemm(m: b, n: 3 * h, k: h, a: prev, lda: h, b: u, ldb: 3 * h, beta: 1, c: hu, ldc: 3 * h)
            let r = gates + t * 4 * b * h, z = r + b * h, n = z + b * h, hn = n + b * h
            for s in 0..<b {
                let xs = x + (s * l + t) * 3 * h, hs = hu + s * 3 * h, ys = y + (s * l + t) * h
                for j in 0..<h {
                    let k = s * h + j
                    r[k] = 1 / (1 + expf(-(xs[j] + hs[j])))
                    z[k] = 1 / (1 + expf(-(xs[h + j] + hs[h + j])))
                    hn[k] = hs[2 * h + j]
                    n[k] = tanhf(xs[2 * h + j] + r[k] * hn[k])
                    ys[j] = (1 - z[k]) * n[k] + z[k] * prev[k]
                }
            }
        }
        record(
            Record(
                op: .gru, out: out.id, a: inputGates.id, b: recurrent.id, c: recurrentBias.id,
                i0: b, i1: l, i2: h, floats: gates))
        return out
    }

    func gruBackward(_ r: Record) {
        let b = r.i0, l = r.i1, h = r.i2, gates = r.floats!
        let dy = nodes[r.out].grad!, y = nodes[r.out].value, u = nodes[r.b].value
        let dx = nodes[r.a].grad, du = nodes[r.b].grad, dc = nodes[r.c].grad
        // dh: the gradient reaching h_t (from the output and from step t + 1); da: gate pre-activations.
        let dh = floats.take(b * h), da = floats.take(b * 3 * h), prev = floats.take(b * h)
        dh.update(repeating: 0, count: b * h)
        for t in stride(from: l - 1, through: 0, by: -1) {
            let rg = gates + t * 4 * b * h, z = rg + b * h, n = z + b * h, hn = n + b * h
            for s in 0..<b {
                let ds = dy + (s * l + t) * h
                for j in 0..<h {
                    let k = s * h + j
                    dh[k] += ds[j]
                    prev[k] = t == 0 ? 0 : y[(s * l + t - 1) * h + j]
                }
            }
            for s in 0..<b {
                let a = da + s * 3 * h
                for j in 0..<h {
                    let k = s * h + j, g = dh[k]
                    let dn = g * (1 - z[k]) * (1 - n[k] * n[k])
                    let dz = g * (prev[k] - n[k]) * z[k] * (1 - z[k])
                    let dr = dn * hn[k] * rg[k] * (1 - rg[k])
                    a[j] = dr; a[h + j] = dz; a[2 * h + j] = dn
                    if let dx {
                        let xs = dx + (s * l + t) * 3 * h
                        xs[j] += dr; xs[h + j] += dz; xs[2 * h + j] += dn
                    }
                    a[2 * h + j] = dn * rg[k]  // the recurrent side of n is gated by r
                    dh[k] = g * z[k]  // h_t = … + z ⊙ h_{t−1}
                }
            }
            if let dc { for s in 0..<b { for j in 0..<(3 * h) { dc[j] += da[s * 3 * h + j] } } }
            if let du, t > 0 {
                BLAS.sgemm(
                    transA: true, m: h, n: 3 * h, k: b, a: prev, lda: h, b: da, ldb: 3 * h, beta: 1,
                    c: du, ldc: 3 * h)
            }
            if t > 0 {
                BLAS.sgemm(
                    transB: true, m: b, n: h, k: 3 * h, a: da, lda: 3 * h, b: u, ldb: 3 * h, beta: 1,
                    c: dh, ldc: h)
            }
        }
    }
}
