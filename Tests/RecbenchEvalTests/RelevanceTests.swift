import Testing
import Foundation
import RecbenchCore
@testable import RecbenchEval

/// Hand-computed relevance cases. User 0's test items: item 0 rated 5, item 1 rated 3, item 2 rated 4;
/// its list is [1, 2, 0]. User 1's only test item (item 3) is rated 2. L = log2(3).
///   binary, all relevant:  hits 1 1 1 → NDCG 1.
///   binary, min_rating 4:  relevant {0, 2}, hits 0 1 1 → (1/L + 1/2) / (1 + 1/L); user 1 skipped.
///   graded, all relevant:  gains 3 4 5 → (3 + 4/L + 5/2) / (5 + 4/L + 3/2).
///   graded, min_rating 4:  gains 0 4 5 → (4/L + 5/2) / (5 + 4/L).
@Suite struct RelevanceTests {
    let test = interactions(users: 2, items: 4, [(0, 0), (0, 1), (0, 2), (1, 3)], values: [5, 3, 4, 2])
    let train = interactions(users: 2, items: 4, [(0, 3), (1, 0)])
    let lists = RankedLists(users: [0, 1], k: 3, items: [1, 2, 0, 0, 1, 2], scores: [Float](repeating: 0, count: 6))
    let L = log2(3.0)

    func evaluate(_ labels: [String], _ relevance: Relevance) -> EvaluationResult {
        Evaluator.ranking(
            lists: lists, test: test, train: train, metrics: try! MetricCatalog.parse(all: labels).get(),
            relevance: relevance)
    }

    @Test func binaryNDCGWithAndWithoutThreshold() {
        let all = evaluate(["ndcg@3"], .all)
        #expect(all.users == [0, 1] && all.skippedUsers == 0)
        #expect(abs(all["ndcg@3"]!.perUser![0] - 1) < 1e-12)
        #expect(all["ndcg@3"]!.perUser![1] == 0)  // item 3 is not in user 1's list
        let four = evaluate(["ndcg@3"], Relevance(minRating: 4))
        #expect(four.users == [0] && four.skippedUsers == 1)
        #expect(abs(four["ndcg@3"]!.value - (1 / L + 0.5) / (1 + 1 / L)) < 1e-12)
    }

    @Test func gradedNDCGUsesRatingsAsLinearGains() {
        let all = evaluate(["ndcg_graded@3"], .all)
        #expect(abs(all["ndcg_graded@3"]!.perUser![0] - (3 + 4 / L + 2.5) / (5 + 4 / L + 1.5)) < 1e-12)
        let four = evaluate(["ndcg_graded@3"], Relevance(minRating: 4))
        #expect(abs(four["ndcg_graded@3"]!.value - (4 / L + 2.5) / (5 + 4 / L)) < 1e-12)
        // At K = 1 the list's first item (rated 3) against the best (rated 5): 3/5; with the threshold, 0.
        #expect(abs(evaluate(["ndcg_graded@1"], .all)["ndcg_graded@1"]!.perUser![0] - 0.6) < 1e-12)
        #expect(evaluate(["ndcg_graded@1"], Relevance(minRating: 4))["ndcg_graded@1"]!.value == 0)
    }

    @Test func thresholdAppliesToEveryRankingMetric() {
        let r = evaluate(["precision@3", "recall@3", "mrr@3"], Relevance(minRating: 4))
        #expect(r["precision@3"]!.value == 2.0 / 3)
        #expect(r["recall@3"]!.value == 1)
        #expect(r["mrr@3"]!.value == 0.5)
        // A threshold at or below every value changes nothing.
        let low = evaluate(["ndcg@2", "recall@2"], Relevance(minRating: 1))
        let none = evaluate(["ndcg@2", "recall@2"], .all)
        #expect(low.metrics.map(\.perUser) == none.metrics.map(\.perUser) && low.users == none.users)
    }

    @Test func gradedEqualsBinaryOnUnitValues() {
        let unit = interactions(users: 2, items: 4, [(0, 0), (0, 2), (1, 1)])
        for k in 1...3 {
            let r = Evaluator.ranking(
                lists: lists, test: unit, train: train,
                metrics: [MetricSpec(name: "ndcg", k: k), MetricSpec(name: "ndcg_graded", k: k)])
            #expect(r.metrics[0].perUser == r.metrics[1].perUser)
        }
    }

    @Test func relevantMatrixKeepsValuesAtOrAboveTheThreshold() {
        let m = Relevance(minRating: 4).relevant(test.byUser)
        #expect(m.offsets == [0, 2, 2] && m.indices == [0, 2] && m.values == [5, 4])
        #expect(Relevance.all.relevant(test.byUser).nnz == 4)
        #expect(Relevance.all.key == nil && Relevance(minRating: 3.5).key == "min_rating=3.5")
    }

    @Test func parserKnowsGradedNDCG() throws {
        #expect(
            try MetricCatalog.parse("graded_ndcg@[5,10]").get() == [
                MetricSpec(name: "ndcg_graded", k: 5),
                MetricSpec(name: "ndcg_graded", k: 10)
            ])
        #expect(MetricCatalog.higherIsBetter("ndcg_graded@10"))
    }
}
