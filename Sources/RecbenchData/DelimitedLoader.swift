import Foundation
import RecbenchCore

/// How a generic interaction file is laid out.
public struct DelimitedFormat: Sendable, Codable, Hashable {
    public var separator: String  // "\t", ",", "::", ";" …
    public var header: Bool
    /// Column selectors: a 0-based index ("0") or, with a header, a column name.
    public var user: String, item: String, rating: String?, timestamp: String?
    /// RFC 4180 quoting; nil means "on for comma-separated files".
    public var quoted: Bool?

    /// A "file" data set's layout without a "format" block: user, item, rating, timestamp by tabs.
    public static let tabSeparated = DelimitedFormat(
        separator: "\t", header: false, user: "0", item: "1", rating: "2",
        timestamp: "3")

    /// The layout of a "file" data set without a "format" block: a .csv file's guessed from its
    /// header (`FormatSniffer`), any other's `tabSeparated`.
    public static func implied(forFile path: String) throws -> DelimitedFormat {
        guard path.lowercased().hasSuffix(".csv") else { return tabSeparated }
        guard let guess = try FormatSniffer.sniff(path: path), guess.format.header else {
            throw RecbenchError.input(
                file: (path as NSString).lastPathComponent, line: 1,
                message: "a .csv file without a header line naming its columns needs a \"format\" "
                    + "block (\"separator\", \"user\", \"item\", \"rating\", \"timestamp\")")
        }
        return guess.format
    }

    public init(
        separator: String, header: Bool, user: String, item: String, rating: String? = nil,
        timestamp: String? = nil, quoted: Bool? = nil
    ) {
        self.separator = separator; self.header = header; self.user = user; self.item = item
        self.rating = rating; self.timestamp = timestamp; self.quoted = quoted
    }
}

/// Loads any delimited user/item[/rating][/timestamp] file. A missing rating column gives unary
/// feedback (value 1); a missing timestamp column gives `timestamps == nil`.
public enum DelimitedLoader {
    public static func load(
        path: String, format: DelimitedFormat, name: String,
        policy: MalformedLinePolicy = .fail
    ) throws -> (Dataset, LoadReport) {
        var report = LoadReport()
        var acc = RatingsAccumulator()
        try read(path: path, format: format, into: &acc, policy: policy, report: &report)
        let d = try acc.build(name: name) { _, _ in (FeatureTable(), FeatureTable()) }
        return (d, report)
    }

    /// Reads one file's lines into `acc` (several files, e.g. fold files, share one accumulator).
    static func read(
        path: String, format: DelimitedFormat, into acc: inout RatingsAccumulator,
        policy: MalformedLinePolicy, report: inout LoadReport
    ) throws {
        guard !format.separator.isEmpty else {
            throw RecbenchError.invalid("delimited format: separator must not be empty")
        }
        let splitter = FieldSplitter(separator: format.separator, quoted: format.quoted ?? (format.separator == ","))
        let file = try MappedFile(path)
        let header = format.header ? try GroupLens.headerFields(file, splitter) : []
        func column(_ selector: String, _ role: String) throws -> Int {
            if let i = header.firstIndex(of: selector) { return i }
            if let i = Int(selector), i >= 0 {
                if format.header && i >= header.count {
                    let message = "\(role): column \(i) is beyond the header's \(header.count) columns"
                    throw RecbenchError.input(file: file.name, line: 1, message: message)
                }
                return i
            }
            let known =
                format.header ? "; header has \(header.joined(separator: ", "))" : " (no header: use a 0-based index)"
            throw RecbenchError.input(
                file: file.name, line: format.header ? 1 : 0,
                message: "\(role): no column '\(selector)'\(known)")
        }
        let columns = RatingColumns(
            user: try column(format.user, "user"), item: try column(format.item, "item"),
            rating: try format.rating.map { try column($0, "rating") },
            timestamp: try format.timestamp.map { try column($0, "timestamp") })
        do {
            try acc.read(
                file, splitter: splitter, skipHeader: format.header, columns: columns,
                exactFields: format.header ? header.count : nil, policy: policy, report: &report)
        } catch let RecbenchError.input(name, line, message) where name == file.name {
            // Most such errors are a layout mismatch: say which "format" key reads the file.
            guard let guess = try? FormatSniffer.sniff(path: path),
                let hint = FormatSniffer.hint(reading: format, guess: guess)
            else {
                throw RecbenchError.input(file: name, line: line, message: message)
            }
            throw RecbenchError.input(file: name, line: line, message: "\(message); \(hint)")
        }
    }
}
