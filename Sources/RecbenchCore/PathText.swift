/// Path arithmetic on plain strings. Foundation's `deletingLastPathComponent` traps on a
/// one-character relative path on Linux ("o", "o/"), which a user reaches with `--output o` or an
/// experiment file named `x`; this does the same job without it.
public enum PathText {
    /// The folder part: "a/b" → "a", "/a" → "/", "a" → "", "a/b/" → "a", "/" → "/".
    public static func parent(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return "" }
        var head = p[..<slash]
        while head.count > 1 && head.hasSuffix("/") { head = head.dropLast() }
        return head.isEmpty ? "/" : String(head)
    }

    /// The folder part, "." when there is none.
    public static func folder(of path: String) -> String {
        let p = parent(path)
        return p.isEmpty ? "." : p
    }
}
