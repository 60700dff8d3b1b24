import Testing
import RecbenchCore
@testable import RecbenchNN

@Suite struct EngineTests {
    /// Adam's first step moves each weight by lr against the sign of its gradient (bias
    /// correction makes m̂/√v̂ = ±1); AdamW also shrinks by lr·λ; clipping rescales gradients
    /// before the moments see them (invisible at step one, so checked through the second moment).
    @Test func adamFirstStep() {
        let p = Parameter("w", Shape(3)); p.values = [1, -2, 3]
        let adam = Adam(parameters: [p], learningRate: 0.1)
        p.grad[0] = 0.5; p.grad[1] = -4; p.grad[2] = 0
        adam.update()
        #expect(abs(p.value[0] - 0.9) < 1e-5 && abs(p.value[1] - -1.9) < 1e-5 && p.value[2] == 3)
        #expect(p.grad[0] == 0 && p.grad[1] == 0)
        #expect(abs(adam.lastGradientNorm - Float(16.25).squareRoot()) < 1e-5)

        let q = Parameter("w", Shape(2)); q.values = [1, -2]
        let adamw = Adam(parameters: [q], learningRate: 0.1, weightDecay: 0.5, decoupledWeightDecay: true)
        q.grad[0] = 1; q.grad[1] = 1
        adamw.update()
        #expect(abs(q.value[0] - (1 * 0.95 - 0.1)) < 1e-5 && abs(q.value[1] - (-2 * 0.95 - 0.1)) < 1e-5)
    }

    /// Adam's first steps move w by lr · sign(g) exactly (m̂/√v̂ = ±1 for a constant gradient), so
    /// with lr 0.1 and gradient 1 the live weight runs 0.9, 0.8, 0.7 and its average with β = 0.5
    /// runs 0.9, 0.85, 0.775; swapping twice brings the live weight back.
    @Test func adamKeepsAMovingAverageOfTheWeights() {
        let p = Parameter("w", Shape(1)); p.values = [1]
        let adam = Adam(parameters: [p], learningRate: 0.1)
        adam.averaging = 0.5
        for _ in 0..<3 { p.grad[0] = 1; adam.update() }
        #expect(abs(p.value[0] - 0.7) < 1e-5)
        adam.swapAverage()
        #expect(abs(p.value[0] - 0.775) < 1e-5)
        adam.swapAverage()
        #expect(abs(p.value[0] - 0.7) < 1e-5)
    }

    /// The update over a table large enough for two threads (and a scalar tail) takes the textbook
    /// steps to the bit, three steps checked against a plain loop: the AVX2 kernel and the Swift
    /// lanes, with decoupled (AdamW) and coupled (L2 in the gradient) decay, and with part of the
    /// gradient in a shadow buffer that the step adds as it reads (a split step's second half,
    /// checked against the formula on the summed gradient). Both buffers are zeroed after, and the
    /// reported norm is the last gradient's.
    @Test(arguments: [true, false], [(true, true), (true, false), (false, true), (false, false)])
    func adamVectorStepsAreTheScalarSteps(kernel: Bool, variant: (decoupled: Bool, shadow: Bool)) {
        let n = 40_003, p = Parameter("table", Shape(n)), decoupled = variant.decoupled
        var rng = RandomSource(seed: 4, stream: "adam-lanes")
        p.values = (0..<n).map { _ in Float(rng.nextGaussian()) }
        var w = p.values, m = [Float](repeating: 0, count: n), v = m
        let adam = Adam(parameters: [p], learningRate: 0.01, weightDecay: 0.1, decoupledWeightDecay: decoupled)
        adam.threads = 2
        adam.vectorKernels = kernel && CPUFeatures.avx2FMA
        let shadow = ShadowGradients([p]), second = shadow.gradient(of: p)!
        var norm: Float = 0
        for t in 1...3 {
            let a = (0..<n).map { _ in Float(rng.nextGaussian()) }, b = (0..<n).map { _ in Float(rng.nextGaussian()) }
            for i in 0..<n { p.grad[i] = a[i] }
            if variant.shadow {
                for i in 0..<n { second[i] = b[i] }
                adam.update(adding: [shadow])
            } else {
                adam.update()
            }
            let g = variant.shadow ? zip(a, b).map { $0 + $1 } : a
            let c1 = 1 - powf(0.9, Float(t)), c2 = 1 - powf(0.999, Float(t))
            let lr = Float(0.01) * c2.squareRoot() / c1, eps = Float(1e-8) * c2.squareRoot()
            let shrink: Float = decoupled ? 1 - Float(0.01) * Float(0.1) : 1, l2: Float = decoupled ? 0 : 0.1
            var sq: Double = 0
            for i in 0..<n {
                let gi = g[i] * 1 + l2 * w[i]
                m[i] = 0.9 * m[i] + (1 - 0.9) * gi
                v[i] = 0.999 * v[i] + (1 - 0.999) * gi * gi
                w[i] = w[i] * shrink - lr * m[i] / (v[i].squareRoot() + eps)
                sq += Double(g[i] * g[i])
            }
            norm = Float(sq.squareRoot())
        }
        #expect(p.values == w)
        #expect((0..<n).allSatisfy { p.grad[$0] == 0 && second[$0] == 0 })
        #expect(abs(adam.lastGradientNorm - norm) < 1e-3 * norm)
    }

    @Test func clippingLimitsTheStep() {
        // Two steps with gradients 10 then 0: unclipped, step two moves by lr·(0.9·0.1·10)/√(…);
        // with clipNorm 1 the first gradient counts as 1, and both runs differ only through clipping.
        func run(clip: Float) -> Float {
            let p = Parameter("w", Shape(1))
            let adam = Adam(parameters: [p], learningRate: 0.1, clipNorm: clip)
            p.grad[0] = 10; adam.update()
            p.grad[0] = 1; adam.update()
            return p.value[0]
        }
        // With clipping the second gradient (1) is as large as the clipped first one, so the second
        // step is a full lr step; without, it is much smaller.
        let clipped = run(clip: 1), free = run(clip: 0)
        #expect(abs(clipped - -0.2) < 1e-4)
        #expect(free > -0.2 + 0.01)
    }

    /// After one warm-up step the same graph reuses every buffer: node values land at the same
    /// addresses and no pool slot grows.
    @Test func buffersAreReused() {
        var rng = RandomSource(seed: 1)
        let block = TransformerBlock("b", dim: 8, heads: 2, innerSize: 16, dropout: 0.1, rng: &rng)
        let x = randomParameter("x", Shape(4, 5, 8))
        let valid = [Int32](repeating: 1, count: 20)
        let g = Graph(training: true, seed: 1)
        func step() -> [UnsafeMutablePointer<Float>] {
            g.reset()
            let out = valid.withUnsafeBufferPointer { block(g, g.parameter(x), keyValid: $0, causal: true) }
            let loss = g.softmaxCrossEntropy(logits: out, targets: [Int32](repeating: 1, count: 20))
            g.backward(loss)
            return g.nodes.map(\.value)
        }
        let first = step(), second = step(), third = step()
        #expect(first == second && second == third)
    }

    @Test func attentionMatchesDirectComputation() {
        // One batch, one head, L = 2, D = 2: compare with hand-written softmax(QKᵀ/√2)·V.
        let q = Parameter("q", Shape(1, 2, 2)), k = Parameter("k", Shape(1, 2, 2)), v = Parameter("v", Shape(1, 2, 2))
        q.values = [1, 0, 0, 1]; k.values = [1, 2, 3, 0]; v.values = [1, 2, 3, 4]
        let g = Graph()
        let s = g.attentionScores(g.parameter(q), g.parameter(k), heads: 1, scale: 1 / Float(2).squareRoot())
        let p = g.maskedSoftmax(s, heads: 1, causal: false, keyValid: [1, 1])
        let o = g.values(g.attentionApply(p, g.parameter(v), heads: 1))
        func row(_ s0: Float, _ s1: Float) -> [Float] {
            let e0 = expf(s0 / Float(2).squareRoot()), e1 = expf(s1 / Float(2).squareRoot())
            let w0 = e0 / (e0 + e1), w1 = e1 / (e0 + e1)
            return [w0 * 1 + w1 * 3, w0 * 2 + w1 * 4]
        }
        let expected = row(1, 3) + row(2, 0)
        for i in 0..<4 { #expect(abs(o[i] - expected[i]) < 1e-5) }
    }
}

#if canImport(Glibc)
import Glibc
#endif

@Test func fastExpIsAccurate() {
    var worst: Float = 0
    for k in -800...800 {
        let x = Float(k) / 10
        worst = max(worst, abs(fastExp(x) - expf(x)) / expf(x))
    }
    #expect(worst < 1e-5)  // the rounding of x·log₂e dominates near ±87
    #expect(abs(fastTanh(0.3) - tanhf(0.3)) < 1e-6 && fastTanh(40) == 1 && fastTanh(-40) == -1)
}
