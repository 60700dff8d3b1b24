import RecbenchAlgorithms
import RecbenchCore

/// One key of the experiment file outside the algorithms' parameters (those are `ParameterSpec`s):
/// what it accepts, its default and its help. The validator reads every such key through its
/// declaration (`Validation.value(_:in:at:)`), and the schema and docs/EXPERIMENT-FILE.md are made
/// from the same declarations (`Vocabulary`), so the three cannot disagree.
public struct Field: Sendable {
    public enum Kind: Sendable {
        case integer(min: Int, max: Int)
        case number(min: Double, max: Double, exclusive: Bool)
        case boolean
        case text
        /// Letters, digits, '-', '_' or '.': a name that becomes a folder.
        case identifier
        /// A file or folder path; `$VAR` and `${VAR}` are replaced from the environment.
        case path
        case choice([String])
        /// A 0-based column number, a header name, or null.
        case column
        /// A block or list declared elsewhere (`Vocabulary`, the algorithm registry, the metric catalogue).
        case nested
    }

    public enum Default: Sendable {
        case required
        /// Absent means "not set"; the reader returns nil.
        case none
        case int(Int), number(Double), bool(Bool), text(String)
        /// A default that depends on the machine or on other keys, in words.
        case described(String)
    }

    public let name: String
    public let kind: Kind
    public let help: String
    public let defaultValue: Default
    /// Replaces the wording derived from `kind` in "expected …" messages.
    public let expectation: String?

    public init(
        _ name: String, _ kind: Kind, _ help: String, default defaultValue: Default = .none,
        expect expectation: String? = nil
    ) {
        self.name = name; self.kind = kind; self.help = help; self.defaultValue = defaultValue
        self.expectation = expectation
    }

    public var isRequired: Bool { if case .required = defaultValue { true } else { false } }

    /// "a positive integer", "a fraction strictly between 0 and 1", … as the messages say it.
    public var expected: String {
        if let expectation { return expectation }
        switch kind {
        case let .integer(lo, hi):
            if hi == Int.max {
                return lo == 1 ? "a positive integer" : lo == 0 ? "a non-negative integer" : "an integer ≥ \(lo)"
            }
            return "an integer in \(lo)...\(hi)"
        case let .number(lo, hi, exclusive):
            if lo == 0 && hi == 1 && exclusive { return "a fraction strictly between 0 and 1" }
            if !lo.isFinite && !hi.isFinite { return "a number" }
            return "a number in [\(formatReal(lo)), \(formatReal(hi))]"
        case .boolean: return "true or false"
        case .text, .path: return "a string"
        case .identifier: return "a name of letters, digits, '-', '_' or '.'"
        case let .choice(c): return "one of " + c.map { "\"\($0)\"" }.joined(separator: ", ")
        case .column: return "a 0-based column number or a header name"
        case .nested: return "an object"
        }
    }

    /// The default as docs show it.
    public var defaultText: String {
        switch defaultValue {
        case .required: "required"
        case .none: "—"
        case let .int(i): String(i)
        case let .number(x): formatReal(x)
        case let .bool(b): String(b)
        case let .text(s): s == "\t" ? "\"\\t\"" : "\"\(s)\""
        case let .described(d): d
        }
    }

    static func isIdentifier(_ s: String) -> Bool {
        !s.isEmpty
            && s.unicodeScalars.allSatisfy {
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
            }
    }
}

/// A block whose keys depend on its `"method"` (a split, a validation source).
public struct Method: Sendable {
    public let name: String
    public let help: String
    public let fields: [Field]
    public init(_ name: String, _ help: String, _ fields: [Field] = []) {
        self.name = name; self.help = help; self.fields = fields
    }
}

extension Array where Element == Field {
    public var names: [String] { map(\.name) }
    public subscript(_ name: String) -> Field {
        guard let f = first(where: { $0.name == name }) else { preconditionFailure("no field \(name) declared") }
        return f
    }
}

extension Validation {
    func at(_ path: String, _ f: Field) -> String { path.isEmpty ? f.name : "\(path).\(f.name)" }

    /// An integer field's value, else its default (nil when absent without one).
    mutating func int(_ f: Field, in m: [String: JSONNode], at path: String) -> Int? {
        guard case let .integer(lo, hi) = f.kind else { preconditionFailure("\(f.name) is not an integer field") }
        guard let node = m[f.name] else {
            if f.isRequired { fail(nil, at(path, f), "is required") }
            if case let .int(d) = f.defaultValue { return d }
            return nil
        }
        if case let .number(x, _) = node.value, x == x.rounded(), abs(x) < 9e15, Int(x) >= lo, Int(x) <= hi {
            return Int(x)
        }
        fail(node, at(path, f), "expected \(f.expected), got \(node.brief)")
        if case let .int(d) = f.defaultValue { return d }
        return nil
    }

    mutating func real(_ f: Field, in m: [String: JSONNode], at path: String) -> Double? {
        guard case let .number(lo, hi, exclusive) = f.kind else {
            preconditionFailure("\(f.name) is not a number field")
        }
        let fallback: Double? = if case let .number(d) = f.defaultValue { d } else { nil }
        guard let node = m[f.name] else {
            if f.isRequired { fail(nil, at(path, f), "is required") }
            return fallback
        }
        if case let .number(x, _) = node.value, x.isFinite, x >= lo, x <= hi, !exclusive || (x != lo && x != hi) {
            return x
        }
        fail(node, at(path, f), "expected \(f.expected), got \(node.brief)")
        return fallback
    }

    mutating func flag(_ f: Field, in m: [String: JSONNode], at path: String) -> Bool {
        guard case let .bool(d) = f.defaultValue else { preconditionFailure("\(f.name) needs a Boolean default") }
        return boolean(m[f.name], at(path, f), default: d)
    }

    /// A string field (text, identifier, path or choice), else its default.
    mutating func text(_ f: Field, in m: [String: JSONNode], at path: String) -> String? {
        let fallback: String? = if case let .text(d) = f.defaultValue { d } else { nil }
        let node = m[f.name]
        if node == nil, !f.isRequired { return fallback }
        switch f.kind {
        case let .choice(c): return choice(node, at(path, f), c, default: fallback)
        case .path: return pathString(node, at(path, f))
        case .identifier: return string(node, at(path, f), default: fallback, pattern: (Field.isIdentifier, f.expected))
        case .text: return string(node, at(path, f), default: fallback)
        default: preconditionFailure("\(f.name) is not a string field")
        }
    }
}
