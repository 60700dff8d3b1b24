import Foundation
import RecbenchCore
import RecbenchData
import RecbenchAlgorithms
import RecbenchEval

/// One problem in an experiment file: `file:line: path: message`.
public struct SpecIssue: Sendable, CustomStringConvertible, Equatable {
    public let file: String, line: Int, path: String, message: String
    public var description: String {
        let place = line > 0 ? "\(file):\(line)" : file
        return path.isEmpty ? "\(place): \(message)" : "\(place): \(path): \(message)"
    }
}

public struct SpecErrors: Error, CustomStringConvertible {
    public let issues: [SpecIssue]
    public init(issues: [SpecIssue]) { self.issues = issues }
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// Reads and validates an experiment file, collecting every problem (not just the first).
public struct ExperimentLoader {
    public let registry: DatasetRegistry?
    /// Values for `$VAR` in "file" and "path"; nil leaves them as written (re-reading a run folder).
    public let environment: [String: String]?

    public init(registry: DatasetRegistry?, environment: [String: String]? = ProcessInfo.processInfo.environment) {
        self.registry = registry; self.environment = environment
    }

    public func load(path: String) throws -> ExperimentSpec {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw SpecErrors(issues: [
                SpecIssue(
                    file: path, line: 0, path: "",
                    message: "is a folder, not an experiment file")
            ])
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpecErrors(issues: [SpecIssue(file: path, line: 0, path: "", message: "cannot read the file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpecErrors(issues: [SpecIssue(file: path, line: 0, path: "", message: "the file is not UTF-8 text")])
        }
        return try load(text: text, file: path)
    }

    public func load(text: String, file: String) throws -> ExperimentSpec {
        let root: JSONNode
        do { root = try JSONParser.parse(text) } catch let e as JSONSyntaxError {
            throw SpecErrors(issues: [
                SpecIssue(
                    file: file, line: e.line, path: "", message: "invalid JSON at column \(e.column): \(e.message)")
            ])
        }
        var v = Validation(file: file, environment: environment)
        let spec = v.experiment(root, registry: registry)
        guard v.issues.isEmpty, var spec else { throw SpecErrors(issues: v.issues) }
        spec.sourceText = text
        spec.fieldLines = root.fieldLines()
        return spec
    }
}

/// The walk over the document. Each reader reports its own problems and returns nil (or a
/// default) so the walk can go on and find the rest.
struct Validation {
    let file: String
    let environment: [String: String]?
    var issues: [SpecIssue] = []

    init(file: String, environment: [String: String]? = nil) { self.file = file; self.environment = environment }

    mutating func fail(_ node: JSONNode?, _ path: String, _ message: String) {
        issues.append(SpecIssue(file: file, line: node?.line ?? 0, path: path, message: message))
    }

    // MARK: generic readers

    /// The members of an object, after reporting keys that are not allowed (with a suggestion).
    mutating func members(_ node: JSONNode, _ path: String, allowed: [String]) -> [String: JSONNode]? {
        guard case let .object(m) = node.value else {
            fail(node, path, "expected an object, got \(node.brief)"); return nil
        }
        var out = [String: JSONNode]()
        for (k, v) in m {
            if allowed.contains(k) { out[k] = v; continue }
            let hint = Suggestion.hint(for: k, in: allowed)
            fail(
                v, path.isEmpty ? k : "\(path).\(k)", "unknown key\(hint); allowed: \(allowed.joined(separator: ", "))")
        }
        return out
    }

    mutating func string(
        _ node: JSONNode?, _ path: String, default d: String? = nil, pattern: ((String) -> Bool, String)? = nil
    ) -> String? {
        guard let node else { if d == nil { fail(nil, path, "is required") }; return d }
        guard case let .string(s) = node.value else {
            fail(node, path, "expected a string, got \(node.brief)"); return d
        }
        if let (ok, what) = pattern, !ok(s) { fail(node, path, "expected \(what), got \(node.brief)"); return d }
        return s
    }

    /// A file or folder path, with `$VAR` / `${VAR}` replaced from the environment.
    mutating func pathString(_ node: JSONNode?, _ path: String) -> String? {
        guard let s = string(node, path) else { return nil }
        guard let environment else { return s }
        switch Variables.expand(s, environment: environment) {
        case let .success(expanded): return expanded
        case let .failure(.unset(name)):
            fail(node, path, "$\(name) is not set (the environment variable in \"\(s)\")")
        case .failure(.unterminated):
            fail(node, path, "\"${\" must be followed by a variable name and \"}\", got \"\(s)\"")
        }
        return nil
    }

    mutating func choice(_ node: JSONNode?, _ path: String, _ choices: [String], default d: String?) -> String? {
        guard let node else {
            if d == nil {
                fail(nil, path, "is required (one of \(choices.map { "\"\($0)\"" }.joined(separator: ", ")))")
            }; return d
        }
        guard case let .string(s) = node.value, choices.contains(s) else {
            var hint = ""
            if case let .string(s) = node.value { hint = Suggestion.hint(for: s, in: choices) }
            fail(
                node, path,
                "expected one of \(choices.map { "\"\($0)\"" }.joined(separator: ", ")), got \(node.brief)\(hint)")
            return d
        }
        return s
    }

    mutating func integer(
        _ node: JSONNode?, _ path: String, default d: Int, min: Int = Int.min, max: Int = Int.max, what: String? = nil
    ) -> Int {
        guard let node else { return d }
        if case let .number(x, _) = node.value, x == x.rounded(), abs(x) < 9e15, Int(x) >= min, Int(x) <= max {
            return Int(x)
        }
        let w =
            what
            ?? (min == 1 && max == Int.max
                ? "a positive integer"
                : min == 0 && max == Int.max
                    ? "a non-negative integer"
                    : max == Int.max ? "an integer ≥ \(min)" : "an integer in \(min)...\(max)")
        fail(node, path, "expected \(w), got \(node.brief)")
        return d
    }

    mutating func number(
        _ node: JSONNode?, _ path: String, default d: Double, range: ClosedRange<Double>, exclusive: Bool = false,
        what: String
    ) -> Double {
        guard let node else { return d }
        if case let .number(x, _) = node.value, range.contains(x),
            !exclusive || (x != range.lowerBound && x != range.upperBound)
        {
            return x
        }
        fail(node, path, "expected \(what), got \(node.brief)")
        return d
    }

    mutating func boolean(_ node: JSONNode?, _ path: String, default d: Bool) -> Bool {
        guard let node else { return d }
        if case let .bool(b) = node.value { return b }
        fail(node, path, "expected true or false, got \(node.brief)")
        return d
    }

    mutating func list(_ node: JSONNode?, _ path: String, nonEmpty: Bool = true) -> [JSONNode]? {
        guard let node else { fail(nil, path, "is required"); return nil }
        guard case let .array(a) = node.value else {
            fail(node, path, "expected a list, got \(node.brief)"); return nil
        }
        if nonEmpty && a.isEmpty { fail(node, path, "must not be empty"); return nil }
        return a
    }

    // MARK: the document

    mutating func experiment(_ root: JSONNode, registry: DatasetRegistry?) -> ExperimentSpec? {
        let V = Vocabulary.experiment
        guard let top = members(root, "", allowed: V.names) else { return nil }
        let name = text(V["name"], in: top, at: "") ?? "experiment"
        let description = text(V["description"], in: top, at: "") ?? ""
        let seed = int(V["seed"], in: top, at: "") ?? 42
        let threads = int(V["threads"], in: top, at: "") ?? ProcessInfo.processInfo.activeProcessorCount
        let jobs = int(V["jobs"], in: top, at: "") ?? 1
        let task = text(V["task"], in: top, at: "").flatMap(RecommendationTask.init(rawValue:))

        var datasets = [DatasetSpec]()
        var datasetNodes = [(node: JSONNode, path: String)]()
        if let list = list(top["datasets"], "datasets") {
            for (i, d) in list.enumerated() {
                if let ds = dataset(d, "datasets[\(i)]", registry: registry) {
                    datasets.append(ds); datasetNodes.append((d, "datasets[\(i)]"))
                }
            }
            let labels = datasets.map(\.label)
            if Set(labels).count != labels.count {
                fail(top["datasets"], "datasets", "two data sets share a name; give each a distinct \"name\"")
            }
        }
        let declared = datasets.map { ds -> DeclaredSplit? in
            guard case let .registry(name, _) = ds.source else { return nil }
            return registry?.entry(named: name)?.split
        }
        var split = top["split"].flatMap { splitSpec($0, "split", task: task, declared: declared) }
        // Data sets given by fold files bring their fold count (and, when all are, whether folds
        // have a validation part) when nothing else sets it.
        let own = datasets.compactMap { ds -> DeclaredSplit? in if case let .folds(d, _) = ds.source { d } else { nil }
        }
        if case let .predefined(b, t, v, _)? = split, top["split"]?["folds"] == nil, declared.allSatisfy({ $0 == nil }),
            let first = own.first
        {
            split = .predefined(
                base: b, test: t, validation: own.count == datasets.count ? first.validation : v,
                folds: first.folds ?? 1)
        }
        if top["split"] == nil { fail(nil, "split", "is required (e.g. {\"method\": \"kfold\", \"k\": 5})") }

        var algorithms = [AlgorithmSpec]()
        if let list = list(top["algorithms"], "algorithms") {
            var entries = [Int]()
            for (i, a) in list.enumerated() {
                if let al = algorithm(a, "algorithms[\(i)]", task: task, seed: UInt64(seed)) {
                    algorithms.append(al); entries.append(i)
                }
            }
            let labels = algorithms.map(\.label)
            for (i, l) in labels.enumerated() where labels[..<i].contains(l) {
                fail(
                    list[entries[i]], "algorithms[\(entries[i])].label",
                    "\"\(l)\" is used by an earlier algorithm; give each entry a distinct \"label\"")
            }
            checkRepeatedConfigurations(algorithms, entries: entries, nodes: list)
            checkPlanSize(algorithms, datasets: datasets.count, folds: split?.foldCount ?? 1, node: top["algorithms"])
        }
        checkFoldFiles(datasets, split: split, node: top["split"])
        if case .predefined = split {
            for (i, d) in datasets.enumerated() {
                if case .synthetic = d.source {
                    fail(
                        top["split"], "split.method",
                        "a predefined split reads split files beside the data, and "
                            + "datasets[\(i)] (\"\(d.label)\") is generated; give it a \"file\" or a registry name")
                }
            }
        }

        var metrics = [MetricSpec]()
        if let list = list(top["metrics"], "metrics") {
            for (i, m) in list.enumerated() {
                guard case let .string(s) = m.value else {
                    fail(m, "metrics[\(i)]", "expected a metric name such as \"ndcg@10\", got \(m.brief)"); continue
                }
                switch MetricCatalog.parse(s) {
                case let .failure(e): fail(m, "metrics[\(i)]", "\(e)")
                case let .success(specs):
                    for spec in specs {
                        if let task, let kind = MetricCatalog.entries.first(where: { $0.name == spec.name })?.kind {
                            let ok = task == .rating ? kind == .rating : kind != .rating
                            if !ok {
                                fail(
                                    m, "metrics[\(i)]",
                                    "\"\(spec.label)\" is a \(kind == .rating ? "rating" : "ranking") metric and does not apply to the \(task.rawValue) task"
                                )
                            }
                        }
                        if !metrics.contains(spec) { metrics.append(spec) }
                    }
                }
            }
        }

        let select = selectMetric(top["select"], task: task)
        let validation = top["validation"].flatMap { validationSpec($0, "validation", task: task, split: split) }
        for (i, d) in datasetNodes.enumerated() {
            if let v = d.node["validation"] {
                datasets[i].validation = validationSpec(v, "\(d.path).validation", task: task, split: split)
            }
        }
        checkSelection(
            algorithms: algorithms, algorithmNodes: top["algorithms"], datasets: datasets, datasetNodes: datasetNodes,
            validation: validation, split: split)

        var candidates = CandidateProtocol.full
        if let c = top["candidates"], let m = members(c, "candidates", allowed: Vocabulary.candidates.names) {
            let C = Vocabulary.candidates
            if text(C["protocol"], in: m, at: "candidates") == "sampled" {
                candidates = .sampled(negatives: int(C["negatives"], in: m, at: "candidates") ?? 100)
            } else if m["negatives"] != nil {
                fail(m["negatives"], "candidates.negatives", "only applies to \"protocol\": \"sampled\"")
            }
            if task == .rating && candidates != .full {
                fail(c, "candidates", "the rating task has no candidate protocol")
            }
        }

        let relevance = top["relevance"].map { relevanceSpec($0, task: task) } ?? .all

        var outputs = OutputSpec()
        if let o = top["outputs"], let m = members(o, "outputs", allowed: Vocabulary.outputs.names) {
            let O = Vocabulary.outputs
            outputs.directory = text(O["directory"], in: m, at: "outputs") ?? "results"
            outputs.perUser = flag(O["per_user"], in: m, at: "outputs")
            if let l = m["latex"] { latexOutput(l, metrics: metrics, into: &outputs) }
            outputs.recommendations = int(O["recommendations"], in: m, at: "outputs")
            outputs.saveModels = flag(O["save_models"], in: m, at: "outputs")
            if let a = m["attention"], let entries = list(a, "outputs.attention") {
                for (i, e) in entries.enumerated() {
                    switch e.value {
                    case let .string(id): outputs.attentionUsers.append(id)
                    case let .number(_, literal) where Double(literal).map({ $0 == $0.rounded() }) == true:
                        outputs.attentionUsers.append(literal)
                    default:
                        fail(
                            e, "outputs.attention[\(i)]", "expected a user ID (a string or an integer), got \(e.brief)")
                    }
                }
            }
        }

        guard issues.isEmpty, let task, let split else { return nil }
        var spec = ExperimentSpec(
            file: file, name: name, description: description, seed: UInt64(seed), threads: threads, jobs: jobs,
            task: task, datasets: datasets, split: split, algorithms: algorithms, metrics: metrics,
            select: select, validation: validation,
            candidates: candidates, outputs: outputs, configHash: SHA256Hasher.hex(root.canonical))
        spec.relevance = relevance
        spec.warnings =
            selectionWarnings(spec, algorithmNodes: top["algorithms"])
            + scopeWarnings(spec, algorithmNodes: top["algorithms"])
        return spec
    }

    /// `"latex": true | false | {"sd": true, "metrics": ["ndcg@10"]}`.
    mutating func latexOutput(_ node: JSONNode, metrics: [MetricSpec], into outputs: inout OutputSpec) {
        if case let .bool(b) = node.value { outputs.latex = b; return }
        guard case .object = node.value else {
            fail(node, "outputs.latex", "expected true, false or an object such as {\"sd\": true}, got \(node.brief)")
            return
        }
        guard let m = members(node, "outputs.latex", allowed: Vocabulary.latex.names) else { return }
        outputs.latexSD = flag(Vocabulary.latex["sd"], in: m, at: "outputs.latex")
        guard let list = m["metrics"] else { return }
        guard let entries = self.list(list, "outputs.latex.metrics") else { return }
        let labels = metrics.map(\.label)
        var chosen = [String]()
        for (i, e) in entries.enumerated() {
            guard case let .string(s) = e.value, case let .success(specs) = MetricCatalog.parse(s), specs.count == 1,
                labels.contains(specs[0].label)
            else {
                fail(
                    e, "outputs.latex.metrics[\(i)]",
                    "expected one of the experiment's metrics (\(labels.joined(separator: ", "))), "
                        + "got \(e.brief)")
                continue
            }
            if !chosen.contains(specs[0].label) { chosen.append(specs[0].label) }
        }
        outputs.latexMetrics = chosen
    }

    /// `"relevance": {"min_rating": 4}`: test (and validation) items below the threshold are not relevant.
    mutating func relevanceSpec(_ node: JSONNode, task: RecommendationTask?) -> Relevance {
        guard let m = members(node, "relevance", allowed: Vocabulary.relevance.names) else { return .all }
        if task == .rating {
            fail(node, "relevance", "applies to ranking metrics; the rating task measures every test rating")
        }
        return real(Vocabulary.relevance["min_rating"], in: m, at: "relevance").map { Relevance(minRating: Float($0)) }
            ?? .all
    }

    /// Parameters a file sets where they cannot act (each declares its `ParameterSpec.Scope`).
    func scopeWarnings(_ spec: ExperimentSpec, algorithmNodes: JSONNode?) -> [SpecIssue] {
        guard case let .array(nodes)? = algorithmNodes?.value, nodes.count == spec.algorithms.count else { return [] }
        var out = [SpecIssue]()
        let noValidation =
            "the split gives the trials no validation data to stop on (use \"holdout\" with "
            + "\"validation_fraction\", \"leave_last_out\", or a predefined \"validation\" file)"
        for (i, a) in spec.algorithms.enumerated() {
            var params = [(key: String, value: JSONNode)]()
            if case let .object(given)? = nodes[i]["params"]?.value { params = given }
            // Early stopping on by default does nothing without validation data either; said at the entry.
            // Only patience: other validation-only defaults (validate_every 1) do nothing by default anyway.
            for p in a.descriptor.parameters
            where p.name == "patience" && p.scope == .validation && !params.contains(where: { $0.key == p.name }) {
                guard case let .int(d) = p.defaultValue, d > 0, a.search == nil, !spec.split.hasValidationPart else {
                    continue
                }
                out.append(
                    SpecIssue(
                        file: file, line: nodes[i].line, path: "algorithms[\(i)]",
                        message: "warning: \(a.descriptor.name)'s \(p.name) (default \(d)) has no effect: "
                            + noValidation))
            }
            for (name, node) in params {
                guard let p = a.descriptor.parameters.first(where: { $0.name == name }) else { continue }
                let why: String
                switch p.scope {
                case .always: continue
                case let .tasks(tasks, otherwise):
                    if tasks.contains(spec.task) { continue }
                    why = "has no effect in the \(spec.task.rawValue) task: \(otherwise)"
                case .validation:
                    // A search's candidates train on a split with a validation part; plain trials on the fold's.
                    if a.search != nil || spec.split.hasValidationPart { continue }
                    why = "has no effect: " + noValidation
                }
                out.append(
                    SpecIssue(
                        file: file, line: node.line, path: "algorithms[\(i)].params.\(name)",
                        message: "warning: \(a.descriptor.name)'s \(name) \(why)"))
            }
        }
        return out
    }

    /// The same algorithm with the same parameters under two entries runs twice and shows as two
    /// rows that differ only by label; searches are left out (their candidates are drawn later).
    mutating func checkRepeatedConfigurations(_ algorithms: [AlgorithmSpec], entries: [Int], nodes: [JSONNode]) {
        var seen = [String: [ParameterValues: Int]]()
        for (k, a) in algorithms.enumerated() where a.search == nil {
            let configurations = a.configurations.map(\.values)
            if let c = configurations.first(where: { seen[a.descriptor.name]?[$0] != nil }) {
                let j = seen[a.descriptor.name]![c]!
                let differing = a.descriptor.parameters.filter { c.values[$0.name] != $0.defaultValue }
                let what =
                    differing.isEmpty
                    ? "its defaults"
                    : differing.map { "\($0.name)=\(c.values[$0.name]!)" }.joined(separator: ", ")
                fail(
                    nodes[entries[k]], "algorithms[\(entries[k])]",
                    "runs \(a.descriptor.name) with \(what), as "
                        + "algorithms[\(entries[j])] (\"\(algorithms[j].label)\") does; remove one or change a parameter"
                )
            }
            for c in configurations where seen[a.descriptor.name]?[c] == nil {
                seen[a.descriptor.name, default: [:]][c] = k
            }
        }
    }

    /// A data set given by fold files is split by them: the experiment's split must be
    /// `{"method": "predefined"}` naming no other files.
    mutating func checkFoldFiles(_ datasets: [DatasetSpec], split: SplitSpec?, node: JSONNode?) {
        for (i, d) in datasets.enumerated() {
            guard case let .folds(own, _) = d.source, let split else { continue }
            let at = "datasets[\(i)] (\"\(d.label)\") is given by its fold files"
            guard case let .predefined(_, _, _, folds) = split else {
                fail(node, "split.method", "\(at); use \"split\": {\"method\": \"predefined\"}"); continue
            }
            if let key = ["base", "test", "validation"].first(where: { node?[$0] != nil }) {
                fail(node?[key], "split.\(key)", "\(at); name the files there, not here")
            } else if folds != (own.folds ?? 1) {
                fail(node, "split", "datasets[\(i)] (\"\(d.label)\") has \(own.folds ?? 1) folds, the split \(folds)")
            }
        }
    }

    /// All grid points together, and the trials they make, within `Limits`.
    mutating func checkPlanSize(_ algorithms: [AlgorithmSpec], datasets: Int, folds: Int, node: JSONNode?) {
        var configurations: Int? = 0
        for a in algorithms {
            // A search counts its candidates (grid points or trials) in every fold.
            var sizes = a.grid.map { $0.values.count }
            if let s = a.search {
                if s.strategy == .grid {
                    sizes += s.space.map { $0.domain.choices?.count ?? 1 }
                } else {
                    sizes.append(s.trials ?? 1)
                }
            }
            guard let c = configurations, let p = Limits.product(sizes) else {
                configurations = nil; break
            }
            let (sum, overflow) = c.addingReportingOverflow(p)
            configurations = overflow ? nil : sum
        }
        if configurations == nil || configurations! > Limits.configurations {
            fail(
                node, "algorithms",
                "the grids have \(Limits.shown(configurations)) configurations together, "
                    + "above the limit of \(Limits.configurations) per experiment")
            return
        }
        let trials = Limits.product([configurations!, max(1, datasets), max(1, folds)])
        if trials == nil || trials! > Limits.trials {
            fail(
                node, "algorithms",
                "\(configurations!) configurations × \(max(1, datasets)) data set(s) × "
                    + "\(max(1, folds)) fold(s) = \(Limits.shown(trials)) trials, above the limit of "
                    + "\(Limits.trials) per experiment")
        }
    }

    mutating func dataset(_ node: JSONNode, _ path: String, registry: DatasetRegistry?) -> DatasetSpec? {
        let D = Vocabulary.dataset
        guard let m = members(node, path, allowed: D.names) else { return nil }
        guard let name = text(D["name"], in: m, at: path) else { return nil }
        let malformed = text(D["malformed"], in: m, at: path).flatMap(MalformedLinePolicy.init(rawValue:)) ?? .fail
        let filters = m["filters"].map { filterSpec($0, "\(path).filters") } ?? FilterSpec()
        let sourceKeys = ["path", "file", "split", "synthetic"].filter { m[$0] != nil }
        if sourceKeys.count > 1 {
            fail(node, path, "give only one of \(sourceKeys.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        if m["format"] != nil && m["file"] == nil && m["split"] == nil {
            fail(m["format"], "\(path).format", "only applies together with \"file\" or \"split\"")
        }

        if let syn = m["synthetic"] {
            let S = Vocabulary.synthetic, p = "\(path).synthetic"
            guard let s = members(syn, p, allowed: S.names) else { return nil }
            var c = Vocabulary.generated
            c.users = int(S["users"], in: s, at: p) ?? c.users
            c.items = int(S["items"], in: s, at: p) ?? c.items
            c.interactions = int(S["interactions"], in: s, at: p) ?? c.interactions
            c.factors = int(S["factors"], in: s, at: p) ?? c.factors
            c.popularitySkew = real(S["popularity_skew"], in: s, at: p) ?? c.popularitySkew
            c.ratingNoise = real(S["rating_noise"], in: s, at: p) ?? c.ratingNoise
            c.seed = UInt64(int(S["seed"], in: s, at: p) ?? Int(c.seed))
            c.withFeatures = flag(S["features"], in: s, at: p)
            if s["taste_groups"] != nil { c.tasteGroups = int(S["taste_groups"], in: s, at: p) }
            if s["in_group_share"] != nil {
                if s["taste_groups"] == nil {
                    fail(s["in_group_share"], "\(p).in_group_share", "only applies together with \"taste_groups\"")
                }
                c.inGroupShare = real(S["in_group_share"], in: s, at: p)
            }
            if let cells = Limits.product([c.users, c.items]), c.interactions > cells {
                fail(s["interactions"] ?? syn, "\(p).interactions", "cannot exceed users × items = \(cells)")
            }
            let model = Limits.product([c.users + c.items, c.factors])
            if model == nil || model! > Limits.syntheticModelFloats {
                fail(
                    s["factors"] ?? syn, "\(p).factors",
                    "(users + items) × factors = \(Limits.shown(model)) floats "
                        + "of the generating model, above the limit of \(Limits.syntheticModelFloats)")
            }
            return DatasetSpec(label: name, source: .synthetic(c), filters: filters, malformed: malformed)
        }
        if m["file"] != nil {
            guard let filePath = text(D["file"], in: m, at: path) else { return nil }
            let format = m["format"].map { delimitedFormat($0, "\(path).format") }
            return DatasetSpec(
                label: name, source: .file(path: filePath, format: format), filters: filters, malformed: malformed)
        }
        if let s = m["split"] {
            guard let declared = foldFiles(s, "\(path).split") else { return nil }
            let format = delimitedFormat(m["format"], "\(path).format")
            return DatasetSpec(
                label: name, source: .folds(declared, format: format), filters: filters, malformed: malformed)
        }
        let explicit = text(D["path"], in: m, at: path)
        if let registry, registry.entry(named: name) == nil {
            let names = registry.entries.map(\.name)
            let hint = Suggestion.hint(for: name, in: names)
            fail(
                m["name"], "\(path).name",
                "no data set \"\(name)\" in the registry\(hint); known: \(names.joined(separator: ", ")); or give \"file\" or \"synthetic\""
            )
            return nil
        }
        return DatasetSpec(
            label: name, source: .registry(name: name, path: explicit), filters: filters, malformed: malformed)
    }

    /// A `"format"` block (or the tab-separated user, item, rating, timestamp default).
    mutating func delimitedFormat(_ node: JSONNode?, _ p: String) -> DelimitedFormat {
        var format = DelimitedFormat(separator: "\t", header: false, user: "0", item: "1", rating: "2", timestamp: "3")
        let F = Vocabulary.format
        guard let node, let fo = members(node, p, allowed: F.names) else { return format }
        format.separator =
            string(
                fo["separator"], "\(p).separator", default: "\t",
                pattern: ({ !$0.isEmpty }, "a non-empty separator")) ?? "\t"
        format.header = flag(F["header"], in: fo, at: p)
        func column(_ key: String, _ d: String?) -> String? {
            guard let n = fo[key] else { return d }
            if case .null = n.value { return nil }
            if case let .number(x, _) = n.value, x >= 0, x == x.rounded(), x < 1_000_000 {
                return String(Int(x))
            }
            if case let .string(s) = n.value, !s.isEmpty {
                if !format.header, Int(s) == nil {
                    fail(
                        n, "\(p).\(key)",
                        "a column name needs \"header\": true; without a header give a 0-based column number")
                }
                return s
            }
            fail(n, "\(p).\(key)", "expected a 0-based column number or a header name, got \(n.brief)")
            return d
        }
        format.user = column("user", "0") ?? "0"
        format.item = column("item", "1") ?? "1"
        format.rating = column("rating", nil)
        format.timestamp = column("timestamp", nil)
        return format
    }

    /// A data set's own fold files: the keys of a predefined split ("base", "test", optional
    /// "validation", "folds"), paths relative to the experiment file.
    mutating func foldFiles(_ node: JSONNode, _ p: String) -> DeclaredSplit? {
        let F = Vocabulary.foldFiles
        guard let m = members(node, p, allowed: F.names) else { return nil }
        let base = text(F["base"], in: m, at: p), test = text(F["test"], in: m, at: p)
        let validation = text(F["validation"], in: m, at: p)
        let folds = int(F["folds"], in: m, at: p) ?? 1
        for (key, t) in [("base", base), ("test", test), ("validation", validation)] {
            if let t, folds > 1, !t.contains("{fold}") {
                fail(m[key], "\(p).\(key)", "with \(folds) folds the file name must contain {fold}, got \"\(t)\"")
            }
        }
        guard let base, let test else { return nil }
        return DeclaredSplit(base: base, validation: validation, test: test, folds: folds)
    }

    mutating func filterSpec(_ node: JSONNode, _ path: String) -> FilterSpec {
        var f = FilterSpec()
        let F = Vocabulary.filters
        guard let m = members(node, path, allowed: F.names) else { return f }
        f.duplicates = text(F["duplicates"], in: m, at: path).flatMap(DuplicatePolicy.init(rawValue:)) ?? .last
        f.minUserInteractions = int(F["min_user_interactions"], in: m, at: path) ?? 0
        f.minItemInteractions = int(F["min_item_interactions"], in: m, at: path) ?? 0
        f.minRating = real(F["min_rating"], in: m, at: path).map(Float.init)
        f.binarize = flag(F["binarize"], in: m, at: path)
        if f.binarize && f.minRating == nil {
            fail(
                m["binarize"], "\(path).binarize",
                "needs \"min_rating\" (the threshold above which a rating counts as positive)")
        }
        return f
    }

    /// `declared`: each data set's own predefined split from the registry (nil when it has none),
    /// used by `{"method": "predefined"}` when the file names no files.
    mutating func splitSpec(
        _ node: JSONNode, _ path: String, task: RecommendationTask?, declared: [DeclaredSplit?] = []
    ) -> SplitSpec? {
        guard case let .object(raw) = node.value else {
            fail(node, path, "expected an object such as {\"method\": \"kfold\", \"k\": 5}, got \(node.brief)");
            return nil
        }
        let methods = Vocabulary.splits.map(\.name).sorted()
        guard let method = choice(raw.first { $0.key == "method" }?.value, "\(path).method", methods, default: nil)
        else { return nil }
        let F = Vocabulary.splits.first { $0.name == method }!.fields
        guard let m = members(node, path, allowed: ["method"] + F.names) else { return nil }
        let k = { (v: inout Validation) in v.int(F["k"], in: m, at: path) ?? 5 }
        let share = { (v: inout Validation, key: String) in v.real(F[key], in: m, at: path) ?? 0.2 }
        let perUser = { (v: inout Validation) in v.flag(F["per_user"], in: m, at: path) }
        let spec: SplitSpec
        switch method {
        case "kfold": spec = .method(.kFold(k: k(&self)))
        case "user_kfold": spec = .method(.userKFold(k: k(&self)))
        case "user_crossfold": spec = .method(.userCrossfold(k: k(&self), testFraction: share(&self, "test_fraction")))
        case "cold_users": spec = .method(.coldUsers(k: k(&self), maxTrain: int(F["max_train"], in: m, at: path) ?? 5))
        case "holdout":
            spec = .method(
                .holdout(
                    testFraction: share(&self, "test_fraction"), perUser: perUser(&self),
                    validationFraction: real(F["validation_fraction"], in: m, at: path) ?? 0))
        case "temporal":
            let cutoff = int(F["cutoff"], in: m, at: path).map(Int64.init)
            spec = .method(
                .temporal(cutoff: cutoff, testFraction: share(&self, "test_fraction"), perUser: perUser(&self)))
        case "leave_last_out": spec = .method(.leaveLastOut(validation: flag(F["validation"], in: m, at: path)))
        default:
            // No file named: the data sets' own declared split (all must declare the same one),
            // else ML-100K's u{fold}.base / u{fold}.test.
            var fallback = DeclaredSplit(base: "u{fold}.base", test: "u{fold}.test", folds: 5)
            if m["base"] == nil && m["test"] == nil && m["validation"] == nil, let first = declared.first, let d = first
            {
                if declared.allSatisfy({ $0 == d }) {
                    fallback = d
                } else {
                    fail(
                        node, path,
                        "the data sets declare different predefined splits; name the files (\"base\", \"test\", \"validation\")"
                    )
                }
            }
            let base = string(m["base"], "\(path).base", default: fallback.base) ?? ""
            let test = string(m["test"], "\(path).test", default: fallback.test) ?? ""
            let validation =
                m["validation"].map { string($0, "\(path).validation") ?? "" }
                ?? (m["base"] == nil ? fallback.validation : nil)
            let folds = int(F["folds"], in: m, at: path) ?? fallback.folds ?? 1
            for (key, t) in [("base", base), ("test", test), ("validation", validation ?? "{fold}")]
            where folds > 1 && !t.contains("{fold}") {
                fail(
                    m[key] ?? node, "\(path).\(key)",
                    "with \(folds) folds the file name must contain {fold}, got \"\(t)\"")
            }
            spec = .predefined(base: base, test: test, validation: validation, folds: folds)
        }
        if task == .sequential, case .method(let sm) = spec {
            switch sm {
            case .leaveLastOut, .temporal: break
            default:
                fail(
                    node, "\(path).method",
                    "the sequential task needs a time-ordered split: \"leave_last_out\" or \"temporal\"")
            }
        }
        return spec
    }

    mutating func algorithm(_ node: JSONNode, _ path: String, task: RecommendationTask?, seed: UInt64) -> AlgorithmSpec?
    {
        guard let m = members(node, path, allowed: ["name", "label", "params", "search"]) else { return nil }
        guard let name = string(m["name"], "\(path).name") else { return nil }
        guard let d = AlgorithmRegistry.descriptor(named: name) else {
            let names = AlgorithmRegistry.all.map(\.name)
            let hint = Suggestion.hint(for: name, in: names)
            fail(
                m["name"], "\(path).name",
                "unknown algorithm \"\(name)\"\(hint); known: \(names.joined(separator: ", "))")
            return nil
        }
        if let task, !d.tasks.contains(task) {
            fail(
                m["name"], "\(path).name",
                "\(d.name) does not support the \(task.rawValue) task (it supports: \(d.tasks.map(\.rawValue).sorted().joined(separator: ", ")))"
            )
        }
        let label = string(m["label"], "\(path).label", default: d.name) ?? d.name
        var grid: [(name: String, values: [ParameterValue])] = []
        var lines = [String: Int]()
        if let p = m["params"] {
            guard case let .object(params) = p.value else {
                fail(p, "\(path).params", "expected an object of parameters, got \(p.brief)"); return nil
            }
            for (key, value) in params {
                let ppath = "\(path).params.\(key)"
                guard let spec = d.parameters.first(where: { $0.name == key }) else {
                    let names = d.parameters.map(\.name)
                    let hint = Suggestion.hint(for: key, in: names)
                    fail(
                        value, ppath,
                        names.isEmpty
                            ? "\(d.name) takes no parameters"
                            : "unknown parameter of \(d.name)\(hint); known: \(names.joined(separator: ", "))")
                    continue
                }
                let nodes: [JSONNode]
                if case let .array(a) = value.value {
                    if a.isEmpty {
                        fail(
                            value, ppath,
                            "an empty list gives no configurations; give \(spec.expectation) or a non-empty list of them"
                        ); continue
                    }
                    nodes = a
                } else {
                    nodes = [value]
                }
                var values = [ParameterValue](), seen = Set<ParameterValue>()
                for n in nodes {
                    guard let v = scalar(n).flatMap(spec.check) else {
                        fail(n, ppath, "expected \(spec.expectation) or a list of them, got \(n.brief)"); continue
                    }
                    if seen.insert(v).inserted {
                        values.append(v)
                    } else {
                        fail(n, ppath, "\(v) appears twice in the grid")
                    }
                }
                grid.append((key, values))
                lines[key] = value.line
            }
        }
        let search = m["search"].flatMap {
            searchSpec($0, "\(path).search", descriptor: d, grid: &grid, experimentSeed: seed, label: label)
        }
        let algorithm = AlgorithmSpec(label: label, descriptor: d, grid: grid, search: search)
        let points = Limits.product(grid.map { $0.values.count })
        if points == nil || points! > Limits.configurations {
            let sizes = grid.map { String($0.values.count) }.joined(separator: " × ")
            fail(
                m["params"], "\(path).params",
                "the grid has \(sizes) = \(Limits.shown(points)) points, "
                    + "above the limit of \(Limits.configurations) configurations per experiment")
            return nil
        }
        checkConstraints(algorithm, path, node: m["params"] ?? node, lines: lines)
        return algorithm
    }

    /// Every grid point against the algorithm's cross-parameter rules; each broken rule is reported
    /// once, at the first of its parameters the file gives (the others keep their defaults).
    mutating func checkConstraints(_ a: AlgorithmSpec, _ path: String, node: JSONNode, lines: [String: Int]) {
        for rule in a.descriptor.constraints {
            guard let problem = a.configurations.lazy.compactMap({ rule.violation($0.values) }).first else { continue }
            if let name = rule.parameters.first(where: { lines[$0] != nil }) {
                issues.append(
                    SpecIssue(
                        file: file, line: lines[name]!, path: "\(path).params.\(name)",
                        message: problem))
            } else {
                fail(node, "\(path).params", problem)
            }
        }
    }

    func scalar(_ n: JSONNode) -> ParameterValue? {
        switch n.value {
        case let .number(x, literal):
            if x == x.rounded(), !literal.contains("."), !literal.lowercased().contains("e"), abs(x) < 9e15 {
                return .int(Int(x))
            }
            return .real(x)
        case let .string(s): return .text(s)
        case let .bool(b): return .bool(b)
        default: return nil
        }
    }
}
