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
    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
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
    // The Bias grid over item_reg: one parameter-sensitivity panel.
    #expect(counter.classes["sensitivity-chart"] == 1)
    #expect(counter.counts["svg"] == metrics + 3)
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
        #expect(
            rows.contains { $0.components(separatedBy: " & ")[col].contains("\\textbf") },
            "column \(col) has no bold cell")
    }
    // Random is significantly worse than the reference (best NDCG) on NDCG: dagger in its row.
    let random = try #require(rows.first { $0.hasPrefix("Random") })
    #expect(random.components(separatedBy: " & ")[1].contains("\\dagger"))
    #expect(rows.filter { $0.contains("(ref.)") }.count == 1)
    #expect(LaTeX.escape("a_b&c%") == "a\\_b\\&c\\%")
}

/// `"latex": {"sd": true, "metrics": [...]}`: the chosen columns in the chosen order, each mean with ± its
/// standard deviation over folds, and the tabular inside a \resizebox that only ever shrinks it.
@Test func latexWithStandardDeviationsAndChosenColumns() throws {
    var r = try runStatsFixture()
    let labels = r.spec.metrics.map(\.label)
    try #require(labels.count >= 2)
    r.spec.outputs.latexSD = true
    r.spec.outputs.latexMetrics = [labels[1], labels[0]]
    let significance = Comparison.againstReference(r, options: ComparisonOptions(resamples: 100, threads: 1))
    let tex = LaTeX.summary(r, significance: significance)
    #expect(
        tex.contains("\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n\\begin{tabular}{lrr}"))
    #expect(tex.contains("\\end{tabular}}\n\\end{table}"))
    let header = try #require(tex.split(separator: "\n").first { $0.hasPrefix("Configuration & ") })
    #expect(header.components(separatedBy: " & ").count == 3)
    #expect(
        header.contains(LaTeX.escape(labels[1]) + " $")
            && header.firstRange(of: LaTeX.escape(labels[1]))!.lowerBound
                < header.firstRange(of: LaTeX.escape(labels[0]))!.lowerBound
    )
    let body = tex.components(separatedBy: "\\midrule\n")[1].components(separatedBy: "\\bottomrule")[0]
    for row in body.split(separator: "\n") {
        let cells = row.dropLast(3).components(separatedBy: " & ")
        let configuration = r.plan.configurations.map(\.label).first { cells[0].hasPrefix(LaTeX.escape($0)) }!
        for (column, metric) in [labels[1], labels[0]].enumerated() {
            let a = try #require(r.aggregates.first { $0.configuration == configuration && $0.metric == metric })
            #expect(cells[column + 1].contains(String(format: "%.4f", a.mean)))
            #expect(cells[column + 1].hasSuffix(" $\\pm$ " + String(format: "%.4f", a.std)), "\(cells[column + 1])")
        }
    }
}

@Test func latexOutputSettingsAreValidated() throws {
    let base = statsFixture
    func load(_ latex: String) throws -> ExperimentSpec {
        let text = base.replacingOccurrences(
            of: "\"metrics\":", with: "\"outputs\": { \"latex\": \(latex) },\n  \"metrics\":")
        return try ExperimentLoader(registry: nil).load(text: text, file: "l.json")
    }
    #expect(try load("false").outputs.latex == false)
    let spec = try load("{ \"sd\": true }")
    #expect(spec.outputs.latex && spec.outputs.latexSD && spec.outputs.latexMetrics == nil)
    let first = spec.metrics[0].label
    #expect(try load("{ \"metrics\": [\"\(first.uppercased())\"] }").outputs.latexMetrics == [first])
    for (latex, message) in [
        ("\"yes\"", "outputs.latex: expected true, false or an object such as {\"sd\": true}, got \"yes\""),
        ("{ \"metrics\": [\"mrr@3\"] }", "outputs.latex.metrics[0]: expected one of the experiment's metrics"),
        ("{ \"sd\": 1 }", "outputs.latex.sd: expected true or false, got 1")
    ] {
        do { _ = try load(latex); Issue.record("accepted \(latex)") } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }
}
