import Foundation
import RecbenchCore

/// Guesses how an interaction file is laid out from its first lines: the separator, whether the
/// first line is a header, and which columns are user, item, rating and timestamp. Used by
/// `recbench datasets import`, by "file" data sets ending in .csv without a "format" block, and
/// to say which "format" key fixes a file read with the wrong layout.
public enum FormatSniffer {
    /// The guess and why, one line per decision, for printing.
    public struct Guess: Sendable, Equatable {
        public var format: DelimitedFormat
        /// The header's column names (empty without a header).
        public var header: [String]
        public var columns: Int
        /// "user: column 0 \"userId\"" …
        public var roles: [String]
        public var separatorName: String { FormatSniffer.name(of: format.separator) }
    }

    static let candidates = ["\t", "::", ",", ";", "|", " "]
    static let names: [(role: String, words: [String])] = [
        ("user", ["user", "userid", "uid", "users", "customer", "customerid", "reviewerid", "member", "memberid"]),
        (
            "item",
            [
                "item", "itemid", "iid", "movie", "movieid", "product", "productid", "asin", "song", "songid",
                "track", "trackid", "artist", "artistid", "book", "bookid", "isbn"
            ]
        ),
        (
            "rating",
            [
                "rating", "ratings", "score", "stars", "value", "preference", "overall", "weight", "count",
                "plays"
            ]
        ),
        ("timestamp", ["timestamp", "time", "ts", "unixtime", "unixreviewtime", "epoch", "datetime"])
    ]

    public static func name(of separator: String) -> String {
        switch separator {
        case "\t": return "tab"
        case ",": return "comma"
        case ";": return "semicolon"
        case " ": return "space"
        case "|": return "'|'"
        default: return "'\(separator)'"
        }
    }

    /// Reads up to `sampleLines` lines of the file at `path` and guesses; nil when no separator
    /// splits every sampled line into the same number (≥ 2) of fields.
    public static func sniff(path: String, sampleLines: Int = 200) throws -> Guess? {
        let file = try MappedFile(path)
        let prefix = file.data.prefix(1 << 16)
        var lines = String(decoding: prefix, as: UTF8.self)
            .split(omittingEmptySubsequences: true, whereSeparator: \.isNewline).map { String($0) }
        if prefix.count < file.data.count, lines.count > 1 { lines.removeLast() }  // possibly cut short
        return sniff(lines: Array(lines.prefix(sampleLines)))
    }

    public static func sniff(lines: [String]) -> Guess? {
        guard !lines.isEmpty else { return nil }
        for sep in candidates {
            let rows = lines.map { split($0, sep) }
            let n = rows[0].count
            guard n >= 2, rows.allSatisfy({ $0.count == n }) else { continue }
            return guess(rows, separator: sep)
        }
        return nil
    }

    static func split(_ line: String, _ sep: String) -> [String] {
        line.components(separatedBy: sep).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" \r")) }
    }

    static func normal(_ s: String) -> String { s.lowercased().filter { $0.isLetter || $0.isNumber } }

    static func guess(_ rows: [[String]], separator: String) -> Guess {
        let n = rows[0].count
        let first = rows[0], body = rows.count > 1 ? Array(rows.dropFirst()) : rows
        func numeric(_ s: String) -> Bool { Double(s) != nil }
        // A header: a field naming a role, or a column numeric below the first line but not in it.
        let named = first.contains { f in names.contains { $0.words.contains(normal(f)) } }
        let shifted =
            rows.count > 1
            && (0..<n).contains { c in !numeric(first[c]) && body.allSatisfy { numeric($0[c]) } }
        let header = named || shifted
        let data = header ? body : rows

        var role = [String: Int]()
        if header {
            for (r, words) in names {
                let named = (0..<n).first { c in words.contains(normal(first[c])) && !role.values.contains(c) }
                if let c = named { role[r] = c }
            }
        }
        // Unnamed: user and item are the first free columns, then numbers by their range.
        for r in ["user", "item"] where role[r] == nil {
            if let c = (0..<n).first(where: { !role.values.contains($0) }) { role[r] = c }
        }
        for c in 0..<n where !role.values.contains(c) {
            let values = data.compactMap { Double($0[c]) }
            guard !data.isEmpty, values.count == data.count else { continue }
            let whole = values.allSatisfy { $0 == $0.rounded() && abs($0) < 9e18 }
            if role["timestamp"] == nil, whole, values.allSatisfy({ $0 >= 1e8 }) {
                role["timestamp"] = c
            } else if role["rating"] == nil, values.allSatisfy({ abs($0) <= 100 }) {
                role["rating"] = c
            }
        }
        // A timestamp column must hold integers (the loader reads seconds); drop a named date column.
        if let t = role["timestamp"], !data.allSatisfy({ Int64($0[t]) != nil }) { role["timestamp"] = nil }
        if let r = role["rating"], !data.allSatisfy({ Double($0[r]) != nil }) { role["rating"] = nil }

        func selector(_ c: Int) -> String { header ? first[c] : String(c) }
        var format = DelimitedFormat(
            separator: separator, header: header, user: selector(role["user"]!),
            item: selector(role["item"]!), rating: role["rating"].map(selector),
            timestamp: role["timestamp"].map(selector))
        if separator == "," { format.quoted = nil }
        let roles = ["user", "item", "rating", "timestamp"].map { r -> String in
            guard let c = role[r] else { return "\(r): none" }
            return header ? "\(r): column \(c) \"\(first[c])\"" : "\(r): column \(c)"
        }
        return Guess(format: format, header: header ? first : [], columns: n, roles: roles)
    }

    /// What to put in "format" so `format` reads the file as `guess` does: the first key that
    /// differs (separator, then header), as a hint appended to a read error; nil when they agree.
    public static func hint(reading format: DelimitedFormat, guess: Guess) -> String? {
        if guess.format.separator != format.separator {
            let sep = guess.format.separator == "\t" ? "\\t" : guess.format.separator
            let header = guess.format.header && !format.header ? ", \"header\": true" : ""
            return "the file looks \(guess.separatorName)-separated: "
                + "set \"format\": {\"separator\": \"\(sep)\"\(header)}"
        }
        if guess.format.header && !format.header {
            return "its first line looks like a header (\(guess.header.joined(separator: ", "))): "
                + "set \"format\": {\"header\": true}"
        }
        return nil
    }
}
