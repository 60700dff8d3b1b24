/// The paired test whose (adjusted) p-values decide "significant" in comparison tables, reports,
/// LaTeX daggers, "tied with the best" and `recbench check`. The other tests are still reported.
///
/// Default: the paired t-test. Ihemelandu & Ekstrand ("Inference at Scale: Significance Testing
/// for Large Search and Recommendation Experiments", SIGIR 2023) found that at recommender scale
/// (thousands of users, many zero differences) the t-test, the randomization test and the
/// bootstrap keep their type-I error rate near α, while the Wilcoxon signed-rank and sign tests
/// reject far too often, and that the tests' power is the same at that scale. Of the two that
/// hold, the t-test is exact to the last digit and has no resolution floor, so Holm over
/// hundreds of rows still works; the randomization test (p ≥ 1/(B + 1)) is the distribution-free
/// alternative. Wilcoxon stays available for comparisons with older work.
public enum SignificanceTest: String, CaseIterable, Sendable, Codable {
    case t
    case randomization
    case wilcoxon

    public static let `default`: SignificanceTest = .t

    /// Name for tables and captions.
    public var title: String {
        switch self {
        case .t: return "paired t-test"
        case .randomization: return "paired randomization test"
        case .wilcoxon: return "Wilcoxon signed-rank test"
        }
    }
}
