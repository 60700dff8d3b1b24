import Testing
import RecbenchCore
import RecbenchAlgorithms
@testable import RecbenchNN
#if canImport(Glibc)
import Glibc
#endif

/// Packing several windows into one transformer row must change nothing a window sees.
@Suite struct WindowPackingTests {
    /// First fit in order of decreasing width, by hand: widths [3, 5, 2, 0, 4] in rows of 6 →
    /// 5 opens row 0 (1 left), 4 opens row 1 (2 left), 3 opens row 2, 2 fits row 1 at offset 4.
    @Test func firstFitDecreasingLayout() {
        var p = WindowPacking(length: 6)
        p.layout([3, 5, 2, 0, 4])
        #expect(p.rows == 3)
        #expect(p.starts == [12, 0, 10, -1, 6])
        let row: [Int32] = [-1, -1, -1, 7, 8, 9], tg: [Int32] = [-1, -1, -1, 8, 9, -1]
        row.withUnsafeBufferPointer { r in
            tg.withUnsafeBufferPointer { p.fill(0, inputs: r.baseAddress!, targets: $0.baseAddress!) }
        }
        // Window 0's three tokens keep their left-padded positions 3, 4, 5, labelled segment 1.
        #expect(Array(p.items[12..<18]) == [7, 8, 9, -1, -1, -1])
        #expect(Array(p.targets[12..<18]) == [8, 9, -1, -1, -1, -1])
        #expect(Array(p.positions[12..<18]) == [3, 4, 5, -1, -1, -1])
        #expect(Array(p.segments[12..<18]) == [1, 1, 1, 0, 0, 0])
        #expect(p.lastSlot(0) == 14)
        // Nothing else was written: unfilled windows' slots stay empty.
        #expect(p.segments[0..<12].allSatisfy { $0 == 0 } && p.items[0..<12].allSatisfy { $0 == -1 })
    }

    /// Segment labels: a query sees only keys of its own segment (and, when causal, not later
    /// ones); by hand for labels [1, 1, 2, 2] the probabilities of query 3 are softmax over keys
    /// 2 and 3 only, and query 2 puts all its weight on key 2.
    @Test func segmentsConfineAttention() {
        let s = randomParameter("s", Shape(2, 4, 4))
        let labels: [Int32] = [1, 1, 2, 2]
        let g = Graph(training: false, recordsGradients: false)
        let p = g.values(g.maskedSoftmax(g.parameter(s), heads: 2, causal: true, keyValid: labels))
        for h in 0..<2 {
            let base = h * 16, x = s.value + base
            #expect(p[base + 2 * 4 + 2] == 1 && p[base + 2 * 4 + 0] == 0 && p[base + 2 * 4 + 1] == 0)
            let e2 = expf(x[3 * 4 + 2]), e3 = expf(x[3 * 4 + 3])
            #expect(abs(p[base + 3 * 4 + 2] - e2 / (e2 + e3)) < 1e-5 && p[base + 3 * 4 + 0] == 0)
            // Query 1 (segment 1) sees keys 0 and 1, as with 0/1 flags.
            let e0 = expf(x[4]), e1 = expf(x[5])
            #expect(abs(p[base + 4] - e0 / (e0 + e1)) < 1e-5 && p[base + 6] == 0)
        }
        #expect(
            gradientCheck([s]) { g in g.maskedSoftmax(g.parameter(s), heads: 2, causal: false, keyValid: labels) } <= 0)
    }

    static func settings(_ blocks: Int) -> [String: ParameterValue] {
        [
            "embedding_size": .int(8), "blocks": .int(blocks), "heads": .int(2), "inner_size": .int(12),
            "max_length": .int(6), "dropout": .real(0), "learning_rate": .real(0.01), "batch_size": .int(8)
        ]
    }

    /// Windows of length 1–6 (max_length 6), each left-padded to a row of its own or packed: the
    /// outputs at every token, the softmax loss over all items at every target and every
    /// parameter's gradient agree (to float rounding), for the causal (SASRec) and the
    /// bidirectional (BERT4Rec) encoder.
    @Test(arguments: [true, false]) func packedEqualsUnpacked(causal: Bool) {
        let o = Self.settings(2), l = 6, d = 8, items = 11
        let core: TransformerSequenceModel =
            causal ? SASRec(config: .init(o)).core : BERT4Rec(config: .init(o)).core
        core.build(itemCount: items, seed: 4)
        var rng = RandomSource(seed: 12)
        let widths = [3, 6, 1, 2, 5, 4, 1]
        var inputs = [Int32](repeating: -1, count: widths.count * l), targets = inputs
        for (r, w) in widths.enumerated() {
            for t in (l - w)..<l {
                inputs[r * l + t] = Int32(rng.nextInt(below: items))
                if rng.nextInt(below: 3) > 0 { targets[r * l + t] = Int32(rng.nextInt(below: items)) }
            }
        }
        var packing = WindowPacking(length: l)
        packing.layout(widths)
        #expect(packing.rows < widths.count)
        inputs.withUnsafeBufferPointer { i in
            targets.withUnsafeBufferPointer { t in
                for r in widths.indices {
                    packing.fill(r, inputs: i.baseAddress! + r * l, targets: t.baseAddress! + r * l)
                }
            }
        }
        // Slot of each token in either layout, and the target slots in token order.
        var plain = [Int32](), packed = [Int32](), tgt = [Int32]()
        for (r, w) in widths.enumerated() {
            for t in 0..<w {
                plain.append(Int32(r * l + l - w + t)); packed.append(Int32(packing.starts[r] + t))
                tgt.append(targets[r * l + l - w + t])
            }
        }
        let keep = tgt.indices.filter { tgt[$0] >= 0 }
        func run(packedLayout: Bool) -> (hidden: [Float], loss: Float, grads: [[Float]]) {
            for p in core.parameters { p.zeroGrad() }
            let g = Graph(training: true, seed: 1)
            let valid = inputs.map { $0 >= 0 ? Int32(1) : 0 }
            let h =
                packedLayout
                ? packing.items.withUnsafeBufferPointer { i in
                    packing.segments.withUnsafeBufferPointer { s in
                        packing.positions.withUnsafeBufferPointer {
                            core.encode(g, items: i, keyValid: s, positionIndex: $0, batch: packing.rows)
                        }
                    }
                }
                : inputs.withUnsafeBufferPointer { i in
                    valid.withUnsafeBufferPointer { core.encode(g, items: i, keyValid: $0, batch: widths.count) }
                }
            let slots = packedLayout ? packed : plain
            let tokens = g.gatherRows(h, slots, shape: Shape(slots.count, d))
            let hv = g.gatherRows(h, keep.map { slots[$0] }, shape: Shape(keep.count, d))
            let logits = g.matmul(hv, g.parameter(core.itemEmbedding), transposeB: true, bRows: items)
            let loss = g.softmaxCrossEntropy(logits: logits, targets: keep.map { tgt[$0] })
            g.backward(loss)
            return (
                g.values(tokens), g.scalar(loss),
                core.parameters.map { Array(UnsafeBufferPointer(start: $0.grad, count: $0.count)) }
            )
        }
        let a = run(packedLayout: false), b = run(packedLayout: true)
        #expect(zip(a.hidden, b.hidden).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(abs(a.loss - b.loss) < 1e-6 && a.loss > 0)
        for (ga, gb) in zip(a.grads, b.grads) {
            #expect(zip(ga, gb).allSatisfy { abs($0 - $1) < 1e-5 })
        }
        // The gradients are not trivially zero.
        #expect(a.grads.contains { $0.contains { abs($0) > 1e-4 } })
    }

    /// `score` packs too: its scores equal those of windows scored one user per row.
    @Test func packedScoringEqualsOneUserAtATime() throws {
        let (data, _) = synthesizeChains(users: 12, items: 30, length: 9, seed: 6)
        var o = Self.settings(1)
        o["epochs"] = .int(2); o["max_length"] = .int(5)
        let model = SASRec(config: .init(o))
        try model.fit(data, context: FitContext(seed: 2))
        let n = 30, users = (0..<12).map { Int32($0) }
        var all = [Float](repeating: 0, count: 12 * n), one = [Float](repeating: 0, count: n)
        all.withUnsafeMutableBufferPointer { model.score(users: users, into: $0) }
        for u in users {
            one.withUnsafeMutableBufferPointer { model.score(users: [u], into: $0) }
            #expect(zip(one, all[(Int(u) * n)..<(Int(u) * n + n)]).allSatisfy { abs($0 - $1) < 1e-5 })
        }
    }
}
