import RecbenchCore
@testable import RecbenchNN

/// Random parameters for tests: N(0, std²) values from a seeded stream.
func randomParameter(_ name: String, _ shape: Shape, std: Float = 1, seed: UInt64 = 1) -> Parameter {
    let p = Parameter(name, shape)
    var rng = RandomSource(seed: seed, stream: name)
    p.fillNormal(std: std, rng: &rng)
    return p
}

/// Compares the analytic gradient of L = Σ R ⊙ f(params) (R fixed random weights) with central
/// finite differences for every element of every parameter. `build` must be deterministic
/// (each evaluation gets a fresh graph with the same seed, so dropout masks repeat).
/// Returns the worst violation of |analytic − numeric| ≤ atol + rtol·|numeric| (≤ 0 passes).
func gradientCheck(
    _ params: [Parameter], epsilon: Float = 1e-2, atol: Float = 3e-3, rtol: Float = 3e-2,
    training: Bool = false, build: (Graph) -> Tensor
) -> Float {
    func evaluate(_ weights: [Float]?) -> (Double, [Float]?) {
        let g = Graph(training: training, recordsGradients: weights == nil, seed: 7)
        let out = build(g)
        let n = out.shape.count
        var rng = RandomSource(seed: 99, stream: "weights")
        let r = (0..<n).map { _ in n == 1 ? Float(1) : Float(rng.nextGaussian()) }
        var s: Double = 0
        for i in 0..<n { s += Double(r[i]) * Double(g.value(out)[i]) }
        if weights == nil { r.withUnsafeBufferPointer { g.backward(out, seed: $0) } }
        return (s, r)
    }
    for p in params { p.zeroGrad() }
    _ = evaluate(nil)
    let analytic = params.map { Array(UnsafeBufferPointer(start: $0.grad, count: $0.count)) }
    var worst: Float = -.infinity
    for (k, p) in params.enumerated() {
        for i in 0..<p.count {
            let saved = p.value[i]
            p.value[i] = saved + epsilon; let up = evaluate([]).0
            p.value[i] = saved - epsilon; let down = evaluate([]).0
            p.value[i] = saved
            let numeric = Float((up - down) / (2 * Double(epsilon)))
            let violation = abs(analytic[k][i] - numeric) - (atol + rtol * abs(numeric))
            worst = max(worst, violation)
        }
    }
    return worst
}
