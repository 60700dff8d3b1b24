import RecbenchCore

/// What a fold's search did, kept with the trial it selected (and so in results.json, the trial
/// cache and every output): each candidate's validation score, and the choice.
public struct SearchRecord: Codable, Sendable, Equatable {
    public struct Candidate: Codable, Sendable, Equatable {
        /// Position in the search's proposal order (0-based), the same for every rung it reaches.
        public var index: Int
        /// Successive-halving rung (0 for other strategies).
        public var rung: Int
        /// The searched parameters only (the rest are the entry's fixed values and defaults).
        public var parameters: [String: String]
        /// Budget parameter value, or training-sample fraction; nil when the search spends none.
        public var budget: Double?
        /// The selection metric on validation data, in its own direction (an RMSE stays positive).
        public var value: Double
        public var fitSeconds: Double
        public var validationSeconds: Double
        /// The iteration with the best validation score, for iterative models that report one.
        public var bestIteration: Int?
        /// The fit's training curve (loss, validation per iteration).
        public var curve: [TrialResult.CurveRecord]
        /// Why the fit failed (the value is then NaN).
        public var failure: String?
    }

    public var strategy: String
    /// Metric label, e.g. "ndcg@10".
    public var select: String
    public var higherIsBetter: Bool
    /// Where validation came from, in words.
    public var validation: String
    public var refit: Bool
    /// "iterations", "epochs", "sample fraction", or nil.
    public var budgetName: String?
    public var candidates: [Candidate]
    /// Index into `candidates` of the chosen one (its entry at the highest rung it reached).
    public var chosen: Int
    /// Interactions of the inner training and validation parts.
    public var trainInteractions: Int
    public var validationInteractions: Int
    /// Whether a wall-time budget stopped the search before its planned candidates were done.
    public var stoppedByTime: Bool

    public var chosenCandidate: Candidate { candidates[chosen] }

    /// Total fit and validation seconds over every candidate (the search's cost).
    public var seconds: Double { candidates.reduce(0) { $0 + $1.fitSeconds + $1.validationSeconds } }

    /// The best validation score after each candidate, in evaluation order.
    public var bestSoFar: [Double] {
        var best: Double?
        return candidates.map { c in
            if c.value.isFinite, best == nil || (higherIsBetter ? c.value > best! : c.value < best!) { best = c.value }
            return best ?? .nan
        }
    }
}
