import RecbenchCore

/// What the feature-field models (AutoInt, DIN) need beyond the sequence models' ops: a free
/// reshape, DIN's activation unit, a weighted pooling of rows by per-row weights, the
/// factorization machine's pairwise interaction of fields, the squared-error loss and an L2 penalty.
extension Graph {
    /// The same values and gradient under another shape of equal count. A view: it shares the
    /// input's buffers, so gradients written to it land in the input's and nothing is taped.
    public func reshape(_ a: Tensor, _ shape: Shape) -> Tensor {
        precondition(a.shape.count == shape.count, "reshape: \(a.shape) as \(shape)")
        nodes.append(Node(value: nodes[a.id].value, grad: nodes[a.id].grad, shape: shape))
        return Tensor(id: nodes.count - 1, shape: shape)
    }

    /// DIN's activation unit in one op: the weight of past item j for example b,
    /// w[b, j] = ReLU(h[b, j]·W_h + (h[b, j] ⊙ c[b])·W_p + c[b]·W_c + bias) · v + v₀, for past
    /// items h (B × L × D) and candidates c (B × D); `unit` stacks [W_h; W_p; W_c; vᵀ]
    /// ((3D + 1) × A) and `biases` is [bias; v₀] (A + 1). One sgemm over [h, h ⊙ c] (B·L rows of
    /// 2D) and one over the B candidates, the rest row loops split over the examples: a chain of
    /// general ops (the candidate spread over the slots, three products, two sums, the bias, the
    /// ReLU and an A × 1 product, each with its own B·L-row buffers) cost twice as much.
    public func activationWeights(history h: Tensor, candidate c: Tensor, unit: Tensor, biases: Tensor) -> Tensor {
        let (b, l, d) = (h.shape.d0, h.shape.d1, h.shape.d2), a = unit.shape.last
        precondition(
            h.shape.rank == 3 && c.shape.count == b * d && unit.shape.rows == 3 * d + 1 && biases.shape.count == a + 1,
            "activationWeights: \(h.shape), \(c.shape), \(unit.shape), \(biases.shape)")
        let out = make(Shape(b, l, 1), needsGrad: needs(h, c, unit, biases))
        let H = value(h), C = value(c), U = value(unit), bias = value(biases), W = value(out)
        let slots = b * l, x = floats.take(slots * 2 * d), hidden = floats.take(slots * a)
        let candidateTerm = floats.take(b * a), v = U + 3 * d * a, v0 = bias[a]
        parallelChunks(count: b, threads: threads) { _, range in
            for bi in range {
                for j in 0..<l {
                    let s = bi * l + j, xs = x + s * 2 * d
                    xs.update(from: H + s * d, count: d)
                    productRow(xs + d, H + s * d, C + bi * d, d)
                }
            }
        }
        BLAS.sgemm(threads: threads, m: slots, n: a, k: 2 * d, a: x, lda: 2 * d, b: U, ldb: a, c: hidden, ldc: a)
        BLAS.sgemm(m: b, n: a, k: d, a: C, lda: d, b: U + 2 * d * a, ldb: a, c: candidateTerm, ldc: a)
        parallelChunks(count: b, threads: threads) { _, range in
            for bi in range {
                let r = candidateTerm + bi * a
                addRow(r, bias, a)
                for j in 0..<l {
                    let z = hidden + (bi * l + j) * a
                    reluOfSumRow(z, z, r, a)
                    W[bi * l + j] = dotRow(z, v, a) + v0
                }
            }
        }
        record(
            Record(
                op: .activationWeights, out: out.id, a: h.id, b: c.id, c: unit.id, d: biases.id, i0: b, i1: l, i2: d,
                floats: x, floats2: hidden))
        return out
    }

    func activationWeightsBackward(_ r: Record) {
        let b = r.i0, l = r.i1, d = r.i2, slots = b * l, x = r.floats!, hidden = r.floats2!
        let dw = nodes[r.out].grad!, U = nodes[r.c].value, C = nodes[r.b].value
        let a = nodes[r.c].shape.last, v = U + 3 * d * a
        let dH = nodes[r.a].grad, dC = nodes[r.b].grad, dU = nodes[r.c].grad, dBiases = nodes[r.d].grad
        // Per slot, the gradient at the ReLU's input (g, over `hidden`, which is not read again);
        // per example, its sum over the slots (the candidate term's and the bias's gradient) and
        // Σ_j dw·hidden (v's), each example's own row so the split is free of races.
        let g = hidden, perExample = floats.take(b * a), vPartial = floats.take(b * a)
        parallelChunks(count: b, threads: threads) { _, range in
            for bi in range {
                let sum = perExample + bi * a, vp = vPartial + bi * a
                sum.update(repeating: 0, count: a); vp.update(repeating: 0, count: a)
                for j in 0..<l {
                    let s = bi * l + j, z = hidden + s * a, gs = dw[s]
                    addScaledRow(vp, z, gs, a)
                    var k = 0
                    while k + 8 <= a {
                        let gz = (gs * load8(v + k)).replacing(with: 0, where: load8(z + k) .<= 0)
                        store8(gz, g + s * a + k); k += 8
                    }
                    while k < a { g[s * a + k] = z[k] > 0 ? gs * v[k] : 0; k += 1 }
                    addRow(sum, g + s * a, a)
                }
            }
        }
        if let dBiases {
            for bi in 0..<b { addRow(dBiases, perExample + bi * a, a) }
            for s in 0..<slots { dBiases[a] += dw[s] }
        }
        if let dU {
            BLAS.sgemm(
                threads: threads, transA: true, m: 2 * d, n: a, k: slots, a: x, lda: 2 * d, b: g, ldb: a, beta: 1,
                c: dU, ldc: a)
            BLAS.sgemm(
                transA: true, m: d, n: a, k: b, a: C, lda: d, b: perExample, ldb: a, beta: 1, c: dU + 2 * d * a, ldc: a)
            for bi in 0..<b { addRow(dU + 3 * d * a, vPartial + bi * a, a) }
        }
        if let dC {
            BLAS.sgemm(
                transB: true, m: b, n: d, k: a, a: perExample, lda: a, b: U + 2 * d * a, ldb: a, beta: 1, c: dC, ldc: d)
        }
        guard dH != nil || dC != nil else { return }
        let dx = floats.take(slots * 2 * d)
        BLAS.sgemm(
            threads: threads, transB: true, m: slots, n: 2 * d, k: a, a: g, lda: a, b: U, ldb: a, c: dx, ldc: 2 * d)
        parallelChunks(count: b, threads: threads) { _, range in
            for bi in range {
                let cb = C + bi * d
                for j in 0..<l {
                    let s = bi * l + j, dxs = dx + s * 2 * d
                    if let dH { addRow(dH + s * d, dxs, d); addProductRow(dH + s * d, dxs + d, cb, d) }
                    if let dC { addProductRow(dC + bi * d, dxs + d, x + s * 2 * d, d) }
                }
            }
        }
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
                addScaledRow(z, V + (bi * n + k) * d, wk, d)
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
                if let dW { dW[bi * n + k] += dotRow(gb, V + row, d) }
                if let dV { addScaledRow(dV + row, gb, W[bi * n + k], d) }
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
