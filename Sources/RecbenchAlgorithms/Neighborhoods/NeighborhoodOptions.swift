import RecbenchCore
internal import CIntrinsics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the shrinkage λ enters a similarity.
public enum ShrinkageForm: String, Sendable, CaseIterable {
    /// s · n / (n + λ), n the common support (Koren; Surprise): damps pairs resting on few common entries.
    case support
    /// λ added to the similarity's denominator, e.g. Σxy / (‖x‖‖y‖ + λ) (Aiolli 2013; RecBole's
    /// ItemKNN): damps pairs of rarely seen vectors, whatever their overlap.
    case denominator
}

/// Everything that turns raw similarities into a sparse neighbour model.
public struct NeighborhoodOptions: Sendable {
    public var similarity: Similarity
    /// λ: damps similarities resting on little evidence (0 = off); `shrinkageForm` says how.
    public var shrinkage: Double
    public var shrinkageForm: ShrinkageForm
    /// Pairs with fewer common entries than this are dropped.
    public var minSupport: Int
    /// Only similarities strictly above this survive (after shrinkage and exponent).
    public var minSimilarity: Double
    /// Case amplification: s ↦ sign(s) |s|^α (1 = off).
    public var exponent: Double
    /// M: neighbours kept per row, the most similar first.
    public var kept: Int

    public init(
        similarity: Similarity = .cosine, shrinkage: Double = 0, shrinkageForm: ShrinkageForm = .support,
        minSupport: Int = 1, minSimilarity: Double = 0, exponent: Double = 1, kept: Int = 100
    ) {
        self.similarity = similarity; self.shrinkage = shrinkage; self.shrinkageForm = shrinkageForm
        self.minSupport = minSupport
        self.minSimilarity = minSimilarity; self.exponent = exponent; self.kept = kept
    }

    /// λ as it enters the similarity's denominator (0 in the support form).
    var denominatorShrinkage: Double { shrinkageForm == .denominator ? max(0, shrinkage) : 0 }

    /// The final weight of a pair from its raw similarity (already shrunk in the denominator form)
    /// and support, or nil when dropped.
    @inline(__always)
    func weight(raw: Double, support: Int) -> Float? {
        guard support >= max(1, minSupport), raw.isFinite else { return nil }
        var s = raw
        if shrinkage > 0 && shrinkageForm == .support { s *= Double(support) / (Double(support) + shrinkage) }
        if exponent != 1 { s = s < 0 ? -pow(-s, exponent) : pow(s, exponent) }
        guard s > minSimilarity else { return nil }
        return Float(s)
    }
}
