import Foundation
import RecbenchTestSupport
import Testing

@Suite struct ScratchTests {
    @Test func pathsAreFreshAndUnderThisProcesssRoot() {
        let a = Scratch.path("recbench-x"), b = Scratch.path("recbench-x")
        #expect(a != b)
        #expect(a.hasPrefix(Scratch.root + "/recbench-x-") && b.hasPrefix(Scratch.root + "/recbench-x-"))
        #expect(!FileManager.default.fileExists(atPath: a), "a path is not created")
        #expect(Scratch.root.hasSuffix("/recbench-tests-\(getpid())"))
        var isFolder: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: Scratch.root, isDirectory: &isFolder) && isFolder.boolValue)
    }

    /// A dead process's root is swept and a live one's (this process's) is not. The exit handler's own removal
    /// cannot be seen from inside the process; a run that never reached it is exactly what the sweep removes.
    @Test func theSweepRemovesOnlyTheRootsOfDeadProcesses() throws {
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gone.arguments = ["true"]
        try gone.run()
        gone.waitUntilExit()
        let stale = (NSTemporaryDirectory() as NSString).appendingPathComponent(
            "recbench-tests-\(gone.processIdentifier)")
        try FileManager.default.createDirectory(atPath: stale + "/left", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: stale + "/left/file"))
        let mine = Scratch.path("recbench-live")
        try Data("x".utf8).write(to: URL(fileURLWithPath: mine))

        Scratch.sweepStaleRoots()
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: mine))
    }
}
