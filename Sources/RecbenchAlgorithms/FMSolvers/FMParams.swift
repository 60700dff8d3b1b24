import RecbenchCore
import RecbenchGSL

/// FM parameters: Float32 storage, factors feature-major (v[j·k + f]).
struct FMParams: Sendable {
    var w0: Double = 0
    var w: [Float]
    var v: [Float]
    let k: Int

    init(featureCount: Int, k: Int) {
        self.k = k
        w = [Float](repeating: 0, count: featureCount)
        v = [Float](repeating: 0, count: featureCount * k)
    }
}
