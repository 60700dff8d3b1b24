import Foundation
import Testing
import RecbenchConfig

/// The README's algorithm table is the registry's (`recbench algorithms --markdown`), row for row.
@Suite struct AlgorithmTableTests {
    @Test func readmeTableEqualsTheGeneratedOne() throws {
        let readme = try String(contentsOfFile: packageRoot + "/README.md", encoding: .utf8)
        let embedded = try #require(AlgorithmTable.embedded(in: readme), "README.md lacks the table's markers")
        #expect(
            embedded == AlgorithmTable.markdown(),
            "README.md's algorithm table is stale: paste the output of `recbench algorithms --markdown` between the markers"
        )
    }

    @Test func everyRegisteredAlgorithmHasOneRowWithItsTasks() {
        let rows = AlgorithmTable.markdown().split(separator: "\n").dropFirst(2)
        #expect(rows.count == AlgorithmRegistry.all.count)
        for (row, d) in zip(rows, AlgorithmRegistry.all) {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(cells[0] == "`\(d.name)`")
            #expect(cells[2] == d.tasks.map(\.rawValue).sorted().joined(separator: ", "))
        }
        // The rows the issue found missing or wrong.
        let table = AlgorithmTable.markdown()
        for name in ["SASRec", "BERT4Rec", "NeuMF"] { #expect(table.contains("| `\(name)` |")) }
    }

    @Test func embeddedNeedsBothMarkers() {
        #expect(AlgorithmTable.embedded(in: "no markers") == nil)
        #expect(AlgorithmTable.embedded(in: AlgorithmTable.begin + "\n| x |\n" + AlgorithmTable.end) == "| x |\n")
    }
}
