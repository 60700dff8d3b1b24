import Foundation
import Testing
import RecbenchData
import RecbenchTestSupport

/// The registry lookup order: each candidate is found only when every earlier one is absent.
@Suite struct RegistryLocationTests {
    @Test func lookupOrderFallsThroughEachPlace() throws {
        let root = Scratch.path("recbench-registry-order")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let places = [
            "flag", "env", "cwd/datasets", "project/datasets", "prefix/share/recbench/datasets",
            "prefix/bin/datasets", "clone/datasets"
        ].map { root + "/" + $0 }
        for p in places { try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true) }
        // The binary is reached through a symbolic link, as when ~/bin/recbench links to the installed one.
        _ = FileManager.default.createFile(atPath: root + "/prefix/bin/recbench", contents: Data())
        try FileManager.default.createDirectory(atPath: root + "/links", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: root + "/links/recbench",
            withDestinationPath: root + "/prefix/bin/recbench")

        func location(flag: Bool) -> RegistryLocation {
            RegistryLocation(
                flag: flag ? places[0] : nil, environment: ["RECBENCH_REGISTRY": places[1]],
                experimentFile: root + "/project/experiments/e.json", workingDirectory: root + "/cwd",
                executable: root + "/links/recbench", buildClone: places[6])
        }
        #expect(location(flag: true).resolve() == places[0])
        var expected = Array(places.dropFirst())
        while let first = expected.first {
            let found = try #require(location(flag: false).resolve())
            #expect(URL(fileURLWithPath: found).standardizedFileURL.path == first)
            try FileManager.default.removeItem(atPath: first)
            expected.removeFirst()
        }
        #expect(location(flag: false).resolve() == nil)
    }

    /// One-letter relative paths (Foundation's deletingLastPathComponent traps on them on Linux) give candidates.
    @Test func oneLetterPathsDoNotTrap() {
        let loc = RegistryLocation(
            flag: nil, environment: [:], experimentFile: "x", workingDirectory: "w",
            executable: "r", buildClone: nil)
        #expect(loc.candidates.first == "w/datasets" && loc.candidates.contains("./datasets"))
        #expect(loc.candidates.contains { $0.hasSuffix("/../share/recbench/datasets") })
    }

    @Test func missingFlagFolderIsNotReplacedByADefault() {
        let loc = RegistryLocation(
            flag: "/nonexistent/registry", environment: [:], experimentFile: nil,
            executable: nil, buildClone: RegistryLocation.compiledClone)
        #expect(loc.resolve() == nil)
    }

    @Test func compiledCloneIsThisRepositorysRegistry() throws {
        let clone = try #require(RegistryLocation.compiledClone)
        #expect(clone == packageRoot + "/datasets")
        #expect(FileManager.default.fileExists(atPath: clone + "/ml-100k.json"))
    }
}
