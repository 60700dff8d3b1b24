import RecbenchCore
internal import CIntrinsics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that turns raw similarities into a sparse neighbour model.
public struct NeighborhoodOptions: Sendable {
    public var similarity: Similarity
    /// λ in s · n / (n + λ): damps similarities resting on few common entries (0 = off).
    public var shrinkage: Double
    /// Pairs with fewer common entries than this are dropped.
    public var minSupport: Int
    /// Only similarities strictly above this survive (after shrinkage and exponent).
    public var minSimilarity: Double
    /// Case amplification: s ↦ sign(s) |s|^α (1 = off).
    public var exponent: Double
    /// M: neighbours kept per row, the most similar first.
    public var kept: Int

    public init(
        similarity: Similarity = .cosine, shrinkage: Double = 0, minSupport: Int = 1,
        minSimilarity: Double = 0, exponent: Double = 1, kept: Int = 100
    ) {
        self.similarity = similarity; self.shrinkage = shrinkage; self.minSupport = minSupport
        self.minSimilarity = minSimilarity; self.exponent = exponent; self.kept = kept
    }

    /// The final weight of a pair from its raw similarity and support, or nil when dropped.
    @inline(__always)
    func weight(raw: Double, support: Int) -> Float? {
        guard support >= max(1, minSupport), raw.isFinite else { return nil }
        var s = raw
        if shrinkage > 0 { s *= Double(support) / (Double(support) + shrinkage) }
        if exponent != 1 { s = s < 0 ? -pow(-s, exponent) : pow(s, exponent) }
        guard s > minSimilarity else { return nil }
        return Float(s)
    }
}
