import Foundation

/// Number and CSV formatting shared by every output (tables, CSV files, reports, comparisons), so
/// one value prints the same everywhere.
public enum TextFormat {
    /// RFC 4180 quoting: only fields holding a comma, quote or line break are quoted.
    public static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func csvLine(_ fields: [String]) -> String { fields.map(csvField).joined(separator: ",") + "\n" }

    /// Six significant digits for files read by programs; empty for a non-finite value.
    public static func number(_ x: Double) -> String { x.isFinite ? String(format: "%.6g", x) : "" }

    /// Fixed decimals for tables read by people; "–" for a non-finite value.
    public static func fixed(_ x: Double, _ digits: Int = 4) -> String {
        x.isFinite ? String(format: "%.\(digits)f", x) : "–"
    }

    /// Bytes as people read them, in binary units with one decimal: "512 B", "3.4 MiB", "1.9 GiB".
    public static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var v = Double(count), u = 0
        while v >= 1023.95, u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(count) B" : String(format: "%.1f", v) + " " + units[u]
    }
}
