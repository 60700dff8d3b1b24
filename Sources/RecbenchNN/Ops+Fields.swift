import RecbenchCore

/// What the feature-field models (AutoInt, DIN) need beyond the sequence models' ops: a free
/// reshape, a weighted pooling of rows by per-row weights, and the squared-error loss.
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
