import RecbenchAlgorithms
import RecbenchEval

/// The JSON Schema (draft 2020-12) of experiment files, generated from the same declarations the
/// validator uses (algorithm parameters, metric catalogue, split methods), so the two cannot drift.
/// `recbench schema` prints it; experiments/schema.json is its committed copy (a test keeps them equal).
public enum ExperimentSchema {
    public typealias J = JSONNode

    static func obj(_ props: [(String, J)], required: [String] = [], extra: [(String, J)] = []) -> J {
        .object(
            [("type", .string("object")), ("properties", .object(props)), ("additionalProperties", .bool(false))]
                + (required.isEmpty ? [] : [("required", .array(required.map { .string($0) }))]) + extra)
    }
    static func str(_ d: String, _ extra: [(String, J)] = []) -> J {
        .object([("type", .string("string")), ("description", .string(d))] + extra)
    }
    static func int(_ d: String, min: Int? = nil) -> J {
        .object(
            [("type", .string("integer")), ("description", .string(d))] + (min.map { [("minimum", .int($0))] } ?? []))
    }
    static func bool(_ d: String) -> J { .object([("type", .string("boolean")), ("description", .string(d))]) }
    static func fraction(_ d: String) -> J {
        .object([
            ("type", .string("number")), ("exclusiveMinimum", .int(0)), ("exclusiveMaximum", .int(1)),
            ("description", .string(d))
        ])
    }
    static func enumeration(_ values: [String], _ d: String) -> J {
        .object([("enum", .array(values.map { .string($0) })), ("description", .string(d))])
    }

    static func parameter(_ p: ParameterSpec) -> J {
        var one: [(String, J)]
        switch p.kind {
        case let .integer(lo, hi):
            one = [("type", .string("integer")), ("minimum", .int(lo))] + (hi == Int.max ? [] : [("maximum", .int(hi))])
        case let .real(lo, hi, ex):
            one =
                [("type", .string("number")), (ex ? "exclusiveMinimum" : "minimum", .number(lo))]
                + (hi.isFinite ? [("maximum", .number(hi))] : [])
        case let .choice(c): one = [("enum", .array(c.map { .string($0) }))]
        case .boolean: one = [("type", .string("boolean"))]
        }
        let scalar = J.object(one)
        return .object([
            ("description", .string("\(p.help) Default: \(p.defaultValue). A list is a grid.")),
            ("default", defaultNode(p.defaultValue)),
            ("anyOf", .array([scalar, .object([("type", .string("array")), ("items", scalar), ("minItems", .int(1))])]))
        ])
    }

    static func defaultNode(_ v: ParameterValue) -> J {
        switch v {
        case let .int(i): return .int(i);
        case let .real(d): return .number(d);
        case let .text(s): return .string(s);
        case let .bool(b): return .bool(b)
        }
    }

    static func algorithm(_ d: AlgorithmDescriptor) -> J {
        .object([
            ("if", .object([("properties", .object([("name", .object([("const", .string(d.name))]))]))])),
            (
                "then",
                .object([
                    (
                        "properties",
                        .object([
                            ("params", obj(d.parameters.map { ($0.name, parameter($0)) })),
                            ("search", search(d))
                        ])
                    )
                ])
            )
        ])
    }

    /// One declared key: its type and bounds, help and default.
    static func field(_ f: Field) -> J {
        var d = f.help
        switch f.defaultValue {
        case .required, .none: break;
        default: d += " Default: \(f.defaultText)."
        }
        var p: [(String, J)]
        switch f.kind {
        case let .integer(lo, hi):
            p = [("type", .string("integer")), ("minimum", .int(lo))] + (hi == Int.max ? [] : [("maximum", .int(hi))])
        case let .number(lo, hi, exclusive):
            p = [("type", .string("number"))]
            if lo.isFinite { p.append((exclusive ? "exclusiveMinimum" : "minimum", .number(lo))) }
            if hi.isFinite { p.append((exclusive ? "exclusiveMaximum" : "maximum", .number(hi))) }
        case .boolean: p = [("type", .string("boolean"))]
        case .text, .path: p = [("type", .string("string"))]
        case .identifier: p = [("type", .string("string")), ("pattern", .string("^[A-Za-z0-9._-]+$"))]
        case let .choice(c): p = [("enum", .array(c.map { .string($0) }))]
        case .column: p = [("type", .array([.string("string"), .string("integer"), .string("null")]))]
        case .nested: preconditionFailure("\(f.name): a nested key's schema is given by its block")
        }
        return .object(p + [("description", .string(d))])
    }

    /// An object of declared keys; `nested` gives the schema of each `.nested` key.
    static func block(_ fields: [Field], nested: [String: J] = [:], leading: [(String, J)] = []) -> J {
        obj(
            leading
                + fields.map { f in
                    if case .nested = f.kind {
                        guard let n = nested[f.name], case let .object(m) = n.value else {
                            preconditionFailure("no schema for nested key \(f.name)")
                        }
                        if m.contains(where: { $0.key == "description" }) { return (f.name, n) }
                        return (f.name, .object([("description", .string(f.help))] + m.map { ($0.key, $0.value) }))
                    }
                    return (f.name, field(f))
                }, required: fields.filter(\.isRequired).map(\.name))
    }

    /// A block whose keys depend on its "method".
    static func methods(_ list: [Method], common: [Field] = [], _ help: String) -> J {
        let names = list.map(\.name)
        return .object([
            ("type", .string("object")), ("required", .array([.string("method")])), ("description", .string(help)),
            (
                "properties",
                .object([("method", enumeration(names, list.map { "\($0.name): \($0.help)" }.joined(separator: " ")))])
            ),
            (
                "allOf",
                .array(
                    list.map { m in
                        .object([
                            (
                                "if",
                                .object([("properties", .object([("method", .object([("const", .string(m.name))]))]))])
                            ),
                            ("then", block(m.fields + common, leading: [("method", J.object([(String, J)]()))]))
                        ])
                    })
            )
        ])
    }

    static func split() -> J { methods(Vocabulary.splits, "How interactions are split into train and test.") }

    static func validation() -> J {
        methods(
            Vocabulary.validations, common: Vocabulary.validationCommon,
            "Where searches get validation data: carved from each outer fold's training part, never from its test part."
        )
    }

    /// Metric names as the catalogue knows them, with one cutoff or a list of them.
    static func metricPattern(list: Bool) -> String {
        let names = MetricCatalog.entries.map(\.name).joined(separator: "|")
        return "^(\(names))(@([0-9]+" + (list ? "|\\[[0-9]+(, *[0-9]+)*\\]" : "") + "))?$"
    }

    public static func document() -> J {
        let metricNames = MetricCatalog.entries.map { $0.name + ($0.needsCutoff ? "@K" : "") }
        let dataset = block(
            Vocabulary.dataset,
            nested: [
                "split": block(Vocabulary.foldFiles), "format": block(Vocabulary.format),
                "synthetic": block(Vocabulary.synthetic),
                "filters": block(Vocabulary.filters), "validation": validation()
            ])
        let algorithm = J.object([
            ("type", .string("object")), ("required", .array([.string("name")])),
            (
                "properties",
                .object([
                    ("name", enumeration(AlgorithmRegistry.all.map(\.name), "Algorithm (see `recbench algorithms`).")),
                    ("label", str("Name in tables (default: the algorithm's).")),
                    ("params", .object([("type", .string("object"))])),
                    ("search", .object([("type", .string("object"))]))
                ])
            ),
            ("additionalProperties", .bool(false)),
            ("allOf", .array(AlgorithmRegistry.all.map(algorithm)))
        ])
        let top = block(
            Vocabulary.experiment,
            nested: [
                "datasets": .object([("type", .string("array")), ("minItems", .int(1)), ("items", dataset)]),
                "split": split(),
                "algorithms": .object([("type", .string("array")), ("minItems", .int(1)), ("items", algorithm)]),
                "metrics": .object([
                    ("type", .string("array")), ("minItems", .int(1)),
                    (
                        "items",
                        str(
                            "One of: \(metricNames.joined(separator: ", ")); K may be a list, e.g. \"recall@[5,10,20]\".",
                            [("pattern", .string(metricPattern(list: true)))])
                    )
                ]),
                "select": select(), "validation": validation(),
                "candidates": block(Vocabulary.candidates), "relevance": block(Vocabulary.relevance),
                "outputs": block(
                    Vocabulary.outputs,
                    nested: [
                        "latex": .object([
                            (
                                "anyOf",
                                .array([
                                    .object([("type", .string("boolean"))]),
                                    block(
                                        Vocabulary.latex,
                                        nested: [
                                            "metrics": .object([
                                                ("type", .string("array")), ("minItems", .int(1)),
                                                ("items", .object([("type", .string("string"))]))
                                            ])
                                        ])
                                ])
                            )
                        ]),
                        "attention": .object([
                            ("type", .string("array")),
                            ("items", .object([("type", .array([.string("string"), .string("integer")]))]))
                        ])
                    ])
            ])
        guard case let .object(members) = top.value else { preconditionFailure("a block is an object") }
        return .object(
            [
                ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
                ("$id", .string("https://recbench.dev/schema/experiment.json")),
                ("title", .string("Recbench experiment"))
            ] + members.map { ($0.key, $0.value) })
    }
}
