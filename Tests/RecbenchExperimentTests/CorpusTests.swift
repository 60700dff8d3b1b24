import Testing
import Foundation

/// One malformed input of Tests/Corpus and the outcome it must have.
struct CorpusCase: CustomStringConvertible, Sendable {
    let id: String
    let exit: Int32
    /// A line standard error must hold (without the "error: " prefix); one ending in "…" is a prefix.
    let expected: String
    let arguments: [String]
    var description: String { id }
}

let corpusRoot = packageRoot + "/Tests/Corpus"

/// The cases of Tests/Corpus/manifest.tsv (empty when it cannot be read, which a test reports).
func corpusCases() -> [CorpusCase] {
    guard let text = try? String(contentsOfFile: corpusRoot + "/manifest.tsv", encoding: .utf8) else { return [] }
    return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
        let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 4, let code = Int32(f[1]) else { return nil }
        return CorpusCase(id: f[0], exit: code, expected: f[2], arguments: f[3].split(separator: " ").map(String.init))
    }
}

/// A private copy of the corpus, so runs never write into the source tree.
private let corpusCopy: String = {
    let dir = temporaryFolder("corpus")
    try? FileManager.default.removeItem(atPath: dir)
    try? FileManager.default.copyItem(atPath: corpusRoot, toPath: dir)
    return dir
}()

/// The manifest is whole: at least 60 cases, every line parsed, every file of the corpus used by a
/// case, every expected message one line that names its file (and line and field where it has them).
@Test func corpusManifestIsComplete() throws {
    let cases = corpusCases()
    let text = try String(contentsOfFile: corpusRoot + "/manifest.tsv", encoding: .utf8)
    let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
    #expect(cases.count == lines.count, "a manifest line did not parse")
    #expect(cases.count >= 60)
    #expect(Set(cases.map(\.id)).count == cases.count)
    let kinds = Dictionary(grouping: cases) { c in
        c.id.hasPrefix("data-")
            ? "data"
            : c.id.hasPrefix("split-")
                ? "split"
                : c.id.hasPrefix("cli-")
                    ? "command line"
                    : c.id.contains("output") || c.id.contains("cache") ? "output" : "experiment"
    }
    for kind in ["data", "split", "command line", "output", "experiment"] {
        #expect((kinds[kind]?.count ?? 0) >= 5, "\(kind)")
    }
    let mentioned = cases.flatMap(\.arguments).joined(separator: " ")
    for f in try FileManager.default.contentsOfDirectory(atPath: corpusRoot + "/experiments") {
        #expect(mentioned.contains("experiments/" + f), "\(f) is in no case")
    }
    for f in try FileManager.default.contentsOfDirectory(atPath: corpusRoot + "/data") where f.hasSuffix(".json") {
        #expect(mentioned.contains("data/" + f), "\(f) is in no case")
    }
    let fileCases = cases.filter { c in
        c.id.hasPrefix("data-") || c.id.hasPrefix("split-") || kinds["experiment"]!.contains { $0.id == c.id }
    }
    for c in fileCases {
        // FILE:LINE: field: message, or FILE: message for a problem of the whole file.
        let place = c.expected.prefix { $0 != " " }
        #expect(
            place.hasSuffix(":")
                && (place.contains(".json") || place.contains(".tsv") || place.contains(".csv")
                    || place.contains(".test")),
            "\(c.id): \(c.expected)")
    }
}

/// Every malformed input ends with its documented exit status and a one-line error that names the
/// file, line and field, never with a trap, a stack trace or a raw system error dump.
@Test(
    .enabled(if: recbenchBinary() != nil, "needs the built recbench binary (swift build --product recbench)"),
    arguments: corpusCases())
func malformedInputIsReportedNotCrashedOn(_ c: CorpusCase) throws {
    let out = temporaryFolder("corpus-out-\(c.id)")
    let o = try runCLI(c.arguments.map { $0.replacingOccurrences(of: "{out}", with: out) }, directory: corpusCopy)
    #expect(!o.signalled, "\(c.id): killed by signal \(o.status)")
    #expect(o.status == c.exit, "\(c.id): exit \(o.status), expected \(c.exit): \(o.stderr)")
    #expect(crashMarks(o.stderr + o.stdout).isEmpty, "\(c.id): \(o.stderr)")
    #expect(dumpMarks(o.stderr).isEmpty, "\(c.id): \(o.stderr)")
    let lines = o.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    #expect(!lines.isEmpty && o.stderr.hasSuffix("\n"), "\(c.id): no error line")
    for line in lines {
        #expect(!line.isEmpty && !line.hasPrefix(" ") && !line.hasPrefix("\t") && line.count < 600, "\(c.id): \(line)")
    }
    let messages = lines.map { $0.hasPrefix("error: ") ? String($0.dropFirst(7)) : $0 }
    let found =
        c.expected.hasSuffix("…")
        ? messages.contains { $0.hasPrefix(c.expected.dropLast()) }
        : messages.contains(c.expected)
    #expect(found, "\(c.id): expected \(c.expected), got \(o.stderr)")
    // Nothing that looks like a finished run is left by a refused input.
    let leftovers = (try? FileManager.default.subpathsOfDirectory(atPath: out)) ?? []
    #expect(!leftovers.contains { $0.hasSuffix("results.json") || $0.hasSuffix("latest") }, "\(c.id): \(leftovers)")
}
