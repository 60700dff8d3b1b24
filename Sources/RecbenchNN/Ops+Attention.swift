import RecbenchCore
#if canImport(Glibc)
import Glibc
#endif

/// Multi-head attention pieces on B × L × D tensors whose last dimension holds H heads side by
/// side. Each (batch, head) pair is one small sgemm on strided slices, so heads are never copied
/// out; batches are spread over the graph's threads.
extension Graph {
    /// Scores [B·H, L, L]: scale · Q_bh · K_bhᵀ.
    public func attentionScores(_ q: Tensor, _ k: Tensor, heads: Int, scale: Float) -> Tensor {
        let (b, l, d) = (q.shape.d0, q.shape.d1, q.shape.d2)
        precondition(
            q.shape.rank == 3 && q.shape == k.shape && d % heads == 0, "attentionScores: \(q.shape), \(k.shape)")
        let dh = d / heads
        let out = make(Shape(b * heads, l, l), needsGrad: needs(q, k))
        let Q = value(q), K = value(k), S = value(out)
        parallelChunks(count: b, threads: threads) { _, range in
            for bi in range {
                for h in 0..<heads {
                    let off = bi * l * d + h * dh
                    headGemm(
                        transB: true, m: l, n: l, k: dh, alpha: scale, a: Q + off, lda: d, b: K + off, ldb: d,
                        c: S + (bi * heads + h) * l * l, ldc: l)
                }
            }
        }
        record(Record(op: .attentionScores, out: out.id, a: q.id, b: k.id, i0: b, i1: l, i2: heads, f0: scale))
        return out
    }

    func attentionScoresBackward(_ r: Record) {
        let b = r.i0, l = r.i1, heads = r.i2, scale = r.f0
        let d = nodes[r.a].shape.d2, dh = d / heads
        let dS = nodes[r.out].grad!, Q = nodes[r.a].value, K = nodes[r.b].value
        let dQ = nodes[r.a].grad, dK = nodes[r.b].grad
        parallelChunks(count: b, threads: threads) { _, range in
            for bi in range {
                for h in 0..<heads {
                    let off = bi * l * d + h * dh, s = dS + (bi * heads + h) * l * l
                    if let dQ {
                        headGemm(
                            m: l, n: dh, k: l, alpha: scale, a: s, lda: l, b: K + off, ldb: d, beta: 1, c: dQ + off,
                            ldc: d)
                    }
                    if let dK {
                        headGemm(
                            transA: true, m: l, n: dh, k: l, alpha: scale, a: s, lda: l, b: Q + off, ldb: d, beta: 1,
                            c: dK + off, ldc: d)
                    }
                }
            }
        }
    }

    /// Row softmax of scores [B·H, L, L] over keys j allowed for query i: j ≤ i when `causal`, and
    /// keyValid[b·L + j] ≠ 0 (padding keys excluded). A query with no allowed key gets all zeros.
    /// keyValid may hold segment labels instead of 1 (several sequences packed into one row): a
    /// query labelled s ≠ 0 then sees only keys labelled s; a padding query (0) sees every valid key,
    /// so 0/1 flags keep their meaning.
    public func maskedSoftmax(_ s: Tensor, heads: Int, causal: Bool, keyValid: UnsafeBufferPointer<Int32>) -> Tensor {
        let bh = s.shape.d0, l = s.shape.d1, b = bh / heads
        precondition(s.shape.rank == 3 && s.shape.d2 == l && keyValid.count == b * l, "maskedSoftmax: \(s.shape)")
        let out = make(s.shape, needsGrad: needs(s))
        let x = value(s), z = value(out), valid = keyValid
        parallelChunks(count: bh, threads: threads) { _, range in
            for m in range {
                let vb = valid.baseAddress! + (m / heads) * l
                for i in 0..<l {
                    let xr = x + (m * l + i) * l, zr = z + (m * l + i) * l
                    let end = causal ? i + 1 : l, own = vb[i]
                    @inline(__always) func allowed(_ j: Int) -> Bool { vb[j] != 0 && (own == 0 || vb[j] == own) }
                    var mx = -Float.infinity
                    for j in 0..<end where allowed(j) { mx = max(mx, xr[j]) }
                    if mx == -Float.infinity { zr.update(repeating: 0, count: l); continue }
                    // Eight exponentials at once: a row is short (AutoInt's fields, a window), and
                    // one at a time the polynomial's dependent steps, not the arithmetic, set the pace.
                    var sum: Float = 0
                    for j0 in stride(from: 0, to: l, by: 8) {
                        let n = min(8, l - j0)
                        var v = SIMD8<Float>(repeating: 0)
                        for t in 0..<n { v[t] = xr[j0 + t] - mx }
                        let e = fastExp(v)
                        for t in 0..<n {
                            let j = j0 + t, x: Float = (j < end && allowed(j)) ? e[t] : 0
                            zr[j] = x; sum += x
                        }
                    }
                    let inv = 1 / sum
                    for j in 0..<end { zr[j] *= inv }
                }
            }
        }
        record(Record(op: .maskedSoftmax, out: out.id, a: s.id, i0: bh, i1: l))
        return out
    }

    public func maskedSoftmax(_ s: Tensor, heads: Int, causal: Bool, keyValid: [Int32]) -> Tensor {
        keyValid.withUnsafeBufferPointer { maskedSoftmax(s, heads: heads, causal: causal, keyValid: $0) }
    }

    func maskedSoftmaxBackward(_ r: Record) {
        guard let dx = nodes[r.a].grad else { return }
        let rows = r.i0 * r.i1, l = r.i1, p = nodes[r.out].value, g = nodes[r.out].grad!
        parallelChunks(count: rows, threads: threads) { _, range in
            for row in range {
                let pr = p + row * l, gr = g + row * l, dr = dx + row * l
                var dot: Float = 0
                for j in 0..<l { dot += pr[j] * gr[j] }
                for j in 0..<l { dr[j] += pr[j] * (gr[j] - dot) }
            }
        }
    }

    /// Weighted values [B, L, D]: head h of row i is Σ_j P_bh[i, j] · V_b[j, head h].
    public func attentionApply(_ p: Tensor, _ v: Tensor, heads: Int) -> Tensor {
        let (b, l, d) = (v.shape.d0, v.shape.d1, v.shape.d2)
        precondition(v.shape.rank == 3 && p.shape == Shape(b * heads, l, l), "attentionApply: \(p.shape), \(v.shape)")
        let dh = d / heads
        let out = make(v.shape, needsGrad: needs(p, v))
        let P = value(p), V = value(v), O = value(out)
        parallelChunks(count: b, threads: threads) { _, range in
            for bi in range {
                for h in 0..<heads {
                    let off = bi * l * d + h * dh
                    headGemm(
                        m: l, n: dh, k: l, a: P + (bi * heads + h) * l * l, lda: l, b: V + off, ldb: d, c: O + off,
                        ldc: d)
                }
            }
        }
        record(Record(op: .attentionApply, out: out.id, a: p.id, b: v.id, i0: b, i1: l, i2: heads))
        return out
    }

    func attentionApplyBackward(_ r: Record) {
        let b = r.i0, l = r.i1, heads = r.i2
        let d = nodes[r.b].shape.d2, dh = d / heads
        let dO = nodes[r.out].grad!, P = nodes[r.a].value, V = nodes[r.b].value
        let dP = nodes[r.a].grad, dV = nodes[r.b].grad
        parallelChunks(count: b, threads: threads) { _, range in
            for bi in range {
                for h in 0..<heads {
                    let off = bi * l * d + h * dh, pm = (bi * heads + h) * l * l
                    if let dP {
                        headGemm(
                            transB: true, m: l, n: l, k: dh, a: dO + off, lda: d, b: V + off, ldb: d, beta: 1,
                            c: dP + pm, ldc: l)
                    }
                    if let dV {
                        headGemm(
                            transA: true, m: l, n: dh, k: l, a: P + pm, lda: l, b: dO + off, ldb: d, beta: 1,
                            c: dV + off, ldc: d)
                    }
                }
            }
        }
    }
}
