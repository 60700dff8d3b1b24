import Foundation
import RecbenchCore
import RecbenchAlgorithms
import RecbenchEval

/// Reading the model-selection parts of an experiment file: `select`, `validation` (top level
/// and per data set) and each algorithm's `search`. Every problem is reported at validate time
/// with its line, so a search never fails half-way through a run on bad input.
extension Validation {
    /// The default selection metric of a task: what early stopping used before `select` existed.
    static func defaultSelect(_ task: RecommendationTask?) -> MetricSpec {
        task == .rating ? MetricSpec(name: "rmse") : MetricSpec(name: "ndcg", k: 10)
    }

    mutating func selectMetric(_ node: JSONNode?, task: RecommendationTask?) -> MetricSpec {
        let fallback = Self.defaultSelect(task)
        guard let node else { return fallback }
        guard case let .string(s) = node.value else {
            fail(node, "select", "expected one metric name such as \"ndcg@10\", got \(node.brief)"); return fallback
        }
        switch MetricCatalog.parse(s) {
        case let .failure(e): fail(node, "select", "\(e)"); return fallback
        case let .success(specs):
            guard specs.count == 1, let spec = specs.first else {
                fail(node, "select", "name one metric with one cutoff, got \(node.brief)"); return fallback
            }
            if let task, let kind = spec.kind {
                let ok = task == .rating ? kind == .rating : kind != .rating
                if !ok {
                    fail(
                        node, "select",
                        "the \(task.rawValue) task does not compute \"\(spec.label)\" (a \(kind == .rating ? "rating" : "ranking") metric)"
                    )
                }
            }
            return spec
        }
    }

    mutating func validationSpec(_ node: JSONNode, _ path: String, task: RecommendationTask?, split: SplitSpec?)
        -> ValidationSpec?
    {
        guard case let .object(raw) = node.value else {
            fail(
                node, path,
                "expected an object such as {\"method\": \"holdout\", \"fraction\": 0.1, \"per_user\": true}, got \(node.brief)"
            )
            return nil
        }
        let methods = Vocabulary.validations.map(\.name).sorted()
        guard let method = choice(raw.first { $0.key == "method" }?.value, "\(path).method", methods, default: nil)
        else { return nil }
        let F = Vocabulary.validations.first { $0.name == method }!.fields + Vocabulary.validationCommon
        guard let m = members(node, path, allowed: ["method"] + F.names) else { return nil }
        var spec = ValidationSpec(method: .split)
        spec.patience = int(F["patience"], in: m, at: path)
        spec.seed = int(F["seed"], in: m, at: path).map(UInt64.init)
        switch method {
        case "holdout", "temporal":
            let fraction = real(F["fraction"], in: m, at: path) ?? 0.1
            let perUser = flag(F["per_user"], in: m, at: path)
            // round(f·n) takes the only interaction of a one-interaction user once f ≥ ½.
            if perUser && fraction >= 0.5 {
                fail(
                    m["fraction"], "\(path).fraction",
                    "a per-user fraction of \(formatReal(fraction)) takes the only training interaction of users who have one; use a fraction below 0.5"
                )
            }
            spec.method =
                method == "holdout"
                ? .holdout(fraction: fraction, perUser: perUser) : .temporal(fraction: fraction, perUser: perUser)
        case "leave_last_out": spec.method = .leaveLastOut
        case "cold_users":
            spec.method = .coldUsers(
                fraction: real(F["fraction"], in: m, at: path) ?? 0.1,
                maxTrain: int(F["max_train"], in: m, at: path) ?? 5)
        case "predefined":
            guard let pattern = text(F["valid"], in: m, at: path) else { return nil }
            if let folds = split?.foldCount, folds > 1, !pattern.contains("{fold}") {
                fail(
                    m["valid"], "\(path).valid",
                    "with \(folds) folds the file name must contain {fold}, got \"\(pattern)\"")
            }
            spec.method = .predefined(pattern: pattern)
        default:
            if let split, !split.hasValidationPart {
                fail(
                    m["method"], "\(path).method",
                    "the split sets no validation part aside; give a holdout_fraction/validation in the split or another method"
                )
            }
        }
        if task == .sequential {
            switch spec.method {
            case .leaveLastOut, .temporal(_, true), .predefined, .split: break
            default:
                fail(
                    m["method"], "\(path).method",
                    "the sequential task needs time-ordered validation: \"leave_last_out\" or per-user \"temporal\"")
            }
        }
        if case let .method(.coldUsers(_, maxTrain))? = split, maxTrain == 1 {
            switch spec.method {
            // Cold-user validation only cuts users with more than its own max_train (≥ 1) interactions.
            case .split, .predefined, .coldUsers: break
            default:
                fail(
                    m["method"], "\(path).method",
                    "cold_users with max_train 1 leaves each test user one training interaction; carving validation from it would leave none"
                )
            }
        }
        return spec
    }

    static let searchKeys: [SearchSpec.Strategy: [String]] = [
        .grid: ["strategy", "space", "max_seconds", "refit"],
        .random: ["strategy", "space", "trials", "max_seconds", "seed", "refit"],
        .successiveHalving: [
            "strategy", "space", "trials", "max_seconds", "seed", "refit", "eta", "min_budget", "max_budget"
        ]
    ]

    private static func points(_ n: Int) -> String { n == 1 ? "1 distinct point" : "\(n) distinct points" }

    /// Reads `search`. The entry's list-valued params join the space as choices (and leave
    /// `grid`), so a plain grid becomes a grid search by adding `"search": {"strategy": "grid"}`.
    mutating func searchSpec(
        _ node: JSONNode, _ path: String, descriptor d: AlgorithmDescriptor,
        grid: inout [(name: String, values: [ParameterValue])], experimentSeed: UInt64, label: String
    ) -> SearchSpec? {
        guard case let .object(raw) = node.value else {
            fail(
                node, path,
                "expected an object such as {\"strategy\": \"random\", \"trials\": 20, \"space\": {...}}, got \(node.brief)"
            )
            return nil
        }
        let names = SearchSpec.Strategy.allCases.map(\.rawValue)
        guard let s = choice(raw.first { $0.key == "strategy" }?.value, "\(path).strategy", names, default: nil),
            let strategy = SearchSpec.Strategy(rawValue: s)
        else { return nil }
        guard let m = members(node, path, allowed: Self.searchKeys[strategy]!) else { return nil }
        let issuesBefore = issues.count

        var space = [(name: String, domain: SearchDomain)]()
        if let spaceNode = m["space"] {
            if case let .object(entries) = spaceNode.value {
                for (key, value) in entries {
                    let ppath = "\(path).space.\(key)"
                    guard let p = d.parameters.first(where: { $0.name == key }) else {
                        let known = d.parameters.map(\.name)
                        let hint = Suggestion.hint(for: key, in: known)
                        fail(
                            value, ppath,
                            known.isEmpty
                                ? "\(d.name) takes no parameters"
                                : "unknown parameter of \(d.name)\(hint); known: \(known.joined(separator: ", "))")
                        continue
                    }
                    if grid.contains(where: { $0.name == key }) {
                        fail(value, ppath, "\(key) is also given in params; give it in one place"); continue
                    }
                    if let domain = searchDomain(value, ppath, p) { space.append((key, domain)) }
                }
            } else {
                fail(
                    spaceNode, "\(path).space",
                    "expected an object of parameter domains, e.g. {\"k\": {\"choices\": [20, 50]}}, got \(spaceNode.brief)"
                )
            }
        }
        // A space with a rejected entry has no meaningful size: its count would only add a second,
        // misleading message ("only 1 distinct point") to the one that names the entry.
        let spaceIsWhole = issues.count == issuesBefore
        // List-valued params are choices of the search.
        for axis in grid where axis.values.count > 1 { space.append((axis.name, .choices(axis.values))) }
        grid.removeAll { $0.values.count > 1 }
        // An invalid list in params is reported there; an empty space then says nothing new.
        let paramsPath = String(path.dropLast(".search".count)) + ".params"
        // An iterative model's one-point grid still chooses something: how long to train, by early
        // stopping on validation, before the refit on training + validation.
        if space.isEmpty && d.budgetParameter == nil && issues.count == issuesBefore
            && !issues.contains(where: { $0.path.hasPrefix(paramsPath) })
        {
            fail(
                m["space"] ?? node, "\(path).space",
                "nothing to search: give domains in space (or lists in params); \(d.name) has no epochs to choose")
        }

        var spec = SearchSpec(
            strategy: strategy, space: space, trials: nil, maxSeconds: nil,
            seed: 0, refit: boolean(m["refit"], "\(path).refit", default: true), eta: 3,
            minBudget: nil, maxBudget: nil,
            // The whole space, lists from params included: they are no longer among
            // the configuration's values, and a changed list must not hit old entries.
            identity: node.canonical + " space: " + space.map { "\($0.name) \($0.domain)" }.joined(separator: "; "))
        if let t = m["trials"] { spec.trials = integer(t, "\(path).trials", default: 1, min: 1, max: 1_000_000) }
        if let x = m["max_seconds"] {
            spec.maxSeconds = number(
                x, "\(path).max_seconds", default: 60, range: 0...1e9, exclusive: true,
                what: "a positive number of seconds")
        }
        spec.seed =
            m["seed"].map { UInt64(integer($0, "\(path).seed", default: 0, min: 0)) }
            ?? {
                var r = RandomSource(seed: experimentSeed, stream: "search|\(label)"); return r.next()
            }()
        let sizes = space.map { entry -> Int? in
            if case let .choices(v) = entry.domain { return v.count } else { return nil }
        }
        // Overflow-safe: a product beyond Int is as good as infinite here.
        let finite = spaceIsWhole && sizes.allSatisfy { $0 != nil } ? Limits.product(sizes.map { $0! }) ?? Int.max : nil

        switch strategy {
        case .grid:
            if let i = space.firstIndex(where: { $0.domain.choices == nil }) {
                fail(
                    m["space"] ?? node, "\(path).space.\(space[i].name)",
                    "a grid takes choices; use \"strategy\": \"random\" to draw from a range")
            } else if let n = finite, n > Limits.configurations {
                // Checked before the points are expanded (in memory).
                let shown = sizes.map { String($0!) }.joined(separator: " × ")
                let count = n == Int.max ? "more than \(Int.max)" : String(n)
                fail(
                    m["space"] ?? node, "\(path).space",
                    "the search grid has \(shown) = \(count) points, above the "
                        + "limit of \(Limits.configurations) configurations per experiment")
            } else if let points = spec.gridPoints {
                // Cross-parameter rules over every point (random draws are checked as they are drawn).
                let fixed = Dictionary(
                    uniqueKeysWithValues: grid.compactMap { a in a.values.first.map { (a.name, $0) } })
                for rule in d.constraints {
                    let problem = points.lazy.compactMap { p in
                        rule.violation(ParameterValues(specs: d.parameters, overrides: fixed.merging(p) { $1 }))
                    }.first
                    if let problem { fail(m["space"] ?? node, "\(path).space", problem) }
                }
            }
        case .random:
            if spec.trials == nil && spec.maxSeconds == nil {
                fail(node, path, "give \"trials\" (and/or \"max_seconds\") to bound a random search")
            }
            if let t = spec.trials, let n = finite, t > n {
                fail(
                    m["trials"], "\(path).trials",
                    "the space has only \(Self.points(n)); use at most \(n) \(n == 1 ? "trial" : "trials") or \"strategy\": \"grid\""
                )
            }
        case .successiveHalving:
            spec.eta = integer(m["eta"], "\(path).eta", default: 3, min: 2, max: 100)
            if let t = spec.trials {
                if t < spec.eta * spec.eta {
                    fail(
                        m["trials"], "\(path).trials",
                        "successive halving with eta = \(spec.eta) needs at least \(spec.eta * spec.eta) trials for two rungs (one rung is a random search)"
                    )
                }
                if let n = finite, t > n {
                    fail(
                        m["trials"], "\(path).trials",
                        "the space has only \(Self.points(n)); use at most \(n) \(n == 1 ? "trial" : "trials")")
                }
            } else {
                fail(node, "\(path).trials", "is required for successive halving (the candidates of the first rung)")
            }
            budget(m, path, descriptor: d, grid: grid, space: space, spec: &spec)
        }
        return spec
    }

    /// `{"choices": [...]}`, `{"uniform": [a, b]}`, `{"log_uniform": [a, b]}` or a bare list of choices.
    mutating func searchDomain(_ node: JSONNode, _ path: String, _ p: ParameterSpec) -> SearchDomain? {
        var domain: SearchDomain?
        let form = "{\"choices\": [...]}, {\"uniform\": [low, high]} or {\"log_uniform\": [low, high]}"
        switch node.value {
        case let .array(items):
            domain = choiceList(items, node, path, p)
        case let .object(entries):
            guard entries.count == 1, let (key, value) = entries.first else {
                fail(node, path, "expected exactly one of \(form)"); return nil
            }
            switch key {
            case "choices":
                guard case let .array(items) = value.value else {
                    fail(value, "\(path).choices", "expected a list, got \(value.brief)"); return nil
                }
                domain = choiceList(items, value, "\(path).choices", p)
            case "uniform", "log_uniform":
                guard case let .array(ends) = value.value, ends.count == 2,
                    case let .number(a, _) = ends[0].value, case let .number(b, _) = ends[1].value
                else {
                    fail(value, "\(path).\(key)", "expected [low, high], got \(value.brief)"); return nil
                }
                domain = key == "uniform" ? .uniform(a, b) : .logUniform(a, b)
            default:
                let hint = Suggestion.hint(for: key, in: ["choices", "uniform", "log_uniform"])
                fail(value, "\(path).\(key)", "unknown domain\(hint); expected \(form)"); return nil
            }
        default:
            fail(node, path, "expected \(form), got \(node.brief)"); return nil
        }
        guard let domain else { return nil }
        if let problem = p.problem(with: domain) { fail(node, path, problem); return nil }
        return domain
    }

    mutating func choiceList(_ items: [JSONNode], _ node: JSONNode, _ path: String, _ p: ParameterSpec) -> SearchDomain?
    {
        var values = [ParameterValue]()
        for n in items {
            guard let v = scalar(n) else { fail(n, path, "expected \(p.expectation), got \(n.brief)"); return nil }
            // Integers are accepted for reals; keep the checked form.
            values.append(p.check(v) ?? v)
        }
        return .choices(values)
    }

    /// Successive halving's budget: the algorithm's declared budget parameter (whose fixed value
    /// is the full budget), or the training-sample fraction when it declares none.
    mutating func budget(
        _ m: [String: JSONNode], _ path: String, descriptor d: AlgorithmDescriptor,
        grid: [(name: String, values: [ParameterValue])], space: [(name: String, domain: SearchDomain)],
        spec: inout SearchSpec
    ) {
        if let b = m["min_budget"] {
            spec.minBudget = number(
                b, "\(path).min_budget", default: 1, range: 0...1e9, exclusive: true, what: "a positive number")
        }
        if let b = m["max_budget"] {
            spec.maxBudget = number(
                b, "\(path).max_budget", default: 1, range: 0...1e9, exclusive: true, what: "a positive number")
        }
        if let name = d.budgetParameter, let p = d.parameters.first(where: { $0.name == name }) {
            if space.contains(where: { $0.name == name }) {
                fail(
                    m["space"], "\(path).space.\(name)",
                    "\(name) is \(d.name)'s budget, set by successive halving per rung; give the full budget as max_budget or in params"
                )
            }
            let fixed = grid.first { $0.name == name }?.values.first ?? p.defaultValue
            guard case let .integer(lo, hi) = p.kind, case let .int(full) = fixed else { return }
            for (key, value) in [("min_budget", spec.minBudget), ("max_budget", spec.maxBudget)] {
                if let v = value, v != v.rounded() || v < Double(lo) || v > Double(hi) {
                    fail(
                        m[key], "\(path).\(key)",
                        "a budget of \(d.name) counts \(name): expected \(p.expectation), got \(formatReal(v))")
                }
            }
            if spec.maxBudget == nil { spec.maxBudget = Double(full) }
            if let lo = spec.minBudget, let hi = spec.maxBudget, lo >= hi {
                fail(
                    m["min_budget"], "\(path).min_budget",
                    "the first rung's \(formatReal(lo)) \(name) must be below the full budget of \(formatReal(hi))")
            }
        } else {
            for (key, value) in [("min_budget", spec.minBudget), ("max_budget", spec.maxBudget)] {
                if let v = value, v > 1 {
                    fail(
                        m[key], "\(path).\(key)",
                        "\(d.name) declares no budget parameter, so its budget is the training-sample fraction in (0, 1], got \(formatReal(v))"
                    )
                }
            }
            if spec.maxBudget == nil { spec.maxBudget = 1 }
            if let lo = spec.minBudget, let hi = spec.maxBudget, lo >= hi {
                fail(
                    m["min_budget"], "\(path).min_budget",
                    "the first rung's sample fraction \(formatReal(lo)) must be below the full \(formatReal(hi))")
            }
        }
    }
}

extension Validation {
    /// Cross-field checks: every search finds validation data on every data set, and predefined
    /// validation files need a data set read from a folder.
    mutating func checkSelection(
        algorithms: [AlgorithmSpec], algorithmNodes: JSONNode?, datasets: [DatasetSpec],
        datasetNodes: [(node: JSONNode, path: String)], validation: ValidationSpec?, split: SplitSpec?
    ) {
        var nodes = [JSONNode]()
        if case let .array(a)? = algorithmNodes?.value { nodes = a }
        for (i, a) in algorithms.enumerated() where a.search != nil && nodes.count == algorithms.count {
            let missing = datasets.filter {
                ($0.validation ?? validation) == nil && !(split?.hasValidationPart ?? false)
            }
            if let first = missing.first {
                fail(
                    nodes[i]["search"], "algorithms[\(i)].search",
                    "a search needs validation data, and data set \"\(first.label)\" has none: add \"validation\": {\"method\": \"holdout\", \"fraction\": 0.1, \"per_user\": true} at the top level"
                )
            }
        }
        for (d, ds) in datasets.enumerated() {
            guard case .predefined? = (ds.validation ?? validation)?.method, case .synthetic = ds.source else {
                continue
            }
            let node = d < datasetNodes.count ? datasetNodes[d].node["validation"] : nil
            fail(
                node, node != nil ? "\(datasetNodes[d].path).validation" : "validation",
                "predefined validation files need a data set read from a folder; \"\(ds.label)\" is generated")
        }
    }

    /// One warning for every grid that is not searched: its winner is picked on test data.
    func selectionWarnings(_ spec: ExperimentSpec, algorithmNodes: JSONNode?) -> [SpecIssue] {
        let grids = spec.algorithms.indices.filter { spec.selectedOnTest(algorithm: $0) }
        guard let first = grids.first else { return [] }
        var line = 0
        if case let .array(a)? = algorithmNodes?.value, first < a.count {
            line = a[first]["params"]?.line ?? a[first].line
        }
        let labels = grids.map { spec.algorithms[$0].label }.joined(separator: ", ")
        return [
            SpecIssue(
                file: file, line: line, path: "algorithms[\(first)].params",
                message:
                    "warning: the grid\(grids.count > 1 ? "s" : "") of \(labels) \(grids.count > 1 ? "are" : "is") evaluated on test data, "
                    + "so \(grids.count > 1 ? "their best points are" : "its best point is") selected on test; "
                    + "add \"search\": {\"strategy\": \"grid\"} and \"validation\" to select on validation data")
        ]
    }
}
