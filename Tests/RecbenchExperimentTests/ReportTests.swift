import Testing
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchAnalysis
@testable import RecbenchReport

/// Counts elements by name and records whether the document parsed.
private final class ElementCounter: NSObject, XMLParserDelegate {
    var counts = [String: Int]()
    var classes = [String: Int]()
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        counts[name, default: 0] += 1
        if let c = attributes["class"] { classes[c, default: 0] += 1 }
    }
}

@Test func reportIsWellFormedWithOneChartPerMetric() throws {
    let r = try runStatsFixture()
    let html = try String(contentsOfFile: r.directory + "/report.html", encoding: .utf8)
    let parser = XMLParser(data: Data(html.utf8))
    let counter = ElementCounter()
    parser.delegate = counter
    #expect(parser.parse(), "report.html is not well-formed: \(String(describing: parser.parserError))")
    let metrics = r.spec.metrics.count
    #expect(counter.classes["metric-chart"] == metrics * r.datasets.count)
    // recall@10 and recall@20: one metric@K curve; one scatter per data set.
    #expect(counter.classes["curve-chart"] == 1)
    #expect(counter.classes["scatter-chart"] == 1)
    #expect(counter.counts["svg"] == metrics + 2)
    // Each metric chart has one bar per configuration and one dot per fold and configuration.
    #expect(counter.counts["rect", default: 0] >= metrics * r.plan.configurations.count)
    // Self-contained: no scripts, no external resources.
    #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))
    #expect(html.contains("<table>") && html.contains("config_hash"))
}

@Test func latexSummaryMarksBestAndSignificance() throws {
    let r = try runStatsFixture()
    let tex = try String(contentsOfFile: r.directory + "/summary.tex", encoding: .utf8)
    #expect(tex.contains("\\toprule") && tex.contains("\\midrule") && tex.contains("\\bottomrule"))
    let body = tex.components(separatedBy: "\\midrule\n")[1].components(separatedBy: "\\bottomrule")[0]
    let rows = body.split(separator: "\n")
    #expect(rows.count == r.plan.configurations.count)
    // At least one bold cell per metric column (ties may bold more).
    for col in 1...r.spec.metrics.count {
        #expect(rows.contains { $0.components(separatedBy: " & ")[col].contains("\\textbf") }, "column \(col) has no bold cell")
    }
    // Random is significantly worse than the reference (best NDCG) on NDCG: dagger in its row.
    let random = try #require(rows.first { $0.hasPrefix("Random") })
    #expect(random.components(separatedBy: " & ")[1].contains("\\dagger"))
    #expect(rows.filter { $0.contains("(ref.)") }.count == 1)
    #expect(LaTeX.escape("a_b&c%") == "a\\_b\\&c\\%")
}
