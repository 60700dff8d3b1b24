import Testing
import RecbenchConfig
import RecbenchData

private func load(
    _ dataset: String, environment: [String: String]?,
    split: String = #"{"method": "kfold", "k": 2}"#
) throws -> ExperimentSpec {
    let text = """
        {"name": "v", "task": "ranking", "datasets": [\(dataset)],
         "split": \(split), "algorithms": [{"name": "MostPopular"}], "metrics": ["ndcg@2"]}
        """
    return try ExperimentLoader(registry: nil, environment: environment).load(text: text, file: "e.json")
}

private func issues(_ dataset: String, environment: [String: String]) -> [String] {
    do { _ = try load(dataset, environment: environment); return [] } catch let e as SpecErrors {
        return e.issues.map(\.description)
    } catch { return ["\(error)"] }
}

@Test func fileAndPathExpandVariables() throws {
    let env = ["DATA": "/srv/data", "SET_1": "x"]
    let a = try load(#"{"name": "a", "file": "$DATA/mine/u.data"}"#, environment: env)
    guard case let .file(path, _) = a.datasets[0].source else { Issue.record("not a file"); return }
    #expect(path == "/srv/data/mine/u.data")
    let b = try load(#"{"name": "b", "file": "${DATA}_old/${SET_1}.tsv"}"#, environment: env)
    guard case let .file(braced, _) = b.datasets[0].source else { Issue.record("not a file"); return }
    #expect(braced == "/srv/data_old/x.tsv")
    // A "$" followed by no name stays as written.
    let c = try load(#"{"name": "c", "file": "price$/5$.tsv"}"#, environment: env)
    guard case let .file(literal, _) = c.datasets[0].source else { Issue.record("not a file"); return }
    #expect(literal == "price$/5$.tsv")
    // Fold files expand too, {fold} untouched.
    let d = try load(
        #"{"name": "d", "split": {"base": "$DATA/u{fold}.base", "test": "$DATA/u{fold}.test", "folds": 2}}"#,
        environment: env, split: #"{"method": "predefined"}"#)
    guard case let .folds(declared, _) = d.datasets[0].source else { Issue.record("not fold files"); return }
    #expect(declared.base == "/srv/data/u{fold}.base" && declared.test == "/srv/data/u{fold}.test")
    // Re-reading a run folder (no environment) keeps the text as written.
    let e = try load(#"{"name": "e", "file": "$NOT_SET/u.data"}"#, environment: nil)
    guard case let .file(kept, _) = e.datasets[0].source else { Issue.record("not a file"); return }
    #expect(kept == "$NOT_SET/u.data")
}

@Test func anUnsetVariableIsAnErrorNamingIt() {
    #expect(
        issues(#"{"name": "a", "file": "$RECBENCH_DATA_DIR/u.data"}"#, environment: [:]) == [
            "e.json:1: datasets[0].file: $RECBENCH_DATA_DIR is not set (the environment variable in \"$RECBENCH_DATA_DIR/u.data\")"
        ])
    #expect(
        issues(#"{"name": "ml-100k", "path": "${HOME}/data/${MISSING}"}"#, environment: ["HOME": "/h"]) == [
            "e.json:1: datasets[0].path: $MISSING is not set (the environment variable in \"${HOME}/data/${MISSING}\")"
        ])
    #expect(
        issues(#"{"name": "a", "file": "${DATA/u.data"}"#, environment: ["DATA": "/d"]) == [
            "e.json:1: datasets[0].file: \"${\" must be followed by a variable name and \"}\", got \"${DATA/u.data\""
        ])
}
