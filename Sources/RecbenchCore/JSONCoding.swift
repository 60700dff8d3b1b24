import Foundation

/// The one JSON dialect of Recbench's own files (results, cache entries, baselines): sorted keys,
/// so equal values give equal bytes, and non-finite numbers as "inf"/"-inf"/"nan" strings, since
/// per-user AUC, novelty or ARP can be NaN and JSON has no NaN.
public enum JSONCoding {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf",
            nan: "nan")
        return enc
    }

    public static func decoder() -> JSONDecoder {
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf",
            nan: "nan")
        return dec
    }
}
