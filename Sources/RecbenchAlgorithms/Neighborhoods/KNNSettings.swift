import RecbenchCore
internal import CIntrinsics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The parameters ItemKNN and UserKNN share, declared once with per-model defaults.
public struct KNNSettings: Sendable {
    public enum Variant: String, Sendable { case meanCentered = "mean_centered", baseline }
    public var k: Int
    public var minNeighbors: Int
    public var variant: Variant
    public var normalize: Bool
    /// λ_d in Σ s·e / (Σ|s| + λ_d): pulls predictions resting on little total similarity towards the base.
    public var damping: Double
    /// β in (Σ r + β μ) / (n + β): row means damped towards the global mean (mean_centered variant).
    public var meanDamping: Double
    public var baselineItemReg: Double, baselineUserReg: Double
    public var options: NeighborhoodOptions

    public static func parameters(
        k: Int, kept: Int, similarity: Similarity, shrinkage: Double,
        minSupport: Int = 1, meanDamping: Double = 0, damping: Double = 0,
        userSide: Bool = false
    ) -> [ParameterSpec] {
        let rating = ParameterSpec.Scope.tasks([.rating], otherwise: "it only shapes rating predictions")
        // UserKNN divides all of one user's scores by one sum, which leaves that user's ranking as it is.
        let normalize: ParameterSpec =
            userSide
            ? .boolean(
                "normalize", default: false,
                "No effect for UserKNN: dividing a user's scores by the sum of the "
                    + "user's k weights leaves the ranking as it is (accepted so files stay valid)."
            )
            .acting(.tasks([], otherwise: "dividing one user's scores by one sum leaves the user's ranking as it is"))
            : .boolean(
                "normalize", default: false,
                "Ranking task: divide each neighbour list's contributions by the sum of its k weights."
            )
            .acting(.tasks([.ranking, .sequential], otherwise: "it only rescales ranking scores"))
        return [
            .integer(
                "k", default: k, min: 1, max: 100_000,
                "Neighbours used per prediction (the k most similar that qualify)."),
            .integer(
                "neighbors_kept", default: kept, min: 1, max: 100_000,
                "M: neighbours stored per row of the sparse model (memory rows × M)."),
            .choice(
                "similarity", Similarity.allCases.map(\.rawValue), default: similarity.rawValue,
                "cosine | pearson (co-rated entries; on implicit data the correlation over all rows, phi) | "
                    + "adjusted_cosine | centered_cosine (these two: rating task only) | jaccard."),
            .real(
                "shrinkage", default: shrinkage,
                "λ (0 = off): s·n/(n+λ) with n the common support, or λ added to the denominator (shrinkage_form)."),
            .choice(
                "shrinkage_form", default: ShrinkageForm.support,
                "support: s·n/(n+λ) (damps thin overlaps) | denominator: Σxy/(‖x‖‖y‖+λ), λ likewise added to "
                    + "pearson's and jaccard's denominators (damps rare vectors; RecBole's ItemKNN)."),
            .integer(
                "min_support", default: minSupport, min: 1, max: 1_000_000_000,
                "Pairs with fewer common entries are dropped."),
            .real("min_similarity", default: 0, min: -1, max: 1, "Only similarities strictly above this are kept."),
            .real("exponent", default: 1, min: 0, exclusiveMin: true, "Case amplification: s ↦ s^α."),
            .choice(
                "variant", [Variant.meanCentered.rawValue, Variant.baseline.rawValue],
                default: Variant.meanCentered.rawValue,
                "Rating task: average of mean-centred neighbour ratings, or of residuals after user/item biases (KNNBaseline)."
            ).acting(rating),
            .integer(
                "min_neighbors", default: 1, min: 1, max: 100_000,
                "Rating task: fewer qualifying neighbours than this falls back to the bias baseline."
            ).acting(rating),
            normalize,
            .real(
                "damping", default: damping,
                "Rating task: λ_d in Σ s·e / (Σ|s| + λ_d), a neighbour at the base with weight λ_d: corrections resting on little similarity shrink towards the base."
            ).acting(rating),
            .real(
                "mean_damping", default: meanDamping,
                "Rating task, mean_centered: β in (Σ r + β·μ) / (n + β), row means damped towards the global mean μ."
            ).acting(rating),
            .real(
                "baseline_item_reg", default: 5,
                "Rating task: λ_i of the bias baseline b_ui (fallback, and the base of the baseline variant); see Bias."
            ).acting(rating),
            .real("baseline_user_reg", default: 5, "Rating task: λ_u of the bias baseline b_ui; see Bias.").acting(
                rating)
        ]
    }

    public init(_ v: ParameterValues) {
        k = v.int("k"); minNeighbors = v.int("min_neighbors")
        variant = Variant(rawValue: v.text("variant"))!
        normalize = v.bool("normalize")
        damping = v.real("damping"); meanDamping = v.real("mean_damping")
        baselineItemReg = v.real("baseline_item_reg"); baselineUserReg = v.real("baseline_user_reg")
        options = NeighborhoodOptions(
            similarity: Similarity(rawValue: v.text("similarity"))!, shrinkage: v.real("shrinkage"),
            shrinkageForm: ShrinkageForm(rawValue: v.text("shrinkage_form"))!, minSupport: v.int("min_support"),
            minSimilarity: v.real("min_similarity"),
            exponent: v.real("exponent"), kept: v.int("neighbors_kept"))
    }

    /// The bias baseline b_ui with `baseline_item_reg` / `baseline_user_reg`, fitted quietly. Their
    /// default 5 / 5 is lighter than Bias's 10 / 15: on ML-100K (about 60 ratings per item) the
    /// heavier damping leaves item and user offsets in the residuals the neighbours then average
    /// (Bias alone, u1–u5: 0.9458 at 10 / 15, 0.9415–0.9421 anywhere in 2–5 × 2–5).
    func fitBiases(_ data: TrainingData, context: FitContext) throws -> BiasBaseline {
        var c = BiasBaseline.Config(ParameterValues(specs: BiasBaseline.Config.parameters))
        c.itemReg = baselineItemReg; c.userReg = baselineUserReg
        let bias = BiasBaseline(config: c)
        try bias.fit(data, context: FitContext(threads: context.threads, seed: context.seed))
        return bias
    }

    /// Row means damped towards the global mean: (Σ r + β μ) / (n + β); β = 0 gives plain means.
    static func dampedMeans(_ m: SparseMatrix, beta: Double) -> [Double] {
        let total = m.values.reduce(0.0) { $0 + Double($1) }, mu = m.nnz == 0 ? 0 : total / Double(m.nnz)
        return (0..<m.rows).map { r in
            let n = Double(m.rowCount(r)), sum = m.rowValues(r).reduce(0.0) { $0 + Double($1) }
            return n + beta == 0 ? 0 : (sum + beta * mu) / (n + beta)
        }
    }

    func checkTask(_ task: RecommendationTask, model: String) throws {
        if task != .rating && options.similarity.needsRatings {
            throw RecbenchError.unsupported(
                "\(model): similarity \"\(options.similarity.rawValue)\" centres values and is empty on implicit (all-ones) data; use cosine, pearson (the 0/1 correlation) or jaccard for \(task.rawValue)"
            )
        }
    }
}
