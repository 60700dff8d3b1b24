/// Side features of users or items, by group. Every group is a sparse entity × column matrix, so
/// one representation serves categorical (one-hot), multi-hot (genres) and numeric columns; the
/// group is the unit that factorization machines regularise and put priors on.
public struct FeatureGroup: Sendable, Equatable {
    public enum Kind: String, Sendable { case categorical, multiHot = "multi-hot", numeric }
    public let name: String
    public let kind: Kind
    public let columnNames: [String]
    /// entities × columnNames.count
    public let matrix: SparseMatrix

    public init(name: String, kind: Kind, columnNames: [String], matrix: SparseMatrix) {
        precondition(matrix.columns == columnNames.count)
        self.name = name; self.kind = kind; self.columnNames = columnNames; self.matrix = matrix
    }

    /// One-hot encoding of a categorical column: one value per entity (nil = missing).
    public init(name: String, categories values: [String?]) {
        let levels = Array(Set(values.compactMap { $0 })).sorted()
        let level = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, Int32($0)) })
        var rows = [Int32](), cols = [Int32]()
        for (e, v) in values.enumerated() { if let v { rows.append(Int32(e)); cols.append(level[v]!) } }
        self.init(
            name: name, kind: .categorical, columnNames: levels,
            matrix: SparseMatrix(
                rows: values.count, columns: levels.count, rowIndices: rows,
                columnIndices: cols, values: [Float](repeating: 1, count: rows.count)))
    }
}

public struct FeatureTable: Sendable, Equatable {
    public var groups: [FeatureGroup]
    public init(groups: [FeatureGroup] = []) { self.groups = groups }
    public subscript(name: String) -> FeatureGroup? { groups.first { $0.name == name } }
    public var isEmpty: Bool { groups.isEmpty }

    /// Keeps the rows of the given entities, in that order (after filtering re-indexes them).
    public func selectingRows(_ keep: [Int32]) -> FeatureTable {
        FeatureTable(
            groups: groups.map { g in
                var offsets = [0], idx = [Int32](), vals = [Float]()
                for e in keep {
                    idx.append(contentsOf: g.matrix.rowIndices(Int(e)));
                    vals.append(contentsOf: g.matrix.rowValues(Int(e)))
                    offsets.append(idx.count)
                }
                return FeatureGroup(
                    name: g.name, kind: g.kind, columnNames: g.columnNames,
                    matrix: SparseMatrix(
                        rows: keep.count, columns: g.matrix.columns,
                        offsets: offsets, indices: idx, values: vals))
            })
    }
}
