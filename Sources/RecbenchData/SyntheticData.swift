import Foundation
import RecbenchCore

/// Parameters of the synthetic generator. Same config (seed included) → identical Dataset.
public struct SyntheticConfig: Sendable, Hashable, Codable {
    public var users: Int
    public var items: Int
    /// Target total; capped at users × items. Every user gets at least one when interactions ≥ users.
    public var interactions: Int
    /// Latent dimension of the preference model.
    public var factors: Int
    /// Zipf exponent of item popularity (user activity uses half of it).
    public var popularitySkew: Double
    /// Standard deviation of the Gaussian noise added to the latent score before rounding to 1–5.
    public var ratingNoise: Double
    public var seed: UInt64
    /// Adds the user "segment" (categorical) and item "category" (multi-hot) feature groups.
    public var withFeatures: Bool
    /// How strongly latent affinity (vs popularity) decides which items a user picks.
    public var affinityStrength: Double
    /// Planted preferences: users and items fall into this many taste groups (nil or 0 = none).
    public var tasteGroups: Int?
    /// With taste groups: the share of a user's draws that come from their own group's items (default 0.8).
    public var inGroupShare: Double?

    public init(
        users: Int, items: Int, interactions: Int, factors: Int = 8, popularitySkew: Double = 1.0,
        ratingNoise: Double = 0.5, seed: UInt64 = 42, withFeatures: Bool = true, affinityStrength: Double = 1.5
    ) {
        self.users = users; self.items = items; self.interactions = interactions; self.factors = factors
        self.popularitySkew = popularitySkew; self.ratingNoise = ratingNoise; self.seed = seed
        self.withFeatures = withFeatures; self.affinityStrength = affinityStrength
    }
}

/// Latent-factor synthetic data with popularity skew.
///
/// Model: user vectors p_u and item vectors q_i are Gaussian (scaled so p·q has unit variance);
/// item popularity is Zipf over a random item order; user activity is Zipf (half the exponent)
/// over a random user order and fixes each user's count n_u up front, so the output columns are
/// allocated once at their final size. A user picks n_u distinct items with probability
/// ∝ popularity · exp(affinityStrength · p_u·q_i), sampled without replacement by the
/// exponential-race trick (key = Exp(1) / weight, keep the n_u smallest keys):
/// - light users (n_u < items / 3): a candidate pool of 4·n_u + 32 draws from a popularity alias
///   table; an item's weight is its multiplicity in the pool (≈ popularity) times its affinity;
/// - heavy users: every item, weight popularity × affinity (exact).
/// Planted preferences (`tasteGroups` G > 0): every user and item belongs to one of G groups (seeded, uniform),
/// and a user's candidate draws come with probability `inGroupShare` from the own group's items (by popularity
/// within the group), else from all items; heavy users weigh items by that same mixture. So what a user picks
/// is predictable from the other users of the group, which popularity alone cannot see.
/// Users are processed in fixed blocks of 1024, each with its own random stream, so the result
/// does not depend on the number of threads. Ratings are round(3 + p·q + b_u + b_i + noise)
/// clamped to 1–5; timestamps increase per user from a random start over three years.
public enum SyntheticData {
    static let blockSize = 1024

    public static func generate(_ c: SyntheticConfig) -> Dataset {
        let U = max(0, c.users), I = max(0, c.items), d = max(1, c.factors)
        let total = U == 0 || I == 0 ? 0 : min(max(0, c.interactions), U * I)
        var rng = RandomSource(seed: c.seed, stream: "synthetic/model")
        let scale = Float(1 / pow(Double(d), 0.25))
        let P = (0..<(U * d)).map { _ in Float(rng.nextGaussian()) * scale }
        let Q = (0..<(I * d)).map { _ in Float(rng.nextGaussian()) * scale }
        let userBias = (0..<U).map { _ in Float(rng.nextGaussian() * 0.3) }
        let itemBias = (0..<I).map { _ in Float(rng.nextGaussian() * 0.3) }

        // Popularity: Zipf weight by a random rank so popularity is not tied to item IDs.
        var itemRank = Array(0..<I); rng.shuffle(&itemRank)
        var popularity = [Double](repeating: 0, count: I)
        for (r, i) in itemRank.enumerated() { popularity[i] = 1 / pow(Double(r + 1), c.popularitySkew) }
        let alias = AliasTable(weights: popularity)
        let planted = PlantedGroups(c, users: U, popularity: popularity)

        // Per-user counts summing exactly to `total`.
        var userRank = Array(0..<U); rng.shuffle(&userRank)
        let counts = userCounts(total: total, items: I, rankedUsers: userRank, skew: c.popularitySkew / 2)
        var offsets = [Int](repeating: 0, count: U + 1)
        for u in 0..<U { offsets[u + 1] = offsets[u] + counts[u] }

        var users = [Int32](repeating: 0, count: total), items = [Int32](repeating: 0, count: total)
        var values = [Float](repeating: 0, count: total), timestamps = [Int64](repeating: 0, count: total)
        let beta = Float(c.affinityStrength), noise = c.ratingNoise, seed = c.seed
        users.withUnsafeMutableBufferPointer { ub in
            items.withUnsafeMutableBufferPointer { ib in
                values.withUnsafeMutableBufferPointer { vb in
                    timestamps.withUnsafeMutableBufferPointer { tb in
                        let out = UncheckedSendable((ub, ib, vb, tb))
                        let blocks = (U + blockSize - 1) / blockSize
                        parallelFor(count: blocks, threads: ProcessInfo.processInfo.activeProcessorCount, grain: 1) {
                            b in
                            let (ub, ib, vb, tb) = out.value
                            var r = RandomSource(seed: seed, stream: "synthetic/block-\(b)")
                            var pool = [UInt64](), keyed = [UInt64]()
                            for u in (b * blockSize)..<min(U, (b + 1) * blockSize) {
                                let n = counts[u]
                                if n == 0 { continue }
                                keyed.removeAll(keepingCapacity: true)
                                let pu = u * d
                                @inline(__always) func affinity(_ i: Int) -> Float {
                                    var s: Float = 0
                                    for k in 0..<d { s += P[pu + k] * Q[i * d + k] }
                                    return s
                                }
                                // Exponential race: smaller key wins; positive Float bits sort like the floats.
                                @inline(__always) func push(_ i: Int, _ weight: Double) {
                                    var e = r.nextDouble(); if e <= 0 { e = 0x1p-60 }
                                    let key = Float(min(-log(e) / max(weight, 1e-300), 3e38))
                                    keyed.append(UInt64(key.bitPattern) << 32 | UInt64(i))
                                }
                                if n * 3 < I {
                                    pool.removeAll(keepingCapacity: true)
                                    if let planted {
                                        for _ in 0..<(4 * n + 32) {
                                            pool.append(UInt64(planted.draw(user: u, &r) ?? alias.sample(&r)))
                                        }
                                    } else {
                                        for _ in 0..<(4 * n + 32) { pool.append(UInt64(alias.sample(&r))) }
                                    }
                                    pool.sort()
                                    var k = 0
                                    while k < pool.count {
                                        var j = k + 1
                                        while j < pool.count && pool[j] == pool[k] { j += 1 }
                                        let i = Int(pool[k])
                                        push(i, Double(j - k) * Double(exp(beta * affinity(i))))
                                        k = j
                                    }
                                }
                                if keyed.count < n {  // heavy user, or a pool too concentrated: use every item
                                    keyed.removeAll(keepingCapacity: true)
                                    for i in 0..<I {
                                        let base = planted?.weight(user: u, item: i) ?? popularity[i]
                                        push(i, base * Double(exp(beta * affinity(i))))
                                    }
                                }
                                keyed.sort()
                                // Random order of consumption, so time carries no preference-rank signal.
                                for k in stride(from: n - 1, to: 0, by: -1) { keyed.swapAt(k, r.nextInt(below: k + 1)) }
                                var t: Int64 = 1_000_000_000 + Int64(r.nextInt(below: 3 * 365 * 86_400))
                                for k in 0..<n {
                                    let i = Int(keyed[k] & 0xFFFF_FFFF)
                                    let o = offsets[u] + k
                                    ub[o] = Int32(u); ib[o] = Int32(i)
                                    let z = Double(affinity(i) + userBias[u] + itemBias[i]) + noise * r.nextGaussian()
                                    vb[o] = Float(min(5, max(1, (3 + z).rounded())))
                                    t += 1 + Int64(-log(max(r.nextDouble(), 1e-12)) * 86_400)
                                    tb[o] = t
                                }
                            }
                        }
                    }
                }
            }
        }

        var uf = FeatureTable(), itf = FeatureTable()
        if c.withFeatures {
            let shown = min(d, 8)
            // Segment = strongest of the first few latent dimensions: informative about preferences.
            uf.groups = [
                FeatureGroup(
                    name: "segment",
                    categories: (0..<U).map { u -> String? in
                        let k = (0..<shown).max { P[u * d + $0] < P[u * d + $1] }!
                        return "segment-\(k)"
                    })
            ]
            let threshold = 0.6 * scale
            let rows = (0..<I).map { i -> [Int32] in
                let on = (0..<shown).filter { Q[i * d + $0] > threshold }.map { Int32($0) }
                return on.isEmpty ? [Int32((0..<shown).max { Q[i * d + $0] < Q[i * d + $1] }!)] : on
            }
            itf.groups = [
                FeatureBuilder.multiHot(name: "category", columns: (0..<shown).map { "category-\($0)" }, rows: rows)
            ]
        }
        return Dataset(
            name: "synthetic", users: users, items: items, values: values, timestamps: timestamps,
            userIDs: IDMap(count: U), itemIDs: IDMap(count: I), userFeatures: uf, itemFeatures: itf)
    }

    /// Zipf-weighted counts, at least one per user when total ≥ users, at most `items`, summing to total.
    static func userCounts(total: Int, items: Int, rankedUsers: [Int], skew: Double) -> [Int] {
        let U = rankedUsers.count
        var counts = [Int](repeating: 0, count: U)
        guard total > 0 else { return counts }
        if total < U {
            for r in 0..<total { counts[rankedUsers[r]] = 1 }
            return counts
        }
        let weights = (0..<U).map { 1 / pow(Double($0 + 1), skew) }
        let sum = weights.reduce(0, +)
        let rest = Double(total - U)
        var assigned = 0
        for r in 0..<U {
            let n = min(items, 1 + Int(rest * weights[r] / sum))
            counts[rankedUsers[r]] = n; assigned += n
        }
        // Hand out the rounding remainder from the most active users down, respecting the cap.
        var r = 0
        while assigned < total {
            let u = rankedUsers[r % U]
            if counts[u] < items { counts[u] += 1; assigned += 1 }
            r += 1
        }
        return counts
    }
}

/// Vose's alias method: O(1) draws from a fixed discrete distribution (also useful for
/// popularity-weighted negative sampling).
public struct AliasTable: Sendable {
    private let probability: [Double]
    private let alias: [Int32]

    public init(weights: [Double]) {
        let n = weights.count
        let sum = weights.reduce(0, +)
        var p = weights.map { $0 * Double(n) / (sum > 0 ? sum : 1) }
        var a = [Int32](repeating: 0, count: n)
        var small = [Int](), large = [Int]()
        for i in 0..<n { if p[i] < 1 { small.append(i) } else { large.append(i) } }
        while !small.isEmpty && !large.isEmpty {
            let s = small.removeLast(), l = large[large.count - 1]
            a[s] = Int32(l)
            p[l] -= 1 - p[s]
            if p[l] < 1 { large.removeLast(); small.append(l) }
        }
        for i in large { p[i] = 1 }
        for i in small { p[i] = 1 }  // numerical leftovers
        probability = p; alias = a
    }

    public var count: Int { probability.count }

    public func sample(_ r: inout RandomSource) -> Int {
        let i = r.nextInt(below: probability.count)
        return r.nextDouble() < probability[i] ? i : Int(alias[i])
    }
}

/// The taste groups of planted preferences: group of each user and item, and per group an alias table over its
/// items by popularity.
struct PlantedGroups: Sendable {
    let share: Double
    let userGroup: [Int32], itemGroup: [Int32]
    let members: [[Int32]]
    let tables: [AliasTable?]
    let popularity: [Double]
    let total: Double, groupTotals: [Double]

    init?(_ c: SyntheticConfig, users: Int, popularity: [Double]) {
        let groups = c.tasteGroups ?? 0
        guard groups > 0 else { return nil }
        var rng = RandomSource(seed: c.seed, stream: "synthetic/taste-groups")
        share = min(1, max(0, c.inGroupShare ?? 0.8))
        userGroup = (0..<users).map { _ in Int32(rng.nextInt(below: groups)) }
        itemGroup = popularity.indices.map { _ in Int32(rng.nextInt(below: groups)) }
        var m = [[Int32]](repeating: [], count: groups)
        for (i, g) in itemGroup.enumerated() { m[Int(g)].append(Int32(i)) }
        members = m
        tables = m.map { $0.isEmpty ? nil : AliasTable(weights: $0.map { popularity[Int($0)] }) }
        self.popularity = popularity
        total = popularity.reduce(0, +)
        groupTotals = m.map { $0.reduce(0) { $0 + popularity[Int($1)] } }
    }

    /// An item from the user's own group with probability `share` (nil: draw from all items instead).
    func draw(user u: Int, _ r: inout RandomSource) -> Int? {
        let g = Int(userGroup[u])
        guard let table = tables[g], r.nextDouble() < share else { return nil }
        return Int(members[g][table.sample(&r)])
    }

    /// The probability of drawing item i for user u under that mixture.
    func weight(user u: Int, item i: Int) -> Double {
        let g = Int(userGroup[u])
        let own = itemGroup[i] == userGroup[u] && groupTotals[g] > 0 ? share * popularity[i] / groupTotals[g] : 0
        return own + (groupTotals[g] > 0 ? 1 - share : 1) * popularity[i] / max(total, 1e-300)
    }
}
