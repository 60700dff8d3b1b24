import Testing
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import RecbenchReport

/// The structure of every chart of a report: its plot rectangle, its points, and its tick labels
/// (position, value, text), read with an XML parser from the page's inline SVG.
private final class ChartReader: NSObject, XMLParserDelegate {
    struct Tick { var x: Double, y: Double, value: Double, text: String, axis: String }
    struct Chart {
        var kind = "", attributes = [String: String]()
        var plot: (x: Double, y: Double, width: Double, height: Double)?
        var points = [(Double, Double)]()
        var ticks = [Tick]()
    }
    var charts = [Chart]()
    private var tick: Tick?

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes a: [String: String] = [:]
    ) {
        func n(_ key: String) -> Double { Double(a[key] ?? "") ?? .nan }
        switch name {
        case "svg": charts.append(Chart(kind: a["class"] ?? "", attributes: a))
        case "rect" where a["class"] == "plot-area":
            charts[charts.count - 1].plot = (n("x"), n("y"), n("width"), n("height"))
        case "circle": charts[charts.count - 1].points.append((n("cx"), n("cy")))
        case "text":
            let classes = (a["class"] ?? "").split(separator: " ")
            if let axis = classes.first(where: { $0 == "x-tick" || $0 == "y-tick" }) {
                tick = Tick(x: n("x"), y: n("y"), value: n("data-value"), text: "", axis: String(axis))
            }
        default: break
        }
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { tick?.text += string }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text", let t = tick { charts[charts.count - 1].ticks.append(t); tick = nil }
    }

    static func read(_ markup: String) -> [Chart] {
        let reader = ChartReader()
        let parser = XMLParser(data: Data(markup.utf8))
        parser.delegate = reader
        #expect(parser.parse(), "not well-formed: \(String(describing: parser.parserError))")
        return reader.charts
    }
}

/// Every point inside its plot rectangle; x tick labels (7 px per character, centred) apart by at
/// least their half widths; y ticks one 1-2-5 step apart; log-axis ticks 1-2-5 multiples of powers of ten.
private func checkStructure(_ charts: [ChartReader.Chart]) {
    for c in charts {
        guard let p = c.plot else { Issue.record("\(c.kind): no plot-area"); continue }
        for (x, y) in c.points {
            #expect(
                x >= p.x - 0.05 && x <= p.x + p.width + 0.05 && y >= p.y - 0.05 && y <= p.y + p.height + 0.05,
                "\(c.kind): point (\(x), \(y)) outside \(p)")
        }
        let xs = c.ticks.filter { $0.axis == "x-tick" }.sorted { $0.x < $1.x }
        for (a, b) in zip(xs, xs.dropFirst()) {
            let gap = (b.x - 3.5 * Double(b.text.count)) - (a.x + 3.5 * Double(a.text.count))
            #expect(gap >= 0, "\(c.kind): labels \(a.text) and \(b.text) overlap")
        }
        #expect(xs.count >= 2, "\(c.kind): \(xs.count) x tick labels")
        let ys = c.ticks.filter { $0.axis == "y-tick" }.map(\.value).sorted()
        if c.kind != "metric-chart" {
            #expect(ys.count >= 3, "\(c.kind): \(ys.count) y ticks")
            let steps = zip(ys, ys.dropFirst()).map { $1 - $0 }
            #expect(steps.allSatisfy { abs($0 - steps[0]) <= 1e-9 * max(1, abs(steps[0])) }, "\(c.kind): uneven \(ys)")
            #expect(steps.first.map(ChartAxis.isOneTwoFive) ?? false, "\(c.kind): step \(steps) is not 1-2-5")
        }
        if c.attributes["data-log"] == "true" {
            #expect(xs.allSatisfy { ChartAxis.isOneTwoFive($0.value) }, "\(c.kind): \(xs.map(\.value))")
        }
    }
}

@Test func reportChartsKeepPointsInsideAndTicksReadable() throws {
    let r = try runStatsFixture()
    let html = try String(contentsOfFile: r.directory + "/report.html", encoding: .utf8)
    let charts = ChartReader.read(html)
    #expect(charts.count >= r.spec.metrics.count + 3)
    checkStructure(charts)
    // The grid over item_reg (5, 25): its sensitivity panel has one point per grid value.
    let sensitivity = try #require(charts.first { $0.kind == "sensitivity-chart" })
    #expect(sensitivity.attributes["data-parameter"] == "item_reg" && sensitivity.points.count == 2)
}

/// A parameter spanning three decades gets a log axis whose labelled ticks are powers of ten and 1-2-5 values.
@Test func wideParameterRangesGetALogAxis() {
    let points: [(Double, Double)] = [(1, 0.21), (10, 0.25), (100, 0.3), (1000, 0.28)]
    #expect(Report.spansDecades(points.map(\.0)) && !Report.spansDecades([1, 50]))
    let svg = Report.lineChart(
        cssClass: "sensitivity-chart", title: "EASE: ndcg@10 versus regularization",
        xLabel: "regularization", yLabel: "ndcg@10", series: [("EASE", points)], connect: true,
        logX: true)
    let charts = ChartReader.read(svg)
    #expect(charts[0].attributes["data-log"] == "true")
    checkStructure(charts)
    let xs = charts[0].ticks.filter { $0.axis == "x-tick" }
    #expect(xs.allSatisfy { ChartAxis.isOneTwoFive($0.value) })
    #expect(xs.map(\.value).contains(1) && xs.map(\.value).contains(1000))
    // Log spacing: 1 → 10 as wide as 10 → 100.
    let x1 = xs.first { $0.value == 1 }!.x, x10 = xs.first { $0.value == 10 }!.x, x100 = xs.first { $0.value == 100 }!.x
    #expect(abs((x10 - x1) - (x100 - x10)) < 0.2)
    #expect(svg.contains("regularization (log scale)"))
}

/// Many long labels on a narrow axis: thinned until they fit, never overlapping.
@Test func crowdedTickLabelsAreThinned() {
    let points = (0...20).map { (Double($0) * 125_000, Double($0 % 3)) }
    let charts = ChartReader.read(
        Report.lineChart(
            cssClass: "line", title: "t", xLabel: "x", yLabel: "y",
            series: [("s", points)], connect: true))
    checkStructure(charts)
    let xs = charts[0].ticks.filter { $0.axis == "x-tick" }
    #expect(xs.count >= 2 && xs.count < 12)
}

@Suite struct ChartAxisTests {
    @Test func linearTicksAreOneTwoFiveStepsCoveringTheData() {
        let a = ChartAxis.linear(0, 0.43)
        #expect(a.step == 0.1 && a.low == 0 && abs(a.high - 0.5) < 1e-12 && a.ticks.count == 6)
        #expect(a.ticks.map(a.label) == ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5"])
        let b = ChartAxis.linear(-0.02, 0.31)
        #expect(b.step == 0.1 && abs(b.low + 0.1) < 1e-12 && abs(b.high - 0.4) < 1e-12)
        #expect(b.ticks.contains(0) && b.label(0) == "0.0")
        let c = ChartAxis.linear(3, 3)
        #expect(c.low < 3 && c.high > 3 && c.step == 1)
        // (0.262 − 0.231) / 5 = 0.0062: the next 1-2-5 step is 0.01 (0.005 would give 7 ticks).
        #expect(ChartAxis.linear(0.231, 0.262).step == 0.01)
        for (raw, nice) in [(0.086, 0.1), (0.031, 0.05), (1.2, 2.0), (7.0, 10.0), (2.0, 2.0), (0.0004, 0.0005)] {
            #expect(abs(ChartAxis.niceStep(raw) - nice) < 1e-15, "\(raw)")
        }
    }

    @Test func logTicks() {
        #expect(ChartAxis.log(1, 50).ticks == [1, 2, 5, 10, 20, 50, 100])
        let wide = ChartAxis.log(0.003, 70)
        #expect(wide.ticks.count == 6 && wide.ticks.allSatisfy(ChartAxis.isOneTwoFive))
        #expect(abs(wide.low - 0.001) < 1e-15 && wide.high == 100)
        #expect(wide.label(0.001) == "0.001" && wide.label(1e-4) == "1e-04" && wide.label(100) == "100")
        #expect(ChartAxis.isOneTwoFive(0.05) && ChartAxis.isOneTwoFive(2000) && !ChartAxis.isOneTwoFive(0.3))
    }

    @Test func labelledTicksDoNotOverlap() {
        let a = ChartAxis.linear(0, 1_000_000, target: 10)
        let kept = a.labelled { $0 / 1_000_000 * 200 }  // 200 px for 11 labels of up to 7 characters
        #expect(kept.count >= 2 && kept.count < a.ticks.count)
        for (u, v) in zip(kept, kept.dropFirst()) {
            #expect(
                (v - u) / 1_000_000 * 200 >= (ChartAxis.textWidth(a.label(u)) + ChartAxis.textWidth(a.label(v))) / 2)
        }
    }
}
