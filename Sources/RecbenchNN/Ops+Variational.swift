import RecbenchCore
internal import CIntrinsics
#if canImport(Glibc)
import Glibc
#endif

/// Ops of variational autoencoders over sparse interaction rows (Mult-VAE): a weighted bag of
/// table rows for sparse input, tanh, the Gaussian reparameterisation, its KL term, and the
/// multinomial log-likelihood of a row's items under a softmax over all items.
extension Graph {
    /// Row r = Σ_{k ∈ offsets[r] ..< offsets[r+1]} weights[k] · table[indices[k]]: a sparse rows ×
    /// table-rows matrix times the table (rows × d), without building the dense input.
    public func embeddingBag(_ table: Tensor, offsets: [Int32], indices: [Int32], weights: [Float]) -> Tensor {
        let rows = offsets.count - 1, d = table.shape.last
        precondition(rows >= 0 && indices.count == weights.count && Int(offsets.last ?? 0) == indices.count)
        let out = make(Shape(rows, d), needsGrad: needs(table))
        let t = value(table), z = value(out)
        // Rows are independent: split them over the threads when the bags are large (a history
        // field averages ~100 rows per bag).
        let threads = indices.count * d >= 1 << 16 ? self.threads : 1
        // The bag is a sparse × dense row product, the graph propagation's: its AVX2 kernel keeps a
        // row's sums in registers over its entries; the portable loop serves other CPUs and tests.
        let wide = offsets.map { Int($0) }, vector = vectorKernels
        wide.withUnsafeBufferPointer { o in
            indices.withUnsafeBufferPointer { ix in
                weights.withUnsafeBufferPointer { ws in
                    parallelChunks(count: rows, threads: threads) { _, range in
                        let (a, b) = (range.lowerBound, range.upperBound)
                        if vector {
                            recbench_spmm_rows_avx2(z, t, o.baseAddress, ix.baseAddress, ws.baseAddress, a, b, d)
                        } else {
                            recbench_spmm_rows_portable(z, t, o.baseAddress, ix.baseAddress, ws.baseAddress, a, b, d)
                        }
                    }
                }
            }
        }
        let saved = offsets.withUnsafeBufferPointer { keep($0) }, idx = indices.withUnsafeBufferPointer { keep($0) }
        let ws = floats.take(weights.count)
        weights.withUnsafeBufferPointer { if let b = $0.baseAddress { ws.update(from: b, count: weights.count) } }
        record(
            Record(
                op: .embeddingBag, out: out.id, a: table.id, i0: rows, i1: d, ints: saved, floats: ws,
                ints2: idx))
        return out
    }

    func embeddingBagBackward(_ r: Record) {
        guard let dt = nodes[r.a].grad else { return }
        let g = nodes[r.out].grad!, d = r.i1, offsets = r.ints!, idx = r.ints2!, w = r.floats!
        let rows = r.i0, entries = Int(offsets[rows])
        // Bags share table rows, so the scatter is split by columns instead: each worker adds its
        // slice of every entry, in entry order, so every sum is the same at any thread count.
        let slices = entries * d >= 1 << 16 ? min(threads, d / 8) : 1
        let vector = vectorKernels
        parallelChunks(count: d, threads: max(1, slices)) { _, columns in
            let (c0, c1) = (columns.lowerBound, columns.upperBound)
            if vector {
                recbench_scatter_rows_avx2(dt, g, offsets, idx, w, rows, d, c0, c1)
            } else {
                recbench_scatter_rows_portable(dt, g, offsets, idx, w, rows, d, c0, c1)
            }
        }
    }

    public func tanh(_ a: Tensor) -> Tensor {
        let out = make(a.shape, needsGrad: needs(a))
        let x = value(a), z = value(out), n = a.shape.count
        parallelChunks(count: n, threads: n >= 1 << 16 ? threads : 1) { _, range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound { store8(fastTanh(load8(x + i)), z + i); i += 8 }
            while i < range.upperBound { z[i] = fastTanh(x[i]); i += 1 }
        }
        record(Record(op: .tanh, out: out.id, a: a.id))
        return out
    }

    func tanhBackward(_ r: Record) {
        guard let da = nodes[r.a].grad else { return }
        let z = nodes[r.out].value, g = nodes[r.out].grad!, n = nodes[r.out].shape.count
        parallelChunks(count: n, threads: n >= 1 << 16 ? threads : 1) { _, range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let zi = load8(z + i)
                store8(load8(da + i) + load8(g + i) * (1 - zi * zi), da + i); i += 8
            }
            while i < range.upperBound { da[i] += g[i] * (1 - z[i] * z[i]); i += 1 }
        }
    }

    /// z = μ + ε ⊙ exp(logσ²/2) with ε ~ N(0, 1) from the graph's stream while training; z = μ
    /// otherwise (the posterior mean, as Mult-VAE predicts).
    public func reparameterize(mean: Tensor, logVariance: Tensor) -> Tensor {
        precondition(mean.shape == logVariance.shape)
        let n = mean.shape.count
        let out = make(mean.shape, needsGrad: needs(mean, logVariance))
        let mu = value(mean), lv = value(logVariance), z = value(out)
        guard training else {
            z.update(from: mu, count: n)
            record(Record(op: .reparameterize, out: out.id, a: mean.id, b: logVariance.id, i0: n))
            return out
        }
        let eps = floats.take(n)
        for i in 0..<n {
            eps[i] = Float(rng.nextGaussian())
            z[i] = mu[i] + eps[i] * expf(0.5 * lv[i])
        }
        record(Record(op: .reparameterize, out: out.id, a: mean.id, b: logVariance.id, i0: n, floats: eps))
        return out
    }

    func reparameterizeBackward(_ r: Record) {
        let g = nodes[r.out].grad!
        if let dm = nodes[r.a].grad { for i in 0..<r.i0 { dm[i] += g[i] } }
        guard let dl = nodes[r.b].grad, let eps = r.floats else { return }
        let lv = nodes[r.b].value
        for i in 0..<r.i0 { dl[i] += g[i] * eps[i] * 0.5 * expf(0.5 * lv[i]) }
    }

    /// Mean over rows of KL(N(μ, σ²) ‖ N(0, 1)) = −½ Σ_j (1 + logσ²_j − μ_j² − σ²_j);
    /// inputs rows × k.
    public func gaussianKL(mean: Tensor, logVariance: Tensor) -> Tensor {
        precondition(mean.shape == logVariance.shape)
        let rows = mean.shape.rows, n = mean.shape.count
        let out = make(Shape(1), needsGrad: needs(mean, logVariance))
        let mu = value(mean), lv = value(logVariance)
        var total: Double = 0
        for i in 0..<n { total += Double(1 + lv[i] - mu[i] * mu[i] - expf(lv[i])) }
        value(out)[0] = Float(-0.5 * total / Double(max(1, rows)))
        record(
            Record(
                op: .gaussianKL, out: out.id, a: mean.id, b: logVariance.id, i0: n,
                f0: 1 / Float(max(1, rows))))
        return out
    }

    func gaussianKLBackward(_ r: Record) {
        let g = nodes[r.out].grad![0] * r.f0
        if let dm = nodes[r.a].grad { let mu = nodes[r.a].value; for i in 0..<r.i0 { dm[i] += g * mu[i] } }
        if let dl = nodes[r.b].grad {
            let lv = nodes[r.b].value
            for i in 0..<r.i0 { dl[i] += g * 0.5 * (expf(lv[i]) - 1) }
        }
    }

    /// Mean over rows of −Σ_{k} weights[k] · log softmax(logits[r])[targets[k]], targets of row r
    /// at offsets[r] ..< offsets[r+1]: the multinomial likelihood of a user's items (logits rows × C).
    public func multinomialNLL(logits: Tensor, offsets: [Int32], targets: [Int32], weights: [Float]) -> Tensor {
        let n = logits.shape.rows, c = logits.shape.last
        precondition(offsets.count == n + 1 && targets.count == weights.count && Int(offsets[n]) == targets.count)
        let out = make(Shape(1), needsGrad: needs(logits))
        let x = value(logits), probs = floats.take(n * c)
        var rowLoss = [Double](repeating: 0, count: n)
        precondition(targets.allSatisfy { Int($0) < c }, "multinomialNLL: a target beyond \(c) classes")
        // Rows are independent (a Mult-VAE batch is 500 users × every item): split over the threads,
        // each row's loss kept apart and summed in row order, so the total does not depend on them.
        rowLoss.withUnsafeMutableBufferPointer { rowLoss in
            offsets.withUnsafeBufferPointer { o in
                targets.withUnsafeBufferPointer { t in
                    weights.withUnsafeBufferPointer { w in
                        parallelChunks(count: n, threads: n * c >= 1 << 16 ? threads : 1) { _, rows in
                            for i in rows {
                                let xr = x + i * c, logZ = softmaxRow(xr, into: probs + i * c, c)
                                var loss: Double = 0
                                for k in Int(o[i])..<Int(o[i + 1]) { loss += Double(w[k] * (logZ - xr[Int(t[k])])) }
                                rowLoss[i] = loss
                            }
                        }
                    }
                }
            }
        }
        let total = rowLoss.reduce(0, +)
        value(out)[0] = Float(total / Double(max(1, n)))
        let off = offsets.withUnsafeBufferPointer { keep($0) }, tg = targets.withUnsafeBufferPointer { keep($0) }
        let ws = floats.take(weights.count)
        weights.withUnsafeBufferPointer { if let b = $0.baseAddress { ws.update(from: b, count: weights.count) } }
        record(
            Record(
                op: .multinomialNLL, out: out.id, a: logits.id, i0: n, i1: c, f0: 1 / Float(max(1, n)),
                ints: off, floats: probs, floats2: ws, ints2: tg))
        return out
    }

    func multinomialNLLBackward(_ r: Record) {
        guard let dx = nodes[r.a].grad else { return }
        let n = r.i0, c = r.i1, g = nodes[r.out].grad![0] * r.f0
        let offsets = r.ints!, targets = r.ints2!, probs = r.floats!, w = r.floats2!
        parallelChunks(count: n, threads: n * c >= 1 << 16 ? threads : 1) { _, rows in
            for i in rows {
                var mass: Float = 0
                for k in Int(offsets[i])..<Int(offsets[i + 1]) { mass += w[k] }
                let pr = probs + i * c, dr = dx + i * c
                addScaledRow(dr, pr, g * mass, c)
                for k in Int(offsets[i])..<Int(offsets[i + 1]) { dr[Int(targets[k])] -= g * w[k] }
            }
        }
    }
}
