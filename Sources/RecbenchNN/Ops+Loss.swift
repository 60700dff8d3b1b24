import RecbenchCore
#if canImport(Glibc)
import Glibc
#endif

/// Losses reduce to a scalar, averaged over the entries that count.
extension Graph {
    /// Σ w·(log(1 + eˣ) − y·x) / Σ w over logits x of any shape, targets y ∈ [0, 1], weights w ≥ 0
    /// (weight 0 drops padding positions).
    public func binaryCrossEntropy(
        logits: Tensor, targets: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>
    ) -> Tensor {
        let n = logits.shape.count
        precondition(targets.count == n && weights.count == n, "binaryCrossEntropy: \(logits.shape)")
        let out = make(Shape(1), needsGrad: needs(logits))
        let x = value(logits)
        let saved = floats.take(2 * n)
        var total: Double = 0, wsum: Double = 0
        for i in 0..<n {
            let w = weights[i], y = targets[i]
            saved[2 * i] = y; saved[2 * i + 1] = w
            guard w != 0 else { continue }
            let v = x[i]
            // Stable softplus: max(v, 0) + log(1 + e^{−|v|}).
            let sp = max(v, 0) + log1pf(expf(-abs(v)))
            total += Double(w * (sp - y * v)); wsum += Double(w)
        }
        value(out)[0] = wsum > 0 ? Float(total / wsum) : 0
        record(
            Record(
                op: .bceWithLogits, out: out.id, a: logits.id, i0: n, f0: wsum > 0 ? Float(1 / wsum) : 0, floats: saved)
        )
        return out
    }

    public func binaryCrossEntropy(logits: Tensor, targets: [Float], weights: [Float]) -> Tensor {
        targets.withUnsafeBufferPointer { t in
            weights.withUnsafeBufferPointer { binaryCrossEntropy(logits: logits, targets: t, weights: $0) }
        }
    }

    func bceBackward(_ r: Record) {
        guard let dx = nodes[r.a].grad else { return }
        let x = nodes[r.a].value, g = nodes[r.out].grad![0] * r.f0, s = r.floats!
        for i in 0..<r.i0 {
            let w = s[2 * i + 1]; if w == 0 { continue }
            dx[i] += g * w * (1 / (1 + expf(-x[i])) - s[2 * i])
        }
    }

    /// Mean over rows with target ≥ 0 of −log softmax(logits[row])[target]; logits N × C.
    /// Full softmax when C is the item count; sampled softmax when the logits come from
    /// `gatherDot` over [positive, negatives…] with target 0.
    public func softmaxCrossEntropy(logits: Tensor, targets: UnsafeBufferPointer<Int32>) -> Tensor {
        let n = logits.shape.rows, c = logits.shape.last
        precondition(targets.count == n, "softmaxCrossEntropy: \(logits.shape) with \(targets.count) targets")
        let out = make(Shape(1), needsGrad: needs(logits))
        // Softmax probabilities are kept, so the backward pass needs no exponentials.
        let x = value(logits), probs = floats.take(n * c), tg = keep(targets)
        var valid = 0
        for i in 0..<n where tg[i] >= 0 { precondition(Int(tg[i]) < c); valid += 1 }
        let chunks = max(1, min(threads, 8))
        var partial = [Double](repeating: 0, count: chunks)
        partial.withUnsafeMutableBufferPointer { part in
            parallelChunks(count: n, threads: chunks) { chunk, range in
                var s: Double = 0
                for i in range {
                    if tg[i] < 0 { continue }
                    let xr = x + i * c
                    s += Double(softmaxRow(xr, into: probs + i * c, c) - xr[Int(tg[i])])
                }
                part[chunk] = s
            }
        }
        let total = partial.reduce(0, +)
        value(out)[0] = valid > 0 ? Float(total / Double(valid)) : 0
        record(
            Record(
                op: .softmaxCrossEntropy, out: out.id, a: logits.id, i0: n, i1: c,
                f0: valid > 0 ? 1 / Float(valid) : 0, ints: tg, floats: probs))
        return out
    }

    public func softmaxCrossEntropy(logits: Tensor, targets: [Int32]) -> Tensor {
        targets.withUnsafeBufferPointer { softmaxCrossEntropy(logits: logits, targets: $0) }
    }

    func softmaxCrossEntropyBackward(_ r: Record) {
        guard let dx = nodes[r.a].grad else { return }
        let n = r.i0, c = r.i1, g = nodes[r.out].grad![0] * r.f0
        let tg = r.ints!, probs = r.floats!
        parallelChunks(count: n, threads: min(threads, 8)) { _, range in
            for i in range {
                if tg[i] < 0 { continue }
                let pr = probs + i * c, dr = dx + i * c
                for j in 0..<c { dr[j] += g * pr[j] }
                dr[Int(tg[i])] -= g
            }
        }
    }
}
