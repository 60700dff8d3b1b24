import RecbenchCore
import RecbenchAlgorithms
import RecbenchEval

/// Finds a model whose training went non-finite, so its trial is reported as failed with a reason
/// instead of as a success with blank or meaningless metrics. Models on the shared epoch loop throw
/// `RecbenchError.diverged` themselves; these checks catch the others (a closed-form solver fed an
/// overflowing initialisation, NaN that never reached a reported loss) from what every model exposes.
enum Divergence {
    /// The first training-curve point whose loss is not finite.
    static func curve(_ points: [CurvePoint]) -> RecbenchError? {
        for p in points {
            if let loss = p.values["loss"], !loss.isFinite {
                return .diverged("non-finite loss at epoch \(p.iteration)")
            }
        }
        return nil
    }

    /// Non-finite factors or biases of a latent-factor model.
    static func factors(_ f: LatentFactors?) -> RecbenchError? {
        guard let f else { return nil }
        let parts = [("user factor", f.users.values), ("item factor", f.items.values), ("item bias", f.itemBias ?? [])]
        for (what, values) in parts {
            if let bad = firstNonFinite(values) { return .diverged("non-finite \(what) (\(bad)) after training") }
        }
        return nil
    }

    /// Scores every item for up to `limit` of `users` (cheap next to the evaluation, which scores them all).
    static func scores(_ model: any Recommender, users: [Int32], itemCount: Int, limit: Int = 32) -> RecbenchError? {
        let probe = Array(users.prefix(limit))
        guard !probe.isEmpty, itemCount > 0 else { return nil }
        var scores = [Float](repeating: 0, count: probe.count * itemCount)
        scores.withUnsafeMutableBufferPointer { model.score(users: probe, into: $0) }
        let bad = scores.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        return bad == 0 ? nil : .diverged("non-finite scores after training (\(bad) of \(scores.count) probed)")
    }

    /// Non-finite rating predictions.
    static func predictions(_ values: [Float]) -> RecbenchError? {
        let bad = values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        return bad == 0 ? nil : .diverged("non-finite predictions for \(bad) of \(values.count) test ratings")
    }

    /// Accuracy values that came out non-finite although users were evaluated. AUC, novelty and
    /// ARP may be NaN for a user with nothing to compare or an empty list, so they are not judged.
    static func metrics(_ specs: [MetricSpec], _ values: [Double], evaluatedUsers: Int) -> RecbenchError? {
        guard evaluatedUsers > 0 else { return nil }
        for (spec, v) in zip(specs, values) where !v.isFinite && spec.name != "auc" && spec.kind != .beyondAccuracy {
            return .diverged("\(spec.label) is not finite over \(evaluatedUsers) evaluated users")
        }
        return nil
    }

    static func firstNonFinite(_ xs: [Float]) -> Float? { xs.first { !$0.isFinite } }
}
