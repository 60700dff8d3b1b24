import Foundation
import RecbenchCore
import RecbenchAlgorithms
import RecbenchEval
import RecbenchConfig
import RecbenchRunner

/// The model-selection parts of a run's outputs: search.csv, the lines that name each fold's
/// choice (selected on validation) or a grid's winner (selected on test), and the report's
/// search and training-curve charts.
public enum SearchReport {

    // MARK: search.csv

    /// One row per candidate evaluation: data set, fold, configuration, proposal index, rung,
    /// budget, the validation value of the selection metric, fit and validation seconds, the best
    /// iteration, whether it was chosen, a failure, and the searched parameters as columns.
    public static func csv(_ r: RunResult) -> String {
        let searched = r.trials.compactMap { t in t.search.map { (t, $0) } }
        let params = Array(Set(searched.flatMap { $0.1.candidates.flatMap { $0.parameters.keys } })).sorted()
        var out = TextFormat.csvLine(
            [
                "dataset", "fold", "configuration", "algorithm", "candidate", "rung", "budget", "budget_unit",
                "metric", "value", "fit_seconds", "validation_seconds", "best_iteration", "chosen", "failure"
            ] + params)
        for (t, s) in searched {
            for (i, c) in s.candidates.enumerated() {
                out += TextFormat.csvLine(
                    [
                        t.dataset, String(t.fold), t.configuration, t.algorithm, String(c.index), String(c.rung),
                        c.budget.map(formatReal) ?? "", c.budget == nil ? "" : s.budgetName ?? "",
                        s.select, TextFormat.number(c.value), TextFormat.number(c.fitSeconds),
                        TextFormat.number(c.validationSeconds), c.bestIteration.map(String.init) ?? "",
                        i == s.chosen ? "yes" : "", c.failure ?? ""
                    ] + params.map { c.parameters[$0] ?? "" })
            }
        }
        return out
    }

    // MARK: naming winners

    /// How a configuration's parameters were chosen: "validation" (a search), "test" (a point of
    /// a grid without a search) or "" (nothing was chosen).
    public static func selectedOn(_ r: RunResult, configuration label: String) -> String {
        guard let c = r.plan.configurations.first(where: { $0.label == label }) else { return "" }
        if c.search != nil { return "validation" }
        return r.spec.selectedOnTest(algorithm: c.algorithmIndex) ? "test" : ""
    }

    /// Whether any winner of the run is picked on test data (a grid without a search).
    public static func selectsOnTest(_ r: RunResult) -> Bool {
        r.spec.algorithms.indices.contains { r.spec.selectedOnTest(algorithm: $0) }
    }

    /// Plain-text lines for a data set: each search's choice per fold, each grid's winner.
    public static func selectionLines(_ r: RunResult, dataset: String) -> [String] {
        var lines = [String]()
        let primary = r.spec.metrics.first?.label
        for (a, alg) in r.spec.algorithms.enumerated() {
            if let search = alg.search {
                let trials = r.trials(dataset: dataset, configuration: alg.label).filter { $0.search != nil }
                guard let first = trials.first?.search else { continue }
                lines.append(
                    "\(alg.label): \(search.label) on \(first.validation), selected on validation \(first.select)"
                        + (first.refit ? ", refitted on training + validation" : ", not refitted") + ":")
                for t in trials {
                    let s = t.search!, c = s.chosenCandidate
                    var line =
                        "  fold \(t.fold): "
                        + c.parameters.keys.sorted().map { "\($0)=\(c.parameters[$0]!)" }.joined(separator: ", ")
                    // The budget the test model trained for (a refit stops where the choice validated best).
                    if let name = alg.descriptor.budgetParameter, let b = t.parameters[name] {
                        line += ", \(name)=\(b)"
                    }
                    // No timings here: summary.md must reproduce exactly (search.csv and profile.csv have them).
                    line +=
                        "  (validation \(s.select) \(TextFormat.fixed(c.value)); \(s.candidates.count) candidates"
                        + (s.stoppedByTime ? ", stopped by max_seconds" : "") + ")"
                    lines.append(line)
                }
            } else if r.spec.selectedOnTest(algorithm: a), let primary {
                let labels = r.plan.configurations.filter { $0.algorithmIndex == a }.map(\.label)
                let means = labels.compactMap { l in
                    r.aggregates.first { $0.dataset == dataset && $0.configuration == l && $0.metric == primary }.map {
                        (l, $0.mean)
                    }
                }.filter { $0.1.isFinite }
                let higher = MetricCatalog.higherIsBetter(primary)
                guard let best = means.min(by: { higher ? $0.1 > $1.1 : $0.1 < $1.1 }) else { continue }
                lines.append(
                    "\(alg.label) grid (\(labels.count) configurations): best on \(primary) is \(best.0) "
                        + "(\(TextFormat.fixed(best.1))) — selected on test")
            }
        }
        return lines
    }

    // MARK: report.html

    /// The model-selection section of a data set: the choices, validation score versus each
    /// searched parameter, best-so-far curves, and training curves of every configuration.
    static func html(_ r: RunResult, dataset: String) -> String {
        var s = ""
        let lines = selectionLines(r, dataset: dataset)
        if !lines.isEmpty {
            s += "<h3>Model selection</h3>\n<pre>" + Report.escape(lines.joined(separator: "\n")) + "</pre>\n"
        }
        for alg in r.spec.algorithms where alg.search != nil {
            let trials = r.trials(dataset: dataset, configuration: alg.label).filter { $0.search != nil }
            guard let first = trials.first?.search else { continue }
            let metric = first.select
            s += "<h4>\(Report.escape(alg.label)): validation \(Report.escape(metric)) of every candidate</h4>\n"
            for (name, domain) in alg.search!.space {
                // Successive halving: the first rung, where every candidate trained on the same budget.
                let series = trials.map { t -> (label: String, points: [(Double, Double)]) in
                    let points = t.search!.candidates.filter { $0.rung == 0 }
                        .compactMap { c -> (Double, Double)? in
                            guard let v = c.parameters[name].flatMap(numeric) else { return nil }
                            return (v, c.value)
                        }
                    return ("fold \(t.fold)", points)
                }
                if series.allSatisfy({ $0.points.isEmpty }) {
                    s += choiceTable(trials, parameter: name, metric: metric)
                } else {
                    let note = alg.search!.strategy == .successiveHalving ? " (first rung)" : ""
                    s += Report.lineChart(
                        cssClass: "search-chart", title: "validation \(metric) versus \(name)\(note)", xLabel: name,
                        yLabel: metric, series: series, connect: false,
                        logX: domain.isLogarithmic || Report.spansDecades(series.flatMap(\.points).map(\.0)))
                }
            }
            let best = trials.map { t -> (label: String, points: [(Double, Double)]) in
                var spent = 0.0
                let xs = t.search!.candidates.map { c -> Double in
                    spent += c.fitSeconds + c.validationSeconds; return spent
                }
                return ("fold \(t.fold)", Array(zip(xs, t.search!.bestSoFar)))
            }
            s += Report.lineChart(
                cssClass: "best-so-far-chart", title: "\(alg.label): best validation \(metric) so far",
                xLabel: "search seconds (fit + validation)", yLabel: metric, series: best, connect: true)
        }
        s += trainingCurves(r, dataset: dataset)
        return s
    }

    /// Mean validation value per choice of a non-numeric parameter, per fold.
    static func choiceTable(_ trials: [TrialResult], parameter: String, metric: String) -> String {
        let choices = Array(Set(trials.flatMap { $0.search!.candidates.compactMap { $0.parameters[parameter] } }))
            .sorted()
        var s = "<table class=\"search-choices\">\n<tr><th>\(Report.escape(parameter))</th>"
        s += trials.map { "<th>fold \($0.fold)</th>" }.joined() + "</tr>\n"
        for choice in choices {
            s += "<tr><td>\(Report.escape(choice))</td>"
            for t in trials {
                let vs = t.search!.candidates.filter { $0.parameters[parameter] == choice && $0.value.isFinite }.map(
                    \.value)
                s += "<td>" + (vs.isEmpty ? "–" : TextFormat.fixed(vs.max()!)) + "</td>"
            }
            s += "</tr>\n"
        }
        return s
            + "</table>\n<p>Best validation \(Report.escape(metric)) per choice of \(Report.escape(parameter)).</p>\n"
    }

    /// Loss (and validation score, where recorded) per iteration: the curves each trial records
    /// and, for a search, its chosen candidate's.
    static func trainingCurves(_ r: RunResult, dataset: String) -> String {
        var s = ""
        for c in r.plan.configurations.prefix(24) {
            let trials = r.trials(dataset: dataset, configuration: c.label)
            for key in ["loss", "validation"] {
                // Validation points are recorded higher-is-better (an RMSE negated); shown in the metric's own sign.
                let sign = key == "validation" && !MetricCatalog.higherIsBetter(r.spec.select.label) ? -1.0 : 1.0
                var series = trials.map { t in
                    (
                        "fold \(t.fold)",
                        t.curve.compactMap { p in p.values[key].map { (Double(p.iteration), sign * $0) } }
                    )
                }
                var title = "\(c.label): training \(key) per iteration"
                if key == "validation", let first = trials.first?.search {
                    // A refit has no validation data; its chosen candidate's curve shows the selection run.
                    series = trials.compactMap { t in
                        t.search.map { s in
                            (
                                "fold \(t.fold)",
                                s.chosenCandidate.curve.compactMap { p in
                                    p.values["validation"].map { (Double(p.iteration), s.higherIsBetter ? $0 : -$0) }
                                }
                            )
                        }
                    }
                    title = "\(c.label): validation \(first.select) per iteration of the chosen candidate"
                }
                guard series.contains(where: { $0.1.count > 1 }) else { continue }
                if s.isEmpty { s = "<h3>Training curves</h3>\n" }
                s += Report.lineChart(
                    cssClass: "training-curve", title: title, xLabel: "iteration", yLabel: key,
                    series: series.map { (label: $0.0, points: $0.1) }, connect: true)
            }
        }
        return s
    }

    static func numeric(_ s: String) -> Double? { Double(s) }
}
