import Testing
@testable import RecbenchEval

@Suite struct MetricParseTests {
    func ok(_ s: String) -> [String] {
        switch MetricCatalog.parse(s) {
        case .success(let specs): return specs.map(\.label)
        case .failure(let e): Issue.record("unexpected error \(e)"); return []
        }
    }
    func err(_ s: String) -> String {
        switch MetricCatalog.parse(s) {
        case .success(let specs): Issue.record("expected an error, got \(specs)"); return ""
        case .failure(let e): return e.message
        }
    }

    @Test func parsesNamesCutoffsAndLists() {
        #expect(ok("ndcg@10") == ["ndcg@10"])
        #expect(ok("NDCG@10") == ["ndcg@10"])
        #expect(ok(" Recall@[5, 10,20] ") == ["recall@5", "recall@10", "recall@20"])
        #expect(ok("recall@[20,5,5]") == ["recall@5", "recall@20"])  // sorted, deduplicated
        #expect(ok("rmse") == ["rmse"])
        #expect(ok("MAE") == ["mae"])
        #expect(ok("auc") == ["auc"])
        #expect(ok("HR@5") == ["hitrate@5"])  // alias → canonical name
        #expect(ok("map@3") == ["map@3"])
        let spec = try! MetricCatalog.parse("ndcg@10").get()[0]
        #expect(spec.name == "ndcg" && spec.k == 10 && spec.kind == .ranking)
    }

    @Test func errorMessages() {
        #expect(err("ndgc@10") == "unknown metric \"ndgc@10\" (did you mean \"ndcg\"?)")
        #expect(err("recal@10") == "unknown metric \"recal@10\" (did you mean \"recall\"?)")
        #expect(err("zzzzzzzz") == "unknown metric \"zzzzzzzz\"")
        #expect(err("ndcg") == "\"ndcg\" needs a cutoff, e.g. \"ndcg@10\"")
        #expect(err("rmse@10") == "\"rmse\" takes no cutoff")
        #expect(err("ndcg@0") == "cutoff \"0\" in \"ndcg@0\" must be a positive integer")
        #expect(err("ndcg@x") == "cutoff \"x\" in \"ndcg@x\" must be a positive integer")
        #expect(err("ndcg@[5,10") == "unclosed cutoff list in \"ndcg@[5,10\", e.g. \"ndcg@[5,10,20]\"")
        #expect(!err("").isEmpty)
        // One line each, suitable after a field path.
        #expect(!err("ndgc@10").contains("\n"))
    }

    @Test func catalogueAndOrdering() {
        #expect(
            Set(MetricCatalog.entries.map(\.name)) == [
                "rmse", "mae", "precision", "recall", "ndcg", "ndcg_graded", "map",
                "mrr", "hitrate", "auc", "coverage", "gini", "novelty", "arp"
            ])
        #expect(MetricCatalog.entries.allSatisfy { !$0.help.isEmpty && !$0.help.contains("\n") })
        #expect(MetricSpec(name: "ndcg", k: 5) < MetricSpec(name: "ndcg", k: 10))
        #expect(MetricSpec(name: "mae") < MetricSpec(name: "ndcg", k: 5))
        #expect(
            MetricCatalog.largestCutoff([
                MetricSpec(name: "ndcg", k: 5), MetricSpec(name: "recall", k: 20),
                MetricSpec(name: "rmse")
            ]) == 20)
    }
}

/// The catalogue is the one place that knows a metric's direction (reports, LaTeX, `check` ask it).
@Test func catalogueKnowsEachMetricsDirection() {
    #expect(MetricCatalog.higherIsBetter("ndcg@10") && MetricCatalog.higherIsBetter("coverage@20"))
    #expect(MetricCatalog.higherIsBetter("hr@10"), "aliases resolve to their metric")
    #expect(!MetricCatalog.higherIsBetter("rmse") && !MetricCatalog.higherIsBetter("mae"))
    #expect(!MetricCatalog.higherIsBetter("gini@10") && !MetricCatalog.higherIsBetter("arp@10"))
}
