import Foundation
import Testing
import RecbenchCore
import RecbenchData
import RecbenchEval
import RecbenchAlgorithms

/// Size check of issue 3 (not part of the default suite): ItemKNN / UserKNN on a synthetic
/// 10⁷-interaction, 10⁵-item data set. Run in release under /usr/bin/time -v for peak memory:
///   RECBENCH_LARGE=1 RECBENCH_THREADS=1 RECBENCH_MODEL=item swift test -c release --filter KNNLarge
@Suite(.enabled(if: ProcessInfo.processInfo.environment["RECBENCH_LARGE"] != nil))
struct KNNLarge {
    @Test func fitAndTopTenForAll() throws {
        let env = ProcessInfo.processInfo.environment
        let threads = Int(env["RECBENCH_THREADS"] ?? "1") ?? 1
        let users = Int(env["RECBENCH_USERS"] ?? "100000") ?? 100_000
        let model = env["RECBENCH_MODEL"] ?? "item"
        var t0 = Date()
        let ds = SyntheticData.generate(
            SyntheticConfig(users: users, items: 100_000, interactions: 10_000_000, seed: 1, withFeatures: false))
        let train = ds.matrix().binarized()
        print(
            "LARGE generated \(train.userCount) users × \(train.itemCount) items, \(train.nnz) interactions in \(Date().timeIntervalSince(t0)) s"
        )
        let params = ParameterValues(
            specs: ItemKNN.Config.parameters, overrides: ["k": .int(20), "neighbors_kept": .int(50)])
        let rec: any Recommender = model == "item" ? ItemKNN(config: .init(params)) : UserKNN(config: .init(params))
        t0 = Date()
        try rec.fit(TrainingData(task: .ranking, interactions: train), context: FitContext(threads: threads))
        let fit = Date().timeIntervalSince(t0)
        let stored = (rec as? ItemKNN)?.neighbors.count ?? (rec as? UserKNN)?.neighbors.count ?? 0
        t0 = Date()
        let lists = ScoringCore.topK(
            model: rec, users: (0..<Int32(train.userCount)).map { $0 }, itemCount: train.itemCount,
            k: 10, exclude: [train.byUser], threads: threads, blockSize: 64)
        let top = Date().timeIntervalSince(t0)
        print("LARGE \(model)KNN threads=\(threads) fit \(fit) s, top-10 for all \(top) s, \(stored) neighbour entries")
        #expect(stored > 0 && stored <= (model == "item" ? train.itemCount : train.userCount) * 50)
        #expect(lists.items.allSatisfy { $0 >= 0 })
    }
}
