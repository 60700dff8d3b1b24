import RecbenchAlgorithms
import RecbenchEval
import RecbenchData

/// Every key of the experiment file that is not an algorithm parameter, declared once. The
/// validator's allowed keys, bounds and defaults, the JSON Schema (`ExperimentSchema`) and the
/// reference in docs/EXPERIMENT-FILE.md (`Vocabulary.markdown()`) all come from here.
public enum Vocabulary {
    public static let experiment: [Field] = [
        Field("$schema", .text, "Path or URL of this schema, for editors."),
        Field("name", .identifier, "Experiment name; results go to results/<name>/.", default: .required),
        Field("description", .text, "Free text, copied into summary.md.", default: .text("")),
        Field(
            "seed", .integer(min: 0, max: Int.max), "Seed of every random choice (split, sampling, initialisation).",
            default: .int(42)),
        Field("threads", .integer(min: 1, max: 1024), "Threads of one trial.", default: .described("all cores")),
        Field("jobs", .integer(min: 1, max: 1024), "Trials run at the same time.", default: .int(1)),
        Field(
            "task", .choice(RecommendationTask.allCases.map(\.rawValue)),
            "rating: predict held-out ratings; ranking: top-N; sequential: next item after a time-ordered history.",
            default: .required),
        Field("datasets", .nested, "The data sets (a list; see \"Data sets\").", default: .required),
        Field(
            "split", .nested, "How each data set is split into training and test (see \"Splits\").", default: .required),
        Field(
            "algorithms", .nested, "The algorithms: name, optional label, params (a list is a grid), optional search.",
            default: .required),
        Field(
            "metrics", .nested, "Metric names (`recbench metrics`); K may be a list, e.g. \"recall@[5,10,20]\".",
            default: .required),
        Field(
            "select", .nested, "Metric that searches select on and iterative models stop early on.",
            default: .described("ndcg@10; rmse for the rating task")),
        Field("validation", .nested, "Where searches get validation data (see \"Validation\")."),
        Field(
            "candidates", .nested, "Which items are ranked (see \"Candidates\").", default: .described("full ranking")),
        Field(
            "relevance", .nested, "Which test items the ranking metrics count as relevant (see \"Relevance\").",
            default: .described("every test item")),
        Field("outputs", .nested, "What the run writes (see \"Outputs\").")
    ]

    public static let dataset: [Field] = [
        Field(
            "name", .text, "Registry name (`recbench datasets list`), or a label for a file or synthetic data set.",
            default: .required),
        Field("path", .path, "Explicit folder of a registered data set."),
        Field("file", .path, "A delimited file of interactions (relative to the experiment file)."),
        Field(
            "split", .nested,
            "The data set's own fold files (see \"Fold files\"); the split is then {\"method\": \"predefined\"}."),
        Field("format", .nested, "How \"file\" or the fold files are read (see \"Format\")."),
        Field("synthetic", .nested, "Generate the data instead (see \"Synthetic data\")."),
        Field("filters", .nested, "Applied after loading, before splitting (see \"Filters\")."),
        Field(
            "malformed", .choice(MalformedLinePolicy.allCases.map(\.rawValue)),
            "Malformed lines: stop with file:line, or skip and count them.", default: .text("fail")),
        Field("validation", .nested, "This data set's own validation source (see \"Validation\").")
    ]

    public static let foldFiles: [Field] = [
        Field(
            "base", .path,
            "Training file of each fold (relative to the experiment file); {fold} is replaced by 1…folds.",
            default: .required),
        Field("test", .path, "Test file of each fold.", default: .required),
        Field("validation", .path, "Optional validation file of each fold."),
        Field("folds", .integer(min: 1, max: 1000), "Number of folds.", default: .int(1))
    ]

    public static let format: [Field] = [
        Field("separator", .text, "Field separator, e.g. \"\\t\", \",\", \"::\".", default: .text("\t")),
        Field("header", .boolean, "The first line names the columns.", default: .bool(false)),
        Field("user", .column, "User column.", default: .int(0)),
        Field("item", .column, "Item column.", default: .int(1)),
        Field(
            "rating", .column, "Rating column (null: every interaction is 1).",
            default: .described("2 without a format block, else none")),
        Field(
            "timestamp", .column, "Timestamp column (null: none).",
            default: .described("3 without a format block, else none"))
    ]

    static let generated = SyntheticConfig(users: 1000, items: 500, interactions: 50_000)
    public static let synthetic: [Field] = [
        Field("users", .integer(min: 1, max: Limits.syntheticEntities), "Users.", default: .int(generated.users)),
        Field("items", .integer(min: 1, max: Limits.syntheticEntities), "Items.", default: .int(generated.items)),
        Field(
            "interactions", .integer(min: 1, max: Limits.syntheticInteractions),
            "Interactions (at most users × items).",
            default: .int(generated.interactions)),
        Field(
            "factors", .integer(min: 1, max: 1024), "Latent dimension of the generating model.",
            default: .int(generated.factors)),
        Field(
            "popularity_skew", .number(min: 0, max: 5, exclusive: false),
            "Zipf exponent of item popularity (user activity uses half of it).",
            default: .number(generated.popularitySkew)),
        Field(
            "rating_noise", .number(min: 0, max: 10, exclusive: false),
            "Standard deviation of the noise added before rounding ratings to 1–5.",
            default: .number(generated.ratingNoise)),
        Field("seed", .integer(min: 0, max: Int.max), "Generator seed.", default: .int(Int(generated.seed))),
        Field("features", .boolean, "Generate user and item features.", default: .bool(generated.withFeatures)),
        Field(
            "taste_groups", .integer(min: 0, max: Limits.syntheticEntities),
            "Planted preferences: users and items fall into this many taste groups (0: none).", default: .int(0)),
        Field(
            "in_group_share", .number(min: 0, max: 1, exclusive: false),
            "With taste_groups: share of a user's draws from the own group's items.", default: .number(0.8))
    ]

    public static let filters: [Field] = [
        Field(
            "duplicates", .choice(DuplicatePolicy.allCases.map(\.rawValue)),
            "Which of repeated (user, item) ratings to keep.",
            default: .text(DuplicatePolicy.last.rawValue)),
        Field("min_user_interactions", .integer(min: 0, max: Int.max), "Iterative k-core: users.", default: .int(0)),
        Field("min_item_interactions", .integer(min: 0, max: Int.max), "Iterative k-core: items.", default: .int(0)),
        Field("min_rating", .number(min: -.infinity, max: .infinity, exclusive: false), "Drop ratings below this."),
        Field("binarize", .boolean, "Set kept ratings to 1 (needs min_rating).", default: .bool(false))
    ]

    public static let candidates: [Field] = [
        Field(
            "protocol", .choice(["full", "sampled"]),
            "full: every item unseen in training; sampled: test items plus N sampled negatives (inflates scores).",
            default: .text("full")),
        // Each evaluated user keeps its test items and negatives in memory at once.
        Field(
            "negatives", .integer(min: 1, max: 100_000), "Sampled negatives per user (sampled protocol only).",
            default: .int(100))
    ]

    public static let outputs: [Field] = [
        Field("directory", .text, "Root folder of results.", default: .text("results")),
        Field("per_user", .boolean, "Write per_user.csv.", default: .bool(true)),
        Field(
            "latex", .nested, "Write summary.tex: true, false, or {\"sd\": true, \"metrics\": [...]} (see \"LaTeX\").",
            default: .described("true")),
        // Lists are held for every test user at once, like the metrics' (MetricCatalog.maxCutoff).
        Field(
            "recommendations", .integer(min: 1, max: MetricCatalog.maxCutoff),
            "Write each trial's top-K lists (user, rank, item, score; rating task: also its test predictions) "
                + "as gzip CSV into exports/."),
        Field(
            "save_models", .boolean,
            "Write each trial's fitted arrays (factors, item-item weights) as NumPy .npy "
                + "files into exports/.", default: .bool(false)),
        Field(
            "attention", .nested,
            "User IDs (strings or integers) whose attention weights the attention models (AutoInt, DIN) write "
                + "for each of the user's test items (user, item, source, weight) as gzip CSV into exports/.",
            default: .described("none"))
    ]

    /// `"outputs": {"latex": {…}}`: how summary.tex looks.
    public static let latex: [Field] = [
        Field("sd", .boolean, "Show each mean ± its standard deviation over folds.", default: .bool(false)),
        Field(
            "metrics", .nested, "The metric columns, in this order (a subset of the run's metrics).",
            default: .described("every metric"))
    ]

    public static let relevance: [Field] = [
        Field(
            "min_rating", .number(min: -.infinity, max: .infinity, exclusive: false),
            "Ranking metrics (and validation-based selection) count only held-out items rated at least this as "
                + "relevant; training keeps every interaction.", default: .required)
    ]

    static let folds = Field("k", .integer(min: 2, max: 1000), "Number of folds.", default: .int(5))
    static func testShare(_ d: Double, _ help: String) -> Field {
        Field("test_fraction", .number(min: 0, max: 1, exclusive: true), help, default: .number(d))
    }

    public static let splits: [Method] = [
        Method("kfold", "k folds over interactions.", [folds]),
        Method("user_kfold", "Each user's interactions split into k parts.", [folds]),
        Method(
            "user_crossfold", "Users in k groups; a test user's share is held out.",
            [
                Field("k", .integer(min: 2, max: 1000), "Number of user groups.", default: .int(5)),
                testShare(0.2, "Share of a test user's interactions held out.")
            ]),
        Method(
            "cold_users", "Users in k groups; a test user keeps only 1…max_train interactions for training.",
            [
                Field("k", .integer(min: 2, max: 1000), "Number of user groups.", default: .int(5)),
                Field(
                    "max_train", .integer(min: 1, max: 1_000_000), "Most training interactions a test user keeps.",
                    default: .int(5))
            ]),
        Method(
            "holdout", "One random holdout.",
            [
                testShare(0.2, "Share held out for testing."),
                Field("per_user", .boolean, "Hold out per user, or over all interactions.", default: .bool(true)),
                Field(
                    "validation_fraction", .number(min: 0, max: 1, exclusive: true),
                    "Share of the training part kept for validation (none when absent).")
            ]),
        Method(
            "temporal", "The latest interactions are test.",
            [
                Field(
                    "cutoff", .integer(min: 0, max: Int.max), "Unix time; later interactions are test.",
                    expect: "a Unix timestamp in seconds"),
                testShare(0.2, "Latest share held out (without cutoff)."),
                Field("per_user", .boolean, "Each user's latest share, or the latest over all.", default: .bool(false))
            ]),
        Method(
            "leave_last_out", "Each user's last item is test.",
            [
                Field(
                    "validation", .boolean, "Also hold out the second-to-last item for validation.",
                    default: .bool(true))
            ]),
        Method(
            "predefined", "Split files beside the data.",
            [
                Field(
                    "base", .text, "Training file name in the data set's folder; {fold} is replaced by 1…folds.",
                    default: .described("the data set's declared split, else u{fold}.base")),
                Field(
                    "test", .text, "Test file name; {fold} is replaced by 1…folds.",
                    default: .described("the data set's declared split, else u{fold}.test")),
                Field(
                    "validation", .text, "Validation file name (early stopping and model selection).",
                    default: .described("the data set's declared split, else none")),
                Field(
                    "folds", .integer(min: 1, max: 1000), "Number of file pairs.",
                    default: .described("the data set's declared split, else 5"))
            ])
    ]

    static let validationShare = Field(
        "fraction", .number(min: 0, max: 1, exclusive: true),
        "Share held out; per user it must be below 0.5.", default: .number(0.1))
    public static let validations: [Method] = [
        Method(
            "holdout", "A random share of each outer fold's training part.",
            [validationShare, Field("per_user", .boolean, "Per user, or over all interactions.", default: .bool(true))]),
        Method(
            "temporal", "The latest share of each outer fold's training part.",
            [
                validationShare,
                Field(
                    "per_user", .boolean, "Each user's latest share, or the latest over all.",
                    default: .bool(true))
            ]),
        Method("leave_last_out", "Each user's last training item."),
        Method(
            "predefined", "Validation files.",
            [
                Field(
                    "valid", .text,
                    "Validation file in the data set's folder; {fold} is replaced by the fold number. "
                        + "Its lines must be in the fold's training part.", default: .required)
            ]),
        Method("split", "The split's own validation part."),
        Method(
            "cold_users",
            "A random share of the users with more than max_train training interactions keep 1 to max_train of "
                + "them (uniformly); the rest of theirs is validation. Selection for cold-user tests on cold users.",
            [
                Field(
                    "fraction", .number(min: 0, max: 1, exclusive: true), "Share of the eligible users made cold.",
                    default: .number(0.1)),
                Field(
                    "max_train", .integer(min: 1, max: 100_000), "Most training interactions a cold user keeps.",
                    default: .int(5))
            ])
    ]
    /// Keys every validation method takes.
    public static let validationCommon: [Field] = [
        Field(
            "patience", .integer(min: 0, max: 100_000),
            "Validation evaluations without improvement before an iterative model stops; overrides the models' own."),
        Field(
            "seed", .integer(min: 0, max: Int.max), "Seed of the carving.",
            default: .described("derived from the experiment seed, data set and fold"))
    ]
}
