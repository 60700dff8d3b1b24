import RecbenchAlgorithms

/// The README's algorithm table, generated from the registry (`recbench algorithms --markdown`), so the
/// documented names, summaries and tasks are the ones the code declares.
public enum AlgorithmTable {
    /// README markers around the generated table; a test keeps the text between them equal to `markdown()`.
    public static let begin = "<!-- begin: recbench algorithms --markdown -->"
    public static let end = "<!-- end: recbench algorithms --markdown -->"

    public static func markdown(_ list: [AlgorithmDescriptor] = AlgorithmRegistry.all) -> String {
        var lines = ["| name | what it is | tasks | search budget |", "|---|---|---|---|"]
        for d in list {
            let tasks = d.tasks.map(\.rawValue).sorted().joined(separator: ", ")
            let budget = d.budgetParameter.map { "`\($0)`" } ?? "sample fraction"
            let summary = d.summary.replacingOccurrences(of: "|", with: "\\|")
            lines.append("| `\(d.name)` | \(summary) | \(tasks) | \(budget) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The table currently between the markers of `readme`, or nil when the markers are missing.
    public static func embedded(in readme: String) -> String? {
        guard let b = readme.range(of: begin + "\n"),
            let e = readme.range(of: end, range: b.upperBound..<readme.endIndex)
        else { return nil }
        return String(readme[b.upperBound..<e.lowerBound])
    }
}
