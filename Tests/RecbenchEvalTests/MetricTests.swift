import Testing
import Foundation
import RecbenchCore
@testable import RecbenchEval

/// Hand-computed ranking case (6 items, 4 users):
///   user 0: test {1,4,5} (|T| = 3), list [1, 2, 4]   → hits 1 0 1
///   user 1: test {2}     (|T| = 1), list [0, 3, -1]  → hits 0 0 0 (padded slot = miss)
///   user 2: no test items → skipped
///   user 3: test {0,3}   (|T| = 2), list [5, 3, -1]  → hits 0 1 0
/// Training (for novelty / ARP): u0 {0,3}, u1 {1,4}, u2 {0,3,4}, u3 {1,4}; |U| = 4,
///   n = [2, 2, 0, 2, 3, 0] for items 0…5.
@Suite struct RankingMetricTests {
    let test = interactions(users: 4, items: 6, [(0, 1), (0, 4), (0, 5), (1, 2), (3, 0), (3, 3)])
    let train = interactions(
        users: 4, items: 6, [(0, 0), (0, 3), (1, 1), (1, 4), (2, 0), (2, 3), (2, 4), (3, 1), (3, 4)])
    let lists = RankedLists(
        users: [0, 1, 2, 3], k: 3,
        items: [1, 2, 4, 0, 3, -1, 0, 1, 2, 5, 3, -1],
        scores: [Float](repeating: 0, count: 12))

    func evaluate(_ labels: [String]) -> EvaluationResult {
        let specs = try! MetricCatalog.parse(all: labels).get()
        return Evaluator.ranking(lists: lists, test: test, train: train, metrics: specs)
    }

    func near(_ a: Double?, _ b: Double, _ tol: Double = 1e-9) -> Bool { a.map { abs($0 - b) <= tol } ?? false }

    @Test func usersAndSkips() {
        let r = evaluate(["precision@3"])
        #expect(r.users == [0, 1, 3])
        #expect(r.skippedUsers == 1)
        #expect(r.metrics[0].perUser?.count == 3)
    }

    @Test func listOrderDoesNotMatter() {
        // The same lists with the users in the order 3, 2, 0, 1: results come back in ascending user order.
        let shuffled = RankedLists(
            users: [3, 2, 0, 1], k: 3, items: [5, 3, -1, 0, 1, 2, 1, 2, 4, 0, 3, -1],
            scores: [Float](repeating: 0, count: 12))
        let specs = try! MetricCatalog.parse(all: ["ndcg@3", "map@2", "coverage@2"]).get()
        let a = Evaluator.ranking(lists: lists, test: test, train: train, metrics: specs)
        let b = Evaluator.ranking(lists: shuffled, test: test, train: train, metrics: specs)
        #expect(b.users == [0, 1, 3])
        for (x, y) in zip(a.metrics, b.metrics) { #expect(x.value == y.value && x.perUser == y.perUser) }
    }

    @Test func precisionRecallHitRateMRR() {
        let r = evaluate(["precision@[2,3]", "recall@[2,3]", "hitrate@[2,3]", "mrr@[2,3]"])
        // P@2: u0 1/2, u1 0, u3 1/2 → 1/3.  P@3: u0 2/3, u1 0, u3 1/3 → 1/3.
        #expect(r["precision@2"]!.perUser! == [0.5, 0, 0.5])
        #expect(near(r["precision@2"]?.value, 1.0 / 3))
        #expect(near(r["precision@3"]?.value, 1.0 / 3))
        // R@2: u0 1/3, u1 0, u3 1/2 → (5/6)/3 = 5/18.  R@3: u0 2/3, u1 0, u3 1/2 → (7/6)/3 = 7/18.
        #expect(near(r["recall@2"]?.value, 5.0 / 18))
        #expect(near(r["recall@3"]?.value, 7.0 / 18))
        // HR: u0 1, u1 0, u3 1 → 2/3 at both cutoffs.
        #expect(near(r["hitrate@2"]?.value, 2.0 / 3))
        #expect(near(r["hitrate@3"]?.value, 2.0 / 3))
        // MRR: u0 1/1, u1 0, u3 1/2 → 1.5/3 = 0.5.
        #expect(r["mrr@2"]!.perUser! == [1, 0, 0.5])
        #expect(near(r["mrr@3"]?.value, 0.5))
    }

    @Test func ndcgWithMoreAndFewerTestItemsThanK() {
        let r = evaluate(["ndcg@[2,3]"])
        let l3 = log2(3.0)  // 1/log2(3) = 0.6309297536
        // u0 @2 (|T| = 3 > K): DCG = 1/log2(2) = 1; IDCG over min(3,2) = 2 slots = 1 + 1/log2(3) → 0.6131471928.
        // u3 @2: DCG = 1/log2(3); IDCG = 1 + 1/log2(3) → 0.3868528072.  u1: 0.
        let u0at2 = 1 / (1 + 1 / l3), u3 = (1 / l3) / (1 + 1 / l3)
        #expect(near(r["ndcg@2"]?.perUser?[0], u0at2))
        #expect(near(r["ndcg@2"]?.perUser?[0], 0.6131471928, 1e-9))
        #expect(near(r["ndcg@2"]?.perUser?[2], 0.3868528072, 1e-9))
        #expect(near(r["ndcg@2"]?.value, (u0at2 + 0 + u3) / 3))  // = 1/3 exactly
        #expect(near(r["ndcg@2"]?.value, 1.0 / 3))
        // u0 @3 (|T| = 3 = K): DCG = 1 + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) + 1/2 = 2.1309297536 → 0.7039180890.
        // u3 @3 (|T| = 2 < K, padded slot): DCG = 1/log2(3); IDCG over min(2,3) = 2 slots → 0.3868528072 again.
        #expect(near(r["ndcg@3"]?.perUser?[0], 0.7039180890, 1e-9))
        #expect(near(r["ndcg@3"]?.perUser?[2], 0.3868528072, 1e-9))
        #expect(near(r["ndcg@3"]?.value, (0.7039180890 + 0.3868528072) / 3, 1e-9))
    }

    @Test func mapWithMoreAndFewerTestItemsThanK() {
        let r = evaluate(["map@[2,3]"])
        // u0 @2: (1/min(3,2)) · (P@1·1) = 1/2.  u3 @2: (1/2) · (P@2·1) = (1/2)(1/2) = 1/4.  u1: 0.
        #expect(r["map@2"]!.perUser! == [0.5, 0, 0.25])
        #expect(near(r["map@2"]?.value, 0.25))
        // u0 @3: (1/3) · (1 + 2/3) = 5/9.  u3 @3: (1/min(2,3)) · (1/2) = 1/4.  Mean = (20/36 + 9/36)/3 = 29/108.
        #expect(near(r["map@3"]?.perUser?[0], 5.0 / 9))
        #expect(near(r["map@3"]?.value, 29.0 / 108))
    }

    @Test func coverageAndGini() {
        let r = evaluate(["coverage@[2,3]", "gini@[2,3]"])
        // Evaluated users' top 2: u0 {1,2}, u1 {0,3}, u3 {5,3} → {0,1,2,3,5}: 5/6.  Top 3 adds 4: 6/6.
        #expect(near(r["coverage@2"]?.value, 5.0 / 6))
        #expect(near(r["coverage@3"]?.value, 1))
        #expect(r["coverage@2"]?.perUser == nil)
        // Gini@2: counts (items 0…5) = [1,1,1,2,0,1], sorted [0,1,1,1,1,2], n = 6, Σ = 6:
        //   Σ (2i − 7)·c_i = −5·0 − 3·1 − 1·1 + 1·1 + 3·1 + 5·2 = 10 → 10 / 36.
        #expect(near(r["gini@2"]?.value, 10.0 / 36))
        #expect(r["gini@2"]?.perUser == nil)
        #expect(Evaluator.gini([3, 3, 3, 3]) == 0)
        #expect(near(Evaluator.gini([0, 0, 0, 8]), 3.0 / 4))  // (n − 1)/n when one item has everything
    }

    @Test func noveltyAndARP() {
        let r = evaluate(["novelty@3", "arp@3"])
        // Novelty: −log2(max(n_i,1)/4). u0 [1,2,4]: 1, 2, −log2(3/4) = 0.4150374993 → 1.1383458331.
        //   u1 [0,3] (padding ignored): 1, 1 → 1.   u3 [5,3]: 2, 1 → 1.5.
        let u0 = (1 + 2 - log2(0.75)) / 3
        #expect(near(r["novelty@3"]?.perUser?[0], u0))
        #expect(near(r["novelty@3"]?.value, (u0 + 1 + 1.5) / 3))
        #expect(near(r["novelty@3"]?.value, 1.2127819444, 1e-9))
        // ARP: u0 (2 + 0 + 3)/3 = 5/3, u1 (2 + 2)/2 = 2, u3 (0 + 2)/2 = 1 → (14/3)/3 = 14/9.
        #expect(near(r["arp@3"]?.value, 14.0 / 9))
    }

    @Test func aucComesFromTheLists() {
        var l = lists
        l.auc = [0.75, 0.25, 0.9, 0.5]
        let r = Evaluator.ranking(lists: l, test: test, train: train, metrics: [MetricSpec(name: "auc")])
        // Evaluated users 0, 1, 3 → (0.75 + 0.25 + 0.5)/3 = 0.5 (user 2's 0.9 is skipped).
        #expect(r.metrics[0].perUser! == [0.75, 0.25, 0.5])
        #expect(near(r.metrics[0].value, 0.5))
    }
}

@Suite struct RatingMetricTests {
    @Test func rmseAndMAE() {
        // Test ratings (CSR order): u0 item0 = 4, u0 item2 = 3, u2 item1 = 5; user 1 has none.
        let test = interactions(users: 3, items: 3, [(2, 1), (0, 2), (0, 0)], values: [5, 3, 4])
        // Predictions in CSR order: 3.5, 3, 3 → errors −0.5, 0, −2.
        let r = Evaluator.rating(
            predictions: [3.5, 3, 3], test: test,
            metrics: [MetricSpec(name: "rmse"), MetricSpec(name: "mae")])
        #expect(r.users == [0, 2])
        #expect(r.skippedUsers == 1)
        // RMSE = sqrt((0.25 + 0 + 4)/3) = sqrt(1.41667) = 1.190238; per user: sqrt(0.25/2) = 0.353553, 2.
        #expect(abs(r["rmse"]!.value - (4.25 / 3).squareRoot()) < 1e-12)
        #expect(abs(r["rmse"]!.perUser![0] - (0.125).squareRoot()) < 1e-12)
        #expect(r["rmse"]!.perUser![1] == 2)
        // MAE = 2.5/3; per user 0.25, 2.
        #expect(abs(r["mae"]!.value - 2.5 / 3) < 1e-12)
        #expect(r["mae"]!.perUser! == [0.25, 2])
    }
}
