import Foundation
import RecbenchCore

/// Loads adjacency-list files, the layout of the LightGCN, RecBole-GNN and S3-Rec data sets: one
/// line per user, `USER ITEM ITEM …`, integer IDs separated by spaces (tabs and runs of blanks are
/// tolerated); a line may hold only the user. Every interaction has value 1. Several files (a
/// published train/valid/test split) are merged in the order given; a user may have one line in
/// each file but not two lines in the same file.
///
/// With `ordered` (sequence files, whose lines list items oldest first) interaction k of the
/// merged data gets the synthetic timestamp k, so each user's history, leave-last-out and
/// per-user temporal splits see line order as time order. Across users these timestamps mean
/// nothing, so a global temporal cutoff is not meaningful on them. Without `ordered` there are
/// no timestamps (and time-ordered splits refuse the data set).
public enum AdjacencyLoader {
    public static func load(
        paths: [String], name: String, ordered: Bool,
        policy: MalformedLinePolicy = .fail
    ) throws -> (Dataset, LoadReport) {
        guard !paths.isEmpty else { throw RecbenchError.invalid("\(name): adjacency format needs at least one file") }
        var report = LoadReport()
        var all = Lines()
        var sources: [Dataset.SourceFile] = []
        for path in paths {
            let file = try MappedFile(path)
            // Most lines hold a few dozen short IDs: ≈ 6 bytes an interaction.
            let guess = all.items.count + file.data.count / 6
            all.users.reserveCapacity(guess); all.items.reserveCapacity(guess)
            if !all.readInBlocks(file) {
                var lineOfUser: [Int32: Int] = [:]
                try all.scan(file, range: nil, policy: policy, report: &report, lineOfUser: &lineOfUser)
            }
            sources.append(try file.source())
        }
        var users = all.users, items = all.items
        let (um, uRemap) = all.userIDs.finish(), (im, iRemap) = all.itemIDs.finish()
        all = Lines()
        for k in users.indices { users[k] = uRemap[Int(users[k])] }
        for k in items.indices { items[k] = iRemap[Int(items[k])] }
        let d = Dataset(
            name: name, users: users, items: items, values: [Float](repeating: 1, count: users.count),
            timestamps: ordered ? (0..<Int64(users.count)).map { $0 } : nil,
            userIDs: um, itemIDs: im, sources: sources)
        return (d, report)
    }

    /// Interactions read so far, with their IDs, and the user of every line read (the block path
    /// checks after merging that no user has two lines in one file).
    struct Lines {
        var users: [Int32] = [], items: [Int32] = []
        var userIDs = IDCollector(), itemIDs = IDCollector()
        var lineUsers: [Int32] = []

        /// Appends the lines of `range` of the file (all of it when nil; line numbers count from the
        /// range's start). A user's second line in the file is reported against `lineOfUser`.
        mutating func scan(
            _ file: MappedFile, range: Range<Int>?, policy: MalformedLinePolicy, report: inout LoadReport,
            lineOfUser: inout [Int32: Int]
        ) throws {
            var tokens: [Range<Int>] = []
            try file.data.withUnsafeBytes { (whole: UnsafeRawBufferPointer) in
                let r = range ?? 0..<whole.count
                let b = UnsafeRawBufferPointer(rebasing: whole[r])
                try forEachLine(b, releasing: file, at: r.lowerBound) { lineNo, line in
                    splitBlanks(b, line, into: &tokens)
                    guard !tokens.isEmpty else { return }
                    for (k, t) in tokens.enumerated() where !isDigits(b, t) {
                        let what = k == 0 ? "user" : "item \(k)"
                        return try report.malformed(
                            file.name, lineNo,
                            "\(what) '\(decodeText(b, t))' is not a non-negative integer", policy)
                    }
                    // IDs only after the whole line passed, so a rejected line registers none.
                    let u = try userIDs.index(b, tokens[0], file: file.name, line: lineNo, field: "user")
                    if let earlier = lineOfUser[u] {
                        return try report.malformed(
                            file.name, lineNo,
                            "user \(decodeText(b, tokens[0])) already has "
                                + "line \(earlier) in this file", policy)
                    }
                    lineOfUser[u] = lineNo
                    lineUsers.append(u)
                    for t in tokens.dropFirst() {
                        users.append(u)
                        items.append(try itemIDs.index(b, t, file: file.name, line: lineNo, field: "item"))
                    }
                }
            }
        }

        /// A large file cut at line ends into blocks parsed on every core, then appended in file order
        /// with their IDs merged (as `RatingsAccumulator.readInBlocks` does for delimited files). Only
        /// the clean case: a block that meets a line to report, merged IDs past the index range, or a
        /// user on two lines of the file keep nothing, and the caller reads the file in one pass,
        /// which reports it with the file's own line numbers and policy.
        mutating func readInBlocks(_ file: MappedFile) -> Bool {
            guard
                let merged = parseInBlocks(
                    file, users: userIDs, items: itemIDs, ids: { ($0.userIDs, $0.itemIDs) },
                    parse: { range in
                        var part = Lines(), ignored = LoadReport(), seen: [Int32: Int] = [:]
                        let read: Void? = try? part.scan(
                            file, range: range, policy: .fail, report: &ignored, lineOfUser: &seen)
                        return read == nil ? nil : part
                    })
            else { return false }
            var parts = merged.parts
            let remaps = merged.remaps
            var lineOf = [Bool](repeating: false, count: merged.users.external.count)
            for (k, part) in parts.enumerated() {
                for u in part.lineUsers {
                    let g = Int(remaps[k].users[Int(u)])
                    if lineOf[g] { return false }
                    lineOf[g] = true
                }
            }
            userIDs = merged.users; itemIDs = merged.items
            for k in parts.indices {
                let part = parts[k]
                parts[k] = Lines()  // freed as it goes
                appendRemapped(users: part.users, items: part.items, remap: remaps[k], to: &users, &items)
            }
            return true
        }
    }

    /// Ranges of the blank-separated tokens of a line (spaces and tabs; empty tokens are dropped).
    static func splitBlanks(_ b: UnsafeRawBufferPointer, _ line: Range<Int>, into tokens: inout [Range<Int>]) {
        tokens.removeAll(keepingCapacity: true)
        var i = line.lowerBound
        while i < line.upperBound {
            while i < line.upperBound && (b[i] == 32 || b[i] == 9) { i += 1 }
            let start = i
            while i < line.upperBound && b[i] != 32 && b[i] != 9 { i += 1 }
            if i > start { tokens.append(start..<i) }
        }
    }

    @inline(__always) static func isDigits(_ b: UnsafeRawBufferPointer, _ r: Range<Int>) -> Bool {
        guard !r.isEmpty, r.count <= 18 else { return false }
        for i in r where b[i] < 48 || b[i] > 57 { return false }
        return true
    }
}
