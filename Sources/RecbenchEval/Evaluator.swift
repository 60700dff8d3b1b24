import RecbenchCore
import Foundation

/// One metric's value for a fold, with the per-user values behind it (nil for aggregate metrics).
public struct MetricValue: Sendable {
    public let spec: MetricSpec
    public let value: Double
    public let perUser: [Double]?
    public init(spec: MetricSpec, value: Double, perUser: [Double]?) {
        self.spec = spec; self.value = value; self.perUser = perUser
    }
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
    /// Ranking metrics for the lists' users. The relevant items of a user are its test items that
    /// pass `relevance` (all of them by default); users with none are skipped and counted. Padded
    /// (-1) slots are misses. Every cutoff must be ≤ lists.k. "auc" needs lists.auc (ScoringCore.topK
    /// with aucTest = the relevant items, `Relevance.relevant`).
    public static func ranking(
        lists: RankedLists, test: InteractionMatrix, train: InteractionMatrix,
        metrics: [MetricSpec], relevance: Relevance = .all
    ) -> EvaluationResult {
        for m in metrics {
            precondition(m.kind == .ranking || m.kind == .beyondAccuracy, "\(m.label) is not a ranking metric")
            precondition((m.k ?? 0) <= lists.k, "\(m.label) needs lists of at least \(m.k!) items, got \(lists.k)")
        }
        let relevant = relevance.relevant(test.byUser)
        // Evaluated rows in ascending user order.
        var rows = lists.users.indices.filter { r in
            let u = Int(lists.users[r]); return u < relevant.rows && relevant.rowCount(u) > 0
        }
        rows.sort { lists.users[$0] < lists.users[$1] }
        let skipped = lists.users.count - rows.count
        let users = rows.map { lists.users[$0] }
        let k = lists.k

        // hits[j][p] = whether slot p of evaluated row j is a relevant test item.
        let hits: [[Bool]] = rows.map { r in
            let u = Int(lists.users[r])
            return lists.row(r).map { $0 >= 0 && relevant.value(row: u, column: Int($0)) != nil }
        }
        let testCounts = users.map { relevant.rowCount(Int($0)) }
        let popularity = train.itemCounts  // n_i: training users of item i (one entry per (user, item) pair)
        let itemCount = test.itemCount

        var results: [MetricValue] = []
        for spec in metrics {
            let K = spec.k ?? k
            func perUser(_ f: (Int) -> Double) -> MetricValue {
                let values = (0..<rows.count).map(f)
                return MetricValue(spec: spec, value: meanIgnoringNaN(values), perUser: values)
            }
            switch spec.name {
            case "precision": results.append(perUser { j in MetricFormulas.precision(hits: hits[j], k: K) })
            case "recall":
                results.append(perUser { j in MetricFormulas.recall(hits: hits[j], k: K, relevant: testCounts[j]) })
            case "hitrate": results.append(perUser { j in MetricFormulas.hitRate(hits: hits[j], k: K) })
            case "mrr": results.append(perUser { j in MetricFormulas.reciprocalRank(hits: hits[j], k: K) })
            case "ndcg":
                results.append(perUser { j in MetricFormulas.ndcg(hits: hits[j], k: K, relevant: testCounts[j]) })
            case "ndcg_graded":
                results.append(
                    perUser { j in
                        let u = Int(users[j])
                        let gains = lists.row(rows[j]).map { i in
                            i < 0 ? 0 : Double(relevant.value(row: u, column: Int(i)) ?? 0)
                        }
                        return MetricFormulas.gradedNDCG(
                            gains: gains, k: K,
                            relevantGains: relevant.rowValues(u).map(Double.init))
                    })
            case "map":
                results.append(
                    perUser { j in MetricFormulas.averagePrecision(hits: hits[j], k: K, relevant: testCounts[j]) })
            case "auc":
                if let auc = lists.auc {
                    results.append(perUser { j in auc[rows[j]] })
                } else {
                    results.append(MetricValue(spec: spec, value: .nan, perUser: nil))
                }
            case "coverage":
                let value = MetricFormulas.coverage(lists: rows.map { lists.row($0).prefix(K) }, itemCount: itemCount)
                results.append(MetricValue(spec: spec, value: value, perUser: nil))
            case "gini":
                var counts = [Double](repeating: 0, count: itemCount)
                for r in rows { for i in lists.row(r).prefix(K) where i >= 0 { counts[Int(i)] += 1 } }
                results.append(MetricValue(spec: spec, value: MetricFormulas.gini(counts), perUser: nil))
            case "novelty":
                results.append(
                    perUser { j in
                        MetricFormulas.novelty(
                            items: lists.row(rows[j]).prefix(K).filter { $0 >= 0 },
                            popularity: popularity, userCount: train.userCount)
                    })
            case "arp":
                results.append(
                    perUser { j in
                        MetricFormulas.averagePopularity(
                            items: lists.row(rows[j]).prefix(K).filter { $0 >= 0 },
                            popularity: popularity)
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
    public static func rating(predictions: [Float], test: InteractionMatrix, metrics: [MetricSpec]) -> EvaluationResult
    {
        precondition(predictions.count == test.nnz, "\(predictions.count) predictions for \(test.nnz) test ratings")
        for m in metrics { precondition(m.kind == .rating, "\(m.label) is not a rating metric") }
        let actual = test.byUser.values
        let users = (0..<test.userCount).filter { test.byUser.rowCount($0) > 0 }
        var results: [MetricValue] = []
        for spec in metrics {
            let squared = spec.name == "rmse"
            var total = 0.0
            var perUser: [Double] = []
            perUser.reserveCapacity(users.count)
            for u in users {
                let range = test.byUser.rowRange(u)
                let s = MetricFormulas.lossSum(
                    predictions: predictions[range], ratings: actual[range], squared: squared)
                total += s
                let mean = s / Double(test.byUser.rowCount(u))
                perUser.append(squared ? mean.squareRoot() : mean)
            }
            let mean = test.nnz == 0 ? Double.nan : total / Double(test.nnz)
            results.append(MetricValue(spec: spec, value: squared ? mean.squareRoot() : mean, perUser: perUser))
        }
        return EvaluationResult(
            users: users.map { Int32($0) }, skippedUsers: test.userCount - users.count, metrics: results)
    }

    /// Gini coefficient (see MetricFormulas.gini).
    public static func gini(_ counts: [Double]) -> Double { MetricFormulas.gini(counts) }

    static func meanIgnoringNaN(_ values: [Double]) -> Double {
        var s = 0.0, n = 0
        for v in values where !v.isNaN { s += v; n += 1 }
        return n == 0 ? .nan : s / Double(n)
    }
}
