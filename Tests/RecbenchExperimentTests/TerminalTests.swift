import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import RecbenchConfig
@testable import RecbenchRunner
@testable import RecbenchAnalysis
@testable import RecbenchReport

/// The bar's text never exceeds `columns - 1` characters (a full-width line makes the terminal
/// wrap, leaving a copy per redraw) and its fill is clamped, whatever the counts say.
@Test func progressLineFitsEveryWidthAndClampsItsFraction() {
    let label = "ml-100k fold 5 ImplicitALS(factors=128,regularization=20,alpha=1)"
    let counts: [(Int, Int, Double)] = [
        (0, 8, 0), (8, 8, 0.9), (9, 8, 3.5), (3, 8, -2), (0, 0, 0), (5, 8, .nan), (2, 8, .infinity)
    ]
    for columns in 0...200 {
        for (finished, total, running) in counts {
            let line = TerminalProgress.line(
                finished: finished, total: total, running: running, elapsed: 3725,
                label: label, columns: columns)
            #expect(line.count <= max(0, columns - 1), "columns \(columns): \(line)")
            #expect(!line.contains("\n") && !line.contains("\r"))
        }
    }
    let overfull = TerminalProgress.line(finished: 9, total: 8, running: 3.5, elapsed: 0, label: "", columns: 120)
    #expect(overfull.hasPrefix(String(repeating: "█", count: 24) + " 8/8 trials"))
    let half = TerminalProgress.line(finished: 3, total: 8, running: 1, elapsed: 61, label: "x", columns: 120)
    #expect(half == String(repeating: "█", count: 12) + String(repeating: "░", count: 12) + " 3/8 trials  1:01  x")
    // Too narrow for ten cells of bar: the counts alone, still inside the width.
    #expect(
        TerminalProgress.line(finished: 1, total: 8, running: 0, elapsed: 5, label: "x", columns: 25)
            == "1/8 trials  0:05  x")
}

/// Runs `recbench` with standard output and error on a pseudo-terminal `columns` wide, as a user's
/// shell would, and returns the exit status and everything the terminal received.
#if os(Linux)
private func runInTerminal(_ bin: String, _ args: [String], columns: UInt16) throws -> (status: Int32, output: String) {
    // posix_openpt and friends are not in Swift's Glibc module; the Linux ioctls they wrap are
    // (TIOCSPTLCK = 0x40045431 unlocks the pair, TIOCGPTN = 0x80045430 gives /dev/pts/N).
    let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
    var unlock: Int32 = 0, number: UInt32 = 0
    guard master >= 0, ioctl(master, 0x4004_5431, &unlock) == 0, ioctl(master, 0x8004_5430, &number) == 0 else {
        throw POSIXError(.ENODEV)
    }
    let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
    guard slave >= 0 else { throw POSIXError(.ENODEV) }
    var size = winsize(ws_row: 40, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
    _ = ioctl(slave, UInt(TIOCSWINSZ), &size)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: bin)
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    env["CI"] = nil; env["COLUMNS"] = nil
    p.environment = env
    let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
    p.standardOutput = terminal; p.standardError = terminal
    try p.run()
    close(slave)
    var data = Data(), buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = read(master, &buffer, buffer.count)
        if n <= 0 { break }  // EIO once the child has closed its side
        data.append(contentsOf: buffer[0..<n])
    }
    p.waitUntilExit()
    close(master)
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
#endif

/// `recbench run` in a real terminal (here a pseudo-terminal) finishes at every width, including
/// narrower than the bar, and every redraw of the bar fits on one line: none is followed by a
/// line feed, none is wider than the terminal.
#if os(Linux)
@Test(.enabled(if: recbenchBinary() != nil, "needs the built recbench binary (swift build --product recbench)"))
func runInATerminalDrawsABarThatFits() throws {
    let bin = try #require(recbenchBinary())
    let dir = temporaryFolder("terminal")
    let file = dir + "/tiny-suite.json"
    try tinySuiteText().write(toFile: file, atomically: true, encoding: .utf8)
    for columns: UInt16 in [12, 30, 60, 100, 160] {
        let (status, output) = try runInTerminal(
            bin, ["run", file, "--output", dir + "/out\(columns)", "--no-cache"], columns: columns)
        #expect(status == 0, "\(columns) columns: \(output.suffix(2000))")
        #expect(!output.contains("Fatal error"))
        // Each redraw is "\r ESC[K text", ended by the next redraw's "\r"; the last erase (the
        // bar's removal) is followed by the results table.
        let redraws = output.components(separatedBy: "\u{1B}[K").dropFirst().dropLast()
        #expect(redraws.count >= 8, "\(columns) columns: the bar was never drawn")
        for redraw in redraws {
            let text = redraw.prefix { $0 != "\r" && $0 != "\n" }
            #expect(text.count <= Int(columns) - 1, "\(columns) columns: \(text)")
            let next = redraw.dropFirst(text.count).first
            #expect(text.isEmpty || next != "\n", "\(columns) columns: a line feed after the bar \(text)")
        }
    }
}
#endif

/// The results table printed to a terminal 60 columns wide fits it: the metrics are split over several tables,
/// every line of them is at most 60 characters, and every metric still appears once.
#if os(Linux)
@Test(.enabled(if: recbenchBinary() != nil, "needs the built recbench binary (swift build --product recbench)"))
func resultsTableFitsANarrowTerminal() throws {
    let bin = try #require(recbenchBinary())
    let dir = temporaryFolder("terminal-table")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let file = dir + "/tiny-suite.json"
    try tinySuiteText().write(toFile: file, atomically: true, encoding: .utf8)
    let (status, output) = try runInTerminal(bin, ["run", file, "--output", dir + "/out", "--no-cache"], columns: 60)
    #expect(status == 0, "\(output.suffix(2000))")
    // What follows the bar's last erase: the table(s) and the closing lines.
    let after = try #require(output.components(separatedBy: "\u{1B}[K").last)
    let lines = after.replacingOccurrences(of: "\r", with: "").split(separator: "\n")
    // The table lines: headers, rules and the rows of the three algorithms (warnings and paths may be longer).
    let table = lines.filter { l in
        ["configuration", "─", "Random ", "MostPopular ", "Bias("].contains { l.hasPrefix($0) }
            && !l.contains(" grid (")
    }
    #expect(table.count >= 2 * 5)
    for line in table { #expect(line.count <= 60, "\(line)") }
    let headers = lines.filter { $0.hasPrefix("configuration") }
    #expect(headers.count >= 2, "\(after)")
    for metric in ["ndcg@10", "recall@10", "auc", "novelty@10"] {
        #expect(headers.filter { $0.contains(metric) }.count == 1, "\(metric) in \(headers)")
    }
}
#endif
