import RecbenchCore

/// The iteration loop every iterative model shares (ALS, BPR, FM's SGD, the neural models), so
/// cancellation, divergence, the training curve, validation and early stopping behave the same
/// in all of them:
/// - a cancelled fit throws `RecbenchError.cancelled` before the next iteration;
/// - an iteration with a non-finite curve value (loss, validation metric…) throws `RecbenchError.diverged`;
/// - every iteration records one curve point with the shared keys `loss` and `validation`, plus
///   whatever the model adds;
/// - with a validation metric (higher is better) the loop validates every `validateEvery`
///   iterations and at the last, remembers the best iteration's state and stops once `patience`
///   iterations have passed without a gain (0 = never stop early); the best state is restored.
///   The experiment's patience (`FitContext.patience`), when set, replaces the model's own.
public struct TrainingLoop {
    public let iterations: Int
    public let patience: Int
    public let validateEvery: Int
    /// The word curves and messages use for one iteration ("epoch" for SGD-style models).
    public let unit: String
    /// False for models that cannot be scored before the fit ends (FM averages its samples last).
    public let validating: Bool

    public init(
        iterations: Int, patience: Int = 0, validateEvery: Int = 1, unit: String = "iteration",
        validating: Bool = true
    ) {
        self.iterations = iterations; self.patience = max(0, patience)
        self.validateEvery = max(1, validateEvery); self.unit = unit; self.validating = validating
    }

    /// Runs `step` for iterations 1...`iterations` and returns how many ran. `step` returns the
    /// iteration's curve values. `validation` overrides `context.validate` applied to `model` (for
    /// models that must prepare before they can be scored, or validate on their own held-out part).
    @discardableResult
    public func run<State>(
        context: FitContext, model: any Recommender, validation: (() -> Double)? = nil,
        snapshot: () -> State, restore: (State) -> Void,
        step: (_ iteration: Int) throws -> [String: Double]
    ) throws -> Int {
        let validate = validating ? validation ?? context.validate.map { v in { v(model) } } : nil
        let patience = context.patience ?? self.patience
        var best: (iteration: Int, metric: Double, state: State)?
        var ran = 0
        for iteration in 1...max(1, iterations) {
            if context.isCancelled { throw RecbenchError.cancelled }
            var point = try step(iteration)
            ran = iteration
            if let bad = point.keys.sorted().first(where: { !point[$0]!.isFinite }) {
                throw RecbenchError.diverged("non-finite \(bad) at \(unit) \(iteration)")
            }
            var stop = false
            if let validate, iteration % validateEvery == 0 || iteration == iterations {
                let metric = validate()
                guard metric.isFinite else {
                    throw RecbenchError.diverged("non-finite validation at \(unit) \(iteration)")
                }
                point["validation"] = metric
                if best == nil || metric > best!.metric { best = (iteration, metric, snapshot()) }
                stop = patience > 0 && iteration - best!.iteration >= patience
            }
            context.record(iteration: iteration, point)
            context.progress(Double(iteration) / Double(max(1, iterations)))
            if stop { break }
        }
        if let best, best.iteration != ran { restore(best.state) }
        return ran
    }
}

extension ParameterSpec {
    /// The one declaration of early-stopping patience, shared by every iterative model.
    public static func patience(default d: Int, unit: String = "iterations") -> ParameterSpec {
        .integer(
            "patience", default: d, min: 0, max: 100_000,
            "\(unit.prefix(1).uppercased() + unit.dropFirst()) without a gain in the validation metric before "
                + "stopping, the best \(unit.dropLast()) kept (0 = never stop early; needs a validation part)."
        )
        .acting(.validation)
    }

    /// The one declaration of the validation interval, for models whose validation pass costs
    /// far more than an epoch (scoring every user against every item).
    public static func validateEvery() -> ParameterSpec {
        .integer(
            "validate_every", default: 1, min: 1, max: 100_000,
            "Epochs between validation passes (with a validation part; the last is always validated). Patience "
                + "counts epochs, so keep it at least this."
        )
        .acting(.validation)
    }

    /// The one declaration of a per-epoch learning-rate decay: η_t = η_0 · decay^t.
    public static func learningRateDecay(default d: Double) -> ParameterSpec {
        .real(
            "learning_rate_decay", default: d, min: 0, max: 1, exclusiveMin: true,
            "The learning rate is multiplied by this after every epoch (1 = constant).")
    }
}
