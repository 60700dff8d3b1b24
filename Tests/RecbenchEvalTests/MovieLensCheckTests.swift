import Testing
import Foundation
import RecbenchCore
import RecbenchAlgorithms
@testable import RecbenchEval

/// End-to-end reference: MostPopular on the canonical ML-100K u1…u5 folds, full ranking with
/// training items excluded, averaged over the five folds. Skipped when the data is absent (it is
/// never committed). The throwaway parser below uses user/item IDs − 1 as indices (IDs are dense).
@Suite struct MovieLensCheckTests {
    static let directory: String? = {
        let here = URL(fileURLWithPath: #filePath)
        let candidates: [String?] = [
            ProcessInfo.processInfo.environment["RECBENCH_ML100K"],
            here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("shared/datasets/ml-100k").path,
            "/work/shared/datasets/ml-100k"
        ]
        return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0 + "/u1.base") }
    }()

    static func load(_ path: String) throws -> InteractionMatrix {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var users: [Int32] = [], items: [Int32] = [], ratings: [Float] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t")
            users.append(Int32(f[0])! - 1); items.append(Int32(f[1])! - 1); ratings.append(Float(f[2])!)
        }
        return InteractionMatrix(userCount: 943, itemCount: 1682, users: users, items: items, values: ratings)
    }

    @Test(.enabled(if: directory != nil)) func mostPopularReference() throws {
        let dir = Self.directory!
        let metrics = try MetricCatalog.parse(all: ["ndcg@10", "recall@10"]).get()
        var ndcg = 0.0, recall = 0.0
        for fold in 1...5 {
            let train = try Self.load("\(dir)/u\(fold).base"), test = try Self.load("\(dir)/u\(fold).test")
            let model = MostPopular(config: MostPopular.Config(ParameterValues([:])))
            try model.fit(TrainingData(task: .ranking, interactions: train), context: FitContext())
            let users = (0..<943).map { Int32($0) }
            let lists = ScoringCore.topK(
                model: model, users: users, itemCount: 1682, k: 10, exclude: [train.byUser], threads: 2)
            let r = Evaluator.ranking(lists: lists, test: test, train: train, metrics: metrics)
            ndcg += r["ndcg@10"]!.value / 5
            recall += r["recall@10"]!.value / 5
        }
        print("ML-100K MostPopular u1-u5: NDCG@10 = \(ndcg), Recall@10 = \(recall)")
        #expect(abs(ndcg - 0.2507) <= 0.0005)
        #expect(abs(recall - 0.1134) <= 0.0005)
    }
}
