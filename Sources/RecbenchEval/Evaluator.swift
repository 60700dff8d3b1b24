import RecbenchCore
import Foundation

/// One metric's value for a fold, with the per-user values behind it (nil for aggregate metrics).
public struct MetricValue: Sendable {
    public let spec: MetricSpec
    public let value: Double
    public let perUser: [Double]?
    public init(spec: MetricSpec, value: Double, perUser: [Double]?) { self.spec = spec; self.value = value; self.perUser = perUser }
}

/// Metrics of one fold: the evaluated users (ascending) and each metric, perUser aligned with `users`.
public struct EvaluationResult: Sendable {
    public let users: [Int32]
    public let skippedUsers: Int
    public let metrics: [MetricValue]
    public init(users: [Int32], skippedUsers: Int, metrics: [MetricValue]) {
        self.users = users; self.skippedUsers = skippedUsers; self.metrics = metrics
    }
    public subscript(label: String) -> MetricValue? { metrics.first { $0.spec.label == label } }
}

/// Computes metrics from ranked lists or rating predictions. Definitions: docs/METRICS.md.
/// The fold value of a per-user metric is the mean over evaluated users (NaN per-user values,
/// possible only for AUC, novelty and ARP, are left out of the mean).
public enum Evaluator {
    /// Ranking metrics for the lists' users. Users with no test items are skipped and counted.
    /// The relevant items of a user are its test items; padded (-1) slots are misses. Every cutoff
    /// must be ≤ lists.k. "auc" needs lists.auc (ScoringCore.topK with aucTest).
    public static func ranking(lists: RankedLists, test: InteractionMatrix, train: InteractionMatrix,
                               metrics: [MetricSpec]) -> EvaluationResult {
        for m in metrics {
            precondition(m.kind == .ranking || m.kind == .beyondAccuracy, "\(m.label) is not a ranking metric")
            precondition((m.k ?? 0) <= lists.k, "\(m.label) needs lists of at least \(m.k!) items, got \(lists.k)")
        }
        // Evaluated rows in ascending user order.
        var rows = lists.users.indices.filter { r in
            let u = Int(lists.users[r]); return u < test.userCount && test.byUser.rowCount(u) > 0
        }
        rows.sort { lists.users[$0] < lists.users[$1] }
        let skipped = lists.users.count - rows.count
        let users = rows.map { lists.users[$0] }
        let k = lists.k

        // hits[j][p] = whether slot p of evaluated row j is a test item.
        let hits: [[Bool]] = rows.map { r in
            let u = Int(lists.users[r])
            return lists.row(r).map { $0 >= 0 && test.byUser.value(row: u, column: Int($0)) != nil }
        }
        let testCounts = users.map { test.byUser.rowCount(Int($0)) }
        let popularity = train.itemCounts  // n_i: training users of item i (one entry per (user, item) pair)
        let trainUsers = Double(train.userCount)
        let itemCount = test.itemCount

        var results: [MetricValue] = []
        for spec in metrics {
            let K = spec.k ?? k
            func perUser(_ f: (Int) -> Double) -> MetricValue {
                let values = (0..<rows.count).map(f)
                return MetricValue(spec: spec, value: meanIgnoringNaN(values), perUser: values)
            }
            switch spec.name {
            case "precision":
                results.append(perUser { j in Double(hitCount(hits[j], K)) / Double(K) })
            case "recall":
                results.append(perUser { j in Double(hitCount(hits[j], K)) / Double(testCounts[j]) })
            case "hitrate":
                results.append(perUser { j in hitCount(hits[j], K) > 0 ? 1 : 0 })
            case "mrr":
                results.append(perUser { j in
                    guard let p = hits[j].prefix(K).firstIndex(of: true) else { return 0 }
                    return 1 / Double(p + 1)
                })
            case "ndcg":
                results.append(perUser { j in
                    var dcg = 0.0
                    for p in 0..<K where hits[j][p] { dcg += 1 / log2(Double(p + 2)) }
                    var idcg = 0.0
                    for p in 0..<min(testCounts[j], K) { idcg += 1 / log2(Double(p + 2)) }
                    return dcg / idcg
                })
            case "map":
                results.append(perUser { j in
                    var found = 0, sum = 0.0
                    for p in 0..<K where hits[j][p] { found += 1; sum += Double(found) / Double(p + 1) }
                    return sum / Double(min(testCounts[j], K))
                })
            case "auc":
                if let auc = lists.auc {
                    results.append(perUser { j in auc[rows[j]] })
                } else {
                    results.append(MetricValue(spec: spec, value: .nan, perUser: nil))
                }
            case "coverage":
                var seen = [Bool](repeating: false, count: itemCount)
                var distinct = 0
                for r in rows { for i in lists.row(r).prefix(K) where i >= 0 && !seen[Int(i)] { seen[Int(i)] = true; distinct += 1 } }
                results.append(MetricValue(spec: spec, value: itemCount == 0 ? 0 : Double(distinct) / Double(itemCount), perUser: nil))
            case "gini":
                var counts = [Double](repeating: 0, count: itemCount)
                for r in rows { for i in lists.row(r).prefix(K) where i >= 0 { counts[Int(i)] += 1 } }
                results.append(MetricValue(spec: spec, value: gini(counts), perUser: nil))
            case "novelty":
                results.append(perUser { j in
                    meanIgnoringNaN(lists.row(rows[j]).prefix(K).filter { $0 >= 0 }.map {
                        -log2(Double(max(popularity[Int($0)], 1)) / trainUsers)
                    })
                })
            case "arp":
                results.append(perUser { j in
                    meanIgnoringNaN(lists.row(rows[j]).prefix(K).filter { $0 >= 0 }.map { Double(popularity[Int($0)]) })
                })
            default:
                preconditionFailure("metric \(spec.label) is not computed from ranked lists")
            }
        }
        return EvaluationResult(users: users, skippedUsers: skipped, metrics: results)
    }

    /// Rating metrics. predictions[e] is for test.byUser entry e (CSR order). The fold value is
    /// over all test ratings; perUser holds each evaluated user's own RMSE / MAE. Users without
    /// test ratings are skipped and counted.
    public static func rating(predictions: [Float], test: InteractionMatrix, metrics: [MetricSpec]) -> EvaluationResult {
        precondition(predictions.count == test.nnz, "\(predictions.count) predictions for \(test.nnz) test ratings")
        for m in metrics { precondition(m.kind == .rating, "\(m.label) is not a rating metric") }
        let actual = test.byUser.values
        let users = (0..<test.userCount).filter { test.byUser.rowCount($0) > 0 }
        var results: [MetricValue] = []
        for spec in metrics {
            let squared = spec.name == "rmse"
            func loss(_ e: Int) -> Double {
                let d = Double(predictions[e]) - Double(actual[e])
                return squared ? d * d : abs(d)
            }
            var total = 0.0
            var perUser: [Double] = []
            perUser.reserveCapacity(users.count)
            for u in users {
                var s = 0.0
                for e in test.byUser.rowRange(u) { s += loss(e) }
                total += s
                let mean = s / Double(test.byUser.rowCount(u))
                perUser.append(squared ? mean.squareRoot() : mean)
            }
            let mean = test.nnz == 0 ? Double.nan : total / Double(test.nnz)
            results.append(MetricValue(spec: spec, value: squared ? mean.squareRoot() : mean, perUser: perUser))
        }
        return EvaluationResult(users: users.map { Int32($0) }, skippedUsers: test.userCount - users.count, metrics: results)
    }

    /// Gini coefficient of non-negative counts: Σ_i (2i − n − 1)·c_(i) / (n · Σ c), with c sorted
    /// ascending and i = 1…n. 0 when all counts are equal (or all zero), (n−1)/n when one item has all.
    public static func gini(_ counts: [Double]) -> Double {
        let n = counts.count
        let total = counts.reduce(0, +)
        guard n > 0, total > 0 else { return 0 }
        let sorted = counts.sorted()
        var s = 0.0
        for (i, c) in sorted.enumerated() { s += Double(2 * (i + 1) - n - 1) * c }
        return s / (Double(n) * total)
    }

    private static func hitCount(_ hits: [Bool], _ k: Int) -> Int {
        var c = 0
        for p in 0..<min(k, hits.count) where hits[p] { c += 1 }
        return c
    }

    static func meanIgnoringNaN(_ values: [Double]) -> Double {
        var s = 0.0, n = 0
        for v in values where !v.isNaN { s += v; n += 1 }
        return n == 0 ? .nan : s / Double(n)
    }
}
