import Foundation
import RecbenchRunner
import Testing

/// report.html as a browser draws it: headless Chromium (installed by .ci/run where Debian has it)
/// renders the page to a PNG. The page must load without a script error and draw far more than an
/// empty page of the same size does (a broken stylesheet or SVG renders blank).
private let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

/// Renders `page` at 1200 × 2000 and returns the PNG's bytes and what the browser wrote to stderr.
private func screenshot(_ page: String, into folder: String) throws -> (png: Data, log: String) {
    let png = folder + "/" + UUID().uuidString + ".png"
    let p = Process()
    p.executableURL = URL(fileURLWithPath: chromium!)
    p.arguments = [
        "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr",
        "--window-size=1200,2000", "--user-data-dir=" + folder + "/profile", "--screenshot=" + png,
        URL(fileURLWithPath: page).absoluteString
    ]
    let err = Pipe()
    p.standardError = err; p.standardOutput = FileHandle.nullDevice
    try p.run()
    let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "chromium exited \(p.terminationStatus): \(log.suffix(600))")
    return (try Data(contentsOf: URL(fileURLWithPath: png)), log)
}

/// Width and height from a PNG's IHDR chunk.
private func pngSize(_ d: Data) -> (Int, Int)? {
    guard d.count > 24, d.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { return nil }
    func be(_ o: Int) -> Int { d[o..<(o + 4)].reduce(0) { $0 << 8 | Int($1) } }
    return (be(16), be(20))
}

@Test(.enabled(if: chromium != nil, "no Chromium on this machine (.ci/run installs it)"))
func reportRendersInAHeadlessBrowser() throws {
    let r = try runStatsFixture()
    let folder = r.directory + "/screenshot"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let blankPage = folder + "/blank.html"
    try Data("<!doctype html><html><body></body></html>".utf8).write(to: URL(fileURLWithPath: blankPage))
    let (report, log) = try screenshot(r.directory + "/report.html", into: folder)
    let (blank, _) = try screenshot(blankPage, into: folder)
    #expect(pngSize(report).map { $0 == (1200, 2000) } == true, "not a 1200 × 2000 PNG")
    #expect(!log.contains("Uncaught"), "script error: \(log)")
    // Compressed size measures drawn detail: charts, tables and text against a white page.
    #expect(report.count > 10 * blank.count, "report \(report.count) bytes, blank page \(blank.count)")
}
