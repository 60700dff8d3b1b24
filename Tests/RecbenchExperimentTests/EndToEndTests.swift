import Testing
import Foundation
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchAnalysis
@testable import RecbenchReport
import RecbenchData
import RecbenchTestSupport

/// The package root, from this file's location (tests may run from any working directory).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// MovieLens 100K beside the clone (../shared/datasets) or under $RECBENCH_DATA_DIR; nil when absent.
func movieLensDataDir() -> String? {
    let env = ProcessInfo.processInfo.environment["RECBENCH_DATA_DIR"]
    let candidates = [env, packageRoot + "/../shared/datasets"].compactMap { $0 }
    return candidates.first { FileManager.default.fileExists(atPath: $0 + "/ml-100k/u.data") }
}

func dataEnvironment(dataDir: String?) throws -> DataEnvironment {
    var env = ProcessInfo.processInfo.environment
    if let dataDir { env["RECBENCH_DATA_DIR"] = dataDir }
    return DataEnvironment(
        registry: try DatasetRegistry(directory: packageRoot + "/datasets"), environment: env,
        cacheDirectory: Scratch.path("recbench-cache"), baseDirectory: packageRoot + "/experiments")
}

func runExperiment(_ name: String, dataDir: String?) throws -> RunResult {
    let env = try dataEnvironment(dataDir: dataDir)
    let spec = try ExperimentLoader(registry: env.registry).load(path: packageRoot + "/experiments/\(name)")
    // Left in the scratch folder: the tests read the files after this returns.
    let out = Scratch.path("recbench-e2e")
    let result = try ExperimentRun.execute(spec: spec, data: env, progress: SilentProgress(), outputRoot: out)
    // Every output file exists, nothing partial remains.
    for f in ["metrics.csv", "per_user.csv", "profile.csv", "summary.md", "manifest.json"] {
        #expect(FileManager.default.fileExists(atPath: result.directory + "/" + f), "\(f) missing")
    }
    let leftovers = try FileManager.default.subpathsOfDirectory(atPath: out).filter {
        $0.contains(".partial") || $0.contains(".tmp-")
    }
    #expect(leftovers.isEmpty)
    return result
}

func mean(_ r: RunResult, _ configuration: String, _ metric: String) -> Double? {
    r.aggregates.first { $0.configuration == configuration && $0.metric == metric }?.mean
}

@Test func quickstartRunsAndWritesConsistentOutputs() throws {
    let r = try runExperiment("quickstart.json", dataDir: nil)
    #expect(r.trials.count == r.plan.trials.count)
    // Popularity beats random by a wide margin on skewed synthetic data; random's AUC is near ½.
    let pop = try #require(mean(r, "MostPopular", "ndcg@10")), rnd = try #require(mean(r, "Random", "ndcg@10"))
    #expect(pop > 3 * rnd)
    #expect(abs(try #require(mean(r, "Random", "auc")) - 0.5) < 0.03)
    // metrics.csv: one row per trial × metric, plus the header.
    let csv = try String(contentsOfFile: r.directory + "/metrics.csv", encoding: .utf8)
    let rows = csv.split(separator: "\n")
    #expect(rows.count == 1 + r.trials.reduce(0) { $0 + $1.metricLabels.count })
    #expect(rows[0].hasPrefix("dataset,fold,configuration,algorithm,metric,value,users,skipped_users"))
    // The manifest parses and names the config hash and the split fingerprint.
    let manifest = try JSONParser.parse(String(contentsOfFile: r.directory + "/manifest.json", encoding: .utf8))
    #expect(manifest["config_hash"]?.value == .string(r.spec.configHash))
    #expect(manifest["datasets"].map { if case let .array(a) = $0.value { return a.count } else { return 0 } } == 1)
}

/// The quickstart teaches the right lesson: on its planted-preference data the personalised models beat
/// popularity clearly (issue 19: EASE, ImplicitALS and ItemKNN at least 1.2 × MostPopular's NDCG@10).
@Test func quickstartPersonalisedModelsBeatPopularity() throws {
    let r = try runExperiment("quickstart.json", dataDir: nil)
    let pop = try #require(mean(r, "MostPopular", "ndcg@10"))
    for label in ["EASE", "ImplicitALS", "ItemKNN"] {
        let value = try #require(mean(r, label, "ndcg@10"), "\(label) missing: \(r.aggregates.map(\.configuration))")
        #expect(value >= 1.2 * pop, "\(label) \(value) against MostPopular \(pop)")
    }
}

@Test func rerunIsIdentical() throws {
    let a = try runExperiment("quickstart.json", dataDir: nil), b = try runExperiment("quickstart.json", dataDir: nil)
    #expect(a.trials.map(\.values) == b.trials.map(\.values))
    #expect(a.datasets.map(\.splitFingerprint) == b.datasets.map(\.splitFingerprint))
}

@Test func oneThreadEqualsTwoThreadsAndParallelTrials() throws {
    let env = try dataEnvironment(dataDir: nil)
    var spec = try ExperimentLoader(registry: env.registry).load(path: packageRoot + "/experiments/quickstart.json")
    let plan = Plan(spec: spec)
    spec.threads = 1; spec.jobs = 1
    let one = try Runner(spec: spec, data: env).run(plan: plan).trials
    spec.threads = 2; spec.jobs = 2
    let two = try Runner(spec: spec, data: env).run(plan: plan).trials
    #expect(one.map(\.values) == two.map(\.values))
    #expect(one.map(\.trial) == two.map(\.trial))
}

@Test(
    .enabled(
        if: movieLensDataDir() != nil,
        "MovieLens 100K not found (set RECBENCH_DATA_DIR or place ../shared/datasets/ml-100k)"))
func movieLensBaselinesMatchReference() throws {
    let dir = try #require(movieLensDataDir())
    let r = try runExperiment("ml100k-baselines.json", dataDir: dir)
    // Exact reference of the split, candidate and metric definitions (issue #2).
    #expect(abs(try #require(mean(r, "MostPopular", "ndcg@10")) - 0.2507) <= 0.0005)
    #expect(abs(try #require(mean(r, "MostPopular", "recall@10")) - 0.1134) <= 0.0005)
    #expect(r.datasets[0].interactions == 100_000 && r.datasets[0].folds == 5)
    #expect(r.trials.allSatisfy { $0.trainInteractions == 80_000 && $0.testInteractions == 20_000 })
    let rating = try runExperiment("ml100k-rating-baselines.json", dataDir: dir)
    #expect(try #require(mean(rating, "Bias", "rmse")) <= 0.950)
}

@Test func runFolderReadsBackTheSameResult() throws {
    let r = try runExperiment("quickstart.json", dataDir: nil)
    let back = try RunFolder.load(r.directory)
    // Encoded forms compare NaN per-user values (AUC of a user without negatives) as equal.
    #expect(try RunFolder.encode(back) == RunFolder.encode(r))
    #expect(back.datasets == r.datasets)
    #expect(back.aggregates.map(\.mean) == r.aggregates.map(\.mean))
    #expect(back.spec.configHash == r.spec.configHash)
    // The experiment's folder resolves to its latest run.
    let viaLatest = try RunFolder.load((r.directory as NSString).deletingLastPathComponent)
    #expect(viaLatest.runID == r.runID)
}
