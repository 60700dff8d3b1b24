import RecbenchAlgorithms
import RecbenchCore
import RecbenchData
import RecbenchEval

/// One algorithm's fit on every interaction of a data file, then top-K for every user (seen items
/// excluded): speed, not accuracy.
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
        public let peakResidentBytes: Int
    }

    /// Loading problems throw as they are; a model that fails to fit throws `FitBenchmark.FitFailed`.
    public func run() throws -> Measurement {
        var dataset: Dataset?
        let loadSeconds = try Stopwatch.wall {
            switch format {
            case .adjacency: dataset = try AdjacencyLoader.load(paths: [data], name: "bench", ordered: true).0
            case .tsv:
                let tsv = DelimitedFormat(separator: "\t", header: true, user: "user", item: "item", rating: "rating")
                dataset = try DelimitedLoader.load(path: data, format: tsv, name: "bench").0
            }
        }
        let d = dataset!
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
        let topKSeconds = Stopwatch.wall {
            let lists = ScoringCore.topK(
                model: model, users: users, itemCount: d.itemCount, k: k, exclude: [train.byUser],
                threads: threads)
            precondition(lists.items.count == users.count * k)
        }
        return Measurement(
            interactions: d.count, users: d.userCount, items: d.itemCount, loadSeconds: loadSeconds,
            fitSeconds: fitSeconds, topKSeconds: topKSeconds,
            peakResidentBytes: SystemInfo.peakResidentBytes() ?? 0)
    }

    public struct FitFailed: Error, CustomStringConvertible {
        public let underlying: Error
        public var description: String { String(describing: underlying) }
    }
}
