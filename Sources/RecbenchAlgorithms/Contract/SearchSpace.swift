import Foundation
import RecbenchCore

/// Where a hyper-parameter search may look for one parameter's value. Checked against the
/// parameter's own `ParameterSpec` (the declaration that also validates fixed values and grids),
/// so a space can never propose a value the algorithm would refuse.
public enum SearchDomain: Sendable, Equatable, CustomStringConvertible {
    /// A finite set, drawn uniformly (a grid axis).
    case choices([ParameterValue])
    /// A closed interval, drawn uniformly; integers for integer parameters.
    case uniform(Double, Double)
    /// A closed interval of positive numbers, drawn uniformly in log space (scale parameters).
    case logUniform(Double, Double)

    public var description: String {
        switch self {
        case let .choices(v): return "choices [" + v.map(\.description).joined(separator: ", ") + "]"
        case let .uniform(a, b): return "uniform [\(formatReal(a)), \(formatReal(b))]"
        case let .logUniform(a, b): return "log_uniform [\(formatReal(a)), \(formatReal(b))]"
        }
    }

    /// The values of a finite domain, in order; nil for a range.
    public var choices: [ParameterValue]? { if case let .choices(v) = self { return v } else { return nil } }

    /// Whether a plot of values drawn from it reads better on a log axis.
    public var isLogarithmic: Bool { if case .logUniform = self { return true } else { return false } }
}

extension ParameterSpec {
    /// What is wrong with `domain` for this parameter, or nil when every value it can propose is
    /// acceptable. The message completes "<path>: ".
    public func problem(with domain: SearchDomain) -> String? {
        switch domain {
        case let .choices(values):
            if values.isEmpty { return "an empty list of choices gives no candidates" }
            for v in values where check(v) == nil {
                return "choice \(v) is outside the domain of \(name): expected \(expectation)"
            }
            if Set(values).count != values.count { return "a choice appears twice" }
            return nil
        case let .uniform(a, b), let .logUniform(a, b):
            let log = domain.isLogarithmic
            guard a.isFinite, b.isFinite else { return "the range's ends must be finite numbers" }
            guard a < b else {
                return
                    "the range [\(formatReal(a)), \(formatReal(b))] is empty (the first end must be below the second)"
            }
            if log && a <= 0 { return "a log range must lie above 0, got [\(formatReal(a)), \(formatReal(b))]" }
            switch kind {
            case let .integer(lo, hi):
                guard a == a.rounded(), b == b.rounded() else {
                    return "\(name) is an integer parameter; give whole-number ends"
                }
                if a < Double(lo) || b > Double(hi) {
                    return "the range [\(formatReal(a)), \(formatReal(b))] leaves the domain of \(name): \(expectation)"
                }
            case let .real(lo, hi, exclusive):
                if (exclusive ? a <= lo : a < lo) || b > hi {
                    return "the range [\(formatReal(a)), \(formatReal(b))] leaves the domain of \(name): \(expectation)"
                }
            case .choice, .boolean:
                return "\(name) takes \(expectation); give {\"choices\": [...]} rather than a range"
            }
            return nil
        }
    }

    /// A value drawn from `domain` (which `problem(with:)` accepted): a choice uniformly, a range
    /// uniformly in x or in log x, rounded to the nearest integer for integer parameters and to
    /// four significant digits for reals (readable labels; finer steps do not matter to a search).
    public func sample(_ domain: SearchDomain, _ rng: inout RandomSource) -> ParameterValue {
        switch domain {
        case let .choices(values): return values[rng.nextInt(below: values.count)]
        case let .uniform(a, b), let .logUniform(a, b):
            let u = rng.nextDouble()
            let x = domain.isLogarithmic ? exp(log(a) + u * (log(b) - log(a))) : a + u * (b - a)
            if case .integer = kind { return .int(Int(min(b, max(a, x.rounded())))) }
            let short = Double(String(format: "%.4g", x)) ?? x
            return .real(min(b, max(a, short)))
        }
    }
}
