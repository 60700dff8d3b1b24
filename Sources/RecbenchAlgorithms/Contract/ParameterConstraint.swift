/// A rule over several parameters of one configuration, declared by an algorithm's config next to
/// its `[ParameterSpec]`. The experiment loader checks every grid point against every rule, so a
/// combination the model cannot run (a transformer whose heads do not divide its width) or that
/// would never finish (an epoch of 10¹⁵ SGD steps) is refused at `validate`, not mid-suite.
public struct ParameterConstraint: Sendable {
    /// The parameters the rule reads; an error message is filed under the first one given in the file.
    public let parameters: [String]
    /// What is wrong with the values, in one line, or nil when they satisfy the rule.
    public let violation: @Sendable (ParameterValues) -> String?

    public init(parameters: [String], violation: @escaping @Sendable (ParameterValues) -> String?) {
        self.parameters = parameters; self.violation = violation
    }

    /// `a` must be a multiple of `b` (both integers).
    public static func multiple(_ a: String, of b: String) -> ParameterConstraint {
        ParameterConstraint(parameters: [a, b]) { v in
            let x = v.int(a), y = v.int(b)
            return y > 0 && x % y == 0 ? nil : "\(a) \(x) is not a multiple of \(b) \(y)"
        }
    }

    /// The product of the integer parameters `factors` (a name may repeat, for a square) must not
    /// exceed `limit`; `what` says what the product measures. Computed without overflow.
    public static func product(_ factors: [String], atMost limit: Int, _ what: String) -> ParameterConstraint {
        var names: [String] = []
        for f in factors where !names.contains(f) { names.append(f) }
        return ParameterConstraint(parameters: names) { v in
            var product = 1, overflow = false
            for name in factors {
                let (p, o) = product.multipliedReportingOverflow(by: max(0, v.int(name)))
                product = p; overflow = overflow || o
            }
            guard overflow || product > limit else { return nil }
            let shown = factors.map { "\($0) \(v.int($0))" }.joined(separator: " × ")
            let value = overflow ? "more than \(Int.max)" : String(product)
            return "\(shown) = \(value) \(what), above the limit of \(limit)"
        }
    }
}
