/// "Did you mean" for names a user typed (parameters, keys, metrics, data sets): the candidate
/// nearest by optimal string alignment distance, so a swapped pair ("ndgc") costs one edit.
public enum Suggestion {
    /// The closest candidate, ignoring case, within max(2, a third of the word's length) edits.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let w = word.lowercased()
        let scored = candidates.map { ($0, distance(w, $0.lowercased())) }.min { $0.1 < $1.1 }
        guard let (best, d) = scored else { return nil }
        return d <= max(2, w.count / 3) ? best : nil
    }

    /// ` (did you mean "x"?)` when a candidate is close, else the empty string: the tail every
    /// "unknown name" message shares.
    public static func hint(for word: String, in candidates: [String]) -> String {
        closest(to: word, in: candidates).map { " (did you mean \"\($0)\"?)" } ?? ""
    }

    /// Levenshtein distance plus adjacent transpositions (optimal string alignment).
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        // Three rolling rows: the transposition looks two rows back.
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count), current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], before[j - 2] + 1)
                }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}
