import Foundation
import RecbenchCore

/// How a generic interaction file is laid out.
public struct DelimitedFormat: Sendable, Codable, Hashable {
    public var separator: String   // "\t", ",", "::", ";" …
    public var header: Bool
    /// Column selectors: a 0-based index ("0") or, with a header, a column name.
    public var user: String, item: String, rating: String?, timestamp: String?
    /// RFC 4180 quoting; nil means "on for comma-separated files".
    public var quoted: Bool?

    public init(separator: String, header: Bool, user: String, item: String, rating: String? = nil,
                timestamp: String? = nil, quoted: Bool? = nil) {
        self.separator = separator; self.header = header; self.user = user; self.item = item
        self.rating = rating; self.timestamp = timestamp; self.quoted = quoted
    }
}

/// Loads any delimited user/item[/rating][/timestamp] file. A missing rating column gives unary
/// feedback (value 1); a missing timestamp column gives `timestamps == nil`.
public enum DelimitedLoader {
    public static func load(path: String, format: DelimitedFormat, name: String,
                            policy: MalformedLinePolicy = .fail) throws -> (Dataset, LoadReport) {
        guard !format.separator.isEmpty else { throw RecbenchError.invalid("delimited format: separator must not be empty") }
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
            let known = format.header ? "; header has \(header.joined(separator: ", "))" : " (no header: use a 0-based index)"
            throw RecbenchError.input(file: file.name, line: format.header ? 1 : 0,
                                      message: "\(role): no column '\(selector)'\(known)")
        }
        let columns = RatingColumns(user: try column(format.user, "user"), item: try column(format.item, "item"),
                                    rating: try format.rating.map { try column($0, "rating") },
                                    timestamp: try format.timestamp.map { try column($0, "timestamp") })
        var report = LoadReport()
        var acc = RatingsAccumulator()
        try acc.read(file, splitter: splitter, skipHeader: format.header, columns: columns,
                     exactFields: format.header ? header.count : nil, policy: policy, report: &report)
        let d = try acc.build(name: name) { _, _ in (FeatureTable(), FeatureTable()) }
        return (d, report)
    }
}
