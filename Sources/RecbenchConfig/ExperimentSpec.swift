import RecbenchCore
import RecbenchData
import RecbenchAlgorithms
import RecbenchEval

/// A validated experiment file. Everything the plan and the runner need, typed; produced only by
/// `ExperimentLoader`, which reports every problem of a file at once.
public struct ExperimentSpec: Sendable {
    public var file: String
    public var name: String
    public var description: String
    public var seed: UInt64
    public var threads: Int
    /// Trials run at the same time (each gets threads / jobs threads).
    public var jobs: Int
    public var task: RecommendationTask
    public var datasets: [DatasetSpec]
    public var split: SplitSpec
    public var algorithms: [AlgorithmSpec]
    public var metrics: [MetricSpec]
    /// The metric searches select on and iterative models stop early on (`"select"`).
    public var select: MetricSpec
    /// Where searches take validation data from (`"validation"`); a data set may override it.
    public var validation: ValidationSpec?
    public var candidates: CandidateProtocol
    /// Which held-out items the ranking metrics (and validation-based selection) count as relevant (`"relevance"`).
    public var relevance: Relevance = .all
    public var outputs: OutputSpec
    /// SHA-256 of the file's canonical JSON (key order and whitespace do not matter).
    public var configHash: String
    /// The file's text, copied into every run folder so a run can be re-read and reproduced.
    public var sourceText: String = ""
    /// Problems that do not stop a run (a grid selected on test), as `file:line: path: warning: …`.
    public var warnings: [SpecIssue] = []
    /// The line of every field ("split.k", "datasets[0].file"), so a problem found only while
    /// loading data can still be reported as FILE:LINE: field: message.
    public var fieldLines: [String: Int] = [:]

    /// A problem with the field at `path` (or its nearest given ancestor) found after validation.
    public func issue(_ path: String, _ message: String) -> SpecErrors {
        var p = Substring(path)
        while fieldLines[String(p)] == nil, let cut = p.lastIndex(where: { $0 == "." || $0 == "[" }) { p = p[..<cut] }
        let line = fieldLines[String(p)] ?? 0
        return SpecErrors(issues: [SpecIssue(file: file, line: line, path: path, message: message)])
    }
}

public struct DatasetSpec: Sendable {
    public enum Source: Sendable {
        /// A registry entry, optionally at an explicit folder.
        case registry(name: String, path: String?)
        case synthetic(SyntheticConfig)
        /// `format` nil: no "format" block (`DelimitedFormat.implied(forFile:)` when loading).
        case file(path: String, format: DelimitedFormat?)
        /// Predefined split files alone ("split" in the data set): their union is the data set.
        /// Paths relative to the experiment file, `{fold}` standing for 1...folds.
        case folds(DeclaredSplit, format: DelimitedFormat)
    }
    public var label: String
    public var source: Source
    public var filters: FilterSpec
    public var malformed: MalformedLinePolicy
    /// Overrides the experiment's `validation` for this data set.
    public var validation: ValidationSpec? = nil
}

public struct FilterSpec: Sendable, Equatable {
    public var duplicates: DuplicatePolicy = .last
    public var minUserInteractions = 0
    public var minItemInteractions = 0
    public var minRating: Float? = nil
    public var binarize = false
}

public enum SplitSpec: Sendable {
    case method(SplitMethod)
    /// Files relative to the data set's folder, `{fold}` replaced by 1...folds; the optional
    /// validation file becomes each fold's validation part.
    case predefined(base: String, test: String, validation: String?, folds: Int)

    public var foldCount: Int? {
        switch self {
        case let .predefined(_, _, _, n): return n
        case let .method(m):
            switch m {
            case let .kFold(k), let .userKFold(k), let .userCrossfold(k, _), let .coldUsers(k, _): return k
            default: return 1
            }
        }
    }
}

public struct AlgorithmSpec: Sendable {
    public var label: String
    public var descriptor: AlgorithmDescriptor
    /// Parameters given in the file, in file order; a list is a grid axis. With a search, list
    /// values move into the search's space and only fixed values stay here.
    public var grid: [(name: String, values: [ParameterValue])]
    public var search: SearchSpec? = nil

    /// The grid's points, first axis slowest, each completed with defaults; `varied` names them in labels.
    public var configurations: [(values: ParameterValues, varied: [(String, ParameterValue)])] {
        var points: [[(String, ParameterValue)]] = [[]]
        for axis in grid {
            points = points.flatMap { p in axis.values.map { p + [(axis.name, $0)] } }
        }
        // A grid's labels name its axes and every fixed parameter that differs from the default, so
        // two grids that differ only in a fixed value do not look alike.
        let gridNames = Set(grid.filter { $0.values.count > 1 }.map(\.name))
        let defaults = Dictionary(uniqueKeysWithValues: descriptor.parameters.map { ($0.name, $0.defaultValue) })
        return points.map { p in
            (
                ParameterValues(specs: descriptor.parameters, overrides: Dictionary(uniqueKeysWithValues: p)),
                gridNames.isEmpty ? [] : p.filter { gridNames.contains($0.0) || defaults[$0.0] != $0.1 }
            )
        }
    }
}

public enum CandidateProtocol: Sendable, Equatable {
    /// Every item the user has not interacted with in training.
    case full
    /// The user's test items plus this many sampled unseen items (inflates scores; label results so).
    case sampled(negatives: Int)

    public var label: String {
        switch self {
        case .full: return "full ranking";
        case let .sampled(n): return "\(n) sampled negatives"
        }
    }
}

public struct OutputSpec: Sendable {
    public var directory: String = "results"
    public var perUser = true
    public var latex = true
    /// summary.tex: mean ± standard deviation over folds.
    public var latexSD = false
    /// summary.tex: these metric columns in this order (labels of the run's metrics); nil = all.
    public var latexMetrics: [String]? = nil
    /// Each trial's top-K lists (and, in the rating task, its test predictions) into `exports/`.
    public var recommendations: Int? = nil
    /// Each trial's fitted arrays (factors, item–item weights) as .npy files into `exports/`.
    public var saveModels = false
    /// External user IDs whose attention weights attention models export (`AttentionExplaining`).
    public var attentionUsers: [String] = []

    /// Whether trials write anything into the run's `exports/` folder.
    public var exportsAnything: Bool { recommendations != nil || saveModels || !attentionUsers.isEmpty }
}
