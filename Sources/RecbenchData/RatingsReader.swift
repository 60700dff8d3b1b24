import Foundation
import RecbenchCore

/// Which fields of a line hold what (0-based).
struct RatingColumns {
    var user: Int, item: Int, rating: Int?, timestamp: Int?
    var maxIndex: Int { max(user, item, rating ?? 0, timestamp ?? 0) }
}

/// Accumulates interaction columns from one or more rating files, then builds the Dataset.
/// Shared by every loader so they agree on messages, policies and ID handling.
struct RatingsAccumulator {
    var users: [Int32] = [], items: [Int32] = [], values: [Float] = []
    var timestamps: [Int64] = []
    var hasTimestamps = true
    var userIDs = IDCollector(), itemIDs = IDCollector()
    var sources: [Dataset.SourceFile] = []
    /// The file line of every row read, when a caller needs to point back at it (fold files).
    var lineNumbers: [Int32]? = nil

    /// Files at least this large are parsed in blocks on every core (tests lower it).
    @TaskLocal static var parallelBytes = 64 << 20

    /// `exactFields`: the field count every line must have (nil = at least maxIndex + 1).
    mutating func read(
        _ file: MappedFile, splitter: FieldSplitter, skipHeader: Bool, columns: RatingColumns,
        exactFields: Int?, policy: MalformedLinePolicy, report: inout LoadReport
    ) throws {
        hasTimestamps = hasTimestamps && columns.timestamp != nil
        // Both: a header may name fewer columns than a fixed layout reads (ratings.csv with another header).
        let minFields = max(exactFields ?? 0, columns.maxIndex + 1)
        // A rough capacity guess (≈ 20 bytes a line) avoids most regrowth on big files.
        let guess = users.count + file.data.count / 20
        users.reserveCapacity(guess); items.reserveCapacity(guess); values.reserveCapacity(guess)
        if hasTimestamps { timestamps.reserveCapacity(guess) }
        let before = users.count, skippedBefore = report.skippedLines
        let layout = LineLayout(
            splitter: splitter, skipHeader: skipHeader, columns: columns, minFields: minFields,
            exactFields: exactFields)
        if !readInBlocks(file, layout) {
            try scan(file, range: nil, layout, policy: policy, report: &report)
        }
        // Said here, with the file's name, rather than later as an empty data set.
        if users.count == before {
            let skipped = report.skippedLines - skippedBefore
            let what =
                skipped > 0
                ? "all \(skipped) data lines are malformed (skipped)"
                : skipHeader ? "the file has no data lines after its header" : "the file is empty"
            throw RecbenchError.input(file: file.name, line: 0, message: "no interactions: \(what)")
        }
        sources.append(try file.source())
    }

    /// How a rating file's lines are read.
    struct LineLayout {
        let splitter: FieldSplitter, skipHeader: Bool, columns: RatingColumns, minFields: Int, exactFields: Int?
    }

    /// Appends the rows of `range` of the file (all of it when nil).
    mutating func scan(
        _ file: MappedFile, range: Range<Int>?, _ layout: LineLayout, policy: MalformedLinePolicy,
        report: inout LoadReport
    ) throws {
        let columns = layout.columns
        try readRecords(
            file, range: range, splitter: layout.splitter, skipHeader: layout.skipHeader, minFields: layout.minFields,
            exactFields: layout.exactFields, policy: policy, report: &report
        ) { b, lineNo, fields in
            var value: Float = 1
            if let rc = columns.rating {
                guard let v = parseFloat(b, fields[rc]) else {
                    return "rating: \(quotedField(b, fields[rc])) is not a number"
                }
                value = v
            }
            var ts: Int64 = 0
            if hasTimestamps, let tc = columns.timestamp {
                guard let t = parseInt64(b, fields[tc]) else {
                    return "timestamp: \(quotedField(b, fields[tc])) is not an integer"
                }
                ts = t
            }
            // IDs last, so a rejected line never registers an ID.
            if trimmed(b, fields[columns.user]).isEmpty { return "user: empty ID" }
            if trimmed(b, fields[columns.item]).isEmpty { return "item: empty ID" }
            users.append(try userIDs.index(b, fields[columns.user], file: file.name, line: lineNo, field: "user"))
            items.append(try itemIDs.index(b, fields[columns.item], file: file.name, line: lineNo, field: "item"))
            values.append(value)
            if hasTimestamps { timestamps.append(ts) }
            lineNumbers?.append(Int32(clamping: lineNo))
            return nil
        }
    }

    /// A large file cut at line ends into blocks that every core parses into its own columns and IDs; the
    /// blocks are then appended in file order with their IDs merged, each freed as it goes, so the load
    /// still holds about one copy of the columns. Only the clean case is done here: when a block meets a
    /// line to report, or the merged IDs would leave the index range, nothing is kept and the caller scans
    /// the file in one pass, which reports it with the file's own line numbers and policy.
    mutating func readInBlocks(_ file: MappedFile, _ layout: LineLayout) -> Bool {
        guard lineNumbers == nil else { return false }
        let timed = hasTimestamps
        guard
            let merged = parseInBlocks(
                file, users: userIDs, items: itemIDs, ids: { ($0.userIDs, $0.itemIDs) },
                parse: { range in
                    var part = RatingsAccumulator()
                    part.hasTimestamps = timed
                    var ignored = LoadReport()
                    let local = LineLayout(
                        splitter: layout.splitter, skipHeader: layout.skipHeader && range.lowerBound == 0,
                        columns: layout.columns, minFields: layout.minFields, exactFields: layout.exactFields)
                    let read: Void? = try? part.scan(file, range: range, local, policy: .fail, report: &ignored)
                    return read == nil ? nil : part
                })
        else { return false }
        var parts = merged.parts
        let remaps = merged.remaps
        userIDs = merged.users; itemIDs = merged.items
        for k in parts.indices {
            let part = parts[k]
            parts[k] = RatingsAccumulator()  // freed as it goes
            appendRemapped(users: part.users, items: part.items, remap: remaps[k], to: &users, &items)
            values.append(contentsOf: part.values)
            if hasTimestamps { timestamps.append(contentsOf: part.timestamps) }
        }
        return true
    }

    /// Re-indexes to the sorted IDMaps and hands the maps to `features` to attach side information.
    mutating func build(name: String, features: (IDMap, IDMap) throws -> (FeatureTable, FeatureTable)) throws -> Dataset
    {
        let (um, uRemap) = userIDs.finish(), (im, iRemap) = itemIDs.finish()
        for k in users.indices { users[k] = uRemap[Int(users[k])] }
        for k in items.indices { items[k] = iRemap[Int(items[k])] }
        let (uf, itf) = try features(um, im)
        let d = Dataset(
            name: name, users: users, items: items, values: values,
            timestamps: hasTimestamps ? timestamps : nil, userIDs: um, itemIDs: im,
            userFeatures: uf, itemFeatures: itf, sources: sources)
        users = []; items = []; values = []; timestamps = []
        return d
    }
}

/// Reads a side-information file line by line with the same policy handling as ratings files.
/// `body` returns what is wrong with a line (nil when it was taken); `exactFields`, when given, is
/// checked before `minFields`.
/// With `range`, only those bytes are read (a block of lines; line numbers then count from its start).
func readRecords(
    _ file: MappedFile, range: Range<Int>? = nil, splitter: FieldSplitter, skipHeader: Bool, minFields: Int,
    exactFields: Int? = nil, policy: MalformedLinePolicy, report: inout LoadReport,
    _ body: (UnsafeRawBufferPointer, Int, [Range<Int>]) throws -> String?
) throws {
    var fields = [Range<Int>]()
    fields.reserveCapacity(16)
    try file.data.withUnsafeBytes { (whole: UnsafeRawBufferPointer) in
        let r = range ?? 0..<whole.count
        let b = UnsafeRawBufferPointer(rebasing: whole[r])
        var first = true
        try forEachLine(b, releasing: file, at: r.lowerBound) { lineNo, line in
            if first && skipHeader { first = false; return }
            first = false
            guard splitter.split(b, line, into: &fields) else {
                return try report.malformed(file.name, lineNo, "unterminated quoted field", policy)
            }
            if let exact = exactFields, fields.count != exact {
                return try report.malformed(
                    file.name, lineNo, "expected \(exact) \(splitter.label) fields, got \(fields.count)", policy)
            }
            if fields.count < minFields {
                return try report.malformed(
                    file.name, lineNo, "expected at least \(minFields) \(splitter.label) fields, got \(fields.count)",
                    policy)
            }
            if let problem = try body(b, lineNo, fields) { try report.malformed(file.name, lineNo, problem, policy) }
        }
    }
}

/// Builders for the feature groups the MovieLens loaders produce.
enum FeatureBuilder {
    /// MovieLens 1M's age codes are the lower bounds of these buckets, so one function serves both.
    static func ageBucket(_ age: Int) -> String {
        switch age {
        case ..<18: return "under-18"
        case 18...24: return "18-24"
        case 25...34: return "25-34"
        case 35...44: return "35-44"
        case 45...49: return "45-49"
        case 50...55: return "50-55"
        default: return "56+"
        }
    }

    static func decade(_ year: Int) -> String { "\(year / 10 * 10)s" }

    /// Four-digit year in parentheses at the end of a MovieLens title ("Heat (1995)").
    static func yearFromTitle(_ title: String) -> Int? {
        let t = title.trimmingCharacters(in: .whitespaces)
        guard t.hasSuffix(")"), t.count >= 6 else { return nil }
        let end = t.index(before: t.endIndex)
        let start = t.index(end, offsetBy: -4)
        guard t[t.index(before: start)] == "(" else { return nil }
        return Int(t[start..<end])
    }

    static func multiHot(name: String, columns: [String], rows: [[Int32]]) -> FeatureGroup {
        var r = [Int32](), c = [Int32]()
        for (e, cols) in rows.enumerated() { for col in Set(cols).sorted() { r.append(Int32(e)); c.append(col) } }
        return FeatureGroup(
            name: name, kind: .multiHot, columnNames: columns,
            matrix: SparseMatrix(
                rows: rows.count, columns: columns.count, rowIndices: r,
                columnIndices: c, values: [Float](repeating: 1, count: r.count)))
    }

    /// Genres given as names: columns are the sorted set of names seen.
    static func multiHot(name: String, names: [[String]]) -> FeatureGroup {
        let columns = Array(Set(names.joined())).sorted()
        let index = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, Int32($0)) })
        return multiHot(name: name, columns: columns, rows: names.map { $0.map { index[$0]! } })
    }
}
