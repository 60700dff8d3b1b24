import Foundation
import RecbenchCore

/// `recbench run`: plan, run, aggregate, and write the run folder. The folder is assembled as
/// `<run-id>.partial` and renamed only when every file is written, so a failed or interrupted
/// run never leaves something that looks finished.
public enum ExperimentRun {
    public static func execute(spec: ExperimentSpec, data: DataEnvironment, progress: ProgressReporter,
                               outputRoot: String? = nil, runner: Runner? = nil) throws -> RunResult {
        let started = Date()
        let runner = runner ?? Runner(spec: spec, data: data, progress: progress)
        // Fold counts are known only after splitting for some methods; the plan uses the split's own count.
        let plan = Plan(spec: spec)
        let (datasets, trials) = try runner.run(plan: plan)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX"); formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let runID = formatter.string(from: started) + "-" + String(spec.configHash.prefix(8))
        let root = outputRoot ?? spec.outputs.directory
        let dir = (root as NSString).appendingPathComponent(spec.name + "/" + runID)
        let iso = ISO8601DateFormatter().string(from: started)
        var result = RunResult(spec: spec, plan: plan, runID: runID, directory: dir, datasets: datasets, trials: trials,
                               aggregates: Runner.aggregate(trials, plan: plan), startedAt: iso,
                               wallSeconds: Date().timeIntervalSince(started))
        try write(&result)
        return result
    }

    static func write(_ r: inout RunResult) throws {
        let fm = FileManager.default
        let partial = r.directory + ".partial"
        try? fm.removeItem(atPath: partial)
        try fm.createDirectory(atPath: partial, withIntermediateDirectories: true)
        func put(_ name: String, _ contents: String) throws { try AtomicFile.write(contents, to: (partial as NSString).appendingPathComponent(name)) }
        try put("experiment.json", r.spec.sourceText)
        try put("results.json", try RunFolder.encode(r))
        try put("metrics.csv", Writers.metricsCSV(r))
        if r.spec.outputs.perUser { try put("per_user.csv", Writers.perUserCSV(r)) }
        try put("profile.csv", Writers.profileCSV(r))
        try put("summary.md", Writers.summaryMarkdown(r))
        let manifest = Writers.manifest(r)
        try put("manifest.json", manifest)
        // Significance against each data set's best configuration feeds both the report and the LaTeX table.
        let significance = Report.significance(r)
        try put("report.html", Report.html(r, significance: significance, manifest: manifest))
        if r.spec.outputs.latex { try put("summary.tex", LaTeX.summary(r, significance: significance)) }
        if fm.fileExists(atPath: r.directory) { try fm.removeItem(atPath: r.directory) }
        try fm.moveItem(atPath: partial, toPath: r.directory)
        // A stable pointer to the newest run of this experiment.
        let latest = ((r.directory as NSString).deletingLastPathComponent as NSString).appendingPathComponent("latest")
        try? fm.removeItem(atPath: latest)
        try? fm.createSymbolicLink(atPath: latest, withDestinationPath: (r.directory as NSString).lastPathComponent)
    }
}
