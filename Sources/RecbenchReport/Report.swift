import Foundation
import RecbenchCore
import RecbenchEval
import RecbenchConfig
import RecbenchRunner
import RecbenchAnalysis

/// `report.html`: one self-contained page per run (inline SVG and CSS, no scripts, no network).
/// Written as XHTML-compatible markup so an XML parser can check it.
public enum Report {
    static let palette = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
        "#1b9e77", "#7570b3", "#d95f02", "#66a61e", "#e7298a", "#a6761d"
    ]

    public static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    // MARK: charts

    /// Horizontal bars (mean over folds) with 95 % interval whiskers and one dot per fold, on an axis
    /// with 1-2-5 ticks and grid lines (bars start at 0, so the axis includes it).
    static func metricChart(_ r: RunResult, dataset: String, metric: String) -> String {
        let configs = r.plan.configurations.map(\.label).filter { c in
            r.aggregates.contains { $0.dataset == dataset && $0.configuration == c && $0.metric == metric }
        }
        let aggs = configs.map { c in
            r.aggregates.first { $0.dataset == dataset && $0.configuration == c && $0.metric == metric }!
        }
        let folds = configs.map { c in
            r.trials(dataset: dataset, configuration: c).compactMap { $0.value(of: metric) }.filter(\.isFinite)
        }
        let labelWidth = 12.0 + 6.5 * Double(configs.map(\.count).max() ?? 4), plotWidth = 420.0, row = 24.0
        let plotTop = 26.0, plotBottom = 30 + row * Double(configs.count)
        let width = labelWidth + plotWidth + 70, height = plotBottom + 24
        var hi = 0.0, lo = 0.0
        for (a, fs) in zip(aggs, folds) {
            if a.mean.isFinite { hi = max(hi, a.mean + a.ci95); lo = min(lo, a.mean - a.ci95) }
            hi = max(hi, fs.max() ?? 0); lo = min(lo, fs.min() ?? 0)
        }
        let axis = ChartAxis.linear(lo, hi)
        func x(_ v: Double) -> Double { labelWidth + axis.fraction(v) * plotWidth }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"metric-chart\" data-metric=\"\(escape(metric))\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\">\n"
        s += "<title>\(escape(metric)) on \(escape(dataset)): mean over folds, 95 % interval, folds as dots</title>\n"
        s += "<text x=\"4\" y=\"16\" class=\"h\">\(escape(metric))</text>\n"
        s += plotArea(x: labelWidth, y: plotTop, width: plotWidth, height: plotBottom - plotTop)
        for t in axis.ticks where t != 0 {
            s += "<path d=\"M\(f(x(t))) \(f(plotTop))V\(f(plotBottom))\" class=\"grid\"/>\n"
        }
        s += "<line x1=\"\(f(x(0)))\" y1=\"\(f(plotTop))\" x2=\"\(f(x(0)))\" y2=\"\(f(plotBottom))\" class=\"axis\"/>\n"
        for t in axis.labelled(x) {
            s +=
                "<text x=\"\(f(x(t)))\" y=\"\(f(height - 6))\" text-anchor=\"middle\" class=\"tick x-tick\" data-value=\"\(t)\">\(axis.label(t))</text>\n"
        }
        for (i, (a, fs)) in zip(aggs, folds).enumerated() {
            let y = 30 + row * Double(i)
            s +=
                "<text x=\"\(f(labelWidth - 6))\" y=\"\(f(y + 15))\" text-anchor=\"end\">\(escape(a.configuration))</text>\n"
            if a.mean.isFinite {
                let x0 = x(min(0, a.mean)), x1 = x(max(0, a.mean))
                s +=
                    "<rect x=\"\(f(x0))\" y=\"\(f(y + 3))\" width=\"\(f(max(0.5, x1 - x0)))\" height=\"\(f(row - 8))\" fill=\"\(palette[i % palette.count])\" fill-opacity=\"0.75\"/>\n"
                if a.ci95 > 0 {
                    let cy = y + row / 2 - 1
                    s +=
                        "<path d=\"M\(f(x(a.mean - a.ci95))) \(f(cy))H\(f(x(a.mean + a.ci95)))M\(f(x(a.mean - a.ci95))) \(f(cy - 5))v10M\(f(x(a.mean + a.ci95))) \(f(cy - 5))v10\" class=\"whisker\"/>\n"
                }
                s +=
                    "<text x=\"\(f(labelWidth + plotWidth + 8))\" y=\"\(f(y + 15))\">\(TextFormat.fixed(a.mean))</text>\n"
            }
            for v in fs { s += "<circle cx=\"\(f(x(v)))\" cy=\"\(f(y + row / 2 - 1))\" r=\"2.5\" class=\"fold\"/>\n" }
        }
        return s + "</svg>\n"
    }

    /// The rectangle every point of a chart lies in (the structural report test reads it).
    static func plotArea(x: Double, y: Double, width: Double, height: Double) -> String {
        "<rect class=\"plot-area\" x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"none\"/>\n"
    }

    /// Line chart of y over x per series, with a legend; `logX` spaces x by log10. Both axes have 1-2-5
    /// ticks (thinned so their labels never overlap) and a margin, so no point sits on the frame.
    static func lineChart(
        cssClass: String, title: String, xLabel: String, yLabel: String,
        series: [(label: String, points: [(Double, Double)])],
        connect: Bool, logX: Bool = false, attributes: String = ""
    ) -> String {
        let width = 640.0, height = 300.0, left = 60.0, right = 170.0, top = 28.0, bottom = 40.0
        let pts = series.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite && (!logX || $0.0 > 0) }
        let xs = pts.map(\.0), ys = pts.map(\.1)
        let xLo = xs.min() ?? 0, xHi = xs.max() ?? 1, yLo = ys.min() ?? 0, yHi = ys.max() ?? 1
        let xAxis =
            logX
            ? ChartAxis.log(max(xLo, 1e-300) / 1.2, max(xHi, 1e-300) * 1.2)
            : ChartAxis.linear(xLo - 0.03 * (xHi - xLo), xHi + 0.03 * (xHi - xLo))
        let yAxis = ChartAxis.linear(yLo - 0.05 * (yHi - yLo), yHi + 0.05 * (yHi - yLo))
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func px(_ v: Double) -> Double { left + xAxis.fraction(v) * plotWidth }
        func py(_ v: Double) -> Double { height - bottom - yAxis.fraction(v) * plotHeight }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(cssClass)\"\(attributes)\(logX ? " data-log=\"true\"" : "") width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\">\n"
        s += "<title>\(escape(title))</title>\n<text x=\"4\" y=\"16\" class=\"h\">\(escape(title))</text>\n"
        s += plotArea(x: left, y: top, width: plotWidth, height: plotHeight)
        for t in yAxis.ticks { s += "<path d=\"M\(f(left)) \(f(py(t)))H\(f(width - right))\" class=\"grid\"/>\n" }
        for t in xAxis.ticks { s += "<path d=\"M\(f(px(t))) \(f(top))V\(f(height - bottom))\" class=\"grid\"/>\n" }
        s += "<path d=\"M\(f(left)) \(f(top))V\(f(height - bottom))H\(f(width - right))\" class=\"axis\"/>\n"
        s +=
            "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\" class=\"tick\">\(escape(xLabel + (logX ? " (log scale)" : "")))</text>\n"
        for t in yAxis.ticks {
            s +=
                "<text x=\"\(f(left - 4))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\" class=\"tick y-tick\" data-value=\"\(t)\">\(yAxis.label(t))</text>\n"
        }
        s += "<text x=\"\(f(left + 6))\" y=\"\(f(top + 12))\" class=\"tick\">\(escape(yLabel))</text>\n"
        for t in xAxis.labelled(px) {
            s +=
                "<text x=\"\(f(px(t)))\" y=\"\(f(height - bottom + 14))\" text-anchor=\"middle\" class=\"tick x-tick\" data-value=\"\(t)\">\(xAxis.label(t))</text>\n"
        }
        for (i, ser) in series.enumerated() {
            let color = palette[i % palette.count]
            let p = ser.points.filter { $0.0.isFinite && $0.1.isFinite && (!logX || $0.0 > 0) }
            if connect && p.count > 1 {
                s +=
                    "<polyline points=\"" + p.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
                    + "\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            }
            for q in p { s += "<circle cx=\"\(f(px(q.0)))\" cy=\"\(f(py(q.1)))\" r=\"3.5\" fill=\"\(color)\"/>\n" }
            let ly = top + 14 * Double(i)
            s += "<rect x=\"\(f(width - right + 10))\" y=\"\(f(ly))\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            s += "<text x=\"\(f(width - right + 24))\" y=\"\(f(ly + 9))\" class=\"tick\">\(escape(ser.label))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// Whether values spread over more than two decades (and are all positive): then a log axis.
    static func spansDecades(_ values: [Double]) -> Bool {
        guard let lo = values.min(), let hi = values.max(), lo > 0 else { return false }
        return hi / lo > 100
    }

    // MARK: page

    public static func html(
        _ r: RunResult, significance sig: ComparisonTable, tied: [TiedGroup] = [],
        manifest: String
    ) -> String {
        var s =
            "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        s += "<title>\(escape(r.spec.name)) — \(escape(r.runID))</title>\n<style>\n"
        s +=
            "body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}svg{font:12px system-ui,sans-serif;display:block;margin:.5em 0 1.2em}"
        s +=
            ".h{font-weight:bold}.axis{stroke:#555;fill:none}.whisker{stroke:#222;stroke-width:1.5;fill:none}.fold{fill:#fff;stroke:#222}.tick{fill:#555}.grid{stroke:#e4e4e4;fill:none}.plot-area{stroke:#ccc}"
        s +=
            "table{border-collapse:collapse;font-size:12px}td,th{border-bottom:1px solid #ddd;padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}"
        s += "pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:11px}.sig{font-weight:bold}.ns{color:#555}"
        s += "td.l{text-align:left}\n</style>\n</head>\n<body>\n"
        s +=
            "<h1>\(escape(r.spec.name))</h1>\n<p>Run <code>\(escape(r.runID))</code>, task <b>\(escape(r.spec.task.rawValue))</b>, candidates: \(escape(r.spec.candidates.label)), "
        s += "\(r.trials.count) trials in \(String(format: "%.1f", r.wallSeconds)) s.</p>\n"
        if !r.spec.description.isEmpty { s += "<p>\(escape(r.spec.description))</p>\n" }
        let metrics = r.spec.metrics.map(\.label)
        for d in r.datasets {
            s +=
                "<h2>\(escape(d.label))</h2>\n<p>\(d.users) users, \(d.items) items, \(d.interactions) interactions, \(d.folds) fold(s).</p>\n"
            s += "<h3>Metrics (bars: mean over folds; whiskers: 95 % t-interval; dots: folds)</h3>\n"
            for m in metrics { s += metricChart(r, dataset: d.label, metric: m) }
            // metric@K curves: every metric name evaluated at two or more cutoffs.
            let byName = Dictionary(grouping: r.spec.metrics.filter { $0.k != nil }, by: \.name).filter {
                $0.value.count >= 2
            }
            if !byName.isEmpty {
                s += "<h3>Metric@K</h3>\n"
                for name in byName.keys.sorted() {
                    let ks = byName[name]!.map { $0.k! }.sorted()
                    let series = r.plan.configurations.map { c in
                        (
                            c.label,
                            ks.compactMap { k in
                                r.aggregates.first {
                                    $0.dataset == d.label && $0.configuration == c.label && $0.metric == "\(name)@\(k)"
                                }.map { (Double(k), $0.mean) }
                            }
                        )
                    }
                    s += lineChart(
                        cssClass: "curve-chart", title: "\(name)@K", xLabel: "K", yLabel: name, series: series,
                        connect: true)
                }
            }
            if let primary = metrics.first {
                s += "<h3>Quality versus fit time</h3>\n"
                let series = r.plan.configurations.compactMap { c -> (label: String, points: [(Double, Double)])? in
                    let ts = r.trials(dataset: d.label, configuration: c.label)
                    guard !ts.isEmpty,
                        let a = r.aggregates.first(where: {
                            $0.dataset == d.label && $0.configuration == c.label && $0.metric == primary
                        })
                    else { return nil }
                    return (c.label, [(max(1e-4, ts.map(\.fitSeconds).reduce(0, +) / Double(ts.count)), a.mean)])
                }
                let fits = series.flatMap(\.points).map(\.0)
                let logX = (fits.max() ?? 1) / max(fits.min() ?? 1, 1e-4) > 20
                s += lineChart(
                    cssClass: "scatter-chart", title: "\(primary) versus mean fit time", xLabel: "fit seconds",
                    yLabel: primary, series: series, connect: false, logX: logX)
            }
            s += Sensitivity.html(r, dataset: d.label)
            s += SearchReport.html(r, dataset: d.label)
            let rows = sig.rows.filter { $0.dataset == d.label }
            if let first = rows.first {
                let onTest = SearchReport.selectsOnTest(r) ? ", selected on test" : ""
                s +=
                    "<h3>Significance against \(escape(first.reference)) (best on \(escape(metrics[0]))\(onTest))</h3>\n"
                s += "<table>\n<tr><th>metric</th><th>configuration</th><th>diff</th><th>95 % CI</th><th>t p</th>"
                s += "<th>randomization p</th><th>Wilcoxon p</th><th>d</th><th>n</th><th>p (Holm)</th><th>p (BH)</th>"
                s += "<th>verdict</th></tr>\n"
                for row in rows {
                    let significant = sig.isSignificant(row)
                    let signed: (Double) -> String = { String(format: "%+.4f", $0) }
                    let p: (Double) -> String = { escape(ComparisonTable.pValue($0)) }
                    s += "<tr><td>\(escape(row.metric))</td><td>\(escape(row.candidate))</td>"
                    s += "<td>\(signed(row.difference))</td>"
                    s += "<td>[\(signed(row.ciLow)), \(signed(row.ciHigh))]</td><td>\(p(row.tP))</td>"
                    s += "<td>\(p(row.randomizationP))</td><td>\(p(row.wilcoxonP))</td>"
                    s += "<td>\(TextFormat.fixed(row.effectSize, 3))</td><td>\(row.n) \(row.unit)</td>"
                    s += "<td\(significant ? " class=\"sig\"" : "")>"
                    s += "\(p(row.pHolm))\(ComparisonTable.stars(row.pHolm))</td>"
                    s += "<td>\(p(row.pBH))</td>"
                    // "Not significant" is not "equal": say how large a difference the run could have missed.
                    let mde = ComparisonTable.effect(row.minimumDetectableEffect)
                    s +=
                        significant
                        ? "<td class=\"sig\">significant</td></tr>\n"
                        : "<td class=\"ns\">not significant; detectable |diff| ≥ \(mde)</td></tr>\n"
                }
                s += "</table>\n<p>diff = configuration − reference over (fold, user) pairs (folds for aggregate-only "
                s +=
                    "metrics). Decisions use the \(escape(sig.test.title)), Holm-adjusted over all \(sig.rows.count) rows "
                s += "of the run (bold: adjusted p &lt; \(sig.alpha)); BH: Benjamini–Hochberg. Detectable |diff|: the "
                s +=
                    "smallest mean difference the paired t-test finds with power \(sig.power) at α = \(sig.alpha), given "
                s += "these pairs and their spread.</p>\n"
            }
            s += TiedGroupText.html(tied.filter { $0.dataset == d.label })
        }
        s += "<h2>Manifest</h2>\n<pre>\(escape(manifest))</pre>\n</body>\n</html>\n"
        return s
    }
}
