import ArgumentParser
import RecbenchConfig

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the JSON Schema of experiment files (experiments/schema.json).",
        discussion: "Both forms are made from the declarations the validator reads, so they cannot disagree with it.")
    @Flag(help: "Print the reference of every key (docs/EXPERIMENT-FILE.md) instead.") var markdown = false
    func run() throws {
        print(
            markdown ? Vocabulary.markdown() : ExperimentSchema.document().rendered(), terminator: markdown ? "" : "\n")
    }
}
