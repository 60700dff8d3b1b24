import RecbenchCore
import RecbenchConfig

/// Where `Runner.prepare` was when a problem surfaced, so the message can name the field of the
/// experiment file that led there: the data set's source, its filters, or the split.
enum PreparePhase { case load, filter, split }

extension Runner {
    /// Turns a problem found while loading, filtering or splitting into FILE:LINE: field: message.
    /// A problem inside a data or split file already names that file and line and is kept as it is.
    func locate(_ error: Error, dataset ds: DatasetSpec, phase: PreparePhase) -> Error {
        switch error {
        case is SpecErrors, RecbenchError.input, RecbenchError.cancelled: return error
        default: break
        }
        let message: String
        switch error {
        case let RecbenchError.io(path, m): message = "\(path): \(m)"
        case let e as RecbenchError: message = e.description
        default: message = SystemError.describe(error)
        }
        let at = "datasets[\(spec.datasets.firstIndex { $0.label == ds.label } ?? 0)]"
        switch phase {
        case .load:
            let field: String
            switch ds.source {
            case .file: field = at + ".file"
            case .folds: field = at + ".split"
            case let .registry(_, explicit): field = at + (explicit == nil ? ".name" : ".path")
            case .synthetic: field = at + ".synthetic"
            }
            return spec.issue(field, message)
        case .filter:
            let field = spec.fieldLines[at + ".filters"] == nil ? at : at + ".filters"
            return spec.issue(field, "data set \"\(ds.label)\": \(message)")
        case .split:
            return spec.issue("split", "data set \"\(ds.label)\": \(message)")
        }
    }
}
