import RecbenchAlgorithms
import RecbenchCore
import RecbenchData
import RecbenchEval

/// One algorithm's fit on every interaction of a data file, then top-K for every user (seen items
/// excluded): speed first. With a held-out `test` file it also scores the lists (NDCG@K, recall@K), so a
/// comparison with another library can show that both sides trained a model of the same quality.
public struct FitBenchmark: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        /// What `recbench datasets export` writes: header `user item rating timestamp`, tab-separated.
        case tsv
        /// `USER ITEM ITEM …` a line, as gowalla-lightgcn/train.txt.
        case adjacency
    }

    public let descriptor: AlgorithmDescriptor
    public let parameters: ParameterValues
    public var data: String, format: Format = .tsv
    /// Held-out interactions in `format`; pairs whose user or item the training file lacks are dropped.
    public var test: String?
    public var threads = 1, k = 10
    public var seed: UInt64 = 42

    public init(descriptor: AlgorithmDescriptor, parameters: ParameterValues, data: String) {
        self.descriptor = descriptor; self.parameters = parameters; self.data = data
    }

    /// `name=value` settings read against the algorithm's declarations and cross-parameter rules.
    public static func parameters(_ settings: [String], of d: AlgorithmDescriptor) throws -> ParameterValues {
        var overrides = [String: ParameterValue]()
        for s in settings {
            let parts = s.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let spec = d.parameters.first(where: { $0.name == parts[0] }) else {
                throw RecbenchError.invalid(
                    "--param \(s): expected name=value with a parameter of \(d.name) "
                        + "(\(d.parameters.map(\.name).joined(separator: ", ")))")
            }
            let raw = parts[1]
            let readings: [ParameterValue] = [
                Int(raw).map { .int($0) }, Double(raw).map { .real($0) },
                Bool(raw).map { .bool($0) }, .text(raw)
            ].compactMap { $0 }
            guard let v = readings.lazy.compactMap({ spec.check($0) }).first else {
                throw RecbenchError.invalid("--param \(s): \(spec.name) must be \(spec.expectation)")
            }
            overrides[spec.name] = v
        }
        let values = ParameterValues(specs: d.parameters, overrides: overrides)
        for rule in d.constraints {
            if let problem = rule.violation(values) { throw RecbenchError.invalid("--param: \(problem)") }
        }
        return values
    }

    public struct Measurement: Sendable {
        public let interactions: Int, users: Int, items: Int
        public let loadSeconds: Double, fitSeconds: Double, topKSeconds: Double
        /// The process's peak while loading, and the loaded columns' own size (4 + 4 + 4 bytes an
        /// interaction, + 8 with timestamps): issue 18 asks the first to stay within twice the second.
        public let loadPeakBytes: Int, columnBytes: Int
        public let peakResidentBytes: Int
        public let quality: Quality?
        /// The share of (user, item) scores the top-K computed (1 off the fused factor path).
        public let scoredFraction: Double
    }

    /// Means over the users with at least one usable test pair (binary gains, docs/METRICS.md).
    public struct Quality: Sendable {
        public let ndcg: Double, recall: Double, users: Int
    }

    /// Loading problems throw as they are; a model that fails to fit throws `FitBenchmark.FitFailed`.
    public func run() throws -> Measurement {
        var dataset: Dataset?
        SystemInfo.resetPeakMemory()
        let loadSeconds = try Stopwatch.wall { dataset = try load(data) }
        let loadPeak = SystemInfo.peakResidentBytes() ?? 0
        let d = dataset!
        let relevant = try test.map { try heldOut(load($0), by: d) }
        let train = d.matrix()
        let model = descriptor.make(parameters)
        SystemInfo.resetPeakMemory()
        let fitSeconds: Double
        do {
            fitSeconds = try Stopwatch.wall {
                try model.fit(
                    TrainingData(task: .ranking, interactions: train), context: FitContext(threads: threads, seed: seed)
                )
            }
        } catch { throw FitFailed(underlying: error) }
        let users = (0..<d.userCount).map { Int32($0) }
        var lists: RankedLists?
        let topKSeconds = Stopwatch.wall {
            lists = ScoringCore.topK(
                model: model, users: users, itemCount: d.itemCount, k: k, exclude: [train.byUser],
                threads: threads)
        }
        return Measurement(
            interactions: d.count, users: d.userCount, items: d.itemCount, loadSeconds: loadSeconds,
            fitSeconds: fitSeconds, topKSeconds: topKSeconds, loadPeakBytes: loadPeak,
            columnBytes: d.count * (d.timestamps == nil ? 12 : 20),
            peakResidentBytes: SystemInfo.peakResidentBytes() ?? 0,
            quality: relevant.map { Self.quality(lists!.items, k: k, relevant: $0) },
            scoredFraction: lists!.scoredFraction ?? 1)
    }

    private func load(_ path: String) throws -> Dataset {
        switch format {
        case .adjacency: return try AdjacencyLoader.load(paths: [path], name: "bench", ordered: true).0
        case .tsv:
            let tsv = DelimitedFormat(separator: "\t", header: true, user: "user", item: "item", rating: "rating")
            return try DelimitedLoader.load(path: path, format: tsv, name: "bench").0
        }
    }

    /// Each training user's held-out items, as training indices.
    func heldOut(_ t: Dataset, by d: Dataset) -> [Set<Int32>] {
        let userOf = (0..<t.userCount).map { d.userIDs.index(of: t.userIDs.id(at: Int32($0))) }
        let itemOf = (0..<t.itemCount).map { d.itemIDs.index(of: t.itemIDs.id(at: Int32($0))) }
        var relevant = [Set<Int32>](repeating: [], count: d.userCount)
        for r in 0..<t.count {
            if let u = userOf[Int(t.users[r])], let i = itemOf[Int(t.items[r])] { relevant[Int(u)].insert(i) }
        }
        return relevant
    }

    /// NDCG@K and recall@K of `lists` (K items per user, user-major) against each user's relevant items.
    static func quality(_ lists: [Int32], k: Int, relevant: [Set<Int32>]) -> Quality {
        var ndcg = 0.0, recall = 0.0, evaluated = 0
        for (u, items) in relevant.enumerated() where !items.isEmpty {
            let hits = lists[(u * k)..<(u * k + k)].map { i in items.contains(i) }
            ndcg += MetricFormulas.ndcg(hits: hits, k: k, relevant: items.count)
            recall += MetricFormulas.recall(hits: hits, k: k, relevant: items.count)
            evaluated += 1
        }
        let n = Double(max(evaluated, 1))
        return Quality(ndcg: ndcg / n, recall: recall / n, users: evaluated)
    }

    public struct FitFailed: Error, CustomStringConvertible {
        public let underlying: Error
        public var description: String { String(describing: underlying) }
    }
}
