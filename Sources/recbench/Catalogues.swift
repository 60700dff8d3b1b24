import ArgumentParser
import Foundation
import RecbenchAlgorithms
import RecbenchEval
import RecbenchReport
import RecbenchConfig

struct Algorithms: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List algorithms, their tasks and parameters (with defaults).")
    @Argument(help: "Show only this algorithm.") var name: String?
    @Flag(help: "Print the README's algorithm table (Markdown) instead.") var markdown = false
    func run() throws {
        if markdown { print(AlgorithmTable.markdown(), terminator: ""); return }
        let list = AlgorithmRegistry.all.filter { name == nil || $0.name == name }
        if list.isEmpty { fail(CLIError.usage("unknown algorithm \"\(name!)\"; known: \(AlgorithmRegistry.all.map(\.name).joined(separator: ", "))")) }
        for d in list {
            print("\(d.name) — \(d.summary)\n  tasks: \(d.tasks.map(\.rawValue).sorted().joined(separator: ", "))")
            print("  search budget (successive halving): " + (d.budgetParameter.map { "\($0) (the parameter's value is the full budget)" } ?? "training-sample fraction"))
            for p in d.parameters {
                print("  \(p.name) = \(p.defaultValue)  (\(p.expectation))\n      \(p.help)")
            }
            print("")
        }
    }
}

struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the metrics and their definitions.")
    func run() throws {
        for e in MetricCatalog.entries { print("\(e.name)\(e.needsCutoff ? "@K" : "")\n    \(e.help)") }
    }
}

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the JSON Schema of experiment files (experiments/schema.json).",
        discussion: "Both forms are made from the declarations the validator reads, so they cannot disagree with it.")
    @Flag(help: "Print the reference of every key (docs/EXPERIMENT-FILE.md) instead.") var markdown = false
    func run() throws { print(markdown ? Vocabulary.markdown() : ExperimentSchema.document().rendered(), terminator: markdown ? "" : "\n") }
}
