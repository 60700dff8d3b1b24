import Foundation
import Testing
@testable import RecbenchReport

/// The console table never exceeds the terminal's width: value columns are split over several tables,
/// each repeating the labels, in order and each exactly once.
@Suite struct ConsoleTableTests {
    static let header = ["configuration", "ndcg@10", "recall@10", "recall@20", "precision@10", "map@10", "fit_s"]
    static let rows = [
        [
            "MostPopular", "0.1234 ± 0.0012", "0.2345 ± 0.0023", "0.3456 ± 0.0034", "0.0456 ± 0.0001",
            "0.0789 ± 0.0002", "0.010"
        ],
        [
            "ImplicitALS(factors=32)", "0.2234 ± 0.0012", "0.3345 ± 0.0023", "0.4456 ± 0.0034", "0.0856 ± 0.0001",
            "0.1789 ± 0.0002", "1.250"
        ]
    ]

    /// Splits the rendered text into tables (separated by blank lines), each a list of lines.
    static func tables(_ text: String) -> [[String]] {
        text.components(separatedBy: "\n\n").map { $0.split(separator: "\n").map(String.init) }.filter { !$0.isEmpty }
    }

    @Test func wideTerminalGivesTheSingleTableUnchanged() {
        let text = ConsoleTable.render(header: Self.header, rows: Self.rows, width: nil)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(Self.tables(text).count == 1 && lines.count == 4)
        #expect(
            lines[0] == "configuration                    ndcg@10        recall@10        recall@20     precision@10"
                + "           map@10  fit_s")
        #expect(lines[3].hasPrefix("ImplicitALS(factors=32)  0.2234 ± 0.0012"))
        #expect(ConsoleTable.render(header: Self.header, rows: Self.rows, width: 500) == text)
    }

    @Test func narrowTerminalsSplitTheColumnsAndEveryLineFits() {
        for width in [30, 45, 60, 80, 100] {
            let text = ConsoleTable.render(header: Self.header, rows: Self.rows, width: width)
            let parts = Self.tables(text)
            #expect(parts.count > 1, "\(width) columns")
            for line in text.split(separator: "\n") { #expect(line.count <= width, "\(width) columns: \(line)") }
            // Every metric appears in exactly one table, in the original order; every table lists every row.
            let headers = parts.flatMap { $0[0].split(separator: " ").dropFirst().map(String.init) }
            #expect(headers == Array(Self.header.dropFirst()), "\(width) columns")
            for part in parts {
                #expect(part.count == 2 + Self.rows.count)
                #expect(part[2].hasPrefix("MostPopular") && part[3].hasPrefix("ImplicitALS"))
            }
            // Cells stay with their column: the ImplicitALS row's values in the table holding recall@20.
            let r20 = parts.first { $0[0].contains("recall@20") }!
            #expect(r20[3].contains("0.4456 ± 0.0034"))
        }
    }

    @Test func labelsTooWideForOneColumnAreShortened() {
        let text = ConsoleTable.render(
            header: ["configuration", "ndcg@10"],
            rows: [[String(repeating: "x", count: 60), "0.1234 ± 0.0012"]], width: 40)
        for line in text.split(separator: "\n") { #expect(line.count <= 40, "\(line)") }
        #expect(text.contains("…  0.1234 ± 0.0012"))
    }
}
