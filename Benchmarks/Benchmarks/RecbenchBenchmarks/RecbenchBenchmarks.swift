import Benchmark
import Foundation
import RecbenchAlgorithms
import RecbenchCore
import RecbenchData
import RecbenchEval
import RecbenchExperiment

// Each benchmark measures one iteration of `benchmark.scaledIterations` of real work; its
// throughput metric is then "operations per second", and custom metrics report the
// domain rate (users/s, interactions/s, GFLOP/s). Set-up (synthetic data, fitted models)
// happens before startMeasurement() and is not timed.

/// Synthetic implicit data, built once and shared by the fit benchmarks.
private let fitData: InteractionMatrix = {
    SyntheticData.generate(SyntheticConfig(users: 20_000, items: 10_000, interactions: 1_000_000, seed: 7)).matrix()
}()

private func threadsFromEnvironment() -> Int { Int(ProcessInfo.processInfo.environment["RECBENCH_THREADS"] ?? "") ?? 2 }

private func ml100kDirectory() -> String? {
    let here = URL(fileURLWithPath: #filePath)
    var dir = here
    // …/clone/Benchmarks/Benchmarks/RecbenchBenchmarks/x.swift → the folder holding the clone.
    for _ in 0..<5 { dir = dir.deletingLastPathComponent() }
    let candidates: [String?] = [
        ProcessInfo.processInfo.environment["RECBENCH_ML100K"],
        dir.appendingPathComponent("shared/datasets/ml-100k").path, "/work/shared/datasets/ml-100k"
    ]
    return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0 + "/u.data") }
}

/// Fits `name` with parameter overrides; nil when the algorithm is not registered in this build.
private func fit(_ name: String, _ overrides: [String: ParameterValue], threads: Int) -> (any Recommender)? {
    guard let d = AlgorithmRegistry.descriptor(named: name) else { return nil }
    let model = d.make(ParameterValues(specs: d.parameters, overrides: overrides))
    try! model.fit(TrainingData(task: .ranking, interactions: fitData), context: FitContext(threads: threads, seed: 1))
    return model
}

let benchmarks: @Sendable () -> Void = {
    let threads = threadsFromEnvironment()
    let slow = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .peakMemoryResident, .mallocCountTotal],
        warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 5)

    // Scoring core over a grid of shapes: users × items × dim, K = 10, seen items excluded.
    for (users, items, dim) in [(10_000, 10_000, 32), (10_000, 10_000, 64), (10_000, 50_000, 64), (50_000, 50_000, 64)]
    {
        Benchmark(
            "scoring/\(users)x\(items)x\(dim)/k10/t\(threads)",
            configuration: .init(
                metrics: slow.metrics + [
                    .custom("GFLOP/s", polarity: .prefersLarger, useScalingFactor: false),
                    .custom("users/s", polarity: .prefersLarger, useScalingFactor: false)
                ],
                warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 5)
        ) { benchmark in
            var rng = RandomSource(seed: 3)
            let f = LatentFactors(
                users: DenseMatrix(
                    rows: users, columns: dim, values: (0..<(users * dim)).map { _ in rng.nextFloat() - 0.5 }),
                items: DenseMatrix(
                    rows: items, columns: dim, values: (0..<(items * dim)).map { _ in rng.nextFloat() - 0.5 }))
            let seen = SyntheticData.generate(
                SyntheticConfig(users: users, items: items, interactions: users * 20, seed: 5)
            ).matrix()
            let ids = (0..<users).map { Int32($0) }
            benchmark.startMeasurement()
            let t0 = DispatchTime.now().uptimeNanoseconds
            for _ in benchmark.scaledIterations {
                blackHole(ScoringCore.topK(factors: f, users: ids, k: 10, exclude: [seen.byUser], threads: threads))
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            benchmark.stopMeasurement()
            benchmark.measurement(
                .custom("GFLOP/s", polarity: .prefersLarger, useScalingFactor: false),
                Int(2 * Double(users) * Double(items) * Double(dim) / seconds / 1e9))
            benchmark.measurement(
                .custom("users/s", polarity: .prefersLarger, useScalingFactor: false), Int(Double(users) / seconds))
        }
    }

    // One sweep / epoch / build of the learning algorithms on 10⁶ synthetic interactions.
    // Registered only when the algorithm is in this build (ImplicitALS and BPR come from the mf
    // branch, ItemKNN from knn).
    let fits: [(String, String, [String: ParameterValue])] = [
        ("ImplicitALS", "one iteration", ["factors": .int(64), "iterations": .int(1), "training_loss": .bool(false)]),
        ("BPR", "one epoch", ["factors": .int(64), "epochs": .int(1)]),
        ("ItemKNN", "model build", [:])
    ]
    for (name, what, overrides) in fits where AlgorithmRegistry.descriptor(named: name) != nil {
        Benchmark(
            "fit/\(name) \(what)/1e6 interactions/t\(threads)",
            configuration: .init(
                metrics: slow.metrics + [.custom("interactions/s", polarity: .prefersLarger, useScalingFactor: false)],
                warmupIterations: 0, maxDuration: .seconds(30), maxIterations: 3)
        ) { benchmark in
            _ = fitData.nnz  // build the data outside the measurement
            benchmark.startMeasurement()
            let t0 = DispatchTime.now().uptimeNanoseconds
            blackHole(fit(name, overrides, threads: threads))
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            benchmark.stopMeasurement()
            benchmark.measurement(
                .custom("interactions/s", polarity: .prefersLarger, useScalingFactor: false),
                Int(Double(fitData.nnz) / seconds))
        }
    }

    // Metric computation (NDCG, recall, precision, MRR, MAP, coverage) over 10⁵ users' top-10 lists.
    Benchmark(
        "metrics/1e5 users/top-10",
        configuration: .init(
            metrics: slow.metrics + [.custom("users/s", polarity: .prefersLarger, useScalingFactor: false)],
            warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 5)
    ) { benchmark in
        let users = 100_000, items = 20_000
        let data = SyntheticData.generate(
            SyntheticConfig(users: users, items: items, interactions: users * 15, seed: 9))
        let all = data.matrix()
        // The first two thirds of each user's interactions train, the rest test (by position).
        let positions = Array(0..<data.count)
        let train = data.matrix(positions: positions.filter { $0 % 3 != 0 })
        let test = data.matrix(positions: positions.filter { $0 % 3 == 0 })
        _ = all
        let f = LatentFactors(
            users: DenseMatrix(
                rows: users, columns: 8, values: (0..<(users * 8)).map { Float(($0 * 7919) % 101) / 101 }),
            items: DenseMatrix(
                rows: items, columns: 8, values: (0..<(items * 8)).map { Float(($0 * 104729) % 97) / 97 }))
        let lists = ScoringCore.topK(
            factors: f, users: (0..<users).map { Int32($0) }, k: 10, exclude: [train.byUser], threads: threads)
        let metrics = try! MetricCatalog.parse(all: [
            "ndcg@10", "recall@10", "precision@10", "mrr@10", "map@10", "coverage@10"
        ]).get()
        benchmark.startMeasurement()
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in benchmark.scaledIterations {
            blackHole(Evaluator.ranking(lists: lists, test: test, train: train, metrics: metrics))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        benchmark.stopMeasurement()
        benchmark.measurement(
            .custom("users/s", polarity: .prefersLarger, useScalingFactor: false), Int(Double(users) / seconds))
    }

    // Loading ML-100K (u.data, u.item, u.user) from the shared data folder, when present.
    if let dir = ml100kDirectory() {
        Benchmark(
            "load/ML-100K",
            configuration: .init(
                metrics: slow.metrics + [.custom("interactions/s", polarity: .prefersLarger, useScalingFactor: false)],
                warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 10)
        ) { benchmark in
            let t0 = DispatchTime.now().uptimeNanoseconds
            var n = 0
            for _ in benchmark.scaledIterations {
                let d = try! GroupLens.loadML100K(directory: dir).0
                n = d.count
                blackHole(d)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            benchmark.measurement(
                .custom("interactions/s", polarity: .prefersLarger, useScalingFactor: false), Int(Double(n) / seconds))
        }
    }
}
