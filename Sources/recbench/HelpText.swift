/// Command discussions are written as paragraphs hard-wrapped near 100 columns. ArgumentParser keeps
/// every newline and wraps again at the terminal's width, so at 80 columns each source line would
/// leave a short orphan behind it. `reflow` joins the lines of each paragraph into one, for the
/// parser to wrap once; blank lines, indented lines (examples) and list items keep their breaks.
enum HelpText {
    static func reflow(_ text: String) -> String {
        var out: [String] = []
        var joinable = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let keepsBreak =
                line.isEmpty || line.first == " " || line.hasPrefix("- ") || line.hasPrefix("* ")
                || line.hasPrefix("Exit status")
            if joinable && !keepsBreak {
                out[out.count - 1] += " " + line
            } else {
                out.append(line)
            }
            joinable = !line.isEmpty && line.first != " "
        }
        return out.joined(separator: "\n")
    }
}
