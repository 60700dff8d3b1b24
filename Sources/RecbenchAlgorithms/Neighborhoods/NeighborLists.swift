import RecbenchCore
internal import CIntrinsics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A sparse top-M neighbour model: row r's neighbours, most similar first (ties by ascending
/// index), with their weights. Memory is rows × M, never rows².
public struct NeighborLists: Sendable, Equatable {
    public let rows: Int
    public let offsets: [Int]
    public let neighbors: [Int32]
    public let weights: [Float]

    public init(rows: Int, offsets: [Int], neighbors: [Int32], weights: [Float]) {
        precondition(offsets.count == rows + 1 && neighbors.count == weights.count && offsets.last == neighbors.count)
        self.rows = rows; self.offsets = offsets; self.neighbors = neighbors; self.weights = weights
    }

    public func range(_ r: Int) -> Range<Int> { offsets[r]..<offsets[r + 1] }
    public var count: Int { neighbors.count }

    /// The weight of `b` in row `a`'s list, or nil when b is not among a's kept neighbours.
    public func weight(_ a: Int, _ b: Int) -> Float? {
        for k in range(a) where neighbors[k] == Int32(b) { return weights[k] }
        return nil
    }
}
