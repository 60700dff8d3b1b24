import RecbenchCore
import RecbenchAlgorithms
import RecbenchEval

/// Implicit data with planted structure that popularity cannot see: users and items fall into
/// `clusters` groups; a user's items come from its own group (`inside` of them) and otherwise from
/// a global head of popular items that every group shares. The head dominates item counts, so
/// MostPopular fills its lists with it; each user's held-out item is one of its items at random
/// (from the head or its group), so popularity scores above zero but misses the group items.
struct PlantedClusters {
    let train: InteractionMatrix
    let test: InteractionMatrix

    init(
        users: Int = 400, items: Int = 240, clusters: Int = 6, perUser: Int = 14, inside: Double = 0.8,
        head: Int = 20, seed: UInt64 = 7
    ) {
        var rng = RandomSource(seed: seed)
        let groupItems = (items - head) / clusters
        var tu = [Int32](), ti = [Int32](), su = [Int32](), si = [Int32]()
        for u in 0..<users {
            let g = u % clusters
            var chosen = Set<Int>(), order: [Int] = []
            while chosen.count < perUser {
                let i: Int
                if rng.nextDouble() < inside {
                    // Skewed within the group, so the group has its own popular items too.
                    let r = rng.nextDouble()
                    i = head + g * groupItems + min(groupItems - 1, Int(Double(groupItems) * r * r))
                } else {
                    let r = rng.nextDouble()
                    i = min(head - 1, Int(Double(head) * r * r))
                }
                if chosen.insert(i).inserted { order.append(i) }
            }
            let held = order[rng.nextInt(below: order.count)]
            for i in chosen.sorted() {
                if i == held {
                    su.append(Int32(u)); si.append(Int32(i))
                } else {
                    tu.append(Int32(u)); ti.append(Int32(i))
                }
            }
        }
        train = InteractionMatrix(
            userCount: users, itemCount: items, users: tu, items: ti,
            values: [Float](repeating: 1, count: tu.count))
        test = InteractionMatrix(
            userCount: users, itemCount: items, users: su, items: si,
            values: [Float](repeating: 1, count: su.count))
    }

    /// NDCG@10 of a fitted model over the users with a test item (training items excluded).
    func ndcg(_ model: any Recommender, threads: Int = 2) -> Double {
        let users = (0..<test.userCount).filter { test.byUser.rowCount($0) > 0 }.map { Int32($0) }
        let lists = ScoringCore.topK(
            model: model, users: users, itemCount: train.itemCount, k: 10,
            exclude: [train.byUser], threads: threads)
        return Evaluator.ranking(lists: lists, test: test, train: train, metrics: [MetricSpec(name: "ndcg", k: 10)])
            .metrics[0].value
    }

    func fitted<R: Recommender>(_ type: R.Type, _ overrides: [String: ParameterValue] = [:], threads: Int = 2) throws
        -> R
    {
        let model = R(config: R.Config(ParameterValues(specs: R.Config.parameters, overrides: overrides)))
        try model.fit(TrainingData(task: .ranking, interactions: train), context: FitContext(threads: threads, seed: 3))
        return model
    }

    var popularityNDCG: Double { ndcg((try? fitted(MostPopular.self))!) }
}
