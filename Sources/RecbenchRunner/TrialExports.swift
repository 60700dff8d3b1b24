import Foundation
import RecbenchCore
import RecbenchAlgorithms
import RecbenchEval

/// What a run exports beside its metrics (`"outputs": {"recommendations": K, "save_models": true}`),
/// written into the run's `exports/` folder while the run is assembled (each file atomically):
///
/// - `<stem>.recommendations.csv.gz`: `user,rank,item,score`, each test user's top K (external IDs,
///   training items excluded, ranks from 1, padded slots left out);
/// - `<stem>.predictions.csv.gz` (rating task): `user,item,rating,prediction` for every test pair;
/// - `<stem>.<array>.npy`: the fitted model's arrays (`ModelExport`), rows of users or items in index order;
/// - `<stem>.attention.csv.gz` (`"attention": [user IDs]`, attention models): `user,item,source,weight`,
///   what the model attended to when scoring each requested user's test items: a field name, or
///   `item:<ID>` for a past item;
/// - `<dataset>.users.txt`, `<dataset>.items.txt`: the external IDs in index order, one a line.
///
/// `<stem>` is `t<trial>-<dataset>-<configuration>-fold<k>`: trial numbers keep names unique and in plan order.
public struct TrialExports: Sendable {
    public let directory: String
    public let recommendations: Int?
    public let saveModels: Bool
    /// External IDs of the users whose attention weights are exported.
    public let attentionUsers: [String]

    public init(directory: String, recommendations: Int?, saveModels: Bool, attentionUsers: [String] = []) {
        self.directory = directory; self.recommendations = recommendations; self.saveModels = saveModels
        self.attentionUsers = attentionUsers
    }

    /// Letters, digits and `-_.=` kept; anything else (spaces, commas, slashes, brackets) becomes `_`, none at the ends.
    public static func safe(_ s: String) -> String {
        let mapped = String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.=".contains($0)) ? $0 : "_" })
        let trimmed = mapped.drop(while: { $0 == "_" }).reversed().drop(while: { $0 == "_" }).reversed()
        return trimmed.isEmpty ? "_" : String(trimmed)
    }

    public static func stem(trial: Int, dataset: String, configuration: String, fold: Int) -> String {
        "t" + String(format: "%03d", trial + 1) + "-\(safe(dataset))-\(safe(configuration))-fold\(fold)"
    }

    /// The two ID lists of a data set; the same for every trial on it.
    func writeIDs(users: IDMap, items: IDMap, dataset: String) throws {
        for (side, map) in [("users", users), ("items", items)] {
            try AtomicFile.write(
                map.externalIDs.joined(separator: "\n") + "\n",
                to: path("\(Self.safe(dataset)).\(side).txt"))
        }
    }

    /// `user,rank,item,score` for the first `k` entries of every list.
    public static func recommendationsCSV(_ lists: RankedLists, k: Int, users: IDMap, items: IDMap) -> String {
        var out = "user,rank,item,score\n"
        let take = min(k, lists.k)
        for (r, u) in lists.users.enumerated() {
            let user = TextFormat.csvField(users.id(at: u))
            for p in 0..<take {
                let i = lists.items[r * lists.k + p]
                if i < 0 { break }
                out += "\(user),\(p + 1),\(TextFormat.csvField(items.id(at: i))),\(lists.scores[r * lists.k + p])\n"
            }
        }
        return out
    }

    /// `user,item,rating,prediction` for every test pair, in the test matrix's order (by user, then item).
    public static func predictionsCSV(test: SparseMatrix, predictions: [Float], users: IDMap, items: IDMap) -> String {
        var out = "user,item,rating,prediction\n"
        for u in 0..<test.rows {
            let user = TextFormat.csvField(users.id(at: Int32(u)))
            for e in test.rowRange(u) {
                out +=
                    "\(user),\(TextFormat.csvField(items.id(at: test.indices[e]))),\(test.values[e]),\(predictions[e])\n"
            }
        }
        return out
    }

    /// `user,item,source,weight` for every test item of each requested user the data set has (users it
    /// lacks, or without test items in this fold, get no rows).
    public static func attentionCSV(
        _ model: any AttentionExplaining, requested: [String], test: SparseMatrix, users: IDMap, items: IDMap
    ) -> String {
        var out = "user,item,source,weight\n"
        for id in requested {
            guard let u = users.index(of: id), Int(u) < test.rows else { continue }
            let user = TextFormat.csvField(id)
            for e in test.rowRange(Int(u)) {
                let item = TextFormat.csvField(items.id(at: test.indices[e]))
                for w in model.attention(user: u, item: test.indices[e]) {
                    let source: String
                    switch w.source {
                    case let .field(name): source = name
                    case let .item(i): source = "item:" + items.id(at: i)
                    }
                    out += "\(user),\(item),\(TextFormat.csvField(source)),\(w.weight)\n"
                }
            }
        }
        return out
    }

    /// Writes one trial's files and returns their names (relative to `exports/`).
    func write(
        stem: String, lists: RankedLists?, predictions: (SparseMatrix, [Float])?, test: SparseMatrix,
        model: any Recommender, users: IDMap, items: IDMap
    ) throws -> [String] {
        var names = [String]()
        if !attentionUsers.isEmpty, let explaining = model as? any AttentionExplaining {
            let name = stem + ".attention.csv.gz"
            let csv = Self.attentionCSV(explaining, requested: attentionUsers, test: test, users: users, items: items)
            try AtomicFile.write(Gzip.compress(Data(csv.utf8)), to: path(name))
            names.append(name)
        }
        if let k = recommendations, let lists {
            let name = stem + ".recommendations.csv.gz"
            let csv = Self.recommendationsCSV(lists, k: k, users: users, items: items)
            try AtomicFile.write(Gzip.compress(Data(csv.utf8)), to: path(name))
            names.append(name)
        }
        if let (test, values) = predictions {
            let name = stem + ".predictions.csv.gz"
            let csv = Self.predictionsCSV(test: test, predictions: values, users: users, items: items)
            try AtomicFile.write(Gzip.compress(Data(csv.utf8)), to: path(name))
            names.append(name)
        }
        if saveModels {
            for (array, a) in ModelExport.arrays(of: model).sorted(by: { $0.key < $1.key }) {
                let name = "\(stem).\(array).npy"
                try AtomicFile.write(NpyFile.encode(a.elements, shape: a.shape), to: path(name))
                names.append(name)
            }
        }
        return names
    }

    /// `exports/index.csv`: which trial wrote which file (file, trial, dataset, fold, configuration, algorithm).
    public static func indexCSV(_ trials: [TrialResult]) -> String {
        var out = TextFormat.csvLine(["file", "trial", "dataset", "fold", "configuration", "algorithm"])
        for t in trials {
            for f in t.exports ?? [] {
                out += TextFormat.csvLine([
                    f, String(t.trial + 1), t.dataset, String(t.fold), t.configuration, t.algorithm
                ])
            }
        }
        return out
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
}
