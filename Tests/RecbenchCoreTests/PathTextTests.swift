import Testing
import RecbenchCore

/// The folder part of a path, as `deletingLastPathComponent` gives it, including the one-character
/// relative paths on which Foundation's version traps on Linux.
@Test func pathParentMatchesTheFolderPart() {
    let cases: [(String, String)] = [
        ("a/b", "a"), ("/a", "/"), ("a", ""), ("o", ""), ("o/", ""), ("a/b/", "a"),
        ("/", "/"), ("", ""), ("results/x/run-1", "results/x"), ("a//b", "a"),
        ("./o", "."), ("/tmp/o", "/tmp")
    ]
    for (path, parent) in cases { #expect(PathText.parent(path) == parent, "\(path)") }
    #expect(PathText.folder(of: "x") == "." && PathText.folder(of: "e/x.json") == "e")
}
