import RecbenchAlgorithms
import RecbenchEval

/// The JSON Schema (draft 2020-12) of experiment files, generated from the same declarations the
/// validator uses (algorithm parameters, metric catalogue, split methods), so the two cannot drift.
/// `recbench schema` prints it; experiments/schema.json is its committed copy (a test keeps them equal).
public enum ExperimentSchema {
    public typealias J = JSONNode

    static func obj(_ props: [(String, J)], required: [String] = [], extra: [(String, J)] = []) -> J {
        .object([("type", .string("object")), ("properties", .object(props)), ("additionalProperties", .bool(false))]
                 + (required.isEmpty ? [] : [("required", .array(required.map { .string($0) }))]) + extra)
    }
    static func str(_ d: String, _ extra: [(String, J)] = []) -> J { .object([("type", .string("string")), ("description", .string(d))] + extra) }
    static func int(_ d: String, min: Int? = nil) -> J { .object([("type", .string("integer")), ("description", .string(d))] + (min.map { [("minimum", .int($0))] } ?? [])) }
    static func bool(_ d: String) -> J { .object([("type", .string("boolean")), ("description", .string(d))]) }
    static func fraction(_ d: String) -> J { .object([("type", .string("number")), ("exclusiveMinimum", .int(0)), ("exclusiveMaximum", .int(1)), ("description", .string(d))]) }
    static func enumeration(_ values: [String], _ d: String) -> J { .object([("enum", .array(values.map { .string($0) })), ("description", .string(d))]) }

    static func parameter(_ p: ParameterSpec) -> J {
        var one: [(String, J)]
        switch p.kind {
        case let .integer(lo, hi):
            one = [("type", .string("integer")), ("minimum", .int(lo))] + (hi == Int.max ? [] : [("maximum", .int(hi))])
        case let .real(lo, hi, ex):
            one = [("type", .string("number")), (ex ? "exclusiveMinimum" : "minimum", .number(lo))] + (hi.isFinite ? [("maximum", .number(hi))] : [])
        case let .choice(c): one = [("enum", .array(c.map { .string($0) }))]
        case .boolean: one = [("type", .string("boolean"))]
        }
        let scalar = J.object(one)
        return .object([("description", .string("\(p.help) Default: \(p.defaultValue). A list is a grid.")),
                        ("default", defaultNode(p.defaultValue)),
                        ("anyOf", .array([scalar, .object([("type", .string("array")), ("items", scalar), ("minItems", .int(1))])]))])
    }

    static func defaultNode(_ v: ParameterValue) -> J {
        switch v { case let .int(i): return .int(i); case let .real(d): return .number(d); case let .text(s): return .string(s); case let .bool(b): return .bool(b) }
    }

    static func algorithm(_ d: AlgorithmDescriptor) -> J {
        .object([("if", .object([("properties", .object([("name", .object([("const", .string(d.name))]))]))])),
                 ("then", .object([("properties", .object([("params", obj(d.parameters.map { ($0.name, parameter($0)) })),
                                                           ("search", search(d))]))]))])
    }

    static func split() -> J {
        let methods: [(String, [(String, J)])] = [
            ("kfold", [("k", int("Number of folds over interactions.", min: 2))]),
            ("user_kfold", [("k", int("Number of folds; each user's interactions are split into k parts.", min: 2))]),
            ("user_crossfold", [("k", int("Number of user groups.", min: 2)), ("test_fraction", fraction("Share of a test user's interactions held out."))]),
            ("cold_users", [("k", int("Number of user groups.", min: 2)), ("max_train", int("A test user keeps 1…max_train interactions for training (default 5).", min: 1))]),
            ("holdout", [("test_fraction", fraction("Share held out for testing.")), ("per_user", bool("Hold out per user (default) or globally.")),
                         ("validation_fraction", fraction("Share of the training part kept for validation."))]),
            ("temporal", [("cutoff", int("Unix time; later interactions are test.", min: 0)), ("test_fraction", fraction("Latest share held out.")),
                          ("per_user", bool("Each user's latest share (default: global)."))]),
            ("leave_last_out", [("validation", bool("Also hold out the second-to-last item for validation (default true)."))]),
            ("predefined", [("base", str("Training file name in the data set's folder; {fold} is replaced by 1…folds. Without base, test and validation: the data set's own declared split (registry), else u{fold}.base / u{fold}.test × 5.")),
                            ("test", str("Test file name; {fold} is replaced by 1…folds.")),
                            ("validation", str("Validation file name (early stopping and model selection); {fold} is replaced by 1…folds.")),
                            ("folds", int("Number of file pairs.", min: 1))]),
        ]
        return .object([("type", .string("object")), ("required", .array([.string("method")])),
                        ("properties", .object([("method", enumeration(methods.map(\.0), "How interactions are split into train and test."))])),
                        ("allOf", .array(methods.map { m in
                            .object([("if", .object([("properties", .object([("method", .object([("const", .string(m.0))]))]))])),
                                     ("then", obj([("method", J.object([(String, J)]()))] + m.1))])
                        }))])
    }

    public static func document() -> J {
        let metricNames = MetricCatalog.entries.map { $0.name + ($0.needsCutoff ? "@K" : "") }
        let dataset = obj([
            ("name", str("Registry name (see `recbench datasets list`), or a label for a file or synthetic data set.")),
            ("path", str("Explicit folder of a registered data set.")),
            ("file", str("A delimited file of interactions (relative to the experiment file).")),
            ("split", obj([("base", str("Training file of each fold (relative to the experiment file); {fold} is replaced by 1…folds.")),
                           ("test", str("Test file of each fold.")), ("validation", str("Optional validation file of each fold.")),
                           ("folds", int("Number of folds.", min: 1))], required: ["base", "test"])),
            ("format", obj([("separator", str("Field separator, e.g. \"\\t\", \",\", \"::\".")), ("header", bool("The first line names the columns.")),
                            ("user", .object([("type", .array([.string("string"), .string("integer")]))])),
                            ("item", .object([("type", .array([.string("string"), .string("integer")]))])),
                            ("rating", .object([("type", .array([.string("string"), .string("integer"), .string("null")]))])),
                            ("timestamp", .object([("type", .array([.string("string"), .string("integer"), .string("null")]))]))])),
            ("synthetic", obj([("users", int("Users.", min: 1)), ("items", int("Items.", min: 1)), ("interactions", int("Interactions.", min: 1)),
                               ("factors", int("Latent dimension of the generating model.", min: 1)),
                               ("popularity_skew", .object([("type", .string("number")), ("minimum", .int(0))])),
                               ("rating_noise", .object([("type", .string("number")), ("minimum", .int(0))])),
                               ("seed", int("Generator seed.", min: 0)), ("features", bool("Generate user and item features.")),
                               ("taste_groups", int("Planted preferences: users and items fall into this many taste groups.",
                                                    min: 0)),
                               ("in_group_share", .object([
                                   ("type", .string("number")), ("minimum", .int(0)), ("maximum", .int(1)),
                                   ("description", .string("Share of a user's draws from the own group's items (0.8).")),
                               ]))])),
            ("filters", obj([("duplicates", enumeration(["first", "last", "mean"], "Which of repeated (user, item) ratings to keep.")),
                             ("min_user_interactions", int("Iterative k-core: users.", min: 0)),
                             ("min_item_interactions", int("Iterative k-core: items.", min: 0)),
                             ("min_rating", .object([("type", .string("number")), ("description", .string("Drop ratings below this."))])),
                             ("binarize", bool("Set kept ratings to 1 (needs min_rating)."))])),
            ("malformed", enumeration(["fail", "skip"], "Policy for malformed lines: stop with file:line, or skip and count.")),
            ("validation", validation()),
        ], required: ["name"])
        let algorithm = J.object([("type", .string("object")), ("required", .array([.string("name")])),
                                  ("properties", .object([("name", enumeration(AlgorithmRegistry.all.map(\.name), "Algorithm (see `recbench algorithms`).")),
                                                          ("label", str("Name in tables (default: the algorithm's).")),
                                                          ("params", .object([("type", .string("object"))])),
                                                          ("search", .object([("type", .string("object"))]))])),
                                  ("additionalProperties", .bool(false)),
                                  ("allOf", .array(AlgorithmRegistry.all.map(algorithm)))])
        return .object([
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("$id", .string("https://recbench.dev/schema/experiment.json")),
            ("title", .string("Recbench experiment")),
            ("type", .string("object")),
            ("required", .array(["name", "task", "datasets", "split", "algorithms", "metrics"].map { .string($0) })),
            ("additionalProperties", .bool(false)),
            ("properties", .object([
                ("$schema", str("Path or URL of this schema, for editors.")),
                ("name", str("Experiment name; results go to results/<name>/.", [("pattern", .string("^[A-Za-z0-9._-]+$"))])),
                ("description", str("Free text, copied into summary.md.")),
                ("seed", int("Seed of every random choice (split, sampling, initialisation).", min: 0)),
                ("threads", int("Threads (default: all cores).", min: 1)),
                ("jobs", int("Trials run at the same time (default 1).", min: 1)),
                ("task", enumeration(["rating", "ranking", "sequential"], "rating: predict held-out ratings; ranking: top-N; sequential: next item after a time-ordered history.")),
                ("datasets", .object([("type", .string("array")), ("minItems", .int(1)), ("items", dataset)])),
                ("split", split()),
                ("algorithms", .object([("type", .string("array")), ("minItems", .int(1)), ("items", algorithm)])),
                ("metrics", .object([("type", .string("array")), ("minItems", .int(1)),
                                     ("items", str("One of: \(metricNames.joined(separator: ", ")); K may be a list, e.g. \"recall@[5,10,20]\".",
                                                   [("pattern", .string("^[A-Za-z_]+(@([0-9]+|\\[[0-9]+(, *[0-9]+)*\\]))?$"))]))])),
                ("select", select()),
                ("validation", validation()),
                ("candidates", obj([("protocol", enumeration(["full", "sampled"], "full: every item unseen in training; sampled: test items plus N sampled negatives (inflates scores).")),
                                    ("negatives", int("Sampled negatives per user.", min: 1))])),
                ("relevance", obj([("min_rating", .object([
                    ("type", .string("number")),
                    ("description", .string("Ranking metrics count only test (and validation) items rated at least this "
                                            + "as relevant; training keeps every interaction.")),
                ]))], required: ["min_rating"])),
                ("outputs", obj([("directory", str("Root folder of results (default results).")), ("per_user", bool("Write per_user.csv (default true).")),
                                 ("latex", bool("Write summary.tex (default true).")),
                                 ("recommendations", .object([
                                     ("type", .string("integer")), ("minimum", .int(1)),
                                     ("maximum", .int(MetricCatalog.maxCutoff)),
                                     ("description", .string("Write each trial's top-K lists (user, rank, item, score; "
                                                             + "rating task: also its test predictions) as gzip CSV "
                                                             + "into exports/.")),
                                 ])),
                                 ("save_models", bool("Write each trial's fitted arrays (factors, item-item weights) "
                                                      + "as NumPy .npy files into exports/ (default false)."))])),
            ])),
        ])
    }
}
