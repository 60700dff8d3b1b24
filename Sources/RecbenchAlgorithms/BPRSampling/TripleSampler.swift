import RecbenchCore

/// One thread's share of a BPR epoch. SGD on triples is bound by memory latency, not arithmetic:
/// each triple reads an entry (user, positive), the user's row offsets, a few index entries for
/// the negative check and three factor rows, all at random addresses, and done one after another
/// those loads form a chain of cache misses. So the triples run through a four-stage software
/// pipeline, stage k + 1 working `lag` triples behind stage k, each stage prefetching what the
/// next reads:
///   1. draw entry e and negative j; prefetch the entry's (user, item)
///   2. read (u, i); prefetch u's row offsets and the rows x_u, y_i, y_j
///   3. prefetch the bitset word of (u, j); without the bitset, read u's row bounds and prefetch
///      the lines of u's item list the binary search will probe (`prefetchProbes`)
///   4. verify j (redraw while it is one of u's items), then the SGD step.
/// One triple per stage per turn spreads the prefetches evenly (bursts overflow the miss buffers).
/// The triples and the order of their updates are exactly those of a one-at-a-time loop; only the
/// interleaving of random draws differs (a triple's e and j are drawn early, redraws late).
struct TripleSampler {
    static let lag = 8, ring = 32  // ring ≥ 4·lag slots, a power of two

    let x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>
    /// Steps per item row, for the replicas' merge (nil when one thread trains the model itself).
    let touches: UnsafeMutablePointer<Int32>?
    let xStride: Int, yStride: Int
    let entryPair: UnsafePointer<Int32>, indices: UnsafePointer<Int32>, offsets: UnsafePointer<Int>
    let seen: UnsafePointer<UInt64>?
    let d: Int, pairs: Int, items: Int, verify: Bool, lr: Float, reg: Float
    var rng: RandomSource

    /// Samples from `pairs` (user, item) pairs at `entryPair`; `items` is the catalogue size.
    init(
        x: PaddedRows, y: PaddedRows,
        _ entryPair: UnsafePointer<Int32>, _ indices: UnsafePointer<Int32>, _ offsets: UnsafePointer<Int>,
        seen: UnsafePointer<UInt64>?, d: Int, pairs: Int, items: Int, verify: Bool, lr: Float, reg: Float,
        seed: inout RandomSource
    ) {
        self.x = x.data; self.y = y.data; bias = y.bias; touches = y.touches; xStride = x.stride; yStride = y.stride
        self.entryPair = entryPair; self.indices = indices; self.offsets = offsets
        self.seen = seen
        self.d = d; self.pairs = pairs; self.items = items; self.verify = verify; self.lr = lr; self.reg = reg
        rng = RandomSource(splitting: &seed)
    }

    @inline(__always)
    private func prefetchRow(_ p: UnsafeMutablePointer<Float>, floats: Int) {
        var o = 0
        while o < floats * 4 { Prefetch.write(UnsafeRawPointer(p) + o); o += 64 }
    }

    /// The lines of u's item list the negative's binary search will read: all of them for a list
    /// of at most 16 lines (256 items: the common case), else the probes of its first four levels
    /// (the 16ths of the list), after which a search stays within a sixteenth. Prefetching only
    /// the middle and the ends left half of BPR's time in the search's misses on the 2·10⁷ set.
    @inline(__always)
    private func prefetchProbes(_ lo: Int, _ hi: Int) {
        let n = hi - lo
        guard n > 0 else { return }
        if n <= 256 {
            var p = UnsafeRawPointer(indices + lo)
            let end = UnsafeRawPointer(indices + hi)
            while p < end { Prefetch.read(p); p += 64 }
            Prefetch.read(end - 4)
        } else {
            for k in 0...16 { Prefetch.read(UnsafeRawPointer(indices + lo + min(n - 1, (k * n) >> 4))) }
        }
    }

    @inline(__always)
    private func isSeen(_ u: Int, _ j: Int, _ lo: Int, _ hi: Int) -> Bool {
        if let seen { let bit = u &* items &+ j; return seen[bit >> 6] & (1 &<< UInt64(bit & 63)) != 0 }
        return BPR.contains(indices, lo, hi, Int32(j))
    }

    /// Runs `samples` triples; returns (Σ −log σ(margin) over the steps taken, steps taken).
    mutating func run(samples: Int) -> (loss: Double, steps: Int) {
        let lag = TripleSampler.lag, ring = TripleSampler.ring, mask = ring - 1
        // Per slot: entry, negative, user, positive, row start, row end.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 6 * ring * 8, alignment: 64)
        defer { raw.deallocate() }
        let slots = raw.bindMemory(to: Int.self, capacity: 6 * ring)
        slots.initialize(repeating: 0, count: 6 * ring)
        let se = slots, sj = slots + ring, su = slots + 2 * ring, si = slots + 3 * ring, sl = slots + 4 * ring,
            sh = slots + 5 * ring
        var loss = LogProduct(), steps = 0
        let d = self.d
        guard pairs > 0 else { return (0, 0) }
        for t in 0..<(samples + 3 * lag) {
            // Stage 1: triple t's random draws.
            if t < samples {
                let s = t & mask, e = rng.nextInt(below: pairs)
                se[s] = e; sj[s] = rng.nextInt(below: items)
                Prefetch.read(UnsafeRawPointer(entryPair + 2 * e))
            }
            // Stage 2: the pair; everything the step touches.
            let t2 = t - lag
            if t2 >= 0 && t2 < samples {
                let s = t2 & mask, e = se[s], u = Int(entryPair[2 * e]), i = Int(entryPair[2 * e + 1]), j = sj[s]
                su[s] = u; si[s] = i
                if seen == nil { Prefetch.read(UnsafeRawPointer(offsets + u)) }
                prefetchRow(x + u * xStride, floats: d); prefetchRow(y + i * yStride, floats: d)
                prefetchRow(y + j * yStride, floats: d)
            }
            // Stage 3: the negative's bit, or the row bounds for the search.
            let t3 = t2 - lag
            if verify && t3 >= 0 && t3 < samples, let seen {
                Prefetch.read(UnsafeRawPointer(seen + ((su[t3 & mask] * items + sj[t3 & mask]) >> 6)))
            } else if verify && t3 >= 0 && t3 < samples {
                let s = t3 & mask, lo = offsets[su[s]], hi = offsets[su[s] + 1]
                sl[s] = lo; sh[s] = hi
                prefetchProbes(lo, hi)
            }
            // Stage 4: verify and step.
            let t4 = t3 - lag
            if t4 >= 0 {
                let s = t4 & mask, u = su[s], i = si[s]
                var j = sj[s]
                if verify {
                    var tries = 0
                    while isSeen(u, j, sl[s], sh[s]) && tries < 64 {
                        j = rng.nextInt(below: items); tries += 1
                    }
                    if tries == 64 { continue }  // the user has (almost) every item
                } else if j == i {
                    continue
                }
                let yi = y + i * yStride, yj = y + j * yStride
                let sigma = BPR.step(
                    x: x + u * xStride, yi: yi, yj: yj, bi: bias + i, bj: bias + j, d: d, lr: lr, reg: reg)
                loss.add(sigma: sigma)
                if let touches { touches[i] &+= 1; touches[j] &+= 1 }
                steps += 1
            }
        }
        return (loss.value, steps)
    }
}
