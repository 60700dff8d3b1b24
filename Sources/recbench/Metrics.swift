import ArgumentParser
import RecbenchEval

struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the metrics and their definitions.")
    func run() throws {
        for e in MetricCatalog.entries { print("\(e.name)\(e.needsCutoff ? "@K" : "")\n    \(e.help)") }
    }
}
