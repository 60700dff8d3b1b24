import Foundation
import Testing
import RecbenchCore
import RecbenchAlgorithms

/// Quality floors of issue 3 on ML-100K's canonical u1–u5 folds, measured with a small local
/// evaluator (skipped when the data set is absent). The experiment runner reproduces them through
/// experiments/ml100k-knn.json; this check keeps the defaults honest until then.
enum ML100K {
    static let directory: String = {
        let here = URL(fileURLWithPath: #filePath)
        for up in [3, 4] {
            var u = here
            for _ in 0..<up { u.deleteLastPathComponent() }
            let d = u.deletingLastPathComponent().appendingPathComponent("shared/datasets/ml-100k").path
            if FileManager.default.fileExists(atPath: d + "/u1.base") { return d }
        }
        return "/work/shared/datasets/ml-100k"
    }()
    static var available: Bool { FileManager.default.fileExists(atPath: directory + "/u1.base") }
    static let users = 943, items = 1682

    struct Triples { var users: [Int32] = [], items: [Int32] = [], values: [Float] = [] }

    static func read(_ name: String) throws -> Triples {
        var t = Triples()
        let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t")
            t.users.append(Int32(f[0])! - 1); t.items.append(Int32(f[1])! - 1); t.values.append(Float(f[2])!)
        }
        return t
    }

    static func fold(_ f: Int) throws -> (train: InteractionMatrix, test: Triples) {
        let b = try read("u\(f).base")
        return (InteractionMatrix(userCount: users, itemCount: items, users: b.users, items: b.items, values: b.values),
                try read("u\(f).test"))
    }

    static func values(_ type: any AlgorithmConfig.Type, _ overrides: [String: ParameterValue]) -> ParameterValues {
        ParameterValues(specs: type.parameters, overrides: overrides)
    }

    /// Mean over folds of RMSE (rating) or NDCG@10 (ranking, binary gains, training items excluded).
    static func evaluate(_ make: () -> any Recommender, task: Task, threads: Int = 1) throws -> Double {
        var total = 0.0
        for f in 1...5 {
            let (train, test) = try fold(f)
            let model = make()
            let data = TrainingData(task: task, interactions: task == .rating ? train : train.binarized())
            try model.fit(data, context: FitContext(threads: threads))
            if task == .rating {
                let p = model.predict(users: test.users, items: test.items)
                var se = 0.0
                for k in p.indices { let d = Double(p[k]) - Double(test.values[k]); se += d * d }
                total += (se / Double(p.count)).squareRoot()
            } else {
                total += ndcg10(model, train: train, test: test)
            }
        }
        return total / 5
    }

    static func ndcg10(_ model: any Recommender, train: InteractionMatrix, test: Triples) -> Double {
        var relevant = [Set<Int32>](repeating: [], count: users)
        for k in test.users.indices { relevant[Int(test.users[k])].insert(test.items[k]) }
        let evalUsers = (0..<users).filter { !relevant[$0].isEmpty }.map { Int32($0) }
        var scores = [Float](repeating: 0, count: evalUsers.count * items)
        scores.withUnsafeMutableBufferPointer { model.score(users: evalUsers, into: $0) }
        var sum = 0.0
        for (r, u) in evalUsers.enumerated() {
            var row = Array(scores[(r * items)..<((r + 1) * items)])
            for i in train.items(of: Int(u)) { row[Int(i)] = -.infinity }
            let top = (0..<items).sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(10)
            var dcg = 0.0
            for (rank, i) in top.enumerated() where relevant[Int(u)].contains(Int32(i)) { dcg += 1 / log2(Double(rank) + 2) }
            var idcg = 0.0
            for rank in 0..<min(10, relevant[Int(u)].count) { idcg += 1 / log2(Double(rank) + 2) }
            sum += dcg / idcg
        }
        return sum / Double(evalUsers.count)
    }
}

/// The settings experiments/ml100k-knn.json uses for each floor.
enum FloorSettings {
    static let itemRanking: [String: ParameterValue] = [:]
    static let userRanking: [String: ParameterValue] = [:]
    static let itemRating: [String: ParameterValue] = ["similarity": .text("adjusted_cosine"), "neighbors_kept": .int(2000)]
    static let userRating: [String: ParameterValue] = ["similarity": .text("pearson"), "shrinkage": .real(100), "k": .int(40), "neighbors_kept": .int(1000), "variant": .text("baseline")]
    static let itemBaseline: [String: ParameterValue] = ["similarity": .text("adjusted_cosine"), "shrinkage": .real(10), "k": .int(30), "neighbors_kept": .int(2000), "variant": .text("baseline")]
}

@Suite(.enabled(if: ML100K.available && ProcessInfo.processInfo.environment["RECBENCH_ML100K"] != nil))
struct KNNMovieLensFloors {
    func item(_ o: [String: ParameterValue]) -> () -> any Recommender { { ItemKNN(config: .init(ML100K.values(ItemKNN.Config.self, o))) } }
    func user(_ o: [String: ParameterValue]) -> () -> any Recommender { { UserKNN(config: .init(ML100K.values(UserKNN.Config.self, o))) } }

    @Test func itemRankingFloor() throws {
        let v = try ML100K.evaluate(item(FloorSettings.itemRanking), task: .ranking)
        print("ItemKNN NDCG@10 \(v)"); #expect(v >= 0.380)
    }
    @Test func userRankingFloor() throws {
        let v = try ML100K.evaluate(user(FloorSettings.userRanking), task: .ranking)
        print("UserKNN NDCG@10 \(v)"); #expect(v >= 0.430)
    }
    @Test func itemRatingFloor() throws {
        let v = try ML100K.evaluate(item(FloorSettings.itemRating), task: .rating)
        print("ItemKNN RMSE \(v)"); #expect(v <= 0.915)
    }
    @Test func userRatingFloor() throws {
        let v = try ML100K.evaluate(user(FloorSettings.userRating), task: .rating)
        print("UserKNN RMSE \(v)"); #expect(v <= 0.935)
    }
    @Test func itemBaselineFloor() throws {
        let v = try ML100K.evaluate(item(FloorSettings.itemBaseline), task: .rating)
        print("ItemKNN baseline RMSE \(v)"); #expect(v <= 0.910)
    }

    /// RECBENCH_KNN_TUNE="item;ranking;k=20,neighbors_kept=50|user;rating;similarity=pearson" prints
    /// each setting's fold average (a scratch tool for choosing the experiment file's grids).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["RECBENCH_KNN_TUNE"] != nil))
    func tune() throws {
        for spec in ProcessInfo.processInfo.environment["RECBENCH_KNN_TUNE"]!.split(separator: "|") {
            let parts = spec.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            var o = [String: ParameterValue]()
            for kv in parts[2].split(separator: ",") {
                let p = kv.split(separator: "=").map(String.init)
                if let i = Int(p[1]) { o[p[0]] = .int(i) } else if let d = Double(p[1]) { o[p[0]] = .real(d) }
                else if p[1] == "true" || p[1] == "false" { o[p[0]] = .bool(p[1] == "true") } else { o[p[0]] = .text(p[1]) }
            }
            for (name, s) in ItemKNN.Config.parameters.map({ ($0.name, $0) }) where o[name] != nil {
                if case .real = s.kind, case let .int(x)? = o[name] { o[name] = .real(Double(x)) }
            }
            let t0 = Date()
            let v = try ML100K.evaluate(parts[0] == "item" ? item(o) : user(o), task: Task(rawValue: parts[1])!)
            print("TUNE \(spec) -> " + String(format: "%.4f (%.1fs)", v, Date().timeIntervalSince(t0)))
        }
    }
}
