import Foundation
import Testing
import RecbenchCore
import RecbenchAlgorithms

/// Throwaway ML-100K quality check for the matrix-factorisation models, until the shared runner
/// and metrics exist. Opt-in (RECBENCH_QUALITY=1; use `-c release`): five canonical folds u1–u5.
/// Ranking: every rating an interaction, full ranking of items not in the user's training part,
/// NDCG@10 with binary gains. Rating: RMSE of predictions on the test ratings.
/// RECBENCH_QUALITY_ALGO picks models (comma-separated), RECBENCH_QUALITY_PARAMS overrides
/// parameters ("factors=64,alpha=2"), RECBENCH_QUALITY_FOLDS limits folds ("1,2").
enum ML100K {
    static let directory: String = {
        for p in ["../shared/datasets/ml-100k", "/work/shared/datasets/ml-100k"] where FileManager.default.fileExists(atPath: p + "/u1.base") { return p }
        return ""
    }()
    static let users = 943, items = 1682

    static func read(_ file: String) -> (u: [Int32], i: [Int32], r: [Float]) {
        let text = try! String(contentsOfFile: directory + "/" + file, encoding: .utf8)
        var u = [Int32](), i = [Int32](), r = [Float]()
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t")
            u.append(Int32(f[0])! - 1); i.append(Int32(f[1])! - 1); r.append(Float(f[2])!)
        }
        return (u, i, r)
    }

    static func matrix(_ t: (u: [Int32], i: [Int32], r: [Float])) -> InteractionMatrix {
        InteractionMatrix(userCount: users, itemCount: items, users: t.u, items: t.i, values: t.r)
    }

    /// Mean NDCG@10 over users with test items.
    static func ndcg(_ model: any Recommender, train: InteractionMatrix, test: InteractionMatrix, k: Int = 10) -> Double {
        let evalUsers = (0..<users).filter { test.byUser.rowCount($0) > 0 }.map { Int32($0) }
        var total = 0.0
        let batch = 256
        var scores = [Float](repeating: 0, count: batch * items)
        for start in stride(from: 0, to: evalUsers.count, by: batch) {
            let us = Array(evalUsers[start..<min(evalUsers.count, start + batch)])
            scores.withUnsafeMutableBufferPointer { model.score(users: us, into: UnsafeMutableBufferPointer(rebasing: $0[0..<(us.count * items)])) }
            for (r, u) in us.enumerated() {
                for i in train.items(of: Int(u)) { scores[r * items + Int(i)] = -.infinity }
                var top = [(Float, Int)]()
                for i in 0..<items {
                    let s = scores[r * items + i]
                    if s == -.infinity { continue }
                    if top.count < k { top.append((s, i)); top.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) } }
                    else if s > top[k - 1].0 { top[k - 1] = (s, i); top.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) } }
                }
                let relevant = Set(test.items(of: Int(u)).map(Int.init))
                var dcg = 0.0, idcg = 0.0
                for (pos, (_, i)) in top.enumerated() where relevant.contains(i) { dcg += 1 / log2(Double(pos + 2)) }
                for pos in 0..<min(k, relevant.count) { idcg += 1 / log2(Double(pos + 2)) }
                total += dcg / idcg
            }
        }
        return total / Double(evalUsers.count)
    }

    static func overrides(_ specs: [ParameterSpec]) -> ParameterValues {
        var o = [String: ParameterValue]()
        for kv in (ProcessInfo.processInfo.environment["RECBENCH_QUALITY_PARAMS"] ?? "").split(separator: ",") {
            let p = kv.split(separator: "="), name = String(p[0]), v = String(p[1])
            guard let spec = specs.first(where: { $0.name == name }) else { fatalError("unknown parameter \(name)") }
            switch spec.kind {
            case .integer: o[name] = .int(Int(v)!)
            case .real: o[name] = .real(Double(v)!)
            case .boolean: o[name] = .bool(v == "true")
            case .choice: o[name] = .text(v)
            }
        }
        return ParameterValues(specs: specs, overrides: o)
    }

    static func wanted(_ name: String) -> Bool {
        guard let a = ProcessInfo.processInfo.environment["RECBENCH_QUALITY_ALGO"] else { return true }
        return a.split(separator: ",").contains { $0 == name }
    }

    static var folds: [Int] {
        (ProcessInfo.processInfo.environment["RECBENCH_QUALITY_FOLDS"] ?? "1,2,3,4,5").split(separator: ",").map { Int($0)! }
    }

    static func threads() -> Int { Int(ProcessInfo.processInfo.environment["RECBENCH_THREADS"] ?? "1") ?? 1 }

    /// Fits R on every fold; returns mean NDCG@10 (ranking) or RMSE (rating).
    static func evaluate<R: Recommender>(_ type: R.Type, rating: Bool = false) throws -> Double {
        let values = overrides(R.Config.parameters)
        var sum = 0.0
        for f in folds {
            let train = matrix(read("u\(f).base")), testRaw = read("u\(f).test"), test = matrix(testRaw)
            let model = R(config: R.Config(values))
            let ctx = FitContext(threads: threads(), seed: 42)
            let t0 = Date()
            try model.fit(TrainingData(task: rating ? .rating : .ranking, interactions: train), context: ctx)
            let fitTime = Date().timeIntervalSince(t0)
            let value: Double
            if rating {
                let p = model.predict(users: testRaw.u, items: testRaw.i)
                value = (zip(p, testRaw.r).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +) / Double(p.count)).squareRoot()
            } else {
                value = ndcg(model, train: train, test: test)
            }
            let curve = ctx.curve.map { String(format: "%.4g", $0.values["loss"] ?? .nan) }.joined(separator: " ")
            print("\(R.name) fold u\(f): \(rating ? "RMSE" : "NDCG@10") = \(String(format: "%.4f", value))  fit \(String(format: "%.2f", fitTime)) s  loss: \(curve)")
            sum += value
        }
        let mean = sum / Double(folds.count)
        print("\(R.name) [\(values.canonical)] mean \(rating ? "RMSE" : "NDCG@10") = \(String(format: "%.4f", mean))")
        return mean
    }
}

@Suite(.enabled(if: ProcessInfo.processInfo.environment["RECBENCH_QUALITY"] == "1" && !ML100K.directory.isEmpty))
struct MFQualityTests {
    @Test func implicitALSFloor() throws {
        guard ML100K.wanted("ImplicitALS") else { return }
        #expect(try ML100K.evaluate(ImplicitALS.self) >= 0.385)
    }

    @Test func explicitALSFloor() throws {
        guard ML100K.wanted("ExplicitALS") else { return }
        #expect(try ML100K.evaluate(ExplicitALS.self, rating: true) <= 0.910)
    }

    @Test func bprFloor() throws {
        guard ML100K.wanted("BPR") else { return }
        #expect(try ML100K.evaluate(BPR.self) >= 0.415)
    }

    @Test func easeFloor() throws {
        guard ML100K.wanted("EASE") else { return }
        #expect(try ML100K.evaluate(EASE.self) >= 0.461)
    }
}
