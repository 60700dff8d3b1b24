import Testing
import Foundation

/// One-letter paths, for the experiment file, its folder and the output folder, run like any other
/// (Foundation's deletingLastPathComponent traps on "o" on Linux; these paths used to reach it).
@Test(.enabled(if: recbenchBinary() != nil, "needs the built recbench binary (swift build --product recbench)"))
func oneLetterPathsRun() throws {
    let dir = temporaryFolder("one-letter")
    try FileManager.default.createDirectory(atPath: dir + "/e", withIntermediateDirectories: true)
    try tinySuiteText().write(toFile: dir + "/e/x", atomically: true, encoding: .utf8)
    try tinySuiteText().write(toFile: dir + "/x", atomically: true, encoding: .utf8)
    for args in [
        ["validate", "x"], ["validate", "e/x"], ["run", "x", "--output", "o", "--quiet"],
        ["run", "e/x", "--output", "o", "--quiet", "--cache-dir", "c"]
    ] {
        let o = try runCLI(args, directory: dir)
        #expect(o.status == 0 && !o.signalled, "\(args): \(o.status) \(o.stderr)")
        #expect(crashMarks(o.stderr).isEmpty)
    }
    #expect(FileManager.default.fileExists(atPath: dir + "/o/tiny-suite/latest/results.json"))
    #expect(!(try FileManager.default.contentsOfDirectory(atPath: dir + "/c")).isEmpty)
}
