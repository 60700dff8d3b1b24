import Foundation
import RecbenchCore
import RecbenchEval
import RecbenchConfig
import RecbenchRunner
import RecbenchAnalysis

/// `report.html`: one self-contained page per run (inline SVG and CSS, no scripts, no network).
/// Written as XHTML-compatible markup so an XML parser can check it.
public enum Report {
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
                          "#1b9e77", "#7570b3", "#d95f02", "#66a61e", "#e7298a", "#a6761d"]

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

    /// Horizontal bars (mean over folds) with 95 % interval whiskers and one dot per fold.
    static func metricChart(_ r: RunResult, dataset: String, metric: String) -> String {
        let configs = r.plan.configurations.map(\.label).filter { c in r.aggregates.contains { $0.dataset == dataset && $0.configuration == c && $0.metric == metric } }
        let aggs = configs.map { c in r.aggregates.first { $0.dataset == dataset && $0.configuration == c && $0.metric == metric }! }
        let folds = configs.map { c in r.trials(dataset: dataset, configuration: c).compactMap { $0.value(of: metric) }.filter(\.isFinite) }
        let labelWidth = 12.0 + 6.5 * Double(configs.map(\.count).max() ?? 4), plotWidth = 420.0, row = 24.0
        let width = labelWidth + plotWidth + 70, height = 34 + row * Double(configs.count) + 24
        var hi = 0.0, lo = 0.0
        for (a, fs) in zip(aggs, folds) {
            if a.mean.isFinite { hi = max(hi, a.mean + a.ci95); lo = min(lo, a.mean - a.ci95) }
            hi = max(hi, fs.max() ?? 0); lo = min(lo, fs.min() ?? 0)
        }
        if hi == lo { hi = lo + 1 }
        func x(_ v: Double) -> Double { labelWidth + (v - lo) / (hi - lo) * plotWidth }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"metric-chart\" data-metric=\"\(escape(metric))\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\">\n"
        s += "<title>\(escape(metric)) on \(escape(dataset)): mean over folds, 95 % interval, folds as dots</title>\n"
        s += "<text x=\"4\" y=\"16\" class=\"h\">\(escape(metric))</text>\n"
        s += "<line x1=\"\(f(x(0)))\" y1=\"26\" x2=\"\(f(x(0)))\" y2=\"\(f(height - 22))\" class=\"axis\"/>\n"
        for (i, (a, fs)) in zip(aggs, folds).enumerated() {
            let y = 30 + row * Double(i)
            s += "<text x=\"\(f(labelWidth - 6))\" y=\"\(f(y + 15))\" text-anchor=\"end\">\(escape(a.configuration))</text>\n"
            if a.mean.isFinite {
                let x0 = x(min(0, a.mean)), x1 = x(max(0, a.mean))
                s += "<rect x=\"\(f(x0))\" y=\"\(f(y + 3))\" width=\"\(f(max(0.5, x1 - x0)))\" height=\"\(f(row - 8))\" fill=\"\(palette[i % palette.count])\" fill-opacity=\"0.75\"/>\n"
                if a.ci95 > 0 {
                    let cy = y + row / 2 - 1
                    s += "<path d=\"M\(f(x(a.mean - a.ci95))) \(f(cy))H\(f(x(a.mean + a.ci95)))M\(f(x(a.mean - a.ci95))) \(f(cy - 5))v10M\(f(x(a.mean + a.ci95))) \(f(cy - 5))v10\" class=\"whisker\"/>\n"
                }
                s += "<text x=\"\(f(labelWidth + plotWidth + 8))\" y=\"\(f(y + 15))\">\(TextFormat.fixed(a.mean))</text>\n"
            }
            for v in fs { s += "<circle cx=\"\(f(x(v)))\" cy=\"\(f(y + row / 2 - 1))\" r=\"2.5\" class=\"fold\"/>\n" }
        }
        s += "<text x=\"\(f(x(lo)))\" y=\"\(f(height - 6))\" class=\"tick\">\(TextFormat.fixed(lo, 3))</text>"
        s += "<text x=\"\(f(x(hi)))\" y=\"\(f(height - 6))\" text-anchor=\"end\" class=\"tick\">\(TextFormat.fixed(hi, 3))</text>\n"
        return s + "</svg>\n"
    }

    /// Line chart of y over x per series, with a legend; `logX` spaces x by log10.
    static func lineChart(cssClass: String, title: String, xLabel: String, yLabel: String, series: [(label: String, points: [(Double, Double)])],
                          connect: Bool, logX: Bool = false) -> String {
        let width = 640.0, height = 300.0, left = 60.0, right = 170.0, top = 28.0, bottom = 40.0
        let pts = series.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite && (!logX || $0.0 > 0) }
        let tx: (Double) -> Double = logX ? { log10($0) } : { $0 }
        var x0 = pts.map { tx($0.0) }.min() ?? 0, x1 = pts.map { tx($0.0) }.max() ?? 1
        var y0 = min(0, pts.map(\.1).min() ?? 0), y1 = pts.map(\.1).max() ?? 1
        if x1 == x0 { x0 -= 0.5; x1 += 0.5 }
        if y1 == y0 { y1 = y0 + 1 }
        y1 += (y1 - y0) * 0.05
        func px(_ v: Double) -> Double { left + (tx(v) - x0) / (x1 - x0) * (width - left - right) }
        func py(_ v: Double) -> Double { height - bottom - (v - y0) / (y1 - y0) * (height - top - bottom) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(cssClass)\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\">\n"
        s += "<title>\(escape(title))</title>\n<text x=\"4\" y=\"16\" class=\"h\">\(escape(title))</text>\n"
        s += "<path d=\"M\(f(left)) \(f(top))V\(f(height - bottom))H\(f(width - right))\" class=\"axis\"/>\n"
        s += "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\" class=\"tick\">\(escape(xLabel))</text>\n"
        s += "<text x=\"\(f(left - 4))\" y=\"\(f(top + 4))\" text-anchor=\"end\" class=\"tick\">\(TextFormat.fixed(y1, 3))</text>"
        s += "<text x=\"\(f(left - 4))\" y=\"\(f(height - bottom))\" text-anchor=\"end\" class=\"tick\">\(TextFormat.fixed(y0, 3))</text>\n"
        s += "<text x=\"\(f(left + 6))\" y=\"\(f(top + 4))\" class=\"tick\">\(escape(yLabel))</text>\n"
        let xs = Set(pts.map(\.0)).sorted()
        for v in xs.count <= 8 ? xs : [xs.first!, xs.last!] {
            s += "<text x=\"\(f(px(v)))\" y=\"\(f(height - bottom + 14))\" text-anchor=\"middle\" class=\"tick\">\(v == v.rounded() && abs(v) < 1e6 ? String(Int(v)) : String(format: "%.3g", v))</text>\n"
        }
        for (i, ser) in series.enumerated() {
            let color = palette[i % palette.count]
            let p = ser.points.filter { $0.0.isFinite && $0.1.isFinite && (!logX || $0.0 > 0) }
            if connect && p.count > 1 {
                s += "<polyline points=\"" + p.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ") + "\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            }
            for q in p { s += "<circle cx=\"\(f(px(q.0)))\" cy=\"\(f(py(q.1)))\" r=\"3.5\" fill=\"\(color)\"/>\n" }
            let ly = top + 14 * Double(i)
            s += "<rect x=\"\(f(width - right + 10))\" y=\"\(f(ly))\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            s += "<text x=\"\(f(width - right + 24))\" y=\"\(f(ly + 9))\" class=\"tick\">\(escape(ser.label))</text>\n"
        }
        return s + "</svg>\n"
    }

    // MARK: page

    public static func html(_ r: RunResult, significance sig: ComparisonTable, tied: [TiedGroup] = [],
                            manifest: String) -> String {
        var s = "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        s += "<title>\(escape(r.spec.name)) — \(escape(r.runID))</title>\n<style>\n"
        s += "body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}svg{font:12px system-ui,sans-serif;display:block;margin:.5em 0 1.2em}"
        s += ".h{font-weight:bold}.axis{stroke:#555;fill:none}.whisker{stroke:#222;stroke-width:1.5;fill:none}.fold{fill:#fff;stroke:#222}.tick{fill:#555}"
        s += "table{border-collapse:collapse;font-size:12px}td,th{border-bottom:1px solid #ddd;padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}"
        s += "pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:11px}.sig{font-weight:bold}.ns{color:#555}"
        s += "td.l{text-align:left}\n</style>\n</head>\n<body>\n"
        s += "<h1>\(escape(r.spec.name))</h1>\n<p>Run <code>\(escape(r.runID))</code>, task <b>\(escape(r.spec.task.rawValue))</b>, candidates: \(escape(r.spec.candidates.label)), "
        s += "\(r.trials.count) trials in \(String(format: "%.1f", r.wallSeconds)) s.</p>\n"
        if !r.spec.description.isEmpty { s += "<p>\(escape(r.spec.description))</p>\n" }
        let metrics = r.spec.metrics.map(\.label)
        for d in r.datasets {
            s += "<h2>\(escape(d.label))</h2>\n<p>\(d.users) users, \(d.items) items, \(d.interactions) interactions, \(d.folds) fold(s).</p>\n"
            s += "<h3>Metrics (bars: mean over folds; whiskers: 95 % t-interval; dots: folds)</h3>\n"
            for m in metrics { s += metricChart(r, dataset: d.label, metric: m) }
            // metric@K curves: every metric name evaluated at two or more cutoffs.
            let byName = Dictionary(grouping: r.spec.metrics.filter { $0.k != nil }, by: \.name).filter { $0.value.count >= 2 }
            if !byName.isEmpty {
                s += "<h3>Metric@K</h3>\n"
                for name in byName.keys.sorted() {
                    let ks = byName[name]!.map { $0.k! }.sorted()
                    let series = r.plan.configurations.map { c in
                        (c.label, ks.compactMap { k in r.aggregates.first { $0.dataset == d.label && $0.configuration == c.label && $0.metric == "\(name)@\(k)" }.map { (Double(k), $0.mean) } })
                    }
                    s += lineChart(cssClass: "curve-chart", title: "\(name)@K", xLabel: "K", yLabel: name, series: series, connect: true)
                }
            }
            if let primary = metrics.first {
                s += "<h3>Quality versus fit time</h3>\n"
                let series = r.plan.configurations.compactMap { c -> (label: String, points: [(Double, Double)])? in
                    let ts = r.trials(dataset: d.label, configuration: c.label)
                    guard !ts.isEmpty, let a = r.aggregates.first(where: { $0.dataset == d.label && $0.configuration == c.label && $0.metric == primary }) else { return nil }
                    return (c.label, [(max(1e-4, ts.map(\.fitSeconds).reduce(0, +) / Double(ts.count)), a.mean)])
                }
                let fits = series.flatMap(\.points).map(\.0)
                let logX = (fits.max() ?? 1) / max(fits.min() ?? 1, 1e-4) > 20
                s += lineChart(cssClass: "scatter-chart", title: "\(primary) versus mean fit time", xLabel: logX ? "fit seconds (log scale)" : "fit seconds",
                               yLabel: primary, series: series, connect: false, logX: logX)
            }
            s += SearchReport.html(r, dataset: d.label)
            let rows = sig.rows.filter { $0.dataset == d.label }
            if let first = rows.first {
                let onTest = SearchReport.selectsOnTest(r) ? ", selected on test" : ""
                s += "<h3>Significance against \(escape(first.reference)) (best on \(escape(metrics[0]))\(onTest))</h3>\n"
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
                    s += significant ? "<td class=\"sig\">significant</td></tr>\n"
                        : "<td class=\"ns\">not significant; detectable |diff| ≥ \(mde)</td></tr>\n"
                }
                s += "</table>\n<p>diff = configuration − reference over (fold, user) pairs (folds for aggregate-only "
                s += "metrics). Decisions use the \(escape(sig.test.title)), Holm-adjusted over all \(sig.rows.count) rows "
                s += "of the run (bold: adjusted p &lt; \(sig.alpha)); BH: Benjamini–Hochberg. Detectable |diff|: the "
                s += "smallest mean difference the paired t-test finds with power \(sig.power) at α = \(sig.alpha), given "
                s += "these pairs and their spread.</p>\n"
            }
            s += TiedGroupText.html(tied.filter { $0.dataset == d.label })
        }
        s += "<h2>Manifest</h2>\n<pre>\(escape(manifest))</pre>\n</body>\n</html>\n"
        return s
    }
}
