import Foundation
import RecbenchCore
import RecbenchGSL
import RecbenchConfig
import RecbenchRunner
import RecbenchAnalysis
import RecbenchBuildInfo

/// The files of a run folder, each rendered from a `RunResult`.
public enum Writers {

    /// Every parameter name of every configuration, sorted: the parameter columns of metrics.csv.
    static func parameterNames(_ r: RunResult) -> [String] {
        Array(Set(r.trials.flatMap { $0.parameters.keys })).sorted()
    }

    /// Tidy: one row per data set × fold × configuration × metric, parameters as columns (for a
    /// search, the fold's chosen ones); `selected_on` says whether they were picked on validation
    /// or on test (a grid without a search).
    public static func metricsCSV(_ r: RunResult) -> String {
        let params = parameterNames(r)
        var out = TextFormat.csvLine(
            [
                "dataset", "fold", "configuration", "algorithm", "metric", "value", "users", "skipped_users",
                "selected_on"
            ] + params)
        for t in r.trials {
            let selected = SearchReport.selectedOn(r, configuration: t.configuration)
            for (m, label) in t.metricLabels.enumerated() {
                out += TextFormat.csvLine(
                    [
                        t.dataset, String(t.fold), t.configuration, t.algorithm, label, TextFormat.number(t.values[m]),
                        String(t.users.count), String(t.skippedUsers), selected
                    ] + params.map { t.parameters[$0] ?? "" })
            }
        }
        return out
    }

    /// One row per data set × fold × configuration × user × per-user metric (for paired tests).
    public static func perUserCSV(_ r: RunResult) -> String {
        var out = TextFormat.csvLine(["dataset", "fold", "configuration", "user", "metric", "value"])
        for t in r.trials {
            for (m, label) in t.metricLabels.enumerated() {
                guard let values = t.perUser[m] else { continue }
                for (u, v) in zip(t.users, values) {
                    out += TextFormat.csvLine([
                        t.dataset, String(t.fold), t.configuration, u, label, TextFormat.number(v)
                    ])
                }
            }
        }
        return out
    }

    /// Phase timings, throughput and memory per trial, plus the data preparation phases.
    public static func profileCSV(_ r: RunResult) -> String {
        var out = TextFormat.csvLine([
            "dataset", "fold", "configuration", "phase", "seconds", "throughput", "throughput_unit", "peak_rss_mib",
            "start_rss_mib", "estimate_mib", "threads"
        ])
        let none = ["", "", "", ""]  // peak, start, estimate, threads
        for d in r.datasets {
            out += TextFormat.csvLine(
                [
                    d.label, "", "", "load", TextFormat.number(d.loadSeconds),
                    TextFormat.number(Double(d.interactions) / max(d.loadSeconds, 1e-9)), "interactions/s"
                ] + none)
            out += TextFormat.csvLine([d.label, "", "", "filter", TextFormat.number(d.filterSeconds), "", ""] + none)
            out += TextFormat.csvLine([d.label, "", "", "split", TextFormat.number(d.splitSeconds), "", ""] + none)
        }
        for t in r.trials {
            func mib(_ b: Int?) -> String { b.map { TextFormat.number(Double($0) / 1048576) } ?? "" }
            // Peak and start RSS are the whole process's; peak − start is what the trial added, the
            // quantity the estimate (model + evaluation) is made for.
            let memory = [mib(t.peakResidentBytes), mib(t.startResidentBytes), mib(t.estimatedPeakBytes)]
            let users = Double(t.users.count + t.skippedUsers)
            func row(_ phase: String, _ seconds: Double, _ throughput: String, _ unit: String) -> String {
                TextFormat.csvLine(
                    [t.dataset, String(t.fold), t.configuration, phase, TextFormat.number(seconds), throughput, unit]
                        + memory + [String(t.threads)])
            }
            out += row(
                "fit", t.fitSeconds, TextFormat.number(Double(t.trainInteractions) / max(t.fitSeconds, 1e-9)),
                "interactions/s")
            out += row("score", t.scoreSeconds, TextFormat.number(users / max(t.scoreSeconds, 1e-9)), "users/s")
            out += row("evaluate", t.evaluateSeconds, "", "")
            if let s = t.search {
                out += TextFormat.csvLine([
                    t.dataset, String(t.fold), t.configuration, "search", TextFormat.number(s.seconds),
                    TextFormat.number(Double(s.candidates.count) / max(s.seconds, 1e-9)), "candidates/s", "", "", "",
                    String(t.threads)
                ])
            }
        }
        return out
    }

    /// Rows = configurations, columns = metrics, cells = mean ± std over folds.
    static func table(_ r: RunResult, dataset: String) -> (header: [String], rows: [[String]]) {
        let metrics = r.spec.metrics.map(\.label)
        let header = ["configuration"] + metrics + ["fit s"]
        var rows = [[String]]()
        for c in r.plan.configurations {
            let failed = r.failures(dataset: dataset, configuration: c.label).count
            if failed > 0 {
                rows.append([c.label] + metrics.map { _ in "failed" } + ["–"])
                continue
            }
            let aggs = r.aggregates(dataset: dataset, configuration: c.label)
            guard !aggs.isEmpty else { continue }
            let fit = r.trials(dataset: dataset, configuration: c.label).map(\.fitSeconds)
            rows.append(
                [c.label]
                    + metrics.map { m in
                        aggs.first { $0.metric == m }.map {
                            $0.folds > 1
                                ? "\(TextFormat.fixed($0.mean)) ± \(TextFormat.fixed($0.std))"
                                : TextFormat.fixed($0.mean)
                        } ?? "–"
                    } + [TextFormat.fixed(fit.reduce(0, +) / Double(max(1, fit.count)), 3)])
        }
        return (header, rows)
    }

    /// `width`: the terminal's columns; a table wider than that is split into several (`ConsoleTable`).
    public static func console(_ r: RunResult, width: Int? = nil) -> String {
        var out = ""
        for d in r.datasets {
            let (header, rows) = table(r, dataset: d.label)
            out +=
                "\(d.label): \(d.users) users, \(d.items) items, \(d.interactions) interactions, \(d.folds) fold(s); \(r.spec.task.rawValue), \(r.spec.candidates.label)\n"
            out += ConsoleTable.render(header: header, rows: rows, width: width)
            let selection = SearchReport.selectionLines(r, dataset: d.label)
            if !selection.isEmpty { out += "\n" + selection.joined(separator: "\n") + "\n" }
            out += "\n"
        }
        if !r.failures.isEmpty {
            out += "\(r.failures.count) trial(s) failed:\n" + r.failures.map { "  " + $0.line + "\n" }.joined() + "\n"
        }
        return out
    }

    /// `tied`: the run's tied-with-the-best groups (empty for a shard); their cells are bold and
    /// each data set lists them under its table.
    public static func summaryMarkdown(_ r: RunResult, tied: [TiedGroup] = []) -> String {
        var out = "# \(r.spec.name)\n\n"
        if !r.spec.description.isEmpty { out += r.spec.description + "\n\n" }
        out += "Run `\(r.runID)`, task **\(r.spec.task.rawValue)**, candidates: \(r.spec.candidates.label). "
        out += "Cells are mean ± sample standard deviation over folds"
        out += tied.isEmpty ? ".\n\n" : "; bold: tied with the best (see below each table).\n\n"
        let metrics = r.spec.metrics.map(\.label)
        for d in r.datasets {
            out +=
                "## \(d.label)\n\n\(d.users) users, \(d.items) items, \(d.interactions) interactions, \(d.folds) fold(s).\n\n"
            let (header, rows) = table(r, dataset: d.label)
            out +=
                "| " + header.joined(separator: " | ") + " |\n|"
                + header.indices.map { $0 == 0 ? "---" : "---:" }.joined(separator: "|") + "|\n"
            let groups = tied.filter { $0.dataset == d.label }
            for row in rows {
                var cells = row
                for (j, m) in metrics.enumerated() {
                    guard groups.first(where: { $0.metric == m })?.contains(row[0]) ?? false else { continue }
                    cells[j + 1] = "**\(cells[j + 1])**"
                }
                out += "| " + cells.joined(separator: " | ") + " |\n"
            }
            out += "\n"
            if !groups.isEmpty { out += TiedGroupText.markdown(groups) + "\n" }
            let selection = SearchReport.selectionLines(r, dataset: d.label)
            if !selection.isEmpty {
                out += "### Model selection\n\n```\n" + selection.joined(separator: "\n") + "\n```\n\n"
            }
        }
        if !r.failures.isEmpty {
            out += "## Failed trials\n\n"
            out += "These trials produced no results; their configurations have no summary above.\n\n"
            out += "| data set | fold | configuration | reason |\n|---|---:|---|---|\n"
            for f in r.failures {
                let reason = f.reason.replacingOccurrences(of: "|", with: "\\|")
                out += "| \(f.dataset) | \(f.fold) | \(f.configuration) | \(reason) |\n"
            }
            out += "\n"
        }
        return out
    }

    public static func manifest(_ r: RunResult) -> String {
        func trialJSON(_ t: TrialResult) -> JSONNode {
            .object([
                ("trial", .int(t.trial)), ("dataset", .string(t.dataset)), ("fold", .int(t.fold)),
                ("configuration", .string(t.configuration)), ("algorithm", .string(t.algorithm)),
                ("parameters", .object(t.parameters.keys.sorted().map { ($0, .string(t.parameters[$0]!)) })),
                ("fit_seconds", .number(t.fitSeconds)), ("score_seconds", .number(t.scoreSeconds)),
                ("evaluate_seconds", .number(t.evaluateSeconds)),
                ("fit_interactions_per_second", .number(Double(t.trainInteractions) / max(t.fitSeconds, 1e-9))),
                ("score_users_per_second", .number(Double(t.users.count + t.skippedUsers) / max(t.scoreSeconds, 1e-9))),
                ("peak_rss_bytes", t.peakResidentBytes.map { .int($0) } ?? .null), ("threads", .int(t.threads)),
                (
                    "curve",
                    .array(
                        t.curve.map { p in
                            .object(
                                [("iteration", .int(p.iteration))]
                                    + p.values.keys.sorted().map { ($0, .number(p.values[$0]!)) })
                        })
                )
            ])
        }
        let doc: JSONNode = .object([
            ("experiment", .string(r.spec.name)),
            ("file", .string(r.spec.file)),
            ("config_hash", .string(r.spec.configHash)),
            ("run_id", .string(r.runID)),
            ("started", .string(r.startedAt)),
            ("wall_seconds", .number(r.wallSeconds)),
            ("seed", .int(Int(r.spec.seed))),
            ("task", .string(r.spec.task.rawValue)),
            ("candidates", .string(r.spec.candidates.label)),
            ("threads", .int(r.spec.threads)),
            ("jobs", .int(r.spec.jobs)),
            ("trials", .int(r.trials.count)),
            // The code's commit is fixed at build time; the experiment file's is its own repository's.
            (
                "versions",
                .object([
                    ("recbench", .string(SystemInfo.recbenchVersion)), ("recbench_commit", .string(BuildInfo.commit)),
                    ("experiment_commit", gitCommit(in: PathText.folder(of: r.spec.file)).map { .string($0) } ?? .null),
                    ("swift", .string(SystemInfo.swiftVersion)), ("openblas", .string(BLAS.configuration)),
                    ("gsl", .string(GSL.version))
                ])
            ),
            (
                "machine",
                .object([
                    ("system", .string(SystemInfo.machine)), ("cpu", .string(SystemInfo.cpuModel)),
                    ("cores", .int(ProcessInfo.processInfo.activeProcessorCount)),
                    ("memory_bytes", .int(Int(ProcessInfo.processInfo.physicalMemory)))
                ])
            ),
            (
                "datasets",
                .array(
                    r.datasets.map { d in
                        .object([
                            ("name", .string(d.label)), ("users", .int(d.users)), ("items", .int(d.items)),
                            ("interactions", .int(d.interactions)), ("folds", .int(d.folds)),
                            ("data_sha256", .string(d.dataFingerprint)), ("split_sha256", .string(d.splitFingerprint)),
                            ("skipped_lines", .int(d.skippedLines)),
                            (
                                "files",
                                .array(
                                    d.sources.map {
                                        .object([("path", .string($0.path)), ("sha256", .string($0.sha256))])
                                    })
                            ),
                            ("load_seconds", .number(d.loadSeconds)), ("filter_seconds", .number(d.filterSeconds)),
                            ("split_seconds", .number(d.splitSeconds))
                        ])
                    })
            ),
            ("trial_results", .array(r.trials.map(trialJSON))),
            (
                "failures",
                .array(
                    r.failures.map { f in
                        .object([
                            ("trial", .int(f.trial)), ("dataset", .string(f.dataset)), ("fold", .int(f.fold)),
                            ("configuration", .string(f.configuration)), ("algorithm", .string(f.algorithm)),
                            ("reason", .string(f.reason))
                        ])
                    })
            )
        ])
        return doc.rendered() + "\n"
    }

    /// The commit of the checkout holding `folder`, when there is one.
    static func gitCommit(in folder: String) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", folder, "rev-parse", "HEAD"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        let s = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }
}
