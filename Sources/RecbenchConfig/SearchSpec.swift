import RecbenchCore
import RecbenchAlgorithms
import RecbenchEval

/// A hyper-parameter search of one algorithm entry (`"search"` in the file), run inside every
/// outer fold on validation data carved from that fold's training part.
public struct SearchSpec: Sendable {
    public enum Strategy: String, Sendable, CaseIterable {
        /// Every point of the product of the choices (and of the entry's list-valued params).
        case grid
        /// `trials` points drawn from the space with `seed`.
        case random
        /// `trials` random points trained on a small budget; the best 1/eta go on with eta times
        /// the budget, until the full budget (Jamieson & Talwalkar 2016; Li et al. 2017).
        case successiveHalving = "successive_halving"
    }

    public var strategy: Strategy
    /// Searched parameters in file order; list-valued `params` join as choices.
    public var space: [(name: String, domain: SearchDomain)]
    /// Random: points drawn; successive halving: points in the first rung.
    public var trials: Int?
    /// Wall-time budget of one search (one fold): no new candidate starts once the candidates'
    /// recorded fit and validation seconds reach it. Makes the result depend on machine speed.
    public var maxSeconds: Double?
    public var seed: UInt64
    /// Refit the chosen configuration on training + validation before the test evaluation.
    public var refit: Bool
    /// Successive halving: the kept share 1/eta and budget growth eta per rung.
    public var eta: Int
    /// Successive halving: the smallest budget of any rung and the full budget of the last, in
    /// units of the algorithm's budget parameter, or as a training-sample fraction for algorithms
    /// without one. Rung r of R gets max(min, full / eta^(R − 1 − r)).
    public var minBudget: Double?
    public var maxBudget: Double?
    /// The search block's canonical JSON: part of every cache key of the search.
    public var identity: String

    /// The finite product of a grid, first axis slowest; nil when a domain is a range.
    public var gridPoints: [[(String, ParameterValue)]]? {
        var points: [[(String, ParameterValue)]] = [[]]
        for (name, domain) in space {
            guard case let .choices(values) = domain else { return nil }
            points = points.flatMap { p in values.map { p + [(name, $0)] } }
        }
        return points
    }

    public var label: String {
        switch strategy {
        case .grid: return "grid search"
        case .random: return "random search" + (trials.map { ", \($0) trials" } ?? "")
        case .successiveHalving: return "successive halving" + (trials.map { ", \($0) trials, η = \(eta)" } ?? "")
        }
    }
}

/// Where the validation data of a search comes from: carved from each outer fold's training
/// part (the test part is never touched), with a seed derived from the experiment seed, the data
/// set and the fold, so every algorithm of a fold is selected on the same validation data.
public struct ValidationSpec: Sendable, Equatable {
    public enum Method: Sendable, Equatable {
        /// A random `fraction` of each user's training interactions (or of all of them).
        case holdout(fraction: Double, perUser: Bool)
        /// Each user's last training interaction (by timestamp, then file position).
        case leaveLastOut
        /// The latest `fraction` of each user's training interactions (or of all of them).
        case temporal(fraction: Double, perUser: Bool)
        /// Interactions listed in files beside the data (`{fold}` replaced by the fold number);
        /// each must be in the fold's training part.
        case predefined(pattern: String)
        /// The split's own validation part (holdout `validation_fraction`, leave-last-out `validation`).
        case split
        /// A random `fraction` of the users with more than `maxTrain` training interactions keep 1 to
        /// `maxTrain` of them; the rest are validation: selection for cold-user tests on cold users.
        case coldUsers(fraction: Double, maxTrain: Int)
    }
    public var method: Method
    /// Overrides every iterative model's own early-stopping patience (see `FitContext.patience`).
    public var patience: Int?
    public var seed: UInt64?

    public init(method: Method, patience: Int? = nil, seed: UInt64? = nil) {
        self.method = method; self.patience = patience; self.seed = seed
    }

    public var label: String {
        func pct(_ f: Double) -> String { formatReal((f * 1000).rounded() / 10) + " %" }
        switch method {
        case let .holdout(f, perUser): return "holdout of \(pct(f)) \(perUser ? "per user" : "of all interactions")"
        case .leaveLastOut: return "each user's last training interaction"
        case let .temporal(f, perUser): return "latest \(pct(f)) \(perUser ? "per user" : "of all interactions")"
        case let .predefined(p): return "files \(p)"
        case .split: return "the split's validation part"
        case let .coldUsers(f, m): return "\(pct(f)) of users cut to at most \(m) training interactions"
        }
    }

    /// Everything that determines the carved data (patience aside), for cache keys.
    public var identity: String {
        var s: String
        switch method {
        case let .holdout(f, p): s = "holdout \(f) \(p)"
        case .leaveLastOut: s = "leave_last_out"
        case let .temporal(f, p): s = "temporal \(f) \(p)"
        case let .predefined(pattern): s = "predefined \(pattern)"
        case .split: s = "split"
        case let .coldUsers(f, m): s = "cold_users \(f) \(m)"
        }
        if let seed { s += " seed \(seed)" }
        if let patience { s += " patience \(patience)" }
        return s
    }
}

extension ExperimentSpec {
    /// The validation source of data set `d`: its own, else the experiment's, else the split's part.
    public func validation(forDataset d: Int) -> ValidationSpec? {
        if let v = datasets[d].validation ?? validation { return v }
        return split.hasValidationPart ? ValidationSpec(method: .split) : nil
    }

    /// Whether the best point of algorithm entry `a` is picked on test data: a grid without a search.
    public func selectedOnTest(algorithm a: Int) -> Bool {
        algorithms[a].search == nil && algorithms[a].configurations.count > 1
    }
}

extension SplitSpec {
    /// Whether the outer split already sets a validation part aside.
    public var hasValidationPart: Bool {
        guard case let .method(m) = self else {
            if case let .predefined(_, _, validation, _) = self { return validation != nil }
            return false
        }
        switch m {
        case let .holdout(_, _, v): return v > 0
        case let .leaveLastOut(v): return v
        default: return false
        }
    }
}
