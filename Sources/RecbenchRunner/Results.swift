import RecbenchCore
import RecbenchConfig

/// Everything one trial produced. Codable, so a trial can be cached, resumed or merged from shards.
public struct TrialResult: Codable, Sendable, Equatable {
    public var trial: Int
    public var dataset: String
    public var fold: Int
    public var configuration: String
    public var algorithm: String
    public var parameters: [String: String]
    /// Metric labels and fold values, in the experiment's metric order.
    public var metricLabels: [String]
    public var values: [Double]
    /// External user IDs evaluated, and per metric the per-user values (nil for aggregate-only metrics).
    public var users: [String]
    public var perUser: [[Double]?]
    public var skippedUsers: Int
    public var trainInteractions: Int
    public var testInteractions: Int
    public var fitSeconds: Double
    public var scoreSeconds: Double
    public var evaluateSeconds: Double
    public var peakResidentBytes: Int?
    /// The process's resident bytes when the trial started (the data already loaded), so
    /// peak − start is what the trial itself added.
    public var startResidentBytes: Int? = nil
    /// The runner's estimate of the trial's peak (`MemoryBudget.estimate`), made before the fit.
    public var estimatedPeakBytes: Int? = nil
    public var threads: Int
    public var curve: [CurveRecord]
    /// For a searched configuration: the fold's search, whose choice this trial evaluated on test.
    public var search: SearchRecord? = nil
    /// Files this trial wrote into the run's `exports/` folder (`TrialExports`); nil when none were asked for.
    public var exports: [String]? = nil

    public struct CurveRecord: Codable, Sendable, Equatable {
        public var iteration: Int
        public var values: [String: Double]
    }

    public func value(of metric: String) -> Double? { metricLabels.firstIndex(of: metric).map { values[$0] } }
}

/// Per data set facts of a run (load, filter and split), for the manifest and profile.
public struct DatasetRecord: Codable, Sendable, Equatable {
    public var label: String
    public var users: Int
    public var items: Int
    public var interactions: Int
    public var folds: Int
    public var dataFingerprint: String
    public var splitFingerprint: String
    public var sources: [Dataset.SourceFile]
    public var skippedLines: Int
    public var loadSeconds: Double
    public var filterSeconds: Double
    public var splitSeconds: Double
}

/// Mean, sample standard deviation and 95 % t-interval half-width of a metric over folds.
public struct Aggregate: Sendable, Equatable {
    public var dataset: String
    public var configuration: String
    public var metric: String
    public var mean: Double
    public var std: Double
    public var ci95: Double
    public var folds: Int
}

public struct RunResult: Sendable {
    public var spec: ExperimentSpec
    public var plan: Plan
    public var runID: String
    public var directory: String
    public var datasets: [DatasetRecord]
    public var trials: [TrialResult]
    public var aggregates: [Aggregate]
    public var startedAt: String
    public var wallSeconds: Double
    /// The part of the plan this run holds (`--shard i/n`); nil for a whole run or a merge.
    public var shard: Shard? = nil
    /// `Plan.fingerprint` of the plan the run was made from (as recorded in results.json).
    public var planFingerprint: String = ""
    /// Trials taken from the trial cache instead of computed, and cache entries found corrupt (recomputed).
    public var cachedTrials = 0
    public var recomputedCorruptEntries = 0
    /// Trials that diverged or threw, in plan order: they have no results (and no aggregates).
    public var failures: [TrialFailure] = []

    package init(
        spec: ExperimentSpec, plan: Plan, runID: String, directory: String, datasets: [DatasetRecord],
        trials: [TrialResult], aggregates: [Aggregate], startedAt: String, wallSeconds: Double,
        shard: Shard? = nil, planFingerprint: String = "", cachedTrials: Int = 0, recomputedCorruptEntries: Int = 0
    ) {
        self.spec = spec; self.plan = plan; self.runID = runID; self.directory = directory; self.datasets = datasets
        self.trials = trials; self.aggregates = aggregates; self.startedAt = startedAt; self.wallSeconds = wallSeconds
        self.shard = shard; self.planFingerprint = planFingerprint; self.cachedTrials = cachedTrials
        self.recomputedCorruptEntries = recomputedCorruptEntries
    }
}

/// The questions every output and analysis asks of a run, answered in one place.
extension RunResult {
    /// One configuration's trials on one data set, in fold order.
    public func trials(dataset: String, configuration: String) -> [TrialResult] {
        trials.filter { $0.dataset == dataset && $0.configuration == configuration }.sorted { $0.fold < $1.fold }
    }

    /// One configuration's aggregates on one data set, in metric order.
    public func aggregates(dataset: String, configuration: String) -> [Aggregate] {
        aggregates.filter { $0.dataset == dataset && $0.configuration == configuration }
    }

    /// The aggregate of one metric, if the configuration has it on that data set.
    public func aggregate(dataset: String, configuration: String, metric: String) -> Aggregate? {
        aggregates.first { $0.dataset == dataset && $0.configuration == configuration && $0.metric == metric }
    }

    /// One configuration's failed trials on one data set.
    public func failures(dataset: String, configuration: String) -> [TrialFailure] {
        failures.filter { $0.dataset == dataset && $0.configuration == configuration }
    }
}
