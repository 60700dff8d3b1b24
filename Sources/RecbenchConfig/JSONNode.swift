/// A JSON value that remembers where it stood in its file, so every validation message can name
/// the line as well as the field. Objects keep their keys in file order (grids expand in that order).
public indirect enum JSONValue: Sendable, Equatable {
    case object([(key: String, value: JSONNode)])
    case array([JSONNode])
    case string(String)
    /// The number and its literal text (so "1e3" and "1000" can both be read as integers when whole).
    case number(Double, literal: String)
    case bool(Bool)
    case null

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.array(x), .array(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.number(x, _), .number(y, _)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }
}

public struct JSONNode: Sendable, Equatable {
    public let value: JSONValue
    public let line: Int
    public init(_ value: JSONValue, line: Int) { self.value = value; self.line = line }

    public static func == (a: JSONNode, b: JSONNode) -> Bool { a.value == b.value }

    public subscript(key: String) -> JSONNode? {
        if case let .object(members) = value { return members.first { $0.key == key }?.value }
        return nil
    }

    /// How the value reads in an error message: strings quoted, containers summarised.
    public var brief: String {
        switch value {
        case let .string(s): return "\"\(s)\""
        case let .number(_, literal): return literal
        case let .bool(b): return b ? "true" : "false"
        case .null: return "null"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    /// The line of every member and element below this node, by field path ("split.k", "datasets[0]").
    public func fieldLines(prefix: String = "") -> [String: Int] {
        var out = [String: Int]()
        func walk(_ n: JSONNode, _ path: String) {
            if !path.isEmpty { out[path] = n.line }
            switch n.value {
            case let .object(m): for (k, v) in m { walk(v, path.isEmpty ? k : "\(path).\(k)") }
            case let .array(a): for (i, v) in a.enumerated() { walk(v, "\(path)[\(i)]") }
            default: break
            }
        }
        walk(self, prefix)
        return out
    }

    /// Canonical compact JSON (keys sorted), for hashing a configuration.
    public var canonical: String {
        switch value {
        case let .object(m):
            return "{"
                + m.sorted { $0.key < $1.key }.map { JSONWriter.quote($0.key) + ":" + $0.value.canonical }.joined(
                    separator: ",") + "}"
        case let .array(a): return "[" + a.map(\.canonical).joined(separator: ",") + "]"
        case let .string(s): return JSONWriter.quote(s)
        case let .number(d, literal): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : literal
        case let .bool(b): return b ? "true" : "false"
        case .null: return "null"
        }
    }
}

public struct JSONSyntaxError: Error, CustomStringConvertible {
    public let line: Int, column: Int, message: String
    public var description: String { "line \(line), column \(column): \(message)" }
}

/// A strict RFC 8259 parser that records line numbers.
public struct JSONParser {
    private let bytes: [UInt8]
    private var pos = 0, line = 1, lineStart = 0

    public static func parse(_ text: String) throws -> JSONNode {
        var p = JSONParser(bytes: Array(text.utf8))
        p.skipWhitespace()
        let v = try p.parseValue(depth: 0)
        p.skipWhitespace()
        if p.pos < p.bytes.count { throw p.error("unexpected \(p.describeNext()) after the top-level value") }
        return v
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func error(_ m: String) -> JSONSyntaxError {
        JSONSyntaxError(line: line, column: pos - lineStart + 1, message: m)
    }

    private func describeNext() -> String {
        guard pos < bytes.count else { return "end of file" }
        let b = bytes[pos]
        return b >= 0x20 && b < 0x7f ? "'\(Character(UnicodeScalar(b)))'" : String(format: "byte 0x%02x", b)
    }

    private mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0D: pos += 1
            case 0x0A: pos += 1; line += 1; lineStart = pos
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws -> JSONNode {
        guard depth < 200 else { throw error("nesting deeper than 200 levels") }
        guard pos < bytes.count else { throw error("unexpected end of file, expected a value") }
        let startLine = line
        switch bytes[pos] {
        case UInt8(ascii: "{"):
            pos += 1; skipWhitespace()
            var members: [(key: String, value: JSONNode)] = []
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
                pos += 1; return JSONNode(.object(members), line: startLine)
            }
            while true {
                skipWhitespace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else {
                    throw error("expected a quoted key, found \(describeNext())")
                }
                let keyLine = line
                let key = try parseString()
                if members.contains(where: { $0.key == key }) {
                    throw JSONSyntaxError(line: keyLine, column: 1, message: "duplicate key \"\(key)\"")
                }
                skipWhitespace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else {
                    throw error("expected ':' after key \"\(key)\", found \(describeNext())")
                }
                pos += 1; skipWhitespace()
                members.append((key, try parseValue(depth: depth + 1)))
                skipWhitespace()
                guard pos < bytes.count else { throw error("unexpected end of file inside an object (missing '}')") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "}") { pos += 1; return JSONNode(.object(members), line: startLine) }
                throw error("expected ',' or '}' in an object, found \(describeNext())")
            }
        case UInt8(ascii: "["):
            pos += 1; skipWhitespace()
            var items: [JSONNode] = []
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
                pos += 1; return JSONNode(.array(items), line: startLine)
            }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard pos < bytes.count else { throw error("unexpected end of file inside a list (missing ']')") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; return JSONNode(.array(items), line: startLine) }
                throw error("expected ',' or ']' in a list, found \(describeNext())")
            }
        case UInt8(ascii: "\""):
            return JSONNode(.string(try parseString()), line: startLine)
        case UInt8(ascii: "t"): try literal("true"); return JSONNode(.bool(true), line: startLine)
        case UInt8(ascii: "f"): try literal("false"); return JSONNode(.bool(false), line: startLine)
        case UInt8(ascii: "n"): try literal("null"); return JSONNode(.null, line: startLine)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return JSONNode(try parseNumber(), line: startLine)
        default:
            throw error("unexpected \(describeNext()), expected a value")
        }
    }

    private mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard pos + w.count <= bytes.count, Array(bytes[pos..<(pos + w.count)]) == w else {
            throw error("invalid literal, expected \(word)")
        }
        pos += w.count
    }

    private mutating func parseNumber() throws -> JSONValue {
        let start = pos
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        func digits() -> Int {
            let s = pos; while pos < bytes.count, (48...57).contains(bytes[pos]) { pos += 1 }; return pos - s
        }
        let intStart = pos
        guard digits() > 0 else { throw error("invalid number") }
        if bytes[intStart] == UInt8(ascii: "0"), pos - intStart > 1 {
            throw error("numbers may not have leading zeros")
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1; guard digits() > 0 else { throw error("invalid number: digits expected after '.'") }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard digits() > 0 else { throw error("invalid number: digits expected in the exponent") }
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        guard let d = Double(text) else { throw error("invalid number \(text)") }
        return .number(d, literal: text)
    }

    private mutating func parseString() throws -> String {
        pos += 1  // opening quote
        var out = [UInt8]()
        while true {
            guard pos < bytes.count else { throw error("unterminated string") }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") { pos += 1; break }
            if b < 0x20 {
                throw error(b == 0x0A ? "unterminated string (newline inside quotes)" : "control character in a string")
            }
            if b == UInt8(ascii: "\\") {
                pos += 1
                guard pos < bytes.count else { throw error("unterminated string") }
                switch bytes[pos] {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard pos + 2 < bytes.count, bytes[pos + 1] == UInt8(ascii: "\\"),
                            bytes[pos + 2] == UInt8(ascii: "u")
                        else { throw error("unpaired surrogate in \\u escape") }
                        pos += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else {
                            throw error("invalid low surrogate in \\u escape")
                        }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = UnicodeScalar(code) else { throw error("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw error("invalid escape \\\(Character(UnicodeScalar(bytes[pos])))")
                }
                pos += 1
            } else {
                out.append(b); pos += 1
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
        return s
    }

    private mutating func hex4() throws -> UInt32 {
        guard pos + 4 < bytes.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for i in 1...4 {
            let c = bytes[pos + i]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v * 16 + d
        }
        pos += 4
        return v
    }
}

/// Small helpers for writing JSON by hand (manifests, schema) with stable key order.
public enum JSONWriter {
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

extension JSONNode {
    /// Builders for output documents (line numbers are irrelevant there).
    public static func object(_ members: [(String, JSONNode)]) -> JSONNode {
        JSONNode(.object(members.map { (key: $0.0, value: $0.1) }), line: 0)
    }
    public static func array(_ items: [JSONNode]) -> JSONNode { JSONNode(.array(items), line: 0) }
    public static func string(_ s: String) -> JSONNode { JSONNode(.string(s), line: 0) }
    public static func number(_ d: Double) -> JSONNode {
        let literal = d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)") : "null"
        return d.isFinite ? JSONNode(.number(d, literal: literal), line: 0) : JSONNode(.null, line: 0)
    }
    public static func int(_ i: Int) -> JSONNode { JSONNode(.number(Double(i), literal: String(i)), line: 0) }
    public static func bool(_ b: Bool) -> JSONNode { JSONNode(.bool(b), line: 0) }
    public static var null: JSONNode { JSONNode(.null, line: 0) }

    /// Pretty-printed with two-space indentation; short scalar lists stay on one line.
    public func rendered(indent: String = "") -> String {
        let inner = indent + "  "
        switch value {
        case let .object(m):
            if m.isEmpty { return "{}" }
            return "{\n"
                + m.map { inner + JSONWriter.quote($0.key) + ": " + $0.value.rendered(indent: inner) }.joined(
                    separator: ",\n") + "\n" + indent + "}"
        case let .array(a):
            if a.isEmpty { return "[]" }
            if a.allSatisfy({
                if case .object = $0.value { return false }; if case .array = $0.value { return false }; return true
            }), a.count <= 12 {
                return "[" + a.map { $0.rendered() }.joined(separator: ", ") + "]"
            }
            return "[\n" + a.map { inner + $0.rendered(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case let .string(s): return JSONWriter.quote(s)
        case let .number(_, literal): return literal
        case let .bool(b): return b ? "true" : "false"
        case .null: return "null"
        }
    }
}
