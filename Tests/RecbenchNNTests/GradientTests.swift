import Testing
import RecbenchCore
@testable import RecbenchNN

/// Finite-difference checks of every op's backward pass (see `gradientCheck`).
@Suite struct GradientTests {
    @Test func matmul() {
        let a = randomParameter("a", Shape(2, 3, 4)), b = randomParameter("b", Shape(4, 5))
        #expect(gradientCheck([a, b]) { g in g.matmul(g.parameter(a), g.parameter(b)) } <= 0)
    }

    @Test func matmulTransposedWithRowLimit() {
        let a = randomParameter("a", Shape(3, 4)), b = randomParameter("b", Shape(6, 4))
        #expect(
            gradientCheck([a, b]) { g in g.matmul(g.parameter(a), g.parameter(b), transposeB: true, bRows: 5) } <= 0)
        // The rows past the limit get no gradient.
        #expect((20..<24).allSatisfy { b.grad[$0] == 0 })
    }

    @Test func addMulScaleConcat() {
        let a = randomParameter("a", Shape(3, 4)), b = randomParameter("b", Shape(3, 4)),
            c = randomParameter("c", Shape(3, 2))
        #expect(gradientCheck([a, b]) { g in g.add(g.parameter(a), g.parameter(b)) } <= 0)
        #expect(gradientCheck([a, b]) { g in g.mul(g.parameter(a), g.parameter(b)) } <= 0)
        #expect(gradientCheck([a]) { g in g.scale(g.parameter(a), -2.5) } <= 0)
        #expect(gradientCheck([a, c]) { g in g.concat(g.parameter(a), g.parameter(c)) } <= 0)
        // The same tensor used twice accumulates both gradients.
        #expect(
            gradientCheck([a]) { g in
                let x = g.parameter(a); return g.mul(x, x)
            } <= 0)
    }

    @Test func addBiasBroadcast() {
        let a = randomParameter("a", Shape(2, 3, 4)), pos = randomParameter("pos", Shape(3, 4)),
            b = randomParameter("b", Shape(4))
        #expect(gradientCheck([a, pos]) { g in g.addBias(g.parameter(a), g.parameter(pos)) } <= 0)
        #expect(gradientCheck([a, b]) { g in g.addBias(g.parameter(a), g.parameter(b)) } <= 0)
    }

    @Test func gatherRowsScatterAdds() {
        let t = randomParameter("t", Shape(5, 3))
        let idx: [Int32] = [2, 0, 2, -1, 4, 2]
        #expect(gradientCheck([t]) { g in g.gatherRows(g.parameter(t), idx, shape: Shape(2, 3, 3)) } <= 0)
        let g = Graph(); let out = g.gatherRows(g.parameter(t), idx, shape: Shape(6, 3))
        #expect(Array(g.values(out)[9..<12]) == [0, 0, 0])  // padding row
        #expect(Array(g.values(out)[0..<3]) == Array(t.values[6..<9]))
    }

    @Test func gatherDot() {
        let h = randomParameter("h", Shape(3, 4)), t = randomParameter("t", Shape(6, 4))
        let idx: [Int32] = [1, 5, 1, 0, -1, 3]
        #expect(gradientCheck([h, t]) { g in g.gatherDot(g.parameter(h), g.parameter(t), idx, perRow: 2) } <= 0)
    }

    @Test func layerNorm() {
        let x = randomParameter("x", Shape(3, 5)), gain = randomParameter("gain", Shape(5)),
            shift = randomParameter("shift", Shape(5))
        #expect(
            gradientCheck([x, gain, shift]) { g in
                g.layerNorm(g.parameter(x), gain: g.parameter(gain), shift: g.parameter(shift))
            } <= 0)
    }

    @Test func activations() {
        let x = randomParameter("x", Shape(4, 5))
        #expect(gradientCheck([x]) { g in g.gelu(g.parameter(x)) } <= 0)
        #expect(gradientCheck([x]) { g in g.sigmoid(g.parameter(x)) } <= 0)
        // ReLU away from its kink.
        for i in 0..<x.count where abs(x.value[i]) < 0.05 { x.value[i] = 0.5 }
        #expect(gradientCheck([x]) { g in g.relu(g.parameter(x)) } <= 0)
    }

    @Test func dropoutSeeded() {
        let x = randomParameter("x", Shape(10, 10))
        #expect(gradientCheck([x], training: true) { g in g.dropout(g.parameter(x), 0.3) } <= 0)
        let g = Graph(training: true, seed: 3)
        let out = g.values(g.dropout(g.parameter(x), 0.3))
        let dropped = out.filter { $0 == 0 }.count
        #expect(dropped > 10 && dropped < 50)
        for i in 0..<x.count where out[i] != 0 { #expect(abs(out[i] - x.value[i] / 0.7) < 1e-5) }
    }

    @Test func attention() {
        let q = randomParameter("q", Shape(2, 4, 6)), k = randomParameter("k", Shape(2, 4, 6)),
            v = randomParameter("v", Shape(2, 4, 6))
        let valid: [Int32] = [0, 1, 1, 1, 1, 1, 1, 1]  // first key of batch 0 is padding
        #expect(
            gradientCheck([q, k]) { g in g.attentionScores(g.parameter(q), g.parameter(k), heads: 2, scale: 0.4) } <= 0)
        let s = randomParameter("s", Shape(4, 4, 4))
        #expect(
            gradientCheck([s]) { g in g.maskedSoftmax(g.parameter(s), heads: 2, causal: true, keyValid: valid) } <= 0)
        #expect(
            gradientCheck([s]) { g in g.maskedSoftmax(g.parameter(s), heads: 2, causal: false, keyValid: valid) } <= 0)
        let p = randomParameter("p", Shape(4, 4, 4))
        #expect(gradientCheck([p, v]) { g in g.attentionApply(g.parameter(p), g.parameter(v), heads: 2) } <= 0)
        // Masked entries are exactly zero and rows sum to one (or are all zero when nothing is allowed).
        let g = Graph()
        let probs = g.values(g.maskedSoftmax(g.parameter(s), heads: 2, causal: true, keyValid: valid))
        for row in 0..<16 {
            let m = row / 4, i = row % 4, r = probs[(row * 4)..<(row * 4 + 4)]
            for j in 0..<4 where j > i || (m < 2 && j == 0) { #expect(r[row * 4 + j] == 0) }
            let sum = r.reduce(0, +)
            #expect(m < 2 && i == 0 ? sum == 0 : abs(sum - 1) < 1e-5)
        }
    }

    @Test func losses() {
        let x = randomParameter("x", Shape(4, 3))
        let targets: [Float] = [1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0],
            weights: [Float] = [1, 1, 0, 1, 2, 1, 1, 1, 0, 1, 1, 1]
        #expect(
            gradientCheck([x]) { g in g.binaryCrossEntropy(logits: g.parameter(x), targets: targets, weights: weights) }
                <= 0)
        #expect(gradientCheck([x]) { g in g.softmaxCrossEntropy(logits: g.parameter(x), targets: [2, -1, 0, 1]) } <= 0)
        // Hand-computed values: BCE of logit 0 is log 2; softmax CE of equal logits over 3 classes is log 3.
        let z = Parameter("z", Shape(2, 3))
        let g = Graph()
        let bce = g.binaryCrossEntropy(logits: g.parameter(z), targets: [1, 0, 1, 0, 0, 0], weights: [1, 1, 1, 1, 1, 1])
        #expect(abs(g.scalar(bce) - Float(0.693147)) < 1e-5)
        let ce = g.softmaxCrossEntropy(logits: g.parameter(z), targets: [0, -1])
        #expect(abs(g.scalar(ce) - Float(1.098612)) < 1e-5)
    }

    @Test func sampledSoftmaxThroughGatherDot() {
        let h = randomParameter("h", Shape(3, 4), std: 0.5), t = randomParameter("t", Shape(7, 4), std: 0.5)
        let cand: [Int32] = [1, 4, 6, 2, 0, 3, 5, 1, 2]
        #expect(
            gradientCheck([h, t]) { g in
                g.softmaxCrossEntropy(
                    logits: g.gatherDot(g.parameter(h), g.parameter(t), cand, perRow: 3), targets: [0, 0, 0])
            } <= 0)
    }

    /// A whole transformer block (attention, FFN, layer norms, residuals, dropout with a fixed
    /// mask) and a linear layer, against finite differences on every parameter.
    @Test func transformerBlock() {
        var rng = RandomSource(seed: 5)
        let block = TransformerBlock("b", dim: 4, heads: 2, innerSize: 6, dropout: 0.2, rng: &rng)
        for p in block.parameters
        where p.name.hasSuffix("gain") || p.name.hasSuffix("shift") || p.name.hasSuffix("bias") {
            p.fillNormal(std: 0.3, rng: &rng)
            if p.name.hasSuffix("gain") { for i in 0..<p.count { p.value[i] += 1 } }
        }
        let x = randomParameter("x", Shape(2, 3, 4))
        let valid: [Int32] = [0, 1, 1, 1, 1, 1]
        let worst = gradientCheck([x] + block.parameters, training: true) { g in
            valid.withUnsafeBufferPointer { block(g, g.parameter(x), keyValid: $0, causal: true) }
        }
        #expect(worst <= 0)
    }
}
