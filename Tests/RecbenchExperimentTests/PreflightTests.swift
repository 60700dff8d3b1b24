import Foundation
import Testing
import RecbenchConfig
import RecbenchRunner
import RecbenchCore
import RecbenchData
import RecbenchTestSupport

/// A registry with one ml-100k-format entry and a folder that holds only some of its files.
private func fixture(_ files: [String: String]) throws -> (dir: String, registry: DatasetRegistry, env: DataEnvironment)
{
    let dir = Scratch.path("recbench-preflight")
    try FileManager.default.createDirectory(atPath: dir + "/data/toy", withIntermediateDirectories: true)
    for (name, body) in files { try Data(body.utf8).write(to: URL(fileURLWithPath: "\(dir)/data/toy/\(name)")) }
    let entry = DatasetEntry(
        name: "toy", description: "", format: "ml-100k", url: "", archiveRoot: "",
        files: ["u.data": "", "u.item": ""], licence: "")
    let registry = DatasetRegistry(entries: [entry])
    return (
        dir, registry,
        DataEnvironment(
            registry: registry, environment: ["RECBENCH_DATA_DIR": dir + "/data"],
            cacheDirectory: dir + "/cache", baseDirectory: dir)
    )
}

private func text(_ datasets: String, split: String = #"{"method": "kfold", "k": 2}"#) -> String {
    """
    {"name": "p", "task": "ranking",
     "datasets": [\(datasets)],
     "split": \(split),
     "algorithms": [{"name": "MostPopular"}], "metrics": ["ndcg@2"]}
    """
}

private func preflight(_ t: String, _ registry: DatasetRegistry?, _ env: DataEnvironment) throws -> [String] {
    let spec = try ExperimentLoader(registry: registry, environment: [:]).load(text: t, file: "e.json")
    return Preflight.check(spec, data: env).map(\.description)
}

@Test func preflightFindsMissingDataFiles() throws {
    let (dir, registry, env) = try fixture(["u.data": "1\t1\t5\t0\n"])
    #expect(
        try preflight(text(#"{"name": "mine", "file": "nope.tsv"}"#), registry, env) == [
            "e.json:2: datasets[0].file: \(dir)/nope.tsv: file not found"
        ])
    #expect(
        try preflight(text(#"{"name": "mine", "file": "data"}"#), registry, env) == [
            "e.json:2: datasets[0].file: \(dir)/data: is a folder, not a data file"
        ])
    let folds = #"{"name": "mine", "split": {"base": "f/u{fold}.base", "test": "f/u{fold}.test", "folds": 2}}"#
    #expect(
        try preflight(text(folds, split: #"{"method": "predefined"}"#), registry, env) == [
            "e.json:2: datasets[0].split.base: \(dir)/f/u1.base: file not found",
            "e.json:2: datasets[0].split.test: \(dir)/f/u1.test: file not found",
            "e.json:2: datasets[0].split.base: \(dir)/f/u2.base: file not found",
            "e.json:2: datasets[0].split.test: \(dir)/f/u2.test: file not found"
        ])
    // The registry's folder is there, with u.data: nothing to say; its split files are not.
    #expect(try preflight(text(#"{"name": "toy"}"#), registry, env) == [])
    #expect(
        try preflight(
            text(
                #"{"name": "toy"}"#,
                split: #"{"method": "predefined", "folds": 1, "base": "u1.base", "test": "u1.test"}"#),
            registry, env) == [
                "e.json:3: split.base: data set \"toy\": \(dir)/data/toy/u1.base: file not found",
                "e.json:3: split.test: data set \"toy\": \(dir)/data/toy/u1.test: file not found"
            ])
}

@Test func preflightNamesTheFileARegistryFolderLacks() throws {
    // The folder counts as the data set's (it holds u.item) but lacks u.data, which the loader reads.
    let (dir, registry, env) = try fixture(["u.item": "1|x\n"])
    #expect(
        try preflight(text(#"{"name": "toy"}"#), registry, env) == [
            "e.json:2: datasets[0].name: data set \"toy\": \(dir)/data/toy has no u.data, which format \"ml-100k\" reads"
        ])
    // The run says the same when it gets there.
    let spec = try ExperimentLoader(registry: registry, environment: [:]).load(
        text: text(#"{"name": "toy"}"#), file: "e.json")
    do { _ = try Runner(spec: spec, data: env).prepare(spec.datasets[0]); Issue.record("no error") } catch let e
        as SpecErrors
    {
        #expect(
            e.description == "e.json:2: datasets[0].name: data set \"toy\": \(dir)/data/toy has no u.data, "
                + "which format \"ml-100k\" reads")
    }
    // An explicit folder with none of the registry's files says which file it looked for.
    try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
    #expect(
        try preflight(text(#"{"name": "toy", "path": "empty"}"#), registry, env) == [
            "e.json:2: datasets[0].path: data set \"toy\" not found at the explicit path \(dir)/empty: it has none of the "
                + "registry's files for \"toy\" (e.g. u.data)"
        ])
}

@Test func preflightNeedsARegistryForARegistryName() throws {
    let (dir, _, _) = try fixture([:])
    let env = DataEnvironment(registry: nil, environment: [:], cacheDirectory: dir + "/cache", baseDirectory: dir)
    #expect(
        try preflight(text(#"{"name": "mine", "path": "data/toy"}"#), nil, env) == [
            "e.json:2: datasets[0].name: no data-set registry was found to look up \"mine\" (give --registry or set "
                + "$RECBENCH_REGISTRY), or give \"file\" or \"split\""
        ])
}

@Test func theSameConfigurationUnderTwoLabelsIsAnError() {
    let t = """
        {"name": "p", "task": "ranking", "datasets": [{"name": "s", "synthetic": {}}],
         "split": {"method": "kfold", "k": 2},
         "algorithms": [{"name": "EASE", "params": {"regularization": [100, 500]}},
                        {"name": "ItemKNN", "label": "knn"},
                        {"name": "EASE", "label": "ease-500", "params": {"regularization": 500}},
                        {"name": "ItemKNN", "label": "knn-default", "params": {}}],
         "metrics": ["ndcg@2"]}
        """
    do { _ = try ExperimentLoader(registry: nil).load(text: t, file: "e.json"); Issue.record("no error") } catch let e
        as SpecErrors
    {
        #expect(
            e.issues.map(\.description) == [
                "e.json:5: algorithms[2]: runs EASE with regularization=500, as algorithms[0] (\"EASE\") does; remove one or change a parameter",
                "e.json:6: algorithms[3]: runs ItemKNN with its defaults, as algorithms[1] (\"knn\") does; remove one or change a parameter"
            ])
    } catch { Issue.record("\(error)") }
}
