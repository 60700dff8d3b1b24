import RecbenchCore

/// r̂(u, i) = μ + b_u + b_i, with biases fitted by alternating regularised least squares:
/// b_i = Σ_u (r − μ − b_u) / (λ_i + n_i), b_u = Σ_i (r − μ − b_i) / (λ_u + n_u).
/// The rating baseline that neighbourhood and factor models are measured against.
public final class BiasBaseline: RatingPredictor {
    public struct Config: AlgorithmConfig {
        public static let parameters: [ParameterSpec] = [
            .real("item_reg", default: 10, "λ_i: shrinks item biases towards 0 (a damping count)."),
            .real("user_reg", default: 15, "λ_u: shrinks user biases towards 0 (a damping count)."),
            .integer("iterations", default: 10, min: 1, max: 1000, "Alternating sweeps.")
        ]
        public var itemReg: Double, userReg: Double, iterations: Int
        public init(_ v: ParameterValues) {
            itemReg = v.real("item_reg"); userReg = v.real("user_reg"); iterations = v.int("iterations")
        }
        /// Double user and item biases and one residual per interaction.
        public func estimatedPeakBytes(_ s: DataShape) -> Int { 8 * (s.users + s.items) + 8 * s.interactions }
    }
    public static let name = "Bias"
    public static let summary = "Global mean plus regularised user and item biases."
    public static let tasks: Set<RecommendationTask> = [.rating, .ranking]

    public let config: Config
    public private(set) var globalMean: Double = 0
    public private(set) var userBias: [Double] = []
    public private(set) var itemBias: [Double] = []

    public init(config: Config) { self.config = config }

    public func fit(_ data: TrainingData, context: FitContext) throws {
        let m = data.interactions
        let values = m.byUser.values
        globalMean = values.isEmpty ? 0 : values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        userBias = [Double](repeating: 0, count: m.userCount)
        itemBias = [Double](repeating: 0, count: m.itemCount)
        // Closed-form sweeps; nothing to validate between them.
        try TrainingLoop(iterations: config.iterations, validating: false).run(
            context: context, model: self, snapshot: {}, restore: { _ in }
        ) { _ in
            for i in 0..<m.itemCount {
                var s = 0.0
                for k in m.byItem.rowRange(i) {
                    s += Double(m.byItem.values[k]) - globalMean - userBias[Int(m.byItem.indices[k])]
                }
                itemBias[i] = s / (config.itemReg + Double(m.byItem.rowCount(i)))
            }
            for u in 0..<m.userCount {
                var s = 0.0
                for k in m.byUser.rowRange(u) {
                    s += Double(m.byUser.values[k]) - globalMean - itemBias[Int(m.byUser.indices[k])]
                }
                userBias[u] = s / (config.userReg + Double(m.byUser.rowCount(u)))
            }
            return ["train_rmse": trainingRMSE(m)]
        }
    }

    private func trainingRMSE(_ m: InteractionMatrix) -> Double {
        var squared = 0.0
        for u in 0..<m.userCount {
            for k in m.byUser.rowRange(u) {
                let e = Double(m.byUser.values[k]) - globalMean - userBias[u] - itemBias[Int(m.byUser.indices[k])]
                squared += e * e
            }
        }
        return (squared / Double(max(1, m.nnz))).squareRoot()
    }

    public func predict(users: [Int32], items: [Int32]) -> [Float] {
        zip(users, items).map { Float(globalMean + userBias[Int($0)] + itemBias[Int($1)]) }
    }

    /// Ranking by b_i (μ and b_u do not change a user's order).
    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        let n = itemBias.count
        for r in 0..<users.count { for i in 0..<n { scores[r * n + i] = Float(itemBias[i]) } }
    }
}
