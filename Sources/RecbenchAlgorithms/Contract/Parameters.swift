/// Typed hyper-parameters. Each algorithm's config declares its parameters once (name, type,
/// range, default, help); the experiment layer uses the same declarations to validate files,
/// expand grids, publish the JSON Schema and print `--help`, and then hands the config a
/// validated `ParameterValues`. Algorithms never see JSON.
public enum ParameterValue: Hashable, Sendable, CustomStringConvertible, Comparable {
    case int(Int), real(Double), text(String), bool(Bool)

    public var description: String {
        switch self {
        case let .int(v): return String(v)
        case let .real(v): return formatReal(v)
        case let .text(v): return v
        case let .bool(v): return v ? "true" : "false"
        }
    }

    public static func < (a: ParameterValue, b: ParameterValue) -> Bool { a.description < b.description }
}

/// Shortest decimal that round-trips; whole numbers print without a fraction ("5", not "5.0").
public func formatReal(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
    return "\(v)"
}

public struct ParameterSpec: Sendable {
    public enum Kind: Sendable {
        case integer(min: Int, max: Int)
        /// `exclusiveMin`: the lower bound itself is not allowed (learning rates, regularisation > 0).
        case real(min: Double, max: Double, exclusiveMin: Bool)
        case choice([String])
        case boolean
    }
    public let name: String
    public let kind: Kind
    public let defaultValue: ParameterValue
    public let help: String
    /// Where the parameter can change a result; `validate` warns when a file sets it elsewhere.
    public private(set) var scope: Scope = .always

    /// Where a parameter acts, declared once with the parameter rather than special-cased.
    public enum Scope: Sendable, Equatable {
        case always
        /// Only in these tasks; `otherwise` says why it does nothing in the rest.
        case tasks(Set<RecommendationTask>, otherwise: String)
        /// Only when the trial has validation data (early stopping).
        case validation
    }

    public init(_ name: String, _ kind: Kind, default defaultValue: ParameterValue, _ help: String) {
        self.name = name; self.kind = kind; self.defaultValue = defaultValue; self.help = help
    }

    /// This declaration, acting only within `scope`.
    public func acting(_ scope: Scope) -> ParameterSpec { var c = self; c.scope = scope; return c }

    public static func integer(_ name: String, default d: Int, min: Int = 0, max: Int = Int.max, _ help: String)
        -> ParameterSpec
    {
        ParameterSpec(name, .integer(min: min, max: max), default: .int(d), help)
    }
    public static func real(
        _ name: String, default d: Double, min: Double = 0, max: Double = .infinity,
        exclusiveMin: Bool = false, _ help: String
    ) -> ParameterSpec {
        ParameterSpec(name, .real(min: min, max: max, exclusiveMin: exclusiveMin), default: .real(d), help)
    }
    public static func choice(_ name: String, _ choices: [String], default d: String, _ help: String) -> ParameterSpec {
        ParameterSpec(name, .choice(choices), default: .text(d), help)
    }
    /// A choice whose values are an enum's cases, so configs hold the enum, never a string to compare.
    public static func choice<E: RawRepresentable & CaseIterable>(_ name: String, default d: E, _ help: String)
        -> ParameterSpec
    where E.RawValue == String {
        ParameterSpec(name, .choice(E.allCases.map(\.rawValue)), default: .text(d.rawValue), help)
    }
    public static func boolean(_ name: String, default d: Bool, _ help: String) -> ParameterSpec {
        ParameterSpec(name, .boolean, default: .bool(d), help)
    }

    /// What the value must be, in the words an error message uses ("a positive integer").
    public var expectation: String {
        switch kind {
        case let .integer(lo, hi):
            if lo == 1 && hi == Int.max { return "a positive integer" }
            if lo == 0 && hi == Int.max { return "a non-negative integer" }
            return hi == Int.max ? "an integer ≥ \(lo)" : "an integer in \(lo)...\(hi)"
        case let .real(lo, hi, ex):
            if lo == 0 && hi == .infinity { return ex ? "a positive number" : "a non-negative number" }
            let l = formatReal(lo), h = formatReal(hi)
            return hi == .infinity ? "a number \(ex ? ">" : "≥") \(l)" : "a number in \(ex ? "(" : "[")\(l), \(h)]"
        case let .choice(c): return "one of " + c.map { "\"\($0)\"" }.joined(separator: ", ")
        case .boolean: return "true or false"
        }
    }

    /// Checks one scalar value; returns nil when it is acceptable. Integers are accepted for reals.
    public func check(_ v: ParameterValue) -> ParameterValue? {
        switch (kind, v) {
        case let (.integer(lo, hi), .int(x)): return (lo...hi).contains(x) ? v : nil
        case let (.real(lo, hi, ex), .real(x)):
            return x.isFinite && (ex ? x > lo : x >= lo) && x <= hi ? v : nil
        case (.real, .int(let x)): return check(.real(Double(x)))
        case let (.choice(c), .text(s)): return c.contains(s) ? v : nil
        case (.boolean, .bool): return v
        default: return nil
        }
    }
}

/// A complete, validated assignment of an algorithm's parameters (defaults filled in).
public struct ParameterValues: Hashable, Sendable {
    public private(set) var values: [String: ParameterValue]

    public init(_ values: [String: ParameterValue]) { self.values = values }

    /// Defaults of every parameter, overridden by `overrides`.
    public init(specs: [ParameterSpec], overrides: [String: ParameterValue] = [:]) {
        var v = [String: ParameterValue]()
        for s in specs { v[s.name] = overrides[s.name] ?? s.defaultValue }
        values = v
    }

    public func int(_ name: String) -> Int {
        guard case let .int(x)? = values[name] else { fatalError("parameter \(name) is not a validated integer") }
        return x
    }
    public func real(_ name: String) -> Double {
        switch values[name] {
        case let .real(x)?: return x
        case let .int(x)?: return Double(x)
        default: fatalError("parameter \(name) is not a validated number")
        }
    }
    public func text(_ name: String) -> String {
        guard case let .text(x)? = values[name] else { fatalError("parameter \(name) is not a validated choice") }
        return x
    }
    /// A validated choice as the enum its declaration named.
    public func choice<E: RawRepresentable>(_ name: String) -> E where E.RawValue == String {
        guard let e = E(rawValue: text(name)) else { fatalError("parameter \(name) is not one of its declared cases") }
        return e
    }
    public func bool(_ name: String) -> Bool {
        guard case let .bool(x)? = values[name] else { fatalError("parameter \(name) is not a validated boolean") }
        return x
    }

    /// Stable "a=1, b=x" rendering in key order, for labels and hashes.
    public var canonical: String { values.keys.sorted().map { "\($0)=\(values[$0]!)" }.joined(separator: ", ") }
}

/// A typed algorithm configuration built from validated parameters.
public protocol AlgorithmConfig: Sendable {
    static var parameters: [ParameterSpec] { get }
    /// Rules that involve several parameters (one parameter's range is in its `ParameterSpec`).
    static var constraints: [ParameterConstraint] { get }
    /// The integer parameter that measures training effort (epochs, sweeps), for searches that
    /// spend budgets (successive halving); nil for closed-form models, which are budgeted by
    /// training sample size instead.
    static var budgetParameter: String? { get }
    init(_ values: ParameterValues)
    /// Peak bytes a fit with these parameters adds to data of this shape: its big arrays (factor
    /// matrices, Gram matrices and inverses, neighbour lists, embedding tables with their optimiser
    /// moments, copies of the training matrix, per-thread buffers). The runner refuses a trial whose
    /// estimate does not fit the machine, and `recbench plan` prints it.
    func estimatedPeakBytes(_ shape: DataShape) -> Int
}

extension AlgorithmConfig {
    public static var constraints: [ParameterConstraint] { [] }
    public static var budgetParameter: String? { nil }

    /// The defaults with some values overridden, for code and tests.
    public init(_ overrides: [String: ParameterValue] = [:]) {
        self.init(ParameterValues(specs: Self.parameters, overrides: overrides))
    }
}
