import Foundation
import RecbenchCore
import RecbenchConfig

/// The exit statuses of `recbench run` (and, where they apply, of every command). Scripts and
/// CI branch on them, so each means one thing:
///
/// - 0: success.
/// - 1: a trial failed — its model diverged or threw. The rest of the suite ran and its outputs,
///   which list the failure and its reason, were written.
/// - 2: invalid input — the experiment file, the data or split files, the command line, or the
///   output location (not writable, or a write failed, e.g. the disk is full) — whether found by
///   validation or while loading. Nothing was run, or nothing was kept.
/// - 130: interrupted (Ctrl-C); finished trials are cached.
enum ExitStatus {
    static let success: Int32 = 0
    static let trialFailed: Int32 = 1
    /// The other commands' 1: their work failed (a fetch, a checksum, an export's write, a fit).
    static let failed: Int32 = 1
    static let invalidInput: Int32 = 2
    static let interrupted: Int32 = 130

    /// The lines `recbench` prints for an error: one per problem, each FILE:LINE: field: message
    /// where the problem has a place.
    static func lines(_ error: Error) -> [String] {
        if let spec = error as? SpecErrors { return spec.issues.map(\.description) }
        return [SystemError.describe(error)]
    }

    /// The help text's paragraph on exit statuses.
    static let help = """
        Exit status: 0 success; 1 a trial failed (its model diverged or threw: the other trials \
        ran, the outputs list the failure); 2 invalid input (experiment file, data or split files, \
        arguments, or output location, whether found by validation or while loading); 130 interrupted.
        """
}

/// An error a command throws with the exit status it means (a failed fit is 1, not 2).
struct CommandFailure: Error {
    let error: Error
    let code: Int32
    init(_ error: Error, code: Int32) { self.error = error; self.code = code }
}
