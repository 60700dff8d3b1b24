import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One-line descriptions of operating-system failures. Foundation's errors print as multi-line
/// dumps (domain, code, user info) and sometimes lose the system's reason on the way; a user needs
/// the path and the reason, e.g. "results/x: No space left on device".
public enum SystemError {
    /// The text of an errno value ("No space left on device").
    public static func text(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// The errno behind `error`, looking through Foundation's wrappers.
    public static func posixCode(_ error: Error) -> Int32? {
        if let p = error as? POSIXError { return p.code.rawValue }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error { return posixCode(underlying) }
        return nil
    }

    /// One line for any error: a RecbenchError or other `CustomStringConvertible` error as it
    /// describes itself, a system error as its reason (with its path when it names one).
    public static func describe(_ error: Error) -> String {
        if let e = error as? RecbenchError { return e.description }
        let ns = error as NSError
        let path = ns.userInfo[NSFilePathErrorKey] as? String ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        if let code = posixCode(error) { return (path.map { $0 + ": " } ?? "") + text(code) }
        if ns.domain == NSCocoaErrorDomain || error is CocoaError {
            return (path.map { $0 + ": " } ?? "") + oneLine(ns.localizedDescription)
        }
        return oneLine(String(describing: error))
    }

    static func oneLine(_ s: String) -> String { s.split(whereSeparator: \.isNewline).joined(separator: " ") }
}
