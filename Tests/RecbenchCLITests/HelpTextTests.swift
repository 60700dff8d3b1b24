import ArgumentParser
import Testing

@testable import recbench

@Suite struct HelpTextTests {
    @Test func reflowJoinsParagraphLinesAndKeepsTheRest() {
        let text =
            "First line of a\nparagraph goes on.\n\n  recbench run x.json\n  recbench run y.json\n- an item\nExit status: 0."
        #expect(
            HelpText.reflow(text)
                == "First line of a paragraph goes on.\n\n  recbench run x.json\n  recbench run y.json\n- an item\nExit status: 0."
        )
    }

    static func commands(_ c: any ParsableCommand.Type) -> [any ParsableCommand.Type] {
        [c] + c.configuration.subcommands.flatMap { commands($0) }
    }

    /// At 80 columns no paragraph line ends early: a long line, then a short one, then more of the same
    /// paragraph is the mark of a source line break the parser wrapped again.
    @Test func helpTextFitsAnEightyColumnTerminalWithoutOrphans() {
        for command in Self.commands(Recbench.self) {
            let lines = Recbench.helpMessage(for: command, columns: 80).split(
                separator: "\n", omittingEmptySubsequences: false)
            // Prose wraps to the width (the usage line and indented examples are the parser's and ours to keep).
            let long = lines.filter { $0.count > 80 && $0.first != " " && !$0.hasPrefix("USAGE:") }
            #expect(long.isEmpty, "\(String(describing: command)): \(long)")
            for k in 1..<max(1, lines.count - 1) {
                let prev = lines[k - 1], line = lines[k], next = lines[k + 1]
                let prose = { (s: Substring) in !s.isEmpty && s.first != " " }
                // "Exit status" lines are set apart on purpose (HelpText.reflow keeps their break).
                if prose(prev) && prose(line) && prose(next) && !next.hasPrefix("Exit status") && prev.count > 60 {
                    #expect(line.count >= 40, "\(String(describing: command)): orphan line \"\(line)\"")
                }
            }
        }
    }
}
