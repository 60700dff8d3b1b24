import Foundation
import RecbenchCore
import RecbenchAlgorithms
import RecbenchConfig

/// One point a search asks to have trained and scored on validation data.
public struct SearchCandidate: Sendable {
    public let index: Int
    public let rung: Int
    /// Complete parameter values (defaults and the entry's fixed values filled in, the budget
    /// parameter set for this rung).
    public let values: ParameterValues
    /// The searched parameters only, in space order.
    public let searched: [(String, ParameterValue)]
    /// Budget parameter value or sample fraction of this rung; nil when the strategy spends none.
    public let budget: Double?
    /// The training-sample fraction (1 unless the budget is one).
    public let sampleFraction: Double
}

/// What scoring a candidate gave.
public struct CandidateOutcome: Codable, Sendable, Equatable {
    /// The selection metric on validation data (its own direction).
    public var value: Double
    public var fitSeconds: Double
    public var validationSeconds: Double
    public var bestIteration: Int?
    public var curve: [TrialResult.CurveRecord]
    /// Why the fit failed (the value is then NaN).
    public var failure: String?
}

/// Runs a search strategy over a space. Knows nothing of data: `evaluate` trains and scores a
/// candidate, and the driver only proposes, ranks and stops. Every decision depends on the
/// proposals (seeded) and the scores, so a search with cached scores replays exactly.
public struct SearchDriver {
    public let spec: SearchSpec
    public let descriptor: AlgorithmDescriptor
    /// Defaults with the entry's fixed values.
    public let base: [String: ParameterValue]
    public let higherIsBetter: Bool

    public init(spec: SearchSpec, descriptor: AlgorithmDescriptor, base: ParameterValues, higherIsBetter: Bool) {
        self.spec = spec; self.descriptor = descriptor; self.base = base.values; self.higherIsBetter = higherIsBetter
    }

    public struct Evaluated: Sendable {
        public let candidate: SearchCandidate
        public let outcome: CandidateOutcome
        public let cached: Bool
    }

    public struct Outcome: Sendable {
        /// In evaluation order.
        public let evaluated: [Evaluated]
        /// Index into `evaluated` of the choice.
        public let chosen: Int
        public let stoppedByTime: Bool
    }

    // MARK: proposals

    /// The points of the search, in order: the grid's product, or seeded draws without repeats.
    public func proposals() -> [[(String, ParameterValue)]] {
        if spec.strategy == .grid { return spec.gridPoints ?? [] }
        let wanted = spec.trials ?? 10_000
        var rng = RandomSource(seed: spec.seed, stream: "search-proposals")
        var seen = Set<String>(), out = [[(String, ParameterValue)]]()
        var attempts = 0
        // A small discrete space runs out of new points; stop after many repeats in a row.
        while out.count < wanted && attempts < 1000 {
            var point = [(String, ParameterValue)]()
            for (name, domain) in spec.space {
                let p = descriptor.parameters.first { $0.name == name }!
                point.append((name, p.sample(domain, &rng)))
            }
            let key = point.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
            if seen.insert(key).inserted { out.append(point); attempts = 0 } else { attempts += 1 }
        }
        return out
    }

    /// Successive-halving rungs: (candidates, budget) per rung, the last at the full budget and
    /// with at least eta candidates (so the final choice compares fully trained models). Budgets
    /// grow by eta per rung; `min_budget` raises the small ones (a model that learns slowly is
    /// not judged after too little training).
    public func rungs(candidates n: Int) -> [(count: Int, budget: Double)] {
        let eta = Double(spec.eta), full = spec.maxBudget ?? 1
        let integral = descriptor.budgetParameter != nil
        var r = 1
        while Double(n) / pow(eta, Double(r)) >= eta { r += 1 }
        return (0..<r).map { i in
            var b = full / pow(eta, Double(r - 1 - i))
            if integral { b = max(1, b.rounded()) }
            if let lo = spec.minBudget { b = max(b, lo) }
            return (max(1, Int(Double(n) / pow(eta, Double(i)))), i == r - 1 ? full : b)
        }
    }

    func candidate(_ index: Int, rung: Int, point: [(String, ParameterValue)], budget: Double?) -> SearchCandidate {
        var v = base
        for (name, value) in point { v[name] = value }
        var fraction = 1.0
        if let budget {
            if let name = descriptor.budgetParameter { v[name] = .int(Int(budget)) } else { fraction = budget }
        }
        return SearchCandidate(
            index: index, rung: rung, values: ParameterValues(v), searched: point, budget: budget,
            sampleFraction: fraction)
    }

    // MARK: running

    /// Whether a beats b on validation (NaN never wins; ties go to the earlier proposal).
    func better(_ a: Evaluated, _ b: Evaluated) -> Bool {
        let x = a.outcome.value, y = b.outcome.value
        if x.isFinite != y.isFinite { return x.isFinite }
        if x != y && x.isFinite { return higherIsBetter ? x > y : x < y }
        return a.candidate.index < b.candidate.index
    }

    /// Runs the strategy. `evaluate` returns the outcome and whether it came from the cache;
    /// `progress` sees the share of planned candidates done.
    public func run(
        evaluate: (SearchCandidate) throws -> (CandidateOutcome, cached: Bool),
        progress: (Double) -> Void = { _ in }
    ) throws -> Outcome {
        let points = proposals()
        var evaluated = [Evaluated](), spent = 0.0, stopped = false
        func timeLeft() -> Bool {
            guard let limit = spec.maxSeconds else { return true }
            if spent >= limit { stopped = true; return false }
            return true
        }
        func score(_ c: SearchCandidate) throws {
            let (o, cached) = try evaluate(c)
            evaluated.append(Evaluated(candidate: c, outcome: o, cached: cached))
            spent += o.fitSeconds + o.validationSeconds
        }
        if spec.strategy == .successiveHalving {
            let plan = rungs(candidates: points.count)
            let total = plan.reduce(0) { $0 + $1.count }
            var alive = Array(points.indices)
            for (r, rung) in plan.enumerated() {
                let start = evaluated.count
                for i in alive.prefix(rung.count) {
                    guard timeLeft() else { break }
                    try score(candidate(i, rung: r, point: points[i], budget: rung.budget))
                    progress(Double(evaluated.count) / Double(total))
                }
                if stopped { break }
                // The next rung continues with the best of this one.
                alive = evaluated[start...].sorted(by: better).map(\.candidate.index)
            }
        } else {
            for (i, p) in points.enumerated() {
                guard timeLeft() else { break }
                try score(candidate(i, rung: 0, point: p, budget: nil))
                progress(Double(i + 1) / Double(points.count))
            }
        }
        guard !evaluated.isEmpty else {
            throw RecbenchError.invalid("the search evaluated no candidate (max_seconds too small?)")
        }
        // The choice: the best at the highest rung reached.
        let top = evaluated.map(\.candidate.rung).max()!
        let chosen = evaluated.indices.filter { evaluated[$0].candidate.rung == top }
            .min { better(evaluated[$0], evaluated[$1]) }!
        return Outcome(evaluated: evaluated, chosen: chosen, stoppedByTime: stopped)
    }
}
