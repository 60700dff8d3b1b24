/// Bounds that protect memory and time, checked when an experiment file is validated so that a
/// value which would exhaust the machine, or make a run practically endless, is refused with the
/// limit in the message before anything runs. Limits of a single parameter live in its
/// `ParameterSpec`, limits over several parameters in the algorithm's `ParameterConstraint`s,
/// cutoffs in `MetricCatalog.maxCutoff`; these are the experiment-wide ones.
public enum Limits {
    /// Grid points over all algorithm entries (the plan keeps every configuration in memory).
    public static let configurations = 10_000
    /// Trials = data sets × folds × configurations.
    public static let trials = 100_000
    /// Synthetic users or items (indices are 32-bit).
    public static let syntheticEntities = 100_000_000
    /// Synthetic interactions (positions are 32-bit in the neighbour models).
    public static let syntheticInteractions = 1_000_000_000
    /// Floats of the synthetic generating model, (users + items) × factors: 2³⁰ is 4 GiB.
    public static let syntheticModelFloats = 1 << 30

    /// The product, or nil when it overflows `Int`.
    public static func product(_ factors: [Int]) -> Int? {
        var p = 1
        for f in factors {
            let (next, overflow) = p.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            p = next
        }
        return p
    }

    /// "123" or "more than 9223372036854775807" for a product that overflowed.
    static func shown(_ product: Int?) -> String { product.map(String.init) ?? "more than \(Int.max)" }
}
