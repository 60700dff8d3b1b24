import ArgumentParser
import Foundation
import RecbenchCore
import RecbenchData

extension Datasets {
    /// Own data in one command: guess the layout, show it, load the whole file with it, and write
    /// an experiment file that runs on it.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Guess a ratings file's layout and write a starter experiment file for it.",
            discussion: HelpText.reflow(
                """
                Reads the first lines of FILE to guess the separator (tab, '::', comma, semicolon, '|', space), \
                whether the first line is a header, and which columns hold the user, item, rating and timestamp \
                (by header name, else by position and values). Prints what it found, reads the whole file with \
                it, and writes an experiment file (a per-user 80/20 holdout, MostPopular, ItemKNN and EASE, \
                ranking metrics) whose "format" block says the same; edit either and run it.

                  recbench datasets import ratings.csv
                  recbench run ratings-experiment.json
                """))

        @Argument(help: "The interaction file.") var file: String
        @Option(
            help: ArgumentHelp(
                "The experiment file to write (default: <file's name>-experiment.json here).",
                valueName: "file"))
        var output: String?
        @Option(help: "The data set's name in results (default: the file's name without extension).") var name: String?
        @Flag(help: "Replace an existing experiment file.") var force = false

        func run() throws {
            let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
            let label = name ?? Self.label(stem)
            let out = output ?? "\(label)-experiment.json"
            guard let guess = try FormatSniffer.sniff(path: file) else {
                throw RecbenchError.input(
                    file: (file as NSString).lastPathComponent, line: 1,
                    message: "no separator (tab, "
                        + "'::', comma, semicolon, '|' or space) splits the first lines into the same number of fields")
            }
            let header = guess.format.header ? "a header line" : "no header line"
            print("\(file): \(guess.separatorName)-separated, \(header), \(guess.columns) columns")
            for r in guess.roles { print("  " + r) }
            let (d, report) = try DelimitedLoader.load(path: file, format: guess.format, name: label, policy: .fail)
            print(
                "  read \(d.count) interactions of \(d.userCount) users and \(d.itemCount) items"
                    + (report.skippedLines > 0 ? " (\(report.skippedLines) lines skipped)" : ""))
            if FileManager.default.fileExists(atPath: out) && !force {
                throw CLIError.usage("\(out) exists; give --force to replace it or --output another file")
            }
            try Data(
                Self.experiment(
                    name: label, file: Self.relative(file, from: PathText.folder(of: out)),
                    format: guess.format, items: d.itemCount
                ).utf8
            )
            .write(to: URL(fileURLWithPath: out))
            print("wrote \(out); run it with: recbench run \(out)")
        }

        /// A name the experiment file accepts: letters, digits, '-', '_', '.'.
        static func label(_ stem: String) -> String {
            let s = String(stem.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "-" })
            return s.isEmpty ? "mydata" : s
        }

        /// `path` as the experiment file at `folder` should name it (relative when it can be).
        static func relative(_ path: String, from folder: String) -> String {
            let cwd = FileManager.default.currentDirectoryPath
            func absolute(_ p: String) -> String {
                (p.hasPrefix("/") ? p : (cwd as NSString).appendingPathComponent(p) as String).replacingOccurrences(
                    of: "/./", with: "/")
            }
            let file = absolute(path), dir = absolute(folder == "." ? cwd : folder)
            let base = dir.hasSuffix("/") ? dir : dir + "/"
            return file.hasPrefix(base) ? String(file.dropFirst(base.count)) : file
        }

        static func experiment(name: String, file: String, format f: DelimitedFormat, items: Int) -> String {
            func quoted(_ s: String) -> String {
                "\""
                    + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                    .replacingOccurrences(of: "\t", with: "\\t") + "\""
            }
            func column(_ s: String?) -> String { s.map { Int($0).map(String.init) ?? quoted($0) } ?? "null" }
            // EASE inverts an items × items matrix: left out where that would take long.
            let ease = items <= 20_000 ? ",\n    { \"name\": \"EASE\" }" : ""
            return """
                {
                  "name": \(quoted(name + "-starter")),
                  "description": "Written by `recbench datasets import`: edit the split, algorithms and metrics.",
                  "seed": 42,
                  "task": "ranking",
                  "datasets": [
                    {
                      "name": \(quoted(name)),
                      "file": \(quoted(file)),
                      "format": { "separator": \(quoted(f.separator)), "header": \(f.header), "user": \(column(f.user)), \
                "item": \(column(f.item)), "rating": \(column(f.rating)), "timestamp": \(column(f.timestamp)) }
                    }
                  ],
                  "split": { "method": "holdout", "test_fraction": 0.2, "per_user": true },
                  "algorithms": [
                    { "name": "MostPopular" },
                    { "name": "ItemKNN" }\(ease)
                  ],
                  "metrics": ["ndcg@10", "recall@10", "precision@10", "coverage@10"]
                }

                """
        }
    }
}
