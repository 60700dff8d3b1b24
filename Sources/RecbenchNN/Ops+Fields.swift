import RecbenchCore

/// What the feature-field models (AutoInt, DIN) need beyond the sequence models' ops: a free
/// reshape, a weighted pooling of rows by per-row weights, the factorization machine's pairwise
/// interaction of fields, the squared-error loss and an L2 penalty.
extension Graph {
    /// The same values and gradient under another shape of equal count. A view: it shares the
    /// input's buffers, so gradients written to it land in the input's and nothing is taped.
    public func reshape(_ a: Tensor, _ shape: Shape) -> Tensor {
        precondition(a.shape.count == shape.count, "reshape: \(a.shape) as \(shape)")
        nodes.append(Node(value: nodes[a.id].value, grad: nodes[a.id].grad, shape: shape))
        return Tensor(id: nodes.count - 1, shape: shape)
    }

    /// out[b, :] = Σ_n w[b, n] · v[b, n, :] for weights B × N (any shape of count B·N) and values
    /// B × N × D: DIN's attention-weighted sum of a user's past items, with padding given weight 0.
    public func weightedPool(_ w: Tensor, _ v: Tensor) -> Tensor {
        let (b, n, d) = (v.shape.d0, v.shape.d1, v.shape.d2)
        precondition(v.shape.rank == 3 && w.shape.count == b * n, "weightedPool: \(w.shape), \(v.shape)")
        let out = make(Shape(b, d), needsGrad: needs(w, v))
        let W = value(w), V = value(v), Z = value(out)
        Z.update(repeating: 0, count: b * d)
        for bi in 0..<b {
            let z = Z + bi * d
            for k in 0..<n {
                let wk = W[bi * n + k]; if wk == 0 { continue }
                let row = V + (bi * n + k) * d
                for c in 0..<d { z[c] += wk * row[c] }
            }
        }
        record(Record(op: .weightedPool, out: out.id, a: w.id, b: v.id, i0: b, i1: n, i2: d))
        return out
    }

    func weightedPoolBackward(_ r: Record) {
        let b = r.i0, n = r.i1, d = r.i2, g = nodes[r.out].grad!
        let W = nodes[r.a].value, V = nodes[r.b].value, dW = nodes[r.a].grad, dV = nodes[r.b].grad
        for bi in 0..<b {
            let gb = g + bi * d
            for k in 0..<n {
                let row = (bi * n + k) * d
                if let dW { var s: Float = 0; for c in 0..<d { s += gb[c] * V[row + c] }; dW[bi * n + k] += s }
                if let dV { let wk = W[bi * n + k]; for c in 0..<d { dV[row + c] += wk * gb[c] } }
            }
        }
    }

    /// out[b] = Σ_{f < f'} ⟨x[b, f, :], x[b, f', :]⟩ for fields B × F × D: the second-order term of a
    /// factorization machine, computed as ½ (‖Σ_f x_f‖² − Σ_f ‖x_f‖²) in O(F·D). Its gradient for
    /// field f is Σ_f' x_f' − x_f.
    public func pairwiseInteraction(_ x: Tensor) -> Tensor {
        let (b, f, d) = (x.shape.d0, x.shape.d1, x.shape.d2)
        precondition(x.shape.rank == 3, "pairwiseInteraction: \(x.shape)")
        let out = make(Shape(b, 1), needsGrad: needs(x))
        let X = value(x), Z = value(out), sums = floats.take(b * d)
        for bi in 0..<b {
            let s = sums + bi * d
            s.update(repeating: 0, count: d)
            var squares: Float = 0
            for k in 0..<f {
                let row = X + (bi * f + k) * d
                for c in 0..<d { s[c] += row[c]; squares += row[c] * row[c] }
            }
            var total: Float = 0
            for c in 0..<d { total += s[c] * s[c] }
            Z[bi] = 0.5 * (total - squares)
        }
        record(Record(op: .pairwiseInteraction, out: out.id, a: x.id, i0: b, i1: f, i2: d, floats: sums))
        return out
    }

    func pairwiseInteractionBackward(_ r: Record) {
        guard let dx = nodes[r.a].grad else { return }
        let b = r.i0, f = r.i1, d = r.i2, g = nodes[r.out].grad!, X = nodes[r.a].value, sums = r.floats!
        for bi in 0..<b {
            let gb = g[bi], s = sums + bi * d
            for k in 0..<f {
                let at = (bi * f + k) * d
                for c in 0..<d { dx[at + c] += gb * (s[c] - X[at + c]) }
            }
        }
    }

    /// scale · Σ x², a scalar: the L2 penalty on the embeddings a step used.
    public func squaredNorm(_ x: Tensor, scale: Float) -> Tensor {
        let out = make(Shape(1), needsGrad: needs(x))
        let X = value(x)
        var total: Double = 0
        for i in 0..<x.shape.count { total += Double(X[i] * X[i]) }
        value(out)[0] = scale * Float(total)
        record(Record(op: .squaredNorm, out: out.id, a: x.id, i0: x.shape.count, f0: scale))
        return out
    }

    func squaredNormBackward(_ r: Record) {
        guard let dx = nodes[r.a].grad else { return }
        let g = nodes[r.out].grad![0] * 2 * r.f0, X = nodes[r.a].value
        for i in 0..<r.i0 { dx[i] += g * X[i] }
    }

    /// Σ (x − y)² / n over predictions x of any shape and targets y of the same count.
    public func meanSquaredError(_ predictions: Tensor, targets: [Float]) -> Tensor {
        let n = predictions.shape.count
        precondition(targets.count == n && n > 0, "meanSquaredError: \(predictions.shape), \(targets.count) targets")
        let out = make(Shape(1), needsGrad: needs(predictions))
        let x = value(predictions), saved = floats.take(n)
        var total: Double = 0
        for i in 0..<n { saved[i] = x[i] - targets[i]; total += Double(saved[i] * saved[i]) }
        value(out)[0] = Float(total / Double(n))
        record(Record(op: .meanSquaredError, out: out.id, a: predictions.id, i0: n, floats: saved))
        return out
    }

    func meanSquaredErrorBackward(_ r: Record) {
        guard let dx = nodes[r.a].grad else { return }
        let g = nodes[r.out].grad![0] * 2 / Float(r.i0), diff = r.floats!
        for i in 0..<r.i0 { dx[i] += g * diff[i] }
    }
}
