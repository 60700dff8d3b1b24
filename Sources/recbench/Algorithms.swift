import ArgumentParser
import RecbenchConfig
import RecbenchCore

struct Algorithms: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List algorithms, their tasks and parameters (with defaults).")
    @Argument(help: "Show only this algorithm.") var name: String?
    @Flag(help: "Print the README's algorithm table (Markdown) instead.") var markdown = false
    func validate() throws {
        if let name, AlgorithmRegistry.descriptor(named: name) == nil {
            let names = AlgorithmRegistry.all.map(\.name)
            throw ValidationError(
                "unknown algorithm \"\(name)\"\(Suggestion.hint(for: name, in: names)); known: "
                    + names.joined(separator: ", "))
        }
    }

    func run() throws {
        if markdown { print(AlgorithmTable.markdown(), terminator: ""); return }
        let list = AlgorithmRegistry.all.filter { name == nil || $0.name == name }
        for d in list {
            print("\(d.name) — \(d.summary)\n  tasks: \(d.tasks.map(\.rawValue).sorted().joined(separator: ", "))")
            print(
                "  search budget (successive halving): "
                    + (d.budgetParameter.map { "\($0) (the parameter's value is the full budget)" }
                        ?? "training-sample fraction"))
            for p in d.parameters {
                print("  \(p.name) = \(p.defaultValue)  (\(p.expectation))\n      \(p.help)")
            }
            print("")
        }
    }
}
