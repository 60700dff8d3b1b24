import Testing
import Foundation
import RecbenchCore
import RecbenchAlgorithms
import RecbenchEval
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchReport
import RecbenchTestSupport

/// A small rated data set as a header-named CSV: 40 users × 30 items, ratings 1–5 by a fixed pattern.
func writeRatedCSV() throws -> String {
    let folder = Scratch.path("recbench-relevance")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var text = "user,item,rating\n"
    for u in 0..<40 {
        for i in 0..<30 where (u * 7 + i * 3) % 5 < 3 { text += "u\(u),i\(i),\(1 + (u + 2 * i + i / 7) % 5)\n" }
    }
    let path = folder + "/ratings.csv"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

func relevanceExperiment(file: String, relevance: String, extra: String = "") -> String {
    """
    {
      "name": "relevance", "task": "ranking", "seed": 3, "threads": 1,
      "datasets": [{ "name": "rated", "file": "\(file)" }],
      "split": { "method": "holdout", "test_fraction": 0.3, "per_user": true },
      \(relevance)
      \(extra)
      "algorithms": [{ "name": "MostPopular" }, { "name": "ItemKNN", "params": { "k": 10 } }],
      "metrics": ["ndcg@5", "ndcg_graded@5", "recall@5"]
    }
    """
}

func runText(_ text: String) throws -> RunResult {
    let spec = try ExperimentLoader(registry: nil).load(text: text, file: "relevance.json")
    let env = DataEnvironment(
        registry: nil, cacheDirectory: Scratch.path("recbench-cache"), baseDirectory: Scratch.root)
    return try ExperimentRun.execute(
        spec: spec, data: env, progress: SilentProgress(),
        outputRoot: Scratch.path("recbench-rel"), cache: .off)
}

@Test func minRatingChangesTheRelevantSetButNotTheTrainingData() throws {
    let file = try writeRatedCSV()
    let all = try runText(relevanceExperiment(file: file, relevance: ""))
    let four = try runText(relevanceExperiment(file: file, relevance: "\"relevance\": { \"min_rating\": 4 },"))
    #expect(all.trials.count == 2 && four.trials.count == 2)
    // The users who should remain: those with a test rating ≥ 4 in the same split.
    let spec = try ExperimentLoader(registry: nil).load(
        text: relevanceExperiment(file: file, relevance: ""),
        file: "relevance.json")
    let runner = Runner(
        spec: spec,
        data: DataEnvironment(
            registry: nil, cacheDirectory: Scratch.path("recbench-cache"), baseDirectory: Scratch.root))
    let prepared = try runner.prepare(spec.datasets[0])
    let fold = runner.foldData(prepared, fold: 1)
    let test = fold.test.byUser
    let expected = (0..<test.rows).filter { u in test.rowValues(u).contains { $0 >= 4 } }
        .map { prepared.dataset.userIDs.id(at: Int32($0)) }.sorted()
    let testUsers = (0..<test.rows).filter { test.rowCount($0) > 0 }.count
    for (a, b) in zip(all.trials, four.trials) {
        // Training and test data are the same interactions in both runs.
        #expect(a.trainInteractions == b.trainInteractions && a.testInteractions == b.testInteractions)
        #expect(a.trainInteractions == fold.train.nnz)
        #expect(a.users.count == testUsers && a.skippedUsers == 0)
        #expect(b.users.sorted() == expected)
        #expect(b.skippedUsers == testUsers - expected.count && b.skippedUsers > 0)
        #expect(a.values != b.values)
    }
}

/// Validation-based selection counts relevant validation items by the same rule (hand-computed).
/// MostPopular on training u1 {0}, u2 {0, 1}, u3 {0, 1, 2}: user 0 (no training) gets [0, 1, 2, 3].
/// Validation: user 0 rated item 0 with 2 and item 1 with 5. NDCG@2: all relevant → 1; min_rating 4 →
/// only item 1, at rank 2 → (1/log2 3) / 1.
@Test func validationScoreUsesTheRelevanceThreshold() throws {
    func matrix(_ pairs: [(Int, Int)], _ values: [Float]) -> InteractionMatrix {
        InteractionMatrix(
            userCount: 4, itemCount: 4, users: pairs.map { Int32($0.0) }, items: pairs.map { Int32($0.1) },
            values: values)
    }
    let train = matrix([(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)], [Float](repeating: 3, count: 6))
    let validation = matrix([(0, 0), (0, 1)], [2, 5])
    let model = try #require(AlgorithmRegistry.descriptor(named: "MostPopular")).make(ParameterValues([:]))
    try model.fit(TrainingData(task: .ranking, interactions: train), context: FitContext())
    let metric = MetricSpec(name: "ndcg", k: 2)
    let all = ValidationScore.value(
        model: model, validation: validation, train: train, metric: metric, task: .ranking,
        threads: 1)
    let four = ValidationScore.value(
        model: model, validation: validation, train: train, metric: metric, task: .ranking,
        relevance: Relevance(minRating: 4), threads: 1)
    #expect(abs(all - 1) < 1e-12)
    #expect(abs(four - 1 / log2(3.0)) < 1e-12)
    // No validation item reaches 6: nobody is evaluated.
    #expect(
        ValidationScore.value(
            model: model, validation: validation, train: train, metric: metric, task: .ranking,
            relevance: Relevance(minRating: 6), threads: 1
        ).isNaN)
}

@Test func relevanceIsValidated() {
    let ok = relevanceExperiment(file: "/tmp/x.csv", relevance: "\"relevance\": { \"min_rating\": 3.5 },")
    #expect(
        (try? ExperimentLoader(registry: nil).load(text: ok, file: "r.json"))?.relevance == Relevance(minRating: 3.5))
    let cases: [(String, String)] = [
        ("\"relevance\": { \"min_ratng\": 4 },", "relevance.min_ratng: unknown key (did you mean \"min_rating\"?)"),
        ("\"relevance\": { \"min_rating\": \"4\" },", "relevance.min_rating: expected a number, got \"4\""),
        ("\"relevance\": {},", "relevance.min_rating: is required")
    ]
    for (relevance, message) in cases {
        let text = relevanceExperiment(file: "/tmp/x.csv", relevance: relevance)
        do {
            _ = try ExperimentLoader(registry: nil).load(text: text, file: "r.json");
            Issue.record("accepted \(relevance)")
        } catch let e as SpecErrors { #expect(e.description.contains(message), "\(e.description)") } catch {
            Issue.record("\(error)")
        }
    }
    let rating = relevanceExperiment(file: "/tmp/x.csv", relevance: "\"relevance\": { \"min_rating\": 4 },")
        .replacingOccurrences(of: "\"ranking\"", with: "\"rating\"")
        .replacingOccurrences(of: "[\"ndcg@5\", \"ndcg_graded@5\", \"recall@5\"]", with: "[\"rmse\"]")
        .replacingOccurrences(
            of: "{ \"name\": \"MostPopular\" }, { \"name\": \"ItemKNN\", \"params\": { \"k\": 10 } }",
            with: "{ \"name\": \"Bias\" }")
    do {
        _ = try ExperimentLoader(registry: nil).load(text: rating, file: "r.json"); Issue.record("rating accepted")
    } catch { #expect("\(error)".contains("relevance: applies to ranking metrics")) }
}
