import Foundation
import Testing
import RecbenchConfig
import RecbenchRunner
import RecbenchCore
import RecbenchData
import RecbenchTestSupport

/// A registry data set in adjacency lists that declares train / valid / test files.
private func adjacencyFixture() throws -> (DatasetRegistry, DataEnvironment) {
    let dir = Scratch.path("recbench-adj")
    let files = [
        "train.txt": "1 10 11 12\n2 10 13\n3 11 12\n", "valid.txt": "1 13\n2 12\n", "test.txt": "1 14\n2 11\n3 10\n"
    ]
    try FileManager.default.createDirectory(atPath: dir + "/toy-adj", withIntermediateDirectories: true)
    for (name, body) in files { try Data(body.utf8).write(to: URL(fileURLWithPath: "\(dir)/toy-adj/\(name)")) }
    let entry = DatasetEntry(
        name: "toy-adj", description: "", format: "adjacency", url: "", archiveRoot: "",
        files: files.mapValues { SHA256Hasher.hex($0) }, licence: "",
        dataFiles: ["train.txt", "valid.txt", "test.txt"],
        split: DeclaredSplit(base: "train.txt", validation: "valid.txt", test: "test.txt"))
    let registry = DatasetRegistry(entries: [entry])
    return (
        registry,
        DataEnvironment(
            registry: registry, environment: ["RECBENCH_DATA_DIR": dir],
            cacheDirectory: dir + "/cache", baseDirectory: dir)
    )
}

private func experiment(split: String) -> String {
    """
    {"name": "adj", "task": "ranking", "datasets": [{"name": "toy-adj"}], "split": \(split),
     "algorithms": [{"name": "MostPopular"}], "metrics": ["ndcg@2"]}
    """
}

@Test func predefinedWithoutFilesUsesTheDeclaredSplit() throws {
    let (registry, env) = try adjacencyFixture()
    let spec = try ExperimentLoader(registry: registry).load(
        text: experiment(split: #"{"method": "predefined"}"#), file: "e.json")
    guard case let .predefined(base, test, validation, folds) = spec.split else {
        Issue.record("not predefined"); return
    }
    #expect(base == "train.txt" && test == "test.txt" && validation == "valid.txt" && folds == 1)
    let prepared = try Runner(spec: spec, data: env).prepare(spec.datasets[0])
    let f = try #require(prepared.folds.first)
    #expect(prepared.folds.count == 1)
    #expect(f.train.count == 7 && f.validation.count == 2 && f.test.count == 3)
    // The validation part is a matrix of its own for the trial (early stopping, selection).
    let data = Runner(spec: spec, data: env).foldData(prepared, fold: 1)
    #expect(data.validation?.nnz == 2 && data.train.nnz == 7 && data.test.nnz == 3)
}

@Test func predefinedNamedFilesOverrideTheDeclaration() throws {
    let (registry, env) = try adjacencyFixture()
    // Validation folded into nothing: only base and test named.
    let spec = try ExperimentLoader(registry: registry).load(
        text: experiment(split: #"{"method": "predefined", "base": "train.txt", "test": "test.txt", "folds": 1}"#),
        file: "e.json")
    let f = try #require(try Runner(spec: spec, data: env).prepare(spec.datasets[0]).folds.first)
    #expect(f.train.count == 7 && f.validation.isEmpty && f.test.count == 3)
    // Several folds need {fold} in every named file, the validation file included.
    let bad = experiment(
        split: #"{"method": "predefined", "base": "t{fold}", "test": "s{fold}", "validation": "v", "folds": 2}"#)
    #expect(throws: SpecErrors.self) { _ = try ExperimentLoader(registry: registry).load(text: bad, file: "e.json") }
    do { _ = try ExperimentLoader(registry: registry).load(text: bad, file: "e.json") } catch let e as SpecErrors {
        #expect(
            e.issues.map(\.description) == [
                "e.json:1: split.validation: with 2 folds the file name must contain {fold}, got \"v\""
            ])
    }
}
