extension Statistics {
    /// Holm–Bonferroni step-down adjusted p-values, in the input order: controls the family-wise
    /// error rate. NaN entries stay NaN and do not count towards the family size.
    public static func holmBonferroni(_ p: [Double]) -> [Double] {
        let idx = p.indices.filter { !p[$0].isNaN }.sorted { p[$0] < p[$1] }
        let m = idx.count
        var out = [Double](repeating: .nan, count: p.count)
        var running = 0.0
        for (rank, i) in idx.enumerated() {
            running = max(running, min(1, Double(m - rank) * p[i]))
            out[i] = running
        }
        return out
    }

    /// Benjamini–Hochberg step-up adjusted p-values (q-values), in the input order: controls the
    /// false discovery rate for independent or positively dependent tests. The i-th smallest of m
    /// becomes min over j ≥ i of m·p₍ⱼ₎ / j, capped at 1 (R's p.adjust(method = "BH")). NaN as in Holm.
    public static func benjaminiHochberg(_ p: [Double]) -> [Double] {
        let idx = p.indices.filter { !p[$0].isNaN }.sorted { p[$0] < p[$1] }
        let m = idx.count
        var out = [Double](repeating: .nan, count: p.count)
        var running = 1.0
        for (rank, i) in idx.enumerated().reversed() {
            running = min(running, Double(m) * p[i] / Double(rank + 1))
            out[i] = running
        }
        return out
    }
}
