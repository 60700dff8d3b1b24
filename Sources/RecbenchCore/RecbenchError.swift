/// Errors meant for the user: each renders as one line naming the place and what is wrong.
public enum RecbenchError: Error, CustomStringConvertible, Equatable {
    /// A problem in an input file, at a line (0 when unknown).
    case input(file: String, line: Int, message: String)
    case io(String, String)
    case invalid(String)
    case unsupported(String)
    /// A model's training produced non-finite values ("non-finite loss at epoch 3"): the trial
    /// failed, the input was valid.
    case diverged(String)
    case cancelled

    public var description: String {
        switch self {
        case let .input(file, line, message): return line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
        case let .io(path, message): return "\(path): \(message)"
        case let .invalid(m), let .unsupported(m), let .diverged(m): return m
        case .cancelled: return "cancelled"
        }
    }
}
