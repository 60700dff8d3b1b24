import RecbenchCore
#if canImport(Glibc)
import Glibc
#endif

/// Point-wise nonlinearities, layer norm and dropout.
extension Graph {
    /// GELU, tanh approximation (as in BERT and RecBole).
    public func gelu(_ a: Tensor) -> Tensor {
        let out = make(a.shape, needsGrad: needs(a))
        let x = value(a), z = value(out), n = a.shape.count
        // tanh(u) is kept for the backward pass.
        let saved = nodes[out.id].grad != nil ? floats.take(n) : z
        var i = 0
        while i + 8 <= n {
            let v = load8(x + i), u = 0.7978845608 * (v + 0.044715 * v * v * v)
            let t = 1 - 2 / (1 + fastExp(2 * u))
            store8(t, saved + i); store8(0.5 * v * (1 + t), z + i)
            i += 8
        }
        while i < n {
            let v = x[i], t = fastTanh(0.7978845608 * (v + 0.044715 * v * v * v))
            saved[i] = t
            z[i] = 0.5 * v * (1 + t)
            i += 1
        }
        record(Record(op: .gelu, out: out.id, a: a.id, floats: saved))
        return out
    }

    func geluBackward(_ r: Record) {
        guard let da = nodes[r.a].grad else { return }
        let x = nodes[r.a].value, g = nodes[r.out].grad!
        for i in 0..<nodes[r.out].shape.count {
            let v = x[i], t = r.floats![i]
            let du = 0.7978845608 * (1 + 3 * 0.044715 * v * v)
            da[i] += g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du)
        }
    }

    public func relu(_ a: Tensor) -> Tensor {
        let out = make(a.shape, needsGrad: needs(a))
        let x = value(a), z = value(out)
        reluRow(z, x, a.shape.count)
        record(Record(op: .relu, out: out.id, a: a.id))
        return out
    }

    func reluBackward(_ r: Record) {
        guard let da = nodes[r.a].grad else { return }
        let x = nodes[r.a].value, g = nodes[r.out].grad!
        addWherePositiveRow(da, g, x, nodes[r.out].shape.count)
    }

    public func sigmoid(_ a: Tensor) -> Tensor {
        let out = make(a.shape, needsGrad: needs(a))
        let x = value(a), z = value(out)
        for i in 0..<a.shape.count { z[i] = 1 / (1 + expf(-x[i])) }
        record(Record(op: .sigmoid, out: out.id, a: a.id))
        return out
    }

    func sigmoidBackward(_ r: Record) {
        guard let da = nodes[r.a].grad else { return }
        let y = nodes[r.out].value, g = nodes[r.out].grad!
        for i in 0..<nodes[r.out].shape.count { da[i] += g[i] * y[i] * (1 - y[i]) }
    }

    /// Inverted dropout with the graph's seeded generator; the identity when not training or p = 0.
    public func dropout(_ a: Tensor, _ p: Float) -> Tensor {
        guard training, p > 0 else { return a }
        let n = a.shape.count
        let out = make(a.shape, needsGrad: needs(a))
        let mask = floats.take(n), keep = 1 / (1 - p)
        let x = value(a), z = value(out)
        // Four 16-bit uniforms per 64-bit draw: p is resolved to 1/65536, plenty for dropout.
        let threshold = UInt64(Double(p) * 65536)
        var bits: UInt64 = 0
        for i in 0..<n {
            if i & 3 == 0 { bits = rng.next() }
            let m: Float = (bits & 0xFFFF) < threshold ? 0 : keep
            bits >>= 16
            mask[i] = m; z[i] = x[i] * m
        }
        record(Record(op: .dropout, out: out.id, a: a.id, floats: mask))
        return out
    }

    func dropoutBackward(_ r: Record) {
        guard let da = nodes[r.a].grad else { return }
        let g = nodes[r.out].grad!, m = r.floats!
        for i in 0..<nodes[r.out].shape.count { da[i] += g[i] * m[i] }
    }

    /// Layer normalisation over the last dimension with gain γ and shift β (both `last`).
    public func layerNorm(_ a: Tensor, gain: Tensor, shift: Tensor, epsilon: Float = 1e-5) -> Tensor {
        let rows = a.shape.rows, d = a.shape.last
        precondition(gain.shape.count == d && shift.shape.count == d)
        let out = make(a.shape, needsGrad: needs(a, gain, shift))
        let x = value(a), z = value(out), gm = value(gain), bt = value(shift)
        // Saved per row: mean and 1/σ; and the normalised x̂ for the backward pass.
        let stats = floats.take(2 * rows), xhat = floats.take(rows * d)
        for r in 0..<rows {
            let xr = x + r * d
            var mean: Float = 0
            for j in 0..<d { mean += xr[j] }
            mean /= Float(d)
            var v: Float = 0
            for j in 0..<d { let c = xr[j] - mean; v += c * c }
            let rstd = 1 / (v / Float(d) + epsilon).squareRoot()
            stats[2 * r] = mean; stats[2 * r + 1] = rstd
            let hr = xhat + r * d, zr = z + r * d
            for j in 0..<d { let h = (xr[j] - mean) * rstd; hr[j] = h; zr[j] = h * gm[j] + bt[j] }
        }
        record(
            Record(
                op: .layerNorm, out: out.id, a: a.id, b: gain.id, c: shift.id, i0: rows, i1: d, floats: stats,
                floats2: xhat))
        return out
    }

    func layerNormBackward(_ r: Record) {
        let rows = r.i0, d = r.i1, g = nodes[r.out].grad!, stats = r.floats!, xhat = r.floats2!
        let gm = nodes[r.b].value
        let dx = nodes[r.a].grad, dg = nodes[r.b].grad, db = nodes[r.c].grad
        for row in 0..<rows {
            let gr = g + row * d, hr = xhat + row * d
            if let dg { for j in 0..<d { dg[j] += gr[j] * hr[j] } }
            if let db { for j in 0..<d { db[j] += gr[j] } }
            if let dx {
                // dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)), ĝ = g ⊙ γ.
                var s1: Float = 0, s2: Float = 0
                for j in 0..<d { let gh = gr[j] * gm[j]; s1 += gh; s2 += gh * hr[j] }
                s1 /= Float(d); s2 /= Float(d)
                let rstd = stats[2 * row + 1], dr = dx + row * d
                for j in 0..<d { dr[j] += rstd * (gr[j] * gm[j] - s1 - hr[j] * s2) }
            }
        }
    }
}
