import RecbenchCore
internal import CIntrinsics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-row factors of a scaled product (see `Neighborhoods.build`): the weight row a gives b is
/// dot(a, b) · row[a] · column[b].
public struct PairScales: Sendable {
    public let row: [Double]
    public let column: [Double]
    public init(row: [Double], column: [Double]) {
        precondition(row.count == column.count)
        self.row = row; self.column = column
    }
}
