import RecbenchCore

/// What a metric measures, which decides the task it applies to and how it is computed.
public enum MetricKind: String, Sendable, Codable {
    /// Error of predicted ratings against held-out ratings (rating task).
    case rating
    /// Quality of one user's ranked list against that user's held-out items.
    case ranking
    /// Properties of all lists together or of the recommended items themselves (exposure, popularity).
    case beyondAccuracy
}

/// One metric to compute: a canonical lower-case name and, for list metrics, a cutoff K.
public struct MetricSpec: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let name: String
    public let k: Int?

    public init(name: String, k: Int? = nil) { self.name = name; self.k = k }

    /// "ndcg@10", "rmse": the form used in tables and files.
    public var label: String { k.map { "\(name)@\($0)" } ?? name }
    public var description: String { label }

    public var entry: MetricEntry? { MetricCatalog.entry(named: name) }
    public var kind: MetricKind? { entry?.kind }

    public static func < (a: MetricSpec, b: MetricSpec) -> Bool {
        if a.name != b.name { return a.name < b.name }
        return (a.k ?? -1) < (b.k ?? -1)
    }
}

/// A catalogue row: what the metric is, whether it needs a cutoff, and its formula in one line.
public struct MetricEntry: Sendable {
    public let name: String
    public let aliases: [String]
    public let needsCutoff: Bool
    public let kind: MetricKind
    public let help: String
    /// Whether a larger value is better; false for errors and for concentration of exposure.
    public var higherIsBetter: Bool { !["rmse", "mae", "gini", "arp"].contains(name) }
}

/// A metric string that could not be understood; `message` is one line, meant to follow a field path.
public struct MetricParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The metrics Recbench knows, and the parser for "name@K" strings. docs/METRICS.md holds the full definitions.
public enum MetricCatalog {
    /// The largest cutoff K a metric may ask for. The scoring core keeps K items for every
    /// evaluated user at once (users × K entries), so an unbounded K is an unbounded allocation;
    /// published protocols stay far below this.
    public static let maxCutoff = 1000

    public static let entries: [MetricEntry] = [
        MetricEntry(
            name: "rmse", aliases: [], needsCutoff: false, kind: .rating,
            help: "root mean squared error: sqrt(mean over test ratings of (prediction - rating)^2)"),
        MetricEntry(
            name: "mae", aliases: [], needsCutoff: false, kind: .rating,
            help: "mean absolute error: mean over test ratings of |prediction - rating|"),
        MetricEntry(
            name: "precision", aliases: ["prec", "p"], needsCutoff: true, kind: .ranking,
            help: "Precision@K = hits in the top K / K"),
        MetricEntry(
            name: "recall", aliases: ["r"], needsCutoff: true, kind: .ranking,
            help: "Recall@K = hits in the top K / |test items of the user|"),
        MetricEntry(
            name: "ndcg", aliases: [], needsCutoff: true, kind: .ranking,
            help: "NDCG@K = DCG/IDCG, DCG = sum_{i<=K} rel_i / log2(i+1), binary gains, IDCG over min(|test|, K) hits"),
        MetricEntry(
            name: "ndcg_graded", aliases: ["graded_ndcg", "gndcg"], needsCutoff: true, kind: .ranking,
            help: "graded NDCG@K: as NDCG with gain = the held-out rating (linear; 0 when not relevant), "
                + "IDCG over the user's relevant ratings sorted descending"),
        MetricEntry(
            name: "map", aliases: [], needsCutoff: true, kind: .ranking,
            help: "MAP@K: AP@K = (1 / min(|test|, K)) * sum_{i<=K} P@i * rel_i, averaged over users"),
        MetricEntry(
            name: "mrr", aliases: [], needsCutoff: true, kind: .ranking,
            help: "MRR@K = 1 / rank of the first hit within the top K, else 0"),
        MetricEntry(
            name: "hitrate", aliases: ["hr", "hit", "hit_rate"], needsCutoff: true, kind: .ranking,
            help: "HitRate@K = 1 if any test item is in the top K, else 0"),
        MetricEntry(
            name: "auc", aliases: [], needsCutoff: false, kind: .ranking,
            help: "AUC = fraction of (test item, non-test candidate) pairs scored in the right order, ties count 1/2"),
        MetricEntry(
            name: "coverage", aliases: ["catalog_coverage", "catalogue_coverage"], needsCutoff: true,
            kind: .beyondAccuracy, help: "Coverage@K = |union of all users' top K| / number of items"),
        MetricEntry(
            name: "gini", aliases: [], needsCutoff: true, kind: .beyondAccuracy,
            help: "Gini@K of how often each item is recommended in the top K (0 = equal exposure, near 1 = one item)"),
        MetricEntry(
            name: "novelty", aliases: [], needsCutoff: true, kind: .beyondAccuracy,
            help: "Novelty@K = mean over the list of -log2(max(n_i, 1) / |U|), n_i = training users of item i"),
        MetricEntry(
            name: "arp", aliases: [], needsCutoff: true, kind: .beyondAccuracy,
            help: "ARP@K = mean over the list of n_i, the number of training users of item i")
    ]

    /// What the ranking metrics count as relevant, printed under the catalogue by `recbench metrics`.
    public static let relevanceNote = """
        Relevant items: a user's test items, all of them by default. With "relevance": {"min_rating": R} in the
        experiment, only test items whose value (rating) is at least R are relevant; training keeps every
        interaction, items below R stay rankable but are not hits, users with no relevant test item are skipped
        and counted, and validation-based selection (early stopping, searches) uses the same rule. ndcg counts
        each relevant item as gain 1; ndcg_graded uses the rating itself as a linear gain (the Jarvelin-Kekalainen
        definition, and trec_eval's default), so a 5 counts 5/4 of a 4, not the 2x of 2^r - 1 gains, which would
        let a few top ratings dominate a 1-5 scale; on implicit data (all values 1) both are equal.
        """

    /// The direction of a metric given by its label ("ndcg@10", "rmse"); unknown names count as higher-is-better.
    public static func higherIsBetter(_ label: String) -> Bool {
        let name = label.split(separator: "@").first.map(String.init) ?? label
        return entry(named: name)?.higherIsBetter ?? true
    }

    public static func entry(named name: String) -> MetricEntry? {
        let n = name.lowercased()
        return entries.first { $0.name == n || $0.aliases.contains(n) }
    }

    /// Parses "ndcg@10", "recall@[5,10,20]" (three specs), "rmse"; case-insensitive, aliases map to
    /// the canonical name. Errors are single lines such as
    /// `unknown metric "ndgc@10" (did you mean "ndcg"?)` or `"ndcg" needs a cutoff, e.g. "ndcg@10"`.
    public static func parse(_ text: String) -> Result<[MetricSpec], MetricParseError> {
        let trimmed = text.trimmingSpaces()
        let parts = trimmed.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let rawName = parts[0].trimmingSpaces().lowercased()
        guard !rawName.isEmpty else { return .failure(MetricParseError("empty metric name in \"\(text)\"")) }
        guard let entry = entry(named: rawName) else {
            var message = "unknown metric \"\(trimmed)\""
            if let guess = suggestion(for: rawName) { message += " (did you mean \"\(guess)\"?)" }
            return .failure(MetricParseError(message))
        }
        guard parts.count == 2 else {
            if entry.needsCutoff {
                return .failure(MetricParseError("\"\(entry.name)\" needs a cutoff, e.g. \"\(entry.name)@10\""))
            }
            return .success([MetricSpec(name: entry.name)])
        }
        guard entry.needsCutoff else { return .failure(MetricParseError("\"\(entry.name)\" takes no cutoff")) }
        var cutoffText = parts[1].trimmingSpaces()
        if cutoffText.hasPrefix("[") {
            guard cutoffText.hasSuffix("]"), cutoffText.count >= 2 else {
                return .failure(
                    MetricParseError("unclosed cutoff list in \"\(trimmed)\", e.g. \"\(entry.name)@[5,10,20]\""))
            }
            cutoffText = String(cutoffText.dropFirst().dropLast())
        }
        var cutoffs: [Int] = []
        for piece in cutoffText.split(separator: ",", omittingEmptySubsequences: false) {
            let s = piece.trimmingSpaces()
            guard let k = Int(s), k > 0 else {
                if !s.isEmpty, s.allSatisfy({ ("0"..."9").contains($0) }), s.contains(where: { $0 != "0" }) {
                    return .failure(
                        MetricParseError(
                            "cutoff \(s) in \"\(trimmed)\" is above the limit of "
                                + "\(maxCutoff)"))
                }
                return .failure(MetricParseError("cutoff \"\(s)\" in \"\(trimmed)\" must be a positive integer"))
            }
            guard k <= maxCutoff else {
                return .failure(MetricParseError("cutoff \(k) in \"\(trimmed)\" is above the limit of \(maxCutoff)"))
            }
            if !cutoffs.contains(k) { cutoffs.append(k) }
        }
        return .success(cutoffs.sorted().map { MetricSpec(name: entry.name, k: $0) })
    }

    /// Parses several strings, keeping the first error.
    public static func parse(all texts: [String]) -> Result<[MetricSpec], MetricParseError> {
        var specs: [MetricSpec] = []
        for t in texts {
            switch parse(t) {
            case .success(let s): for m in s where !specs.contains(m) { specs.append(m) }
            case .failure(let e): return .failure(e)
            }
        }
        return .success(specs)
    }

    /// The largest cutoff among the specs (the K the scoring core must produce), or nil if none has one.
    public static func largestCutoff(_ specs: [MetricSpec]) -> Int? { specs.compactMap(\.k).max() }

    /// The canonical name of the entry whose name or alias is nearest (typos such as "ndgc", "recal").
    static func suggestion(for name: String) -> String? {
        let names = entries.flatMap { e in ([e.name] + e.aliases).map { ($0, e.name) } }
        return Suggestion.closest(to: name, in: names.map(\.0)).flatMap { hit in names.first { $0.0 == hit }?.1 }
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        String(self.drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
