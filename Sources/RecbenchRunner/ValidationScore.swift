import RecbenchCore
import RecbenchAlgorithms
import RecbenchEval

/// The selection metric of a model on validation data: what searches rank candidates by and
/// what iterative models stop early on. Ranking metrics rank every item the user has not
/// trained on (whatever the test protocol), so validation scores never depend on sampling.
public enum ValidationScore {
    /// The metric's value in its own direction (an RMSE is an RMSE). Validation items count as relevant
    /// by the same rule as test items (`relevance`), so selection optimises what the test measures.
    public static func value(
        model: any Recommender, validation: InteractionMatrix, train: InteractionMatrix,
        metric: MetricSpec, task: RecommendationTask, relevance: Relevance = .all,
        threads: Int
    ) -> Double {
        if task == .rating {
            guard let predictor = model as? any RatingPredictor else { return .nan }
            let v = validation.byUser
            var users = [Int32](repeating: 0, count: v.nnz)
            for u in 0..<v.rows { for k in v.rowRange(u) { users[k] = Int32(u) } }
            let predictions = predictor.predict(users: users, items: v.indices)
            return Evaluator.rating(predictions: predictions, test: validation, metrics: [metric]).metrics.first?.value
                ?? .nan
        }
        let relevant = relevance.relevant(validation.byUser)
        let users = (0..<validation.userCount).filter { relevant.rowCount($0) > 0 }.map { Int32($0) }
        let lists = ScoringCore.topK(
            model: model, users: users, itemCount: validation.itemCount, k: metric.k ?? 10,
            exclude: [train.byUser], aucTest: metric.name == "auc" ? relevant : nil,
            threads: threads)
        return Evaluator.ranking(
            lists: lists, test: validation, train: train, metrics: [metric],
            relevance: relevance
        ).metrics.first?.value ?? .nan
    }

    /// The value turned higher-is-better (negated for RMSE, MAE, …): the shape of `FitContext.validate`.
    public static func signed(_ value: Double, metric: MetricSpec) -> Double {
        MetricCatalog.higherIsBetter(metric.label) ? value : -value
    }

    /// A `FitContext.validate` closure scoring on `validation`, or nil without validation data.
    public static func validator(
        validation: InteractionMatrix?, train: InteractionMatrix, metric: MetricSpec, task: RecommendationTask,
        relevance: Relevance = .all, threads: Int
    ) -> (@Sendable (any Recommender) -> Double)? {
        guard let validation, validation.nnz > 0 else { return nil }
        return { model in
            signed(
                value(
                    model: model, validation: validation, train: train, metric: metric, task: task,
                    relevance: relevance, threads: threads), metric: metric)
        }
    }
}
