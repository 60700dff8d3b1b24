import Foundation
import Testing
import RecbenchConfig
import RecbenchRunner
import RecbenchCore
import RecbenchData
import RecbenchTestSupport

/// A folder of one's own fold files (no data file beside them) and its experiment environment.
private func foldFolder(_ files: [String: String]) throws -> (dir: String, env: DataEnvironment) {
    let dir = Scratch.path("recbench-folds")
    try FileManager.default.createDirectory(atPath: dir + "/folds", withIntermediateDirectories: true)
    for (name, body) in files { try Data(body.utf8).write(to: URL(fileURLWithPath: "\(dir)/folds/\(name)")) }
    return (dir, DataEnvironment(registry: nil, environment: [:], cacheDirectory: dir + "/cache", baseDirectory: dir))
}

private func experiment(dataset: String, split: String = #"{"method": "predefined"}"#) -> String {
    """
    {"name": "own", "task": "ranking", "datasets": [\(dataset)], "split": \(split),
     "algorithms": [{"name": "MostPopular"}], "metrics": ["ndcg@2"]}
    """
}

/// Two folds of four interactions each way: fold 1 tests (1,c) and (2,a), fold 2 tests (1,a), (3,b).
private let twoFolds = [
    "u1.base": "1\ta\t5\n1\tb\t3\n2\tb\t4\n3\tb\t2\n", "u1.test": "1\tc\t4\n2\ta\t1\n",
    "u2.base": "1\tb\t3\n1\tc\t4\n2\ta\t1\n2\tb\t4\n", "u2.test": "1\ta\t5\n3\tb\t2\n"
]

@Test func foldFilesAreTheDataSet() throws {
    let (_, env) = try foldFolder(twoFolds)
    // Three columns: a format block names the rating column (and, leaving it out, no timestamp).
    let text = experiment(
        dataset:
            #"{"name": "mine", "split": {"base": "folds/u{fold}.base", "test": "folds/u{fold}.test", "folds": 2}, "format": {"rating": 2}}"#
    )
    let spec = try ExperimentLoader(registry: nil).load(text: text, file: "e.json")
    #expect(spec.split.foldCount == 2)
    let p = try Runner(spec: spec, data: env).prepare(spec.datasets[0])
    // The union: 6 distinct (user, item) pairs though the four files list 12 lines.
    #expect(p.dataset.count == 6 && p.dataset.userCount == 3 && p.dataset.itemCount == 3)
    #expect(p.folds.count == 2)
    #expect(p.folds.map(\.train.count) == [4, 4] && p.folds.map(\.test.count) == [2, 2])
    func pairs(_ positions: [Int32]) -> Set<String> {
        Set(
            positions.map {
                p.dataset.userIDs.id(at: p.dataset.users[Int($0)]) + p.dataset.itemIDs.id(at: p.dataset.items[Int($0)])
            })
    }
    #expect(pairs(p.folds[0].test) == ["1c", "2a"] && pairs(p.folds[1].test) == ["1a", "3b"])
    // Each interaction keeps its rating from the files.
    let r = Dictionary(
        uniqueKeysWithValues: (0..<p.dataset.count).map { (pairs([Int32($0)]).first!, p.dataset.values[$0]) })
    #expect(r == ["1a": 5, "1b": 3, "1c": 4, "2a": 1, "2b": 4, "3b": 2])
}

@Test func foldFilesTakeOneFormatAndAValidationFile() throws {
    let (_, env) = try foldFolder([
        "base.csv": "item,user,score\na,1,5\nb,1,3\nb,2,4\nc,3,1\n", "valid.csv": "item,user,score\nc,1,4\n",
        "test.csv": "item,user,score\na,2,1\nb,3,2\n"
    ])
    let text = experiment(
        dataset: """
            {"name": "mine", "split": {"base": "folds/base.csv", "validation": "folds/valid.csv", "test": "folds/test.csv"},
             "format": {"separator": ",", "header": true, "user": "user", "item": "item", "rating": "score"},
             "filters": {"min_rating": 2}}
            """)
    let spec = try ExperimentLoader(registry: nil).load(text: text, file: "e.json")
    #expect(spec.split.hasValidationPart)
    let p = try Runner(spec: spec, data: env).prepare(spec.datasets[0])
    // (3, c, 1) and (2, a, 1) fall to the filter and leave their folds; the rest keep their parts.
    #expect(p.dataset.count == 5)
    let f = try #require(p.folds.first)
    #expect(f.train.count == 3 && f.validation.count == 1 && f.test.count == 1)
}

@Test func foldFilesProblemsNameFileLineAndField() throws {
    let (_, env) = try foldFolder(["u1.base": "1\ta\n1\tb\n", "u1.test": "2\ta\n1\tb\n"])
    let spec = try ExperimentLoader(registry: nil).load(
        text: experiment(
            dataset:
                #"{"name": "mine", "split": {"base": "folds/u1.base", "test": "folds/u1.test"}, "format": {"rating": null, "timestamp": null}}"#
        ), file: "e.json")
    #expect(throws: RecbenchError.input(file: "u1.test", line: 2, message: "user 1, item b is also in u1.base")) {
        _ = try Runner(spec: spec, data: env).prepare(spec.datasets[0])
    }
    // A fold file that is not there: the data set's "split" field, as for a missing "file".
    let missing = try ExperimentLoader(registry: nil).load(
        text: experiment(dataset: #"{"name": "mine", "split": {"base": "folds/u9.base", "test": "folds/u1.test"}}"#),
        file: "e.json")
    do { _ = try Runner(spec: missing, data: env).prepare(missing.datasets[0]); Issue.record("no error") } catch let e
        as SpecErrors
    {
        #expect(e.description == "e.json:1: datasets[0].split: \(env.baseDirectory)/folds/u9.base: file not found")
    }
}

@Test func foldFilesAskForAPredefinedSplitNamingNoFiles() throws {
    func issues(_ text: String) -> [String] {
        do { _ = try ExperimentLoader(registry: nil).load(text: text, file: "e.json"); return [] } catch let e
            as SpecErrors
        {
            return e.issues.map(\.description)
        } catch { return ["\(error)"] }
    }
    let own = #"{"name": "mine", "split": {"base": "f/u{fold}.base", "test": "f/u{fold}.test", "folds": 3}}"#
    #expect(
        issues(experiment(dataset: own, split: #"{"method": "kfold", "k": 3}"#)) == [
            "e.json:1: split.method: datasets[0] (\"mine\") is given by its fold files; use \"split\": {\"method\": \"predefined\"}"
        ])
    #expect(
        issues(experiment(dataset: own, split: #"{"method": "predefined", "base": "u{fold}.base", "folds": 3}"#)) == [
            "e.json:1: split.base: datasets[0] (\"mine\") is given by its fold files; name the files there, not here"
        ])
    #expect(
        issues(experiment(dataset: own, split: #"{"method": "predefined", "folds": 2}"#)) == [
            "e.json:1: split: datasets[0] (\"mine\") has 3 folds, the split 2"
        ])
    #expect(
        issues(experiment(dataset: #"{"name": "m", "split": {"base": "u{fold}.base", "test": "t", "folds": 2}}"#)) == [
            "e.json:1: datasets[0].split.test: with 2 folds the file name must contain {fold}, got \"t\""
        ])
    #expect(
        issues(experiment(dataset: #"{"name": "m", "split": {"base": "b"}, "file": "x"}"#)).contains(
            "e.json:1: datasets[0]: give only one of \"file\", \"split\""))
}
