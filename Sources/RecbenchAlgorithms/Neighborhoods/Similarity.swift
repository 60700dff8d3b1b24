import RecbenchCore
internal import CIntrinsics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How two vectors (rows of a SparseMatrix: items over users for item-CF, users over items for
/// user-CF) are compared. Sums run over the entries both vectors have ("common support", n).
public enum Similarity: String, Sendable, CaseIterable {
    /// Σ xy / (‖x‖ ‖y‖), norms over each whole vector (so thin overlaps count for little).
    case cosine
    /// Cosine after subtracting, from each entry, the mean of the *other* dimension's vector
    /// (the user's mean rating for item-CF, as in Sarwar et al. 2001; the item's for user-CF).
    case adjustedCosine = "adjusted_cosine"
    /// Ratings: each vector centred on its own mean (or, in the baseline variant, on the bias
    /// baseline); Σ xy / √(Σ x² Σ y²) with all three sums over the common support (co-rated entries).
    /// Implicit (all-ones) vectors: the correlation of the 0/1 vectors over every column (the phi
    /// coefficient, as numpy's corrcoef gives it), (c − d_a d_b / n) / √(d_a (1 − d_a/n) d_b (1 − d_b/n))
    /// from the co-occurrence count c, the degrees d and the n columns: the cosine of the vectors
    /// centred on their rates, so unlike cosine it discounts pairs that co-occur only as often as
    /// their popularity predicts.
    case pearson
    /// |A ∩ B| / |A ∪ B| on the patterns (values ignored).
    case jaccard
    /// Each vector centred as for `pearson` (on its own mean, or on the bias baseline in the
    /// baseline variant), then plain cosine with norms over each *whole* centred vector, as in
    /// LensKit's item-item and user-user. Unlike pearson, a pair with a thin overlap is damped
    /// by the entries outside it, a built-in shrinkage towards 0.
    case centeredCosine = "centered_cosine"

    /// These centre on the ratings alone, which carry no signal on all-ones (implicit) data.
    public var needsRatings: Bool { self == .adjustedCosine || self == .centeredCosine }
}
