import Foundation

/// The per-list formulas, one function per metric. `hits[i]` is rel_{i+1}: whether the item at
/// rank i+1 is one of the user's test items (padded slots are false); `relevant` is |T_u|.
/// docs/METRICS.md holds the same definitions with the conventions around them.
public enum MetricFormulas {
    /// Precision@K = (Σ_{i≤K} rel_i) / K.
    public static func precision(hits: [Bool], k: Int) -> Double { Double(hitCount(hits, k)) / Double(k) }

    /// Recall@K = (Σ_{i≤K} rel_i) / |T_u|.
    public static func recall(hits: [Bool], k: Int, relevant: Int) -> Double {
        Double(hitCount(hits, k)) / Double(relevant)
    }

    /// HitRate@K = 1 if Σ_{i≤K} rel_i > 0, else 0.
    public static func hitRate(hits: [Bool], k: Int) -> Double { hitCount(hits, k) > 0 ? 1 : 0 }

    /// MRR@K = 1 / (rank of the first hit) when it lies within the top K, else 0.
    public static func reciprocalRank(hits: [Bool], k: Int) -> Double {
        guard let p = hits.prefix(k).firstIndex(of: true) else { return 0 }
        return 1 / Double(p + 1)
    }

    /// NDCG@K = DCG / IDCG with binary gains: DCG = Σ_{i≤K} rel_i / log2(i+1),
    /// IDCG = Σ_{i≤min(|T_u|,K)} 1 / log2(i+1) (the DCG of a list with every test item on top).
    public static func ndcg(hits: [Bool], k: Int, relevant: Int) -> Double {
        var dcg = 0.0
        for p in 0..<min(k, hits.count) where hits[p] { dcg += 1 / log2(Double(p + 2)) }
        var idcg = 0.0
        for p in 0..<min(relevant, k) { idcg += 1 / log2(Double(p + 2)) }
        return idcg > 0 ? dcg / idcg : 0
    }

    /// Graded NDCG@K = DCG / IDCG with linear gains g_i = the item's held-out value (its rating; 0 for a
    /// non-relevant item, negative values count as 0): DCG = Σ_{i≤K} g_i / log2(i+1), IDCG = the same sum
    /// over the user's relevant gains sorted in descending order. With all values 1 it equals `ndcg`.
    /// `gains[i]` is the gain of the item at rank i+1; `relevantGains` are all of the user's relevant ones.
    public static func gradedNDCG(gains: [Double], k: Int, relevantGains: [Double]) -> Double {
        var dcg = 0.0
        for p in 0..<min(k, gains.count) { dcg += max(gains[p], 0) / log2(Double(p + 2)) }
        let ideal = relevantGains.map { max($0, 0) }.sorted(by: >)
        var idcg = 0.0
        for p in 0..<min(k, ideal.count) { idcg += ideal[p] / log2(Double(p + 2)) }
        return idcg > 0 ? dcg / idcg : 0
    }

    /// AP@K = (1 / min(|T_u|, K)) · Σ_{i≤K} P@i · rel_i, with P@i = (Σ_{j≤i} rel_j) / i. MAP@K is its mean.
    public static func averagePrecision(hits: [Bool], k: Int, relevant: Int) -> Double {
        var found = 0, sum = 0.0
        for p in 0..<min(k, hits.count) where hits[p] { found += 1; sum += Double(found) / Double(p + 1) }
        let denominator = min(relevant, k)
        return denominator > 0 ? sum / Double(denominator) : 0
    }

    /// Novelty of one list = mean over its items of −log2(max(n_i, 1) / |U|), n_i = training users
    /// of item i, |U| = users in the training matrix. NaN for an empty list.
    public static func novelty(items: some Collection<Int32>, popularity: [Int], userCount: Int) -> Double {
        guard !items.isEmpty else { return .nan }
        var s = 0.0
        for i in items { s -= log2(Double(max(popularity[Int(i)], 1)) / Double(userCount)) }
        return s / Double(items.count)
    }

    /// ARP of one list (average recommendation popularity) = mean over its items of n_i. NaN for an empty list.
    public static func averagePopularity(items: some Collection<Int32>, popularity: [Int]) -> Double {
        guard !items.isEmpty else { return .nan }
        var s = 0.0
        for i in items { s += Double(popularity[Int(i)]) }
        return s / Double(items.count)
    }

    /// Catalogue coverage = |∪_u L_u| / itemCount over the given lists (padding, −1, ignored).
    public static func coverage<L: Collection>(lists: [L], itemCount: Int) -> Double where L.Element == Int32 {
        guard itemCount > 0 else { return 0 }
        var seen = [Bool](repeating: false, count: itemCount)
        var distinct = 0
        for l in lists { for i in l where i >= 0 && !seen[Int(i)] { seen[Int(i)] = true; distinct += 1 } }
        return Double(distinct) / Double(itemCount)
    }

    /// Gini coefficient of non-negative counts c (here: how often each item is recommended, zeros
    /// included): with c sorted ascending and i = 1…n, G = Σ_i (2i − n − 1)·c_i / (n · Σ_i c_i).
    /// 0 when all counts are equal (or all zero); (n − 1)/n when one item has everything.
    public static func gini(_ counts: [Double]) -> Double {
        let n = counts.count
        let total = counts.reduce(0, +)
        guard n > 0, total > 0 else { return 0 }
        let sorted = counts.sorted()
        var s = 0.0
        for (i, c) in sorted.enumerated() { s += Double(2 * (i + 1) - n - 1) * c }
        return s / (Double(n) * total)
    }

    /// RMSE = sqrt(mean of (prediction − rating)²); MAE = mean of |prediction − rating|. `squared`
    /// selects RMSE. Returns the sum of losses, so callers can pool over users.
    static func lossSum(predictions: ArraySlice<Float>, ratings: ArraySlice<Float>, squared: Bool) -> Double {
        var s = 0.0
        for (p, r) in zip(predictions, ratings) {
            let d = Double(p) - Double(r)
            s += squared ? d * d : abs(d)
        }
        return s
    }

    static func hitCount(_ hits: [Bool], _ k: Int) -> Int {
        var c = 0
        for p in 0..<min(k, hits.count) where hits[p] { c += 1 }
        return c
    }
}
