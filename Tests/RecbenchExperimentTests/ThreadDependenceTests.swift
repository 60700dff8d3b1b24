import Testing
import RecbenchCore
import RecbenchData
import RecbenchAlgorithms
@testable import RecbenchConfig

/// Small settings so every model fits in a blink; only parameters an algorithm has are set. Layer
/// widths stay small: other tests running at the same time switch OpenBLAS's process-wide thread
/// count (the scoring core sets it to 1 while it scores), and OpenBLAS's larger products are not
/// bit-identical across its thread counts — a difference this test must not blame on the model.
private let quick: [String: ParameterValue] = [
    "epochs": .int(3), "iterations": .int(4), "burn_in": .int(1), "factors": .int(8), "embedding_size": .int(8),
    "max_length": .int(10), "inner_size": .int(16), "blocks": .int(1), "batch_size": .int(32), "patience": .int(0),
    "hidden_size": .int(8), "latent": .int(4)
]

/// What a fitted model says about every user (scores of all items) or every training pair (ratings).
private func outputs(
    _ d: AlgorithmDescriptor, _ values: ParameterValues, task: RecommendationTask, data: Dataset,
    threads: Int
) throws -> [Float] {
    let model = d.make(values)
    let train = data.matrix()
    let training = TrainingData(
        task: task, interactions: train, userFeatures: data.userFeatures,
        itemFeatures: data.itemFeatures)
    try model.fit(training, context: FitContext(threads: threads, seed: 7))
    if task == .rating {
        let predictor = try #require(model as? any RatingPredictor, "\(d.name) supports rating but cannot predict")
        let byUser = train.byUser
        var users = [Int32]()
        for u in 0..<byUser.rows { for _ in byUser.rowRange(u) { users.append(Int32(u)) } }
        return predictor.predict(users: users, items: byUser.indices)
    }
    let users = (0..<Int32(train.userCount)).map { $0 }
    var scores = [Float](repeating: 0, count: users.count * train.itemCount)
    scores.withUnsafeMutableBufferPointer { model.score(users: users, into: $0) }
    return scores
}

/// `threadDependent` is true exactly for the algorithms whose fitted model changes with the thread
/// count: each algorithm (under every task, and every solver it offers) is fitted at 1 and at 3 threads
/// and its outputs compared bit for bit. The trial cache leaves threads out of every other key, so
/// an undeclared dependence would hand one thread count's results to another.
@Test(arguments: AlgorithmRegistry.all.map(\.name))
func threadDependenceIsDeclaredTruthfully(_ name: String) throws {
    let d = try #require(AlgorithmRegistry.descriptor(named: name))
    let data = SyntheticData.generate(SyntheticConfig(users: 60, items: 50, interactions: 900, factors: 4, seed: 3))
    var differs: [String] = []
    for task in d.tasks.sorted(by: { $0.rawValue < $1.rawValue }) {
        var solvers: [ParameterValue?] = [nil]
        if case let .choice(names)? = d.parameters.first(where: { $0.name == "solver" })?.kind {
            solvers = names.map { .text($0) }
        }
        for solver in solvers {
            var overrides = quick.filter { k, v in d.parameters.first { $0.name == k }?.check(v) != nil }
            if let solver { overrides["solver"] = solver }
            let values = ParameterValues(specs: d.parameters, overrides: overrides)
            let one = try outputs(d, values, task: task, data: data, threads: 1)
            let three = try outputs(d, values, task: task, data: data, threads: 3)
            #expect(!one.isEmpty)
            if one.map(\.bitPattern) != three.map(\.bitPattern) {
                differs.append("\(task.rawValue) \(solver?.description ?? "")")
            }
        }
    }
    #expect(
        d.threadDependent == !differs.isEmpty,
        "\(name): declared \(d.threadDependent), differs at 1 vs 3 threads in \(differs)")
}
