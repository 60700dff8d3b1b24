import Testing
import RecbenchConfig
import RecbenchRunner

private func spec(task: String = "ranking", split: String = #"{"method": "kfold", "k": 2}"#, _ algorithms: String)
    throws -> ExperimentSpec
{
    let metric = task == "rating" ? "rmse" : "ndcg@2"
    let text = """
        {"name": "w", "task": "\(task)", "datasets": [{"name": "s", "synthetic": {}}],
         "split": \(split),
         "algorithms": [\(algorithms)],
         "metrics": ["\(metric)"]}
        """
    return try ExperimentLoader(registry: nil).load(text: text, file: "e.json")
}

@Test func parametersThatCannotActAreWarnings() throws {
    let ranking = try spec(
        #"{"name": "UserKNN", "params": {"normalize": true, "damping": 1}}, {"name": "NeuMF", "params": {"patience": 3}}"#
    )
    #expect(
        ranking.warnings.map(\.description).sorted() == [
            "e.json:3: algorithms[0].params.damping: warning: UserKNN's damping has no effect in the ranking task: it only "
                + "shapes rating predictions",
            "e.json:3: algorithms[0].params.normalize: warning: UserKNN's normalize has no effect in the ranking task: dividing "
                + "one user's scores by one sum leaves the user's ranking as it is",
            "e.json:3: algorithms[1].params.patience: warning: NeuMF's patience has no effect: the split gives the trials no "
                + "validation data to stop on (use \"holdout\" with \"validation_fraction\", \"leave_last_out\", or a predefined "
                + "\"validation\" file)"
        ])
    // Early stopping that is on by default (NeuMF's patience 5) is said at the entry; off by default (BPR's 0), not.
    #expect(
        try spec(#"{"name": "BPR"}, {"name": "NeuMF", "params": {"epochs": 3}}"#).warnings.map(\.description) == [
            "e.json:3: algorithms[1]: warning: NeuMF's patience (default 5) has no effect: the split gives the trials no "
                + "validation data to stop on (use \"holdout\" with \"validation_fraction\", \"leave_last_out\", or a predefined "
                + "\"validation\" file)"
        ])
    #expect(try spec(split: #"{"method": "leave_last_out"}"#, #"{"name": "NeuMF"}"#).warnings.isEmpty)
    // Where they act: ItemKNN's normalize in ranking, damping in the rating task, patience with a validation part.
    #expect(try spec(#"{"name": "ItemKNN", "params": {"normalize": true}}"#).warnings.isEmpty)
    #expect(try spec(task: "rating", #"{"name": "UserKNN", "params": {"damping": 1}}"#).warnings.isEmpty)
    #expect(
        try spec(
            split: #"{"method": "holdout", "validation_fraction": 0.1}"#,
            #"{"name": "NeuMF", "params": {"patience": 3}}"#
        ).warnings.isEmpty)
    // Rating task: ItemKNN's normalize only rescales ranking scores.
    #expect(
        try spec(task: "rating", #"{"name": "ItemKNN", "params": {"normalize": true}}"#).warnings.map(\.description)
            == [
                "e.json:3: algorithms[0].params.normalize: warning: ItemKNN's normalize has no effect in the rating task: it only "
                    + "rescales ranking scores"
            ])
}

@Test func gridLabelsNameEveryParameterThatDiffersFromTheDefault() throws {
    let s = try spec(
        #"{"name": "EASE", "params": {"regularization": [100, 300], "binary": false}}, {"name": "EASE", "label": "e2", "params": {"regularization": [100, 300], "precision": "double"}}, {"name": "EASE", "label": "single", "params": {"regularization": 50}}"#
    )
    // binary defaults to true; regularization 300 is the default but names its axis; precision's default is auto.
    #expect(
        Plan(spec: s).configurations.map(\.label) == [
            "EASE(regularization=100, binary=false)", "EASE(regularization=300, binary=false)",
            "e2(regularization=100, precision=double)", "e2(regularization=300, precision=double)", "single"
        ])
}
