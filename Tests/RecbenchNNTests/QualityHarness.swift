import Testing
import Foundation
import RecbenchCore
import RecbenchAlgorithms
@testable import RecbenchNN

/// Throwaway ML-100K harness (runs only with RECBENCH_QUALITY=1) used before the experiment
/// runner existed: leave-last-one-out by time, full ranking excluding the user's history.
/// Options: RECBENCH_MODEL=SASRec|BERT4Rec|NeuMF, RECBENCH_PARAMS="epochs=50,loss=bce,...",
/// RECBENCH_THREADS (default 2).
struct MovieLensSplit {
    var train: InteractionMatrix, validation: InteractionMatrix, testItem: [Int32]

    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var u = [String](), i = [String](), ts = [Int64]()
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t")
            u.append(String(f[0])); i.append(String(f[1])); ts.append(Int64(f[3])!)
        }
        let um = IDMap(ids: u), im = IDMap(ids: i)
        let users = u.map { um.index(of: $0)! }, items = i.map { im.index(of: $0)! }
        var byUser = [[Int]](repeating: [], count: um.count)
        for p in 0..<users.count { byUser[Int(users[p])].append(p) }
        var trainPos = [Int](), valPos = [Int]()
        testItem = [Int32](repeating: -1, count: um.count)
        for (uu, ps) in byUser.enumerated() {
            // Stable: equal timestamps keep file order.
            let s = ps.enumerated().sorted { a, b in ts[a.element] != ts[b.element] ? ts[a.element] < ts[b.element] : a.offset < b.offset }.map(\.element)
            testItem[uu] = items[s[s.count - 1]]
            valPos.append(s[s.count - 2])
            trainPos += s[0..<(s.count - 2)]
        }
        func matrix(_ pos: [Int]) -> InteractionMatrix {
            InteractionMatrix(userCount: um.count, itemCount: im.count, users: pos.map { users[$0] }, items: pos.map { items[$0] },
                              values: pos.map { _ in 1 }, timestamps: pos.map { ts[$0] }, order: pos.map { Int64($0) })
        }
        train = matrix(trainPos); validation = matrix(valPos)
    }

    /// NDCG@10 and HR@10 of the test item among items outside train + validation.
    func evaluate(_ model: any Recommender) -> (ndcg: Double, hr: Double) {
        let n = train.itemCount, users = (0..<train.userCount).map { Int32($0) }
        var scores = [Float](repeating: 0, count: users.count * n)
        scores.withUnsafeMutableBufferPointer { model.score(users: users, into: $0) }
        var ndcg = 0.0, hr = 0.0
        for u in 0..<users.count {
            let t = Int(testItem[u]), row = u * n, st = scores[row + t]
            var seen = Set(train.items(of: u)); seen.formUnion(validation.items(of: u))
            var rank = 0
            for i in 0..<n where i != t && !seen.contains(Int32(i)) && (scores[row + i] > st || (scores[row + i] == st && i < t)) { rank += 1 }
            if rank < 10 { hr += 1; ndcg += 1 / log2(Double(rank + 2)) }
        }
        return (ndcg / Double(users.count), hr / Double(users.count))
    }
}

func parseOverrides(_ s: String?) -> [String: ParameterValue] {
    var out = [String: ParameterValue]()
    for kv in (s ?? "").split(separator: ",") {
        let p = kv.split(separator: "=").map(String.init)
        guard p.count == 2 else { continue }
        if let i = Int(p[1]) { out[p[0]] = .int(i) }
        else if let d = Double(p[1]) { out[p[0]] = .real(d) }
        else if p[1] == "true" || p[1] == "false" { out[p[0]] = .bool(p[1] == "true") }
        else { out[p[0]] = .text(p[1]) }
    }
    return out
}

@Test(.enabled(if: ProcessInfo.processInfo.environment["RECBENCH_QUALITY"] == "1"))
func movieLensQuality() throws {
    let env = ProcessInfo.processInfo.environment
    let split = try MovieLensSplit(path: env["RECBENCH_ML100K"] ?? "/work/shared/datasets/ml-100k/u.data")
    let threads = Int(env["RECBENCH_THREADS"] ?? "2")!
    BLAS.setThreads(threads)
    let data = TrainingData(task: .sequential, interactions: split.train, validation: split.validation)
    let overrides = parseOverrides(env["RECBENCH_PARAMS"])
    let model: any Recommender
    switch env["RECBENCH_MODEL"] ?? "SASRec" {
    case "MostPopular": model = MostPopular(config: .init(ParameterValues([:])))
    case "BERT4Rec": model = BERT4Rec(config: .init(overrides))
    case "NeuMF": model = NeuMF(config: .init(overrides))
    default: model = SASRec(config: .init(overrides))
    }
    let context = FitContext(threads: threads, seed: UInt64(env["RECBENCH_SEED"] ?? "42")!)
    func cpu() -> Double { var t = timespec(); clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9 }
    let start = Date(), cpu0 = cpu()
    try model.fit(data, context: context)
    let fitSeconds = Date().timeIntervalSince(start), fitCPU = cpu() - cpu0
    for p in context.curve {
        print("epoch \(p.iteration): " + p.values.keys.sorted().map { "\($0)=\(String(format: "%.4f", p.values[$0]!))" }.joined(separator: " "))
    }
    let (ndcg, hr) = split.evaluate(model)
    print(String(format: "QUALITY %@ %@ fit %.1f s wall, %.1f s CPU  NDCG@10 %.4f  HR@10 %.4f", type(of: model).name, env["RECBENCH_PARAMS"] ?? "", fitSeconds, fitCPU, ndcg, hr))
    #expect(ndcg > 0)
}
