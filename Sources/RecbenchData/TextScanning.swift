import Foundation
import RecbenchCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a loader does with a line it cannot parse.
public enum MalformedLinePolicy: String, Sendable, Codable, CaseIterable { case fail, skip }

/// What a load skipped (only non-zero under `.skip`).
public struct LoadReport: Sendable {
    public var skippedLines: Int
    /// The first 10 problems, each one line ("file:line: message").
    public var problems: [String]
    public init(skippedLines: Int = 0, problems: [String] = []) {
        self.skippedLines = skippedLines; self.problems = problems
    }

    /// Applies the policy to one bad line: throws under `.fail`, records under `.skip`.
    mutating func malformed(_ file: String, _ line: Int, _ message: String, _ policy: MalformedLinePolicy) throws {
        let error = RecbenchError.input(file: file, line: line, message: message)
        if policy == .fail { throw error }
        skippedLines += 1
        if problems.count < 10 { problems.append(error.description) }
    }
}

/// A file's bytes, memory-mapped so that even ML-20M's 500 MB never has to be copied, plus its SHA-256.
/// A line scan can hand the pages it has passed back (`release(_:)`): they are the file's, so the
/// kernel reads them again if touched, but they no longer count in the process's resident memory, which
/// during a load is then the columns being built plus a window of the file.
struct MappedFile {
    let path: String
    let name: String
    let data: Data
    /// The mapping's first byte; nil for an empty file.
    private let base: UnsafeMutableRawPointer?

    init(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RecbenchError.io(path, "file not found")
        }
        if isDirectory.boolValue { throw RecbenchError.io(path, "is a folder, not a data file") }
        func failure(_ what: String) -> RecbenchError {
            RecbenchError.io(path, "cannot read: \(what) (\(String(cString: strerror(errno))))")
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw failure("open") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("stat") }
        let size = Int(info.st_size)
        if size == 0 {
            base = nil; data = Data()
        } else {
            guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
                throw failure("mmap")
            }
            base = p
            data = Data(bytesNoCopy: p, count: size, deallocator: .custom { p, n in munmap(p, n) })
        }
        self.path = path
        name = (path as NSString).lastPathComponent
    }

    /// Drops the whole pages inside `range` from this process's resident set (the bytes stay readable).
    func release(_ range: Range<Int>) {
        guard let base else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lo = (range.lowerBound + page - 1) / page * page, hi = min(range.upperBound, data.count) / page * page
        if hi > lo { madvise(base + lo, hi - lo, MADV_DONTNEED) }
    }

    /// Hashed once per process per file version (`FileDigests`: path, size, modification time), from
    /// the file in chunks rather than through the mapping, which would bring every page back.
    func source() throws -> Dataset.SourceFile {
        do { return Dataset.SourceFile(path: path, sha256: try FileDigests.shared.digest(path: path)) } catch {
            throw RecbenchError.io(path, "cannot read: \(SystemError.describe(error))")
        }
    }
}

/// Field splitting over raw bytes. Lines are found with memchr; fields are ranges into the buffer,
/// so parsing a line allocates nothing.
struct FieldSplitter {
    let separator: [UInt8]
    /// RFC 4180 style quoting ("a, b" and "" inside quotes); on for comma-separated files.
    let quoted: Bool

    init(separator: String, quoted: Bool) { self.separator = Array(separator.utf8); self.quoted = quoted }

    /// "tab-separated", "comma-separated", "'::'-separated" for messages.
    var label: String {
        switch separator {
        case [9]: return "tab-separated"
        case [44]: return "comma-separated"
        case [59]: return "semicolon-separated"
        case [124]: return "'|'-separated"
        default: return "'\(String(decoding: separator, as: UTF8.self))'-separated"
        }
    }

    /// Splits `line` into `fields` (cleared first). Returns false on an unterminated quote.
    func split(_ b: UnsafeRawBufferPointer, _ line: Range<Int>, into fields: inout [Range<Int>]) -> Bool {
        fields.removeAll(keepingCapacity: true)
        var i = line.lowerBound
        let end = line.upperBound
        let s0 = separator[0], sn = separator.count
        while true {
            if quoted && i < end && b[i] == 34 {
                // Quoted field: runs to the closing quote not followed by another quote.
                var j = i + 1
                var closed = false
                while j < end {
                    if b[j] == 34 {
                        if j + 1 < end && b[j + 1] == 34 { j += 2; continue }
                        closed = true; break
                    }
                    j += 1
                }
                if !closed { return false }
                fields.append((i + 1)..<j)
                i = j + 1
                // Anything between the closing quote and the separator is tolerated but ignored.
                while i < end && !(b[i] == s0 && matches(b, i, end)) { i += 1 }
            } else {
                var j = i
                while j < end && !(b[j] == s0 && (sn == 1 || matches(b, j, end))) { j += 1 }
                fields.append(i..<j)
                i = j
            }
            if i >= end { return true }
            i += sn  // skip the separator; a trailing separator yields a final empty field
            if i >= end { fields.append(end..<end); return true }
        }
    }

    @inline(__always) private func matches(_ b: UnsafeRawBufferPointer, _ i: Int, _ end: Int) -> Bool {
        if i + separator.count > end { return false }
        for k in 0..<separator.count where b[i + k] != separator[k] { return false }
        return true
    }
}

/// Calls body(lineNumber, range) for each line (1-based, "\r\n" tolerated, blank lines skipped).
/// With `file` (whose mapping `b` is, from byte `origin` on), the pages already passed are released every 32 MiB.
func forEachLine(
    _ b: UnsafeRawBufferPointer, releasing file: MappedFile? = nil, at origin: Int = 0,
    _ body: (Int, Range<Int>) throws -> Void
) rethrows {
    guard let base = b.baseAddress else { return }
    var start = 0, lineNo = 0, released = 0
    let n = b.count
    while start < n {
        if start - released >= 1 << 25, let file {
            file.release((origin + released)..<(origin + start)); released = start
        }
        lineNo += 1
        let (line, next) = lineAt(b, base, start)
        if !line.isEmpty { try body(lineNo, line) }
        start = next
    }
    // The last window too: a block read in parallel would otherwise keep up to 32 MiB of the file each.
    file?.release((origin + released)..<(origin + n))
}

/// The block path of the delimited and adjacency loaders: a file of at least
/// `RatingsAccumulator.parallelBytes` is cut at line ends into four blocks per core, `parse` reads
/// each block on the worker pool (nil: the block met a line to report), and the blocks' IDs
/// (`ids`) are merged into copies of `users` and `items` in file order. Nil when the file is small,
/// a block failed, or the merged IDs would leave the index range; otherwise the parts, the merged
/// collectors, and per part the maps from its own indices to the merged ones.
func parseInBlocks<Part>(
    _ file: MappedFile, users: IDCollector, items: IDCollector, ids: (Part) -> (IDCollector, IDCollector),
    parse: (Range<Int>) -> Part?
) -> (parts: [Part], users: IDCollector, items: IDCollector, remaps: [(users: [Int32], items: [Int32])])? {
    let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    guard file.data.count >= RatingsAccumulator.parallelBytes else { return nil }
    let blocks = file.data.withUnsafeBytes { lineBlocks($0, count: 4 * workers) }
    var parts = [Part?](repeating: nil, count: blocks.count)
    parts.withUnsafeMutableBufferPointer { out in
        let sink = UncheckedSendable(out)
        parallelFor(count: blocks.count, threads: workers, grain: 1) { k in sink.value[k] = parse(blocks[k]) }
    }
    var userMap = users, itemMap = items
    var remaps: [(users: [Int32], items: [Int32])] = []
    var done: [Part] = []
    for part in parts {
        guard let part else { return nil }
        let (u, i) = ids(part)
        guard let ur = userMap.merge(u), let ir = itemMap.merge(i) else { return nil }
        remaps.append((ur, ir)); done.append(part)
    }
    return (done, userMap, itemMap, remaps)
}

/// About `count` consecutive ranges covering `b`, each ending just after a line feed (or at the end).
func lineBlocks(_ b: UnsafeRawBufferPointer, count: Int) -> [Range<Int>] {
    guard let base = b.baseAddress else { return [] }
    var starts = [0]
    for k in 1..<max(count, 1) {
        let from = max(b.count / count * k, starts.last!)
        guard from < b.count, let lf = memchr(base + from, 10, b.count - from) else { break }
        let next = UnsafeRawPointer(lf) - base + 1
        if next < b.count && next > starts.last! { starts.append(next) }
    }
    return zip(starts, starts.dropFirst() + [b.count]).map { $0..<$1 }
}

/// The first non-blank line, as `forEachLine` would give it, without reading further: a header
/// must not cost a pass over (and the residence of) a whole mapped file.
func firstLine(_ b: UnsafeRawBufferPointer) -> Range<Int>? {
    guard let base = b.baseAddress else { return nil }
    var start = 0
    while start < b.count {
        let (line, next) = lineAt(b, base, start)
        if !line.isEmpty { return line }
        start = next
    }
    return nil
}

/// The line starting at `start` (without its "\n" or "\r\n") and where the next one starts.
@inline(__always) private func lineAt(
    _ b: UnsafeRawBufferPointer, _ base: UnsafeRawPointer, _ start: Int
) -> (line: Range<Int>, next: Int) {
    var end = memchr(base + start, 10, b.count - start).map { UnsafeRawPointer($0) - base } ?? b.count
    let next = end + 1
    if end > start && b[end - 1] == 13 { end -= 1 }
    return (start..<end, next)
}

@inline(__always) func trimmed(_ b: UnsafeRawBufferPointer, _ r: Range<Int>) -> Range<Int> {
    var lo = r.lowerBound, hi = r.upperBound
    while lo < hi && (b[lo] == 32 || b[lo] == 9) { lo += 1 }
    while hi > lo && (b[hi - 1] == 32 || b[hi - 1] == 9) { hi -= 1 }
    return lo..<hi
}

/// Decimal integer; nil on anything else (no overflow trap).
func parseInt64(_ b: UnsafeRawBufferPointer, _ r0: Range<Int>) -> Int64? {
    let r = trimmed(b, r0)
    var i = r.lowerBound
    guard i < r.upperBound else { return nil }
    var negative = false
    if b[i] == 45 || b[i] == 43 { negative = b[i] == 45; i += 1; guard i < r.upperBound else { return nil } }
    var v: Int64 = 0
    while i < r.upperBound {
        let d = Int64(b[i]) - 48
        guard d >= 0 && d <= 9 else { return nil }
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.addingReportingOverflow(d)
        if o1 || o2 { return nil }
        v = s; i += 1
    }
    return negative ? -v : v
}

/// Decimal number ("4", "3.5", "-1e3"); a fast path for plain digits, Float(String) otherwise.
func parseFloat(_ b: UnsafeRawBufferPointer, _ r0: Range<Int>) -> Float? {
    let r = trimmed(b, r0)
    guard !r.isEmpty else { return nil }
    var i = r.lowerBound
    var negative = false
    if b[i] == 45 { negative = true; i += 1 }
    var intPart: Int64 = 0, frac: Int64 = 0, scale: Int64 = 1, digits = 0
    while i < r.upperBound, b[i] >= 48, b[i] <= 57, digits < 15 {
        intPart = intPart * 10 + Int64(b[i] - 48); i += 1; digits += 1
    }
    if i < r.upperBound && b[i] == 46 {
        i += 1
        while i < r.upperBound, b[i] >= 48, b[i] <= 57, scale < 1_000_000_000 {
            frac = frac * 10 + Int64(b[i] - 48); scale *= 10; i += 1; digits += 1
        }
    }
    if i == r.upperBound && digits > 0 {
        let v = Double(intPart) + Double(frac) / Double(scale)
        return Float(negative ? -v : v)
    }
    guard let f = Float(String(decoding: UnsafeRawBufferPointer(rebasing: b[r]), as: UTF8.self)), f.isFinite else {
        return nil
    }
    return f
}

/// UTF-8 when valid, otherwise Latin-1 (MovieLens' u.item and movies.dat are Latin-1).
func decodeText(_ b: UnsafeRawBufferPointer, _ r: Range<Int>, unescapeQuotes: Bool = false) -> String {
    let slice = UnsafeRawBufferPointer(rebasing: b[r])
    var s: String
    if let utf8 = String(validating: slice, as: UTF8.self) {
        s = utf8
    } else {
        s = String(String.UnicodeScalarView(slice.map { Unicode.Scalar($0) }))
    }
    if unescapeQuotes && s.contains("\"\"") { s = s.replacingOccurrences(of: "\"\"", with: "\"") }
    return s
}

/// A field as an error message shows it: quoted, control characters escaped, at most 40 characters.
func quotedField(_ b: UnsafeRawBufferPointer, _ r: Range<Int>) -> String {
    let text = decodeText(b, r)
    var shown = ""
    for (n, c) in text.unicodeScalars.enumerated() {
        if n == 40 { shown += "…"; break }
        shown += c.value < 0x20 || c.value == 0x7f ? String(format: "\\x%02x", c.value) : String(c)
    }
    return "'" + shown + "'"
}

/// Assigns provisional indices to external IDs in first-seen order, then maps them to IDMap's
/// sorted indices. Canonical integers (the common case) are keyed by value, avoiding a String
/// per line; anything else is keyed by its text. Indices are Int32, so a column holds at most
/// `capacity` distinct IDs; one more is an input error at the line that brings it, not a trap.
struct IDCollector {
    /// Most distinct IDs of one column (Int32's range; tests lower it with `$limit.withValue`).
    @TaskLocal static var limit = Int(Int32.max)
    private var numeric: [Int64: Int32] = [:]
    private var text: [String: Int32] = [:]
    private(set) var external: [String] = []
    private let capacity = IDCollector.limit

    /// The index of the (non-empty, trimmed) ID at `r0`; `field` ("user", "item") names the column
    /// in the error of an ID beyond `capacity`.
    mutating func index(
        _ b: UnsafeRawBufferPointer, _ r0: Range<Int>, file: String, line: Int, field: String
    ) throws -> Int32 {
        let r = trimmed(b, r0)
        if isCanonicalInteger(b, r), let v = parseInt64(b, r) {
            if let i = numeric[v] { return i }
            let i = try next(file, line, field)
            numeric[v] = i; external.append(String(v))
            return i
        }
        let s = decodeText(b, r)
        if let i = text[s] { return i }
        let i = try next(file, line, field)
        text[s] = i; external.append(s)
        return i
    }

    private func next(_ file: String, _ line: Int, _ field: String) throws -> Int32 {
        guard external.count < capacity else {
            throw RecbenchError.input(
                file: file, line: line,
                message: "\(field): more than \(capacity) distinct IDs (users and items are indexed by 32-bit integers)"
            )
        }
        return Int32(external.count)
    }

    private func isCanonicalInteger(_ b: UnsafeRawBufferPointer, _ r: Range<Int>) -> Bool {
        guard r.count <= 18 else { return false }
        var i = r.lowerBound
        if b[i] == 45 { i += 1; guard i < r.upperBound, b[i] != 48 else { return false } }
        if b[i] == 48 && r.upperBound - i > 1 { return false }
        while i < r.upperBound { guard b[i] >= 48 && b[i] <= 57 else { return false }; i += 1 }
        return true
    }

    /// Takes in another collector's IDs (a block read in parallel): its index → this one's, or nil when
    /// they would exceed the index range (the caller then reads in one pass, which says where).
    mutating func merge(_ other: IDCollector) -> [Int32]? {
        var remap = [Int32](repeating: 0, count: other.external.count)
        for (v, k) in other.numeric {
            if let g = numeric[v] { remap[Int(k)] = g; continue }
            guard external.count < capacity else { return nil }
            remap[Int(k)] = Int32(external.count); numeric[v] = Int32(external.count);
            external.append(other.external[Int(k)])
        }
        for (s, k) in other.text {
            if let g = text[s] { remap[Int(k)] = g; continue }
            guard external.count < capacity else { return nil }
            remap[Int(k)] = Int32(external.count); text[s] = Int32(external.count); external.append(s)
        }
        return remap
    }

    /// The final IDMap and, for each provisional index, its IDMap index.
    func finish() -> (IDMap, [Int32]) {
        let map = IDMap(ids: external)
        return (map, external.map { map.index(of: $0)! })
    }
}

/// Appends one block's user and item indices, local to the block, to the merged columns through the
/// block's remap (from `parseInBlocks`).
func appendRemapped(
    users blockUsers: [Int32], items blockItems: [Int32], remap: (users: [Int32], items: [Int32]),
    to users: inout [Int32], _ items: inout [Int32]
) {
    for u in blockUsers { users.append(remap.users[Int(u)]) }
    for i in blockItems { items.append(remap.items[Int(i)]) }
}
