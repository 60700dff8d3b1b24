/// Dense indices for external IDs. Indices follow ascending external ID (numerically when every
/// ID is an integer, otherwise lexicographically), so "ties broken by ascending external item ID"
/// is simply "ties broken by ascending index" everywhere downstream.
public struct IDMap: Sendable, Equatable {
    public let externalIDs: [String]
    private let lookup: [String: Int32]

    public init<S: Sequence>(ids: S) where S.Element == String {
        let unique = Array(Set(ids))
        let numeric = unique.allSatisfy { Int64($0) != nil }
        let sorted = numeric ? unique.sorted { Int64($0)! < Int64($1)! } : unique.sorted()
        externalIDs = sorted
        var map = [String: Int32](minimumCapacity: sorted.count)
        for (i, id) in sorted.enumerated() { map[id] = Int32(i) }
        lookup = map
    }

    /// IDs "0" ..< "n", for generated data.
    public init(count: Int) { self.init(ids: (0..<count).map(String.init)) }

    public var count: Int { externalIDs.count }
    public func index(of id: String) -> Int32? { lookup[id] }
    public func id(at index: Int32) -> String { externalIDs[Int(index)] }
}
