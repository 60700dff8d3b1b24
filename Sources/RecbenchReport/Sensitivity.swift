import Foundation
import RecbenchAlgorithms
import RecbenchConfig
import RecbenchRunner

/// Parameter sensitivity of grids: for each algorithm entry whose grid varies a numeric parameter,
/// one panel per such parameter, the file's first metric (mean over folds, on test) against its
/// values, on a log axis when they span more than two decades. With one varied parameter the points
/// are joined; with several, each point is one grid configuration. (Searches have theirs, on
/// validation data, in SearchReport.)
enum Sensitivity {
    static func numeric(_ v: ParameterValue?) -> Double? {
        switch v {
        case let .int(i)?: Double(i)
        case let .real(x)?: x
        default: nil
        }
    }

    static func html(_ r: RunResult, dataset: String) -> String {
        guard let metric = r.spec.metrics.first?.label else { return "" }
        var s = ""
        for (index, entry) in r.spec.algorithms.enumerated() where entry.search == nil {
            let varied = entry.grid.filter { $0.values.count > 1 && $0.values.allSatisfy { numeric($0) != nil } }.map(
                \.name)
            guard !varied.isEmpty else { continue }
            let configurations = r.plan.configurations.filter { $0.algorithmIndex == index }
            for name in varied {
                let points = configurations.compactMap { c -> (Double, Double)? in
                    guard let x = numeric(c.values.values[name]),
                        let a = r.aggregates.first(where: {
                            $0.dataset == dataset && $0.configuration == c.label
                                && $0.metric == metric
                        }), a.mean.isFinite
                    else { return nil }
                    return (x, a.mean)
                }.sorted { $0.0 < $1.0 }
                guard points.count > 1 else { continue }
                if s.isEmpty { s += "<h3>Parameter sensitivity (grids, \(Report.escape(metric)) on test)</h3>\n" }
                let attributes =
                    " data-parameter=\"\(Report.escape(name))\" data-entry=\"\(Report.escape(entry.label))\""
                s += Report.lineChart(
                    cssClass: "sensitivity-chart", title: "\(entry.label): \(metric) versus \(name)",
                    xLabel: name, yLabel: metric, series: [(entry.label, points)],
                    connect: varied.count == 1, logX: Report.spansDecades(points.map(\.0)),
                    attributes: attributes)
            }
        }
        return s
    }
}
