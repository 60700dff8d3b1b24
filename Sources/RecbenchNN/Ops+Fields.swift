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
    /// w[b, j] = ReLU(h·W_h + (h ⊙ c[b])·W_p + c[b]·W_c + bias) · v + v₀ with h = `history`[slots[b·L + j]]
    /// (a zero row where the slot index is < 0), for candidates c (B × D); `unit` stacks
    /// [W_h; W_p; W_c; vᵀ] ((3D + 1) × A) and `biases` is [bias; v₀] (A + 1). `history` may hold each
    /// distinct past item once (a batch repeats popular items), so h·W_h and its gradients are
    /// computed per row, not per slot; the product term needs every slot. One sgemm each for the
    /// rows, the slots and the B candidates, the rest row loops split over the examples: a chain of
    /// general ops (the candidate spread over the slots, three products, two sums, the bias, the
    /// ReLU and an A × 1 product, each with its own B·L-row buffers) cost twice as much.
    public func activationWeights(
        history: Tensor, slots: [Int32], length l: Int, candidate c: Tensor, unit: Tensor, biases: Tensor
    ) -> Tensor {
        let rows = history.shape.rows, d = history.shape.last, b = c.shape.rows, a = unit.shape.last
        precondition(
            slots.count == b * l && c.shape.last == d && unit.shape.rows == 3 * d + 1 && biases.shape.count == a + 1
                && slots.allSatisfy { $0 < rows },
            "activationWeights: \(history.shape), \(slots.count) slots, \(c.shape), \(unit.shape), \(biases.shape)")
        let out = make(Shape(b, l, 1), needsGrad: needs(history, c, unit, biases))
        let P = value(history), C = value(c), U = value(unit), bias = value(biases), W = value(out)
        let n = b * l, product = floats.take(n * d), hidden = floats.take(n * a), rowTerm = floats.take(rows * a)
        let candidateTerm = floats.take(b * a), v = U + 3 * d * a, v0 = bias[a]
        let index = slots.withUnsafeBufferPointer { keep($0) }
        parallelChunks(count: b, threads: threads) { _, range in
            for bi in range {
                for j in 0..<l {
                    let s = bi * l + j, r = Int(index[s])
                    if r < 0 {
                        (product + s * d).update(repeating: 0, count: d)
                    } else {
                        productRow(product + s * d, P + r * d, C + bi * d, d)
                    }
                }
            }
        }
        BLAS.sgemm(threads: threads, m: rows, n: a, k: d, a: P, lda: d, b: U, ldb: a, c: rowTerm, ldc: a)
        BLAS.sgemm(threads: threads, m: n, n: a, k: d, a: product, lda: d, b: U + d * a, ldb: a, c: hidden, ldc: a)
        BLAS.sgemm(m: b, n: a, k: d, a: C, lda: d, b: U + 2 * d * a, ldb: a, c: candidateTerm, ldc: a)
        parallelChunks(count: b, threads: threads) { _, range in
            for bi in range {
                let t = candidateTerm + bi * a
                addRow(t, bias, a)
                for j in 0..<l {
                    let s = bi * l + j, r = Int(index[s]), z = hidden + s * a
                    if r >= 0 { addRow(z, rowTerm + r * a, a) }
                    reluOfSumRow(z, z, t, a)
                    W[s] = dotRow(z, v, a) + v0
                }
            }
        }
        record(
            Record(
                op: .activationWeights, out: out.id, a: history.id, b: c.id, c: unit.id, d: biases.id, i0: b, i1: l,
                i2: d, ints: index, floats: product, floats2: hidden))
        return out
    }

    func activationWeightsBackward(_ r: Record) {
        let b = r.i0, l = r.i1, d = r.i2, n = b * l, index = r.ints!, product = r.floats!, hidden = r.floats2!
        let dw = nodes[r.out].grad!, P = nodes[r.a].value, U = nodes[r.c].value, C = nodes[r.b].value
        let rows = nodes[r.a].shape.rows, a = nodes[r.c].shape.last, v = U + 3 * d * a
        let dP = nodes[r.a].grad, dC = nodes[r.b].grad, dU = nodes[r.c].grad, dBiases = nodes[r.d].grad
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
        // The row term's gradient: the slots' g summed per history row (rows are shared, so serially).
        let perRow = floats.take(rows * a)
        perRow.update(repeating: 0, count: rows * a)
        for s in 0..<n where index[s] >= 0 { addRow(perRow + Int(index[s]) * a, g + s * a, a) }
        if let dBiases {
            for bi in 0..<b { addRow(dBiases, perExample + bi * a, a) }
            for s in 0..<n { dBiases[a] += dw[s] }
        }
        if let dU {
            BLAS.sgemm(
                threads: threads, transA: true, m: d, n: a, k: rows, a: P, lda: d, b: perRow, ldb: a, beta: 1, c: dU,
                ldc: a)
            BLAS.sgemm(
                threads: threads, transA: true, m: d, n: a, k: n, a: product, lda: d, b: g, ldb: a, beta: 1,
                c: dU + d * a, ldc: a)
            BLAS.sgemm(
                transA: true, m: d, n: a, k: b, a: C, lda: d, b: perExample, ldb: a, beta: 1, c: dU + 2 * d * a, ldc: a)
            for bi in 0..<b { addRow(dU + 3 * d * a, vPartial + bi * a, a) }
        }
        if let dC {
            BLAS.sgemm(
                transB: true, m: b, n: d, k: a, a: perExample, lda: a, b: U + 2 * d * a, ldb: a, beta: 1, c: dC, ldc: d)
        }
        guard dP != nil || dC != nil else { return }
        if let dP {
            BLAS.sgemm(
                threads: threads, transB: true, m: rows, n: d, k: a, a: perRow, lda: a, b: U, ldb: a, beta: 1, c: dP,
                ldc: d)
        }
        // The product term's input gradient per slot: to the candidate (per example, split) and to the
        // history row (shared, so serially).
        let dx = floats.take(n * d)
        BLAS.sgemm(threads: threads, transB: true, m: n, n: d, k: a, a: g, lda: a, b: U + d * a, ldb: a, c: dx, ldc: d)
        if let dC {
            parallelChunks(count: b, threads: threads) { _, range in
                for bi in range {
                    for j in 0..<l {
                        let s = bi * l + j, r = Int(index[s])
                        if r >= 0 { addProductRow(dC + bi * d, dx + s * d, P + r * d, d) }
                    }
                }
            }
        }
        if let dP {
            for s in 0..<n where index[s] >= 0 {
                addProductRow(dP + Int(index[s]) * d, dx + s * d, C + (s / l) * d, d)
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
        // Eight-lane sums (`dotRow`) over blocks of 512, each block's added in Double: the one
        // running Double sum did not vectorise.
        let n = x.shape.count
        var total: Double = 0
        for i in stride(from: 0, to: n, by: 512) { total += Double(dotRow(X + i, X + i, min(512, n - i))) }
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
