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
        var userIDs = IDCollector(), itemIDs = IDCollector()
        var users: [Int32] = [], items: [Int32] = []
        var sources: [Dataset.SourceFile] = []
        var tokens: [Range<Int>] = []
        for path in paths {
            let file = try MappedFile(path)
            // Most lines hold a few dozen short IDs: ≈ 6 bytes an interaction.
            let guess = items.count + file.data.count / 6
            users.reserveCapacity(guess); items.reserveCapacity(guess)
            var lineOfUser: [Int32: Int] = [:]
            try file.data.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
                try forEachLine(b, releasing: file) { lineNo, line in
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
                    for t in tokens.dropFirst() {
                        users.append(u)
                        items.append(try itemIDs.index(b, t, file: file.name, line: lineNo, field: "item"))
                    }
                }
            }
            sources.append(try file.source())
        }
        let (um, uRemap) = userIDs.finish(), (im, iRemap) = itemIDs.finish()
        for k in users.indices { users[k] = uRemap[Int(users[k])] }
        for k in items.indices { items[k] = iRemap[Int(items[k])] }
        let d = Dataset(
            name: name, users: users, items: items, values: [Float](repeating: 1, count: users.count),
            timestamps: ordered ? (0..<Int64(users.count)).map { $0 } : nil,
            userIDs: um, itemIDs: im, sources: sources)
        return (d, report)
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
