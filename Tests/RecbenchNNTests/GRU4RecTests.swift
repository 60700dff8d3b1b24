import Foundation
import Testing
import RecbenchCore
import RecbenchAlgorithms
@testable import RecbenchNN

/// The GRU op by hand and by finite differences, and GRU4Rec on planted successor chains.
@Suite struct GRU4RecTests {
    /// Two steps of a one-unit GRU, computed here in Double from the definition.
    @Test func gruMatchesTheDefinitionByHand() {
        let gx: [Float] = [0.3, -0.2, 0.5, /* t = 1 */ -0.4, 0.1, 0.9]  // [r | z | n] per step
        let u: [Float] = [0.7, -0.6, 1.1], c: [Float] = [0.05, 0.2, -0.1]
        let g = Graph(training: false, recordsGradients: false)
        let out = g.values(
            g.gru(
                inputGates: g.input(Shape(1, 2, 3), gx), recurrent: g.input(Shape(1, 3), u),
                recurrentBias: g.input(Shape(3), c)))
        func sigma(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        var h = 0.0, expected: [Double] = []
        for t in 0..<2 {
            let x = gx[(3 * t)...].prefix(3).map(Double.init)
            let r = sigma(x[0] + h * Double(u[0]) + Double(c[0])), z = sigma(x[1] + h * Double(u[1]) + Double(c[1]))
            let n = Foundation.tanh(x[2] + r * (h * Double(u[2]) + Double(c[2])))
            h = (1 - z) * n + z * h
            expected.append(h)
        }
        #expect(out.count == 2)
        for t in 0..<2 { #expect(abs(Double(out[t]) - expected[t]) < 1e-6, "step \(t): \(out[t]) vs \(expected[t])") }
    }

    @Test func gruGradientChecks() {
        let gx = randomParameter("gx", Shape(2, 4, 6), std: 0.8),
            u = randomParameter("u", Shape(2, 6), std: 0.6, seed: 2)
        let c = randomParameter("c", Shape(6), std: 0.3, seed: 3)
        let worst = gradientCheck([gx, u, c]) { g in
            g.gru(inputGates: g.parameter(gx), recurrent: g.parameter(u), recurrentBias: g.parameter(c))
        }
        #expect(worst <= 0, "worst violation \(worst)")
    }

    static let small: [String: ParameterValue] = [
        "embedding_size": .int(16), "hidden_size": .int(32), "max_length": .int(12), "dropout": .real(0),
        "learning_rate": .real(0.01), "batch_size": .int(32), "epochs": .int(40)
    ]

    /// The state at position t depends only on items at positions ≤ t.
    @Test func encoderIsCausal() {
        let model = GRU4Rec(config: .init(Self.small))
        model.core.build(itemCount: 20, seed: 3)
        let d = 16
        func hidden(_ window: [Int32]) -> [Float] {
            let g = Graph(training: false, recordsGradients: false)
            let valid = window.map { $0 >= 0 ? Int32(1) : 0 }
            return g.values(
                window.withUnsafeBufferPointer { w in
                    valid.withUnsafeBufferPointer { model.core.encode(g, items: w, keyValid: $0, batch: 1) }
                })
        }
        let a: [Int32] = [-1, -1, 4, 7, 1, 9, 3, 3, 12, 5, 6, 0]
        var b = a
        b[9] = 17; b[10] = 2; b[11] = 19
        let ha = hidden(a), hb = hidden(b)
        #expect(Array(ha[0..<(9 * d)]) == Array(hb[0..<(9 * d)]))
        #expect(Array(ha[(9 * d)...]) != Array(hb[(9 * d)...]))
    }

    @Test func learnsDeterministicSuccessor() throws {
        let (data, next) = synthesizeChains(users: 200, items: 40, length: 14, seed: 3)
        let model = GRU4Rec(config: .init(Self.small))
        let context = FitContext(seed: 5)
        try model.fit(data, context: context)
        let hr = hitRateAtOne(model, data, next: next)
        #expect(hr > 0.9, "HR@1 \(hr)")
        let losses = context.curve.compactMap { $0.values["loss"] }
        #expect(losses.count == 40 && losses.last! < losses.first!)
        // Popularity cannot tell successors apart: its HR@1 is near 1/40.
        let pop = MostPopular(config: .init(ParameterValues(specs: MostPopular.Config.parameters)))
        try pop.fit(data, context: FitContext())
        #expect(hitRateAtOne(pop, data, next: next) < 0.2)
    }
}
