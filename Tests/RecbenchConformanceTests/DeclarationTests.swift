import Testing
import RecbenchAlgorithms
import RecbenchConfig

/// A config reads each parameter by the name its declaration gives. A misspelled name traps at
/// once (`ParameterValues` refuses an undeclared name); these tests catch the other way the two
/// can drift — a declared parameter that no field takes, so setting it in a file does nothing.
@Suite struct DeclarationTests {
    static let names = AlgorithmRegistry.all.map(\.name)

    /// Valid values other than the default, nearest first (a far one may break a cross-parameter rule).
    static func alternatives(_ p: ParameterSpec) -> [ParameterValue] {
        switch (p.kind, p.defaultValue) {
        case let (.integer(lo, hi), .int(d)):
            return [d + 1, d - 1, d * 2, lo, hi].filter { $0 != d && (lo...hi).contains($0) }.map { .int($0) }
        case let (.real(lo, hi, ex), .real(d)):
            let c = [d * 1.5, d / 2, d + 0.1, d - 0.1, (d + min(hi, d + 1)) / 2]
            return c.filter { $0 != d && $0.isFinite && (ex ? $0 > lo : $0 >= lo) && $0 <= hi }.map { .real($0) }
        case let (.choice(c), .text(d)): return c.filter { $0 != d }.map { .text($0) }
        case let (.boolean, .bool(b)): return [.bool(!b)]
        default: return []
        }
    }

    /// The model's config as text: every stored field, so two configs that differ in any field differ here.
    static func configText(_ d: AlgorithmDescriptor, _ values: ParameterValues) -> String? {
        let model = d.make(values)
        return Mirror(reflecting: model).children.first { $0.label == "config" }.map { String(describing: $0.value) }
    }

    @Test(arguments: names) func everyDeclaredParameterReachesTheConfig(_ name: String) throws {
        let d = try #require(AlgorithmRegistry.descriptor(named: name))
        guard !d.parameters.isEmpty else { return }  // nothing declared, nothing to reach (Random, MostPopular)
        func valid(_ v: ParameterValues) -> Bool { d.constraints.allSatisfy { $0.violation(v) == nil } }
        for p in d.parameters {
            // A change of p alone, else p's change on top of another parameter's (bce needs negatives ≥ 1):
            // either way p's value is the only difference between the two configs compared.
            let settings: [[String: ParameterValue]] =
                [[:]]
                + d.parameters.filter { $0.name != p.name }
                .flatMap { q in Self.alternatives(q).map { [q.name: $0] } }
            let pair = settings.lazy.flatMap { other in
                Self.alternatives(p).lazy.map {
                    (
                        ParameterValues(specs: d.parameters, overrides: other),
                        ParameterValues(specs: d.parameters, overrides: other.merging([p.name: $0]) { $1 })
                    )
                }
            }.first { valid($0.0) && valid($0.1) }
            let (without, with) = try #require(pair, "\(name).\(p.name): no valid non-default value to try")
            let before = try #require(Self.configText(d, without), "\(name) keeps no `config`")
            #expect(
                Self.configText(d, with) != before, "\(name).\(p.name) is declared but changes no field of the config")
        }
    }
}
