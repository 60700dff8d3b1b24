import RecbenchCore
import RecbenchAlgorithms
@testable import RecbenchEval

/// Interactions from (user, item) pairs with value 1, or explicit values.
func interactions(users: Int, items: Int, _ pairs: [(Int, Int)], values: [Float]? = nil) -> InteractionMatrix {
    InteractionMatrix(
        userCount: users, itemCount: items, users: pairs.map { Int32($0.0) }, items: pairs.map { Int32($0.1) },
        values: values ?? [Float](repeating: 1, count: pairs.count))
}

struct NoConfig: AlgorithmConfig {
    static let parameters: [ParameterSpec] = []
    init(_ values: ParameterValues) {}
    func estimatedPeakBytes(_ shape: DataShape) -> Int { 0 }
}

/// A model whose scores are a fixed users × items table (row-major).
final class TableModel: Recommender {
    typealias Config = NoConfig
    static let name = "Table"
    static let summary = "fixed scores"
    static let tasks: Set<RecommendationTask> = [.ranking]
    var table: [Float] = []
    var itemCount = 0
    init(config: NoConfig) {}
    convenience init(table: [Float], itemCount: Int) {
        self.init(config: NoConfig(ParameterValues([:])))
        self.table = table; self.itemCount = itemCount
    }
    func fit(_ data: TrainingData, context: FitContext) throws {}
    func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        for (r, u) in users.enumerated() {
            for i in 0..<itemCount { scores[r * itemCount + i] = table[Int(u) * itemCount + i] }
        }
    }
}

/// A factor model; `exposeFactors == false` hides the factors so the core must call score(),
/// which is computed here with plain loops (an independent check of the sgemm path).
final class FactorModel: Recommender {
    typealias Config = NoConfig
    static let name = "Factors"
    static let summary = "fixed factors"
    static let tasks: Set<RecommendationTask> = [.ranking]
    var f: LatentFactors!
    var exposeFactors = true
    init(config: NoConfig) {}
    convenience init(_ f: LatentFactors, exposeFactors: Bool) {
        self.init(config: NoConfig(ParameterValues([:])))
        self.f = f; self.exposeFactors = exposeFactors
    }
    var factors: LatentFactors? { exposeFactors ? f : nil }
    func fit(_ data: TrainingData, context: FitContext) throws {}
    func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        let n = f.items.rows, d = f.items.columns
        for (r, u) in users.enumerated() {
            for i in 0..<n {
                var s: Float = f.itemBias?[i] ?? 0
                for c in 0..<d { s += f.users[Int(u), c] * f.items[i, c] }
                scores[r * n + i] = s
            }
        }
    }
}

/// Reference top K: sort all non-excluded indices by (NaN last, score descending, index ascending).
func referenceTopK(_ scores: [Float], k: Int, excluded: Set<Int32>, candidates: [Int32]? = nil) -> [Int32] {
    let pool = (candidates ?? (0..<scores.count).map { Int32($0) }).filter { !excluded.contains($0) }
    let sorted = pool.sorted { a, b in
        let sa = scores[Int(a)], sb = scores[Int(b)]
        if sa.isNaN != sb.isNaN { return sb.isNaN }
        if !sa.isNaN && sa != sb { return sa > sb }
        return a < b
    }
    return Array(sorted.prefix(k))
}
