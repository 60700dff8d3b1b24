import RecbenchCore

/// One array of a fitted model, for `"save_models": true`. The runner writes it as a NumPy `.npy`
/// file; the model only says what the array holds and what its axes index.
public struct ExportArray: Sendable, Equatable {
    /// What an axis indexes: users and items in index order (= the exported ID lists), or neither.
    public enum Axis: String, Sendable, Equatable { case users, items, factors, entries, offsets }

    public let elements: NpyFile.Elements
    public let shape: [Int]
    public let axes: [Axis]

    public init(_ elements: NpyFile.Elements, shape: [Int], axes: [Axis]) {
        precondition(shape.count == axes.count && shape.reduce(1, *) == elements.count)
        self.elements = elements; self.shape = shape; self.axes = axes
    }

    public static func dense(_ m: DenseMatrix, rows: Axis, columns: Axis) -> ExportArray {
        ExportArray(.float32(m.values), shape: [m.rows, m.columns], axes: [rows, columns])
    }

    public static func vector(_ v: [Float], axis: Axis) -> ExportArray {
        ExportArray(.float32(v), shape: [v.count], axes: [axis])
    }

    /// A sparse matrix as the three CSR arrays SciPy takes (`csr_matrix((data, indices, indptr))`):
    /// `<name>_indptr` (rows + 1 offsets, 32-bit while they fit), `<name>_indices`, `<name>_data`.
    public static func csr(_ name: String, offsets: [Int], indices: [Int32], values: [Float]) -> [String: ExportArray] {
        let fits = (offsets.last ?? 0) <= Int(Int32.max)
        let indptr: NpyFile.Elements = fits ? .int32(offsets.map { Int32($0) }) : .int64(offsets.map { Int64($0) })
        return [
            name + "_indptr": ExportArray(indptr, shape: [offsets.count], axes: [.offsets]),
            name + "_indices": ExportArray(.int32(indices), shape: [indices.count], axes: [.entries]),
            name + "_data": ExportArray(.float32(values), shape: [values.count], axes: [.entries])
        ]
    }
}

/// A model that can hand over its fitted parameters (item–item weights, …) as arrays. Factor
/// models need not conform: their `LatentFactors` are exported as they are (`ModelExport`).
public protocol ExportableModel: Recommender {
    /// Arrays by name ("weights", "item_factors"); each becomes `<trial>.<name>.npy`.
    var exportedArrays: [String: ExportArray] { get }
}

public enum ModelExport {
    /// What `"save_models"` writes for a fitted model: its own arrays, else a factor model's
    /// `user_factors`, `item_factors` (and `item_bias`); empty for a model with neither.
    public static func arrays(of model: any Recommender) -> [String: ExportArray] {
        if let e = model as? any ExportableModel { return e.exportedArrays }
        guard let f = (model as? any FactorModel)?.factors else { return [:] }
        var out = [
            "user_factors": ExportArray.dense(f.users, rows: .users, columns: .factors),
            "item_factors": ExportArray.dense(f.items, rows: .items, columns: .factors)
        ]
        if let bias = f.itemBias { out["item_bias"] = .vector(bias, axis: .items) }
        return out
    }
}
