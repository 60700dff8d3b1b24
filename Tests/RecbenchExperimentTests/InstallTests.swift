import Foundation
import Testing

/// The binary finds its registry from any working directory: the clone it was built in, or the copy
/// `make install` puts beside it (PREFIX/share/recbench/datasets), which comes first.
@Suite struct InstallTests {
    @Test(.enabled(if: recbenchBinary() != nil && ProcessInfo.processInfo.environment["RECBENCH_REGISTRY"] == nil))
    func datasetsListWorksOutsideTheClone() throws {
        let elsewhere = temporaryFolder("elsewhere")
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        let out = try runCLI(["datasets", "list"], directory: elsewhere)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("ml-100k ") && out.stdout.contains("amazon-beauty"))
    }

    @Test(.enabled(if: recbenchBinary() != nil && ProcessInfo.processInfo.environment["RECBENCH_REGISTRY"] == nil))
    func installedRegistryBesideTheBinaryComesBeforeTheClone() throws {
        let prefix = temporaryFolder("prefix")
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: prefix + "/share/recbench/datasets", withIntermediateDirectories: true)
        try fm.copyItem(atPath: try #require(recbenchBinary()), toPath: prefix + "/bin/recbench")
        let entry = """
            {"name": "installed-only", "description": "a registry entry only the installed copy has", "format": "ml-100k",
             "url": "", "archiveRoot": "x", "files": {}, "licence": "none"}
            """
        try entry.write(
            toFile: prefix + "/share/recbench/datasets/installed-only.json", atomically: true, encoding: .utf8)
        let out = try runCLI(["datasets", "list"], directory: prefix, executable: prefix + "/bin/recbench")
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("installed-only") && !out.stdout.contains("ml-100k "))
    }
}
