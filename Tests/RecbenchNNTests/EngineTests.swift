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

    /// A lazy step (`rows`) moves the listed rows as dense Adam moves them and leaves the others and
    /// their moments alone. 6 rows × 10 (the kernel's eight lanes and a scalar tail) beside a dense
    /// twin with the same gradients: step 1 lists rows 4, 1, 4 (a repeat), and the tables agree
    /// everywhere, since dense Adam does not move a row whose moment and gradient are 0; step 2 lists
    /// row 1 only, which still agrees, while dense Adam moves row 4 by its momentum and the lazy step
    /// keeps it. Then a table of 4,000 rows × 32 (two threads) whose gradient fills the same ≈ 1,900
    /// rows (2,500 draws) at each of three steps: the lazy table equals the dense one to the bit, and each step
    /// zeroes the listed rows' gradient.
    @Test(arguments: [true, false]) func lazyRowsMoveAsDenseAdamAndNothingElse(kernel: Bool) {
        func pair(_ rows: Int, _ width: Int, seed: UInt64) -> (Parameter, Parameter, Adam, Adam) {
            var rng = RandomSource(seed: seed, stream: "lazy-adam")
            let a = Parameter("lazy", Shape(rows, width)), b = Parameter("dense", Shape(rows, width))
            a.values = (0..<a.count).map { _ in Float(rng.nextGaussian()) }; b.values = a.values
            let (lazy, dense) = (Adam(parameters: [a], learningRate: 0.01), Adam(parameters: [b], learningRate: 0.01))
            for o in [lazy, dense] { o.threads = 2; o.vectorKernels = kernel && CPUFeatures.avx2FMA }
            return (a, b, lazy, dense)
        }
        func fill(_ rows: [Int], _ width: Int, _ ps: [Parameter], _ rng: inout RandomSource) {
            for r in Set(rows).sorted() {
                for c in 0..<width { let x = Float(rng.nextGaussian()); for p in ps { p.grad[r * width + c] = x } }
            }
        }
        var rng = RandomSource(seed: 9, stream: "lazy-adam-gradients")
        let (a, b, lazy, dense) = pair(6, 10, seed: 1)
        fill([1, 4], 10, [a, b], &rng)
        lazy.update(adding: [], rows: [ObjectIdentifier(a): [4, 1, 4]]); dense.update()
        #expect(a.values == b.values)
        let row4 = Array(a.values[40..<50])
        fill([1], 10, [a, b], &rng)
        lazy.update(adding: [], rows: [ObjectIdentifier(a): [1]]); dense.update()
        #expect(Array(a.values[10..<20]) == Array(b.values[10..<20]))
        #expect(Array(a.values[40..<50]) == row4 && Array(b.values[40..<50]) != row4)
        #expect(Array(a.values[0..<10]) == Array(b.values[0..<10]))

        let (c, d, lazyWide, denseWide) = pair(4_000, 32, seed: 2)
        let listed = (0..<2_500).map { _ in Int32(rng.nextInt(below: 4_000)) }
        for _ in 0..<3 {
            fill(listed.map(Int.init), 32, [c, d], &rng)
            lazyWide.update(adding: [], rows: [ObjectIdentifier(c): listed]); denseWide.update()
            #expect((0..<c.count).allSatisfy { c.grad[$0] == 0 })
        }
        #expect(c.values == d.values)
    }

    /// A split step with lazy tables lists every part's rows: two halves over disjoint users and
    /// items, the second back-propagating into shadow gradients. After the step no gradient is left
    /// in either buffer, the rows of both halves moved, and the rows no part used did not.
    @Test func splitStepListsEveryPartsRowsForLazyTables() {
        var rng = RandomSource(seed: 5, stream: "split-lazy")
        let users = Parameter("users", Shape(10, 8)), items = Parameter("items", Shape(50, 8))
        let head = Parameter("head", Shape(8, 1))
        for p in [users, items, head] { p.fillNormal(std: 0.5, rng: &rng) }
        let before = items.values
        let adam = Adam(parameters: [users, items, head], learningRate: 0.01)
        let split = SplitStep(parameters: [users, items, head], parts: 2, threads: 2, seed: 1, rating: false)
        var halves = [FieldBatch(), FieldBatch()]
        for (u, i) in [(0, 1), (1, 3), (0, 4)] { halves[0].append(Int32(u), Int32(i), 1) }
        for (u, i) in [(5, 30), (6, 33), (5, 31)] { halves[1].append(Int32(u), Int32(i), 0) }
        _ = split.step(halves, adam: adam, lazy: ([users], [items])) { g, us, its in
            let n = us.count
            let h = g.mul(
                g.gatherRows(g.parameter(users), us, shape: Shape(n, 8)),
                g.gatherRows(g.parameter(items), its, shape: Shape(n, 8)))
            return g.matmul(h, g.parameter(head))
        }
        let shadow = split.shadows[0]
        for p in [users, items, head] {
            #expect((0..<p.count).allSatisfy { p.grad[$0] == 0 && shadow.gradient(of: p)![$0] == 0 })
        }
        let used = [1, 3, 4, 30, 31, 33]
        let moved = { (r: Int) in (0..<8).contains { items.value[r * 8 + $0] != before[r * 8 + $0] } }
        #expect(used.allSatisfy(moved))
        #expect(!(0..<50).filter { !used.contains($0) }.contains(where: moved))
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
    // The eight-lane tanh is the scalar one in every lane, within 1e-5 of libm's over [−10, 10].
    for k in stride(from: -1000, to: 1000, by: 8) {
        let u = SIMD8<Float>((0..<8).map { Float(k + $0) / 100 })
        let t = fastTanh(u)
        for lane in 0..<8 {
            #expect(t[lane] == fastTanh(u[lane]) && abs(t[lane] - tanhf(u[lane])) < 1e-5, "tanh(\(u[lane]))")
        }
    }
}
