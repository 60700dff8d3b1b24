import RecbenchAlgorithms
import RecbenchEval

/// The schema of the model-selection keys (`select`, `validation`, `search`), from the same
/// declarations the validator reads (strategies, validation methods, each algorithm's parameters).
extension ExperimentSchema {
    static func select() -> J {
        let names = MetricCatalog.entries.map { $0.name + ($0.needsCutoff ? "@K" : "") }
        return str(
            "Metric that searches select on and iterative models stop early on (default ndcg@10; rmse for the rating task). "
                + "One of: \(names.joined(separator: ", ")).", [("pattern", .string(metricPattern(list: false)))])
    }

    /// A parameter's search domain: choices from its own domain, or a range within it.
    static func domain(_ p: ParameterSpec) -> J {
        var scalar: [(String, J)]
        switch p.kind {
        case let .integer(lo, hi):
            scalar =
                [("type", .string("integer")), ("minimum", .int(lo))] + (hi == Int.max ? [] : [("maximum", .int(hi))])
        case let .real(lo, hi, ex):
            scalar =
                [("type", .string("number")), (ex ? "exclusiveMinimum" : "minimum", .number(lo))]
                + (hi.isFinite ? [("maximum", .number(hi))] : [])
        case let .choice(c): scalar = [("enum", .array(c.map { .string($0) }))]
        case .boolean: scalar = [("type", .string("boolean"))]
        }
        let list = J.object([("type", .string("array")), ("items", .object(scalar)), ("minItems", .int(1))])
        var forms: [J] = [list, obj([("choices", list)], required: ["choices"])]
        switch p.kind {
        case .integer, .real:
            let pair = J.object([
                ("type", .string("array")), ("items", .object(scalar)), ("minItems", .int(2)), ("maxItems", .int(2))
            ])
            forms += [
                obj([("uniform", pair)], required: ["uniform"]), obj([("log_uniform", pair)], required: ["log_uniform"])
            ]
        default: break
        }
        return .object([("description", .string(p.help)), ("anyOf", .array(forms))])
    }

    static func search(_ d: AlgorithmDescriptor) -> J {
        let budget = d.budgetParameter.map { "\($0) of \(d.name)" } ?? "training-sample fraction in (0, 1]"
        return obj(
            [
                (
                    "strategy",
                    enumeration(
                        SearchSpec.Strategy.allCases.map(\.rawValue),
                        "grid: every point (for a model with epochs, one point: its epochs chosen by early stopping, then refitted); random: seeded draws; successive_halving: many cheap candidates, the best go on with more budget."
                    )
                ),
                ("space", obj(d.parameters.map { ($0.name, domain($0)) })),
                ("trials", int("random: points drawn; successive_halving: candidates of the first rung.", min: 1)),
                (
                    "max_seconds",
                    .object([
                        ("type", .string("number")), ("exclusiveMinimum", .int(0)),
                        (
                            "description",
                            .string("Wall-time budget of one fold's search (makes results depend on machine speed).")
                        )
                    ])
                ),
                ("seed", int("Seed of the proposals (default: derived from the experiment seed and label).", min: 0)),
                ("refit", bool("Refit the choice on training + validation before testing (default true).")),
                ("eta", int("successive_halving: keep 1/eta per rung, budget × eta (default 3).", min: 2)),
                (
                    "min_budget",
                    .object([
                        ("type", .string("number")), ("exclusiveMinimum", .int(0)),
                        (
                            "description",
                            .string(
                                "successive_halving: the smallest budget of any rung (\(budget)); smaller rungs are raised to it."
                            )
                        )
                    ])
                ),
                (
                    "max_budget",
                    .object([
                        ("type", .string("number")), ("exclusiveMinimum", .int(0)),
                        (
                            "description",
                            .string("successive_halving: last rung's budget (\(budget)); default the full budget.")
                        )
                    ])
                )
            ], required: ["strategy"])
    }
}
