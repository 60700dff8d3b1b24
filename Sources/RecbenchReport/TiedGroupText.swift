import RecbenchCore
import RecbenchAnalysis

/// The tied-with-the-best groups as text: a Markdown list for summary.md and an HTML table for report.html.
enum TiedGroupText {
    /// One sentence on how the groups were formed.
    static func method(_ groups: [TiedGroup]) -> String {
        guard let g = groups.first else { return "" }
        return "each configuration against the best by the \(g.test.title), Holm-adjusted within each metric; "
            + "in the group unless significantly worse at α = \(g.alpha)"
    }

    static func member(_ m: TiedGroup.Member, best: Bool) -> String {
        best
            ? "\(m.label) (best, \(TextFormat.fixed(m.mean)))"
            : "\(m.label) \(TextFormat.fixed(m.mean)) (p \(ComparisonTable.pRelation(m.pAdjusted ?? .nan)))"
    }

    static func unit(_ g: TiedGroup) -> String {
        g.members.count + g.worse.count < 2
            ? ""
            : g.members.dropFirst().first.map { "\($0.n) \($0.unit)" }
                ?? g.worse.first.map { "\($0.n) \($0.unit)" } ?? ""
    }

    static func markdown(_ groups: [TiedGroup]) -> String {
        var out = "**Tied with the best** (\(method(groups))):\n\n"
        for g in groups {
            let tied = g.members.enumerated().map { i, m in
                i == 0 ? "**\(member(m, best: true))**" : member(m, best: false)
            }
            out += "- \(g.metric): " + tied.joined(separator: ", ")
            if !g.worse.isEmpty {
                out += "; significantly worse: " + g.worse.map { member($0, best: false) }.joined(separator: ", ")
            }
            let n = unit(g)
            if !n.isEmpty { out += " — over \(n)" }
            out += "\n"
        }
        return out
    }

    static func html(_ groups: [TiedGroup]) -> String {
        guard !groups.isEmpty else { return "" }
        var s = "<h3>Tied with the best</h3>\n<table class=\"tied\">\n"
        s += "<tr><th>metric</th><th>tied with the best (adjusted p against the best)</th><th>significantly worse</th>"
        s += "<th>n</th></tr>\n"
        for g in groups {
            let tied = g.members.enumerated().map { i, m in
                i == 0 ? "<b>\(Report.escape(member(m, best: true)))</b>" : Report.escape(member(m, best: false))
            }.joined(separator: ", ")
            let worse = g.worse.map { Report.escape(member($0, best: false)) }.joined(separator: ", ")
            s += "<tr><td>\(Report.escape(g.metric))</td><td class=\"l\">\(tied)</td>"
            s += "<td class=\"l\">\(worse.isEmpty ? "–" : worse)</td>"
            s += "<td>\(Report.escape(unit(g)))</td></tr>\n"
        }
        s += "</table>\n<p>Groups: \(Report.escape(method(groups))). A group of one: the best is significantly "
        s += "better than every other configuration. Not significantly worse is not \"equal\": see the detectable "
        s += "effects above.</p>\n"
        return s
    }
}
