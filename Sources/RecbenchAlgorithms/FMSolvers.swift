import RecbenchCore
import RecbenchGSL

/// FM parameters: Float32 storage, factors feature-major (v[j·k + f]).
struct FMParams: Sendable {
    var w0: Double = 0
    var w: [Float]
    var v: [Float]
    let k: Int

    init(featureCount: Int, k: Int) {
        self.k = k
        w = [Float](repeating: 0, count: featureCount)
        v = [Float](repeating: 0, count: featureCount * k)
    }
}

/// Prediction and gradients of one example given as a sparse feature list.
enum FMMath {
    /// ŷ = w0 + Σ w_j x_j + ½ Σ_f [(Σ_j v_jf x_j)² − Σ_j v_jf² x_j²], in O(k · nnz) (Rendle 2010,
    /// lemma 3.1). `q` receives Σ_j v_jf x_j (length k), which the gradients reuse.
    static func predict(features: ArraySlice<Int32>, values: ArraySlice<Float>, params p: FMParams,
                         q: inout [Double]) -> Double {
        let k = p.k
        for f in 0..<k { q[f] = 0 }
        var y = p.w0, squares = 0.0
        for (j, x) in zip(features, values) {
            let jj = Int(j), xd = Double(x)
            y += Double(p.w[jj]) * xd
            for f in 0..<k {
                let t = Double(p.v[jj * k + f]) * xd
                q[f] += t; squares += t * t
            }
        }
        var pairs = 0.0
        for f in 0..<k { pairs += q[f] * q[f] }
        return y + 0.5 * (pairs - squares)
    }

    /// The definition: w0 + Σ w_j x_j + Σ_{j<j'} ⟨v_j, v_j'⟩ x_j x_j' (O(k · nnz²); tests only).
    static func predictNaive(features: [Int32], values: [Float], params p: FMParams) -> Double {
        var y = p.w0
        for (j, x) in zip(features, values) { y += Double(p.w[Int(j)]) * Double(x) }
        for a in features.indices {
            for b in (a + 1)..<max(a + 1, features.count) {
                var dot = 0.0
                for f in 0..<p.k { dot += Double(p.v[Int(features[a]) * p.k + f]) * Double(p.v[Int(features[b]) * p.k + f]) }
                y += dot * Double(values[a]) * Double(values[b])
            }
        }
        return y
    }

    /// Gradient of ½(ŷ − y)² (no regulariser) for every listed position: gw[p] = g·x_p,
    /// gv[p·k + f] = g·x_p·(q_f − v_{j,f}·x_p), with g = ŷ − y. Returns (loss, ∂/∂w0).
    static func regressionGradient(features: ArraySlice<Int32>, values: ArraySlice<Float>, target: Float,
                                   params p: FMParams, q: inout [Double], gw: inout [Double],
                                   gv: inout [Double]) -> (loss: Double, gw0: Double) {
        let yhat = predict(features: features, values: values, params: p, q: &q)
        let g = yhat - Double(target)
        accumulate(features: features, values: values, coefficient: g, q: q, params: p, gw: &gw, gv: &gv, at: 0)
        return (0.5 * g * g, g)
    }

    /// BPR: loss −ln σ(ŷ(u,i) − ŷ(u,j)) over x⁺ = user ⊕ positive and x⁻ = user ⊕ negative.
    /// Gradients are listed for user, positive and negative features in that order (a feature that
    /// the positive and negative item share appears twice; its gradient is the sum).
    static func bprGradient(user: (ArraySlice<Int32>, ArraySlice<Float>), positive: (ArraySlice<Int32>, ArraySlice<Float>),
                            negative: (ArraySlice<Int32>, ArraySlice<Float>), params p: FMParams,
                            scratch s: inout BPRScratch, gw: inout [Double], gv: inout [Double]) -> Double {
        let k = p.k
        // ŷ(x⁺) − ŷ(x⁻): the user's own terms cancel, so only item terms and ⟨q_u, q_i − q_j⟩ remain.
        let yi = predict(features: positive.0, values: positive.1, params: p, q: &s.qi)
        let yj = predict(features: negative.0, values: negative.1, params: p, q: &s.qj)
        _ = predict(features: user.0, values: user.1, params: p, q: &s.qu)
        var d = yi - yj
        for f in 0..<k { d += s.qu[f] * (s.qi[f] - s.qj[f]) }
        // dL/dd = −σ(−d)
        let c = -1 / (1 + exp(d))
        var pos = 0
        for (j, x) in zip(user.0, user.1) {
            gw[pos] = 0
            for f in 0..<k { gv[pos * k + f] = c * Double(x) * (s.qi[f] - s.qj[f]) }
            _ = j; pos += 1
        }
        for f in 0..<k { s.tmp[f] = s.qu[f] + s.qi[f] }
        accumulate(features: positive.0, values: positive.1, coefficient: c, q: s.tmp, params: p, gw: &gw, gv: &gv, at: pos)
        pos += positive.0.count
        for f in 0..<k { s.tmp[f] = s.qu[f] + s.qj[f] }
        accumulate(features: negative.0, values: negative.1, coefficient: -c, q: s.tmp, params: p, gw: &gw, gv: &gv, at: pos)
        return log1p(exp(-d))
    }

    struct BPRScratch {
        var qu: [Double], qi: [Double], qj: [Double], tmp: [Double]
        init(k: Int) { qu = [Double](repeating: 0, count: k); qi = qu; qj = qu; tmp = qu }
    }

    @inline(__always)
    private static func accumulate(features: ArraySlice<Int32>, values: ArraySlice<Float>, coefficient c: Double,
                                   q: [Double], params p: FMParams, gw: inout [Double], gv: inout [Double], at start: Int) {
        let k = p.k
        var pos = start
        for (j, x) in zip(features, values) {
            let xd = Double(x), jj = Int(j)
            gw[pos] = c * xd
            for f in 0..<k { gv[pos * k + f] = c * xd * (q[f] - Double(p.v[jj * k + f]) * xd) }
            pos += 1
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Coordinate-wise solvers (MCMC and ALS)

/// libFM's coordinate-wise solvers (Rendle 2012, "Factorization Machines with libFM") on the
/// relational block design. For a parameter θ the model is linear: ŷ = g + θ·h(x). With the
/// residuals e = y − ŷ, ALS sets θ to the minimiser of the regularised squared error and MCMC
/// draws it from its Gaussian conditional, both with
///   precision = α Σ h² + λ_θ,  mean = (α Σ h (e + θ h) + μ_θ λ_θ) / precision.
/// Sums over examples are taken per entity: an example's h for a user-side feature j is
/// x_uj (a_uf − v_jf x_uj + a_if), where a_uf, a_if are the user's and the item's Σ v_jf x_j, so
/// Σ h² and Σ h e follow from per-user sums over their examples of 1, a_if, a_if², e and e·a_if
/// (updated exactly as each θ moves). The residuals are brought up to date once per block and
/// factor, and the whole state is recomputed from the parameters every iteration (no drift).
/// MCMC also samples α (Gamma) and per group and factor μ (Gaussian) and λ (Gamma), with libFM's
/// hyper-priors α0 = β0 = α_λ = β_λ = γ0 = 1, μ0 = 0.
final class FMCoordinateSolver {
    struct Side {
        let block: FMBlock
        let offsets: [Int]
        let examples: [Int32]
        /// Per example id: the entity of the other side.
        let other: [Int32]
        let entities: Int
        // Factor-major k × entities.
        let a: UnsafeMutablePointer<Double>
        let lin: UnsafeMutablePointer<Double>, intra: UnsafeMutablePointer<Double>
        // Per-entity caches for one (factor, side) sweep.
        let cR1: UnsafeMutablePointer<Double>, cR2: UnsafeMutablePointer<Double>
        let cE: UnsafeMutablePointer<Double>, cEQ: UnsafeMutablePointer<Double>
        let aOld: UnsafeMutablePointer<Double>, dS2: UnsafeMutablePointer<Double>

        init(block: FMBlock, offsets: [Int], examples: [Int32], other: [Int32], k: Int) {
            self.block = block; self.offsets = offsets; self.examples = examples; self.other = other
            entities = block.entityCount
            func buf(_ n: Int) -> UnsafeMutablePointer<Double> {
                let p = UnsafeMutablePointer<Double>.allocate(capacity: max(1, n)); p.initialize(repeating: 0, count: max(1, n)); return p
            }
            a = buf(k * entities); lin = buf(entities); intra = buf(entities)
            cR1 = buf(entities); cR2 = buf(entities); cE = buf(entities); cEQ = buf(entities); aOld = buf(entities); dS2 = buf(entities)
        }
        func free() { for p in [a, lin, intra, cR1, cR2, cE, cEQ, aOld, dS2] { p.deallocate() } }
    }

    let design: FMDesign
    let ex: FMExamples
    let k: Int
    let sampling: Bool
    let threads: Int
    var params: FMParams
    let e: UnsafeMutablePointer<Double>
    let user: Side, item: Side
    var alpha = 1.0
    var muW: [Double], lamW: [Double]
    /// group · k + f
    var muV: [Double], lamV: [Double]
    let rng: GSLRandom
    let groupFeatures: [[Int]]

    init(design: FMDesign, examples: FMExamples, params: FMParams, sampling: Bool, regularization: Double,
         threads: Int, seed: UInt64) {
        self.design = design; ex = examples; k = params.k; self.sampling = sampling; self.threads = threads
        self.params = params
        e = .allocate(capacity: max(1, examples.count)); e.initialize(repeating: 0, count: max(1, examples.count))
        user = Side(block: design.user, offsets: examples.userOffsets, examples: examples.userExamples, other: examples.items, k: params.k)
        item = Side(block: design.item, offsets: examples.itemOffsets, examples: examples.itemExamples, other: examples.users, k: params.k)
        let g = design.groupCount
        muW = [Double](repeating: 0, count: g); lamW = [Double](repeating: regularization, count: g)
        muV = [Double](repeating: 0, count: g * params.k); lamV = [Double](repeating: regularization, count: g * params.k)
        rng = GSLRandom(seed: seed)
        var gf = [[Int]](repeating: [], count: g)
        for (j, gr) in design.featureGroup.enumerated() { gf[Int(gr)].append(j) }
        groupFeatures = gf
        refresh()
    }
    deinit { e.deallocate(); user.free(); item.free() }

    /// Recomputes every entity's a, linear and intra-entity terms and all residuals.
    func refresh() {
        entityTerms(user); entityTerms(item)
        let k = self.k, nu = user.entities, ni = item.entities
        let sh = UncheckedSendable((e, user.a, user.lin, user.intra, item.a, item.lin, item.intra))
        let w0 = params.w0
        let us = ex.users, its = ex.items, ys = ex.targets
        parallelChunks(count: ex.count, threads: threads) { _, range in
            let (e, au, lu, iu, ai, li, ii) = sh.value
            for n in range {
                let u = Int(us[n]), i = Int(its[n])
                var y = w0 + lu[u] + iu[u] + li[i] + ii[i]
                for f in 0..<k { y += au[f * nu + u] * ai[f * ni + i] }
                e[n] = Double(ys[n]) - y
            }
        }
    }

    private func entityTerms(_ s: Side) {
        let k = self.k, E = s.entities, b = s.block
        let sh = UncheckedSendable((s.a, s.lin, s.intra))
        params.w.withUnsafeBufferPointer { w in params.v.withUnsafeBufferPointer { v in
            let pv = UncheckedSendable((w, v))
            parallelChunks(count: E, threads: threads) { _, range in
                let (a, lin, intra) = sh.value, (w, v) = pv.value
                for r in range {
                    var l = 0.0, squares = 0.0
                    for f in 0..<k { a[f * E + r] = 0 }
                    for p in b.rowRange(r) {
                        let j = Int(b.rowFeatures[p]), x = Double(b.rowValues[p])
                        l += Double(w[j]) * x
                        for f in 0..<k { let t = Double(v[j * k + f]) * x; a[f * E + r] += t; squares += t * t }
                    }
                    var pairs = 0.0
                    for f in 0..<k { pairs += a[f * E + r] * a[f * E + r] }
                    lin[r] = l; intra[r] = 0.5 * (pairs - squares)
                }
            }
        } }
    }

    var squaredError: Double { var s = 0.0; for n in 0..<ex.count { s += e[n] * e[n] }; return s }

    /// ½ Σ e² + ½ Σ_groups λ (‖w_g‖² + ‖V_g‖²): what ALS minimises.
    func objective() -> Double {
        var s = 0.5 * squaredError
        for (j, g) in design.featureGroup.enumerated() {
            s += 0.5 * lamW[Int(g)] * Double(params.w[j]) * Double(params.w[j])
            for f in 0..<k { s += 0.5 * lamV[Int(g) * k + f] * Double(params.v[j * k + f]) * Double(params.v[j * k + f]) }
        }
        return s
    }

    private func draw(mean: Double, precision: Double) -> Double {
        sampling ? mean + rng.gaussian() / precision.squareRoot() : mean
    }

    /// One full sweep: (α, hyper-parameters,) w0, linear weights, then factor by factor.
    /// `refreshing: false` leaves the incrementally updated residuals in place (tests compare them
    /// with recomputed ones).
    func iterate(refreshing: Bool = true) {
        if sampling { sampleHyperparameters() }
        sampleW0()
        sweepLinear(user); sweepLinear(item)
        for f in 0..<k {
            sweepFactor(f, user, other: item)
            sweepFactor(f, item, other: user)
        }
        if refreshing { refresh() }
    }

    private func sampleHyperparameters() {
        let n = Double(ex.count)
        alpha = rng.gamma(shape: (1 + n) / 2, scale: 2 / (1 + squaredError))
        for (g, feats) in groupFeatures.enumerated() where !feats.isEmpty {
            let m = Double(feats.count)
            func sample(_ value: (Int) -> Double, mu: inout Double, lambda: inout Double) {
                var sum = 0.0
                for j in feats { sum += value(j) }
                mu = rng.gaussian() / ((m + 1) * lambda).squareRoot() + sum / (m + 1)
                var ss = mu * mu
                for j in feats { let d = value(j) - mu; ss += d * d }
                lambda = rng.gamma(shape: (1 + m + 1) / 2, scale: 2 / (1 + ss))
            }
            sample({ Double(self.params.w[$0]) }, mu: &muW[g], lambda: &lamW[g])
            for f in 0..<k { sample({ Double(self.params.v[$0 * self.k + f]) }, mu: &muV[g * k + f], lambda: &lamV[g * k + f]) }
        }
    }

    private func sampleW0() {
        let n = ex.count
        guard n > 0 else { return }
        var se = 0.0
        for i in 0..<n { se += e[i] }
        let prec = alpha * Double(n)
        let old = params.w0
        let new = draw(mean: alpha * (se + old * Double(n)) / prec, precision: prec)
        let d = new - old
        for i in 0..<n { e[i] -= d }
        params.w0 = new
    }

    private func sweepLinear(_ s: Side) {
        let E = s.entities, b = s.block, e = self.e
        let offsets = s.offsets, exs = s.examples
        for r in 0..<E {
            var se = 0.0
            for p in offsets[r]..<offsets[r + 1] { se += e[Int(exs[p])] }
            s.cE[r] = se; s.dS2[r] = 0
        }
        for c in 0..<b.featureCount {
            let j = b.firstFeature + c, g = Int(design.featureGroup[j])
            var h2 = 0.0, he = 0.0
            for p in b.columnOffsets[c]..<b.columnOffsets[c + 1] {
                let r = Int(b.columnEntities[p]), x = Double(b.columnValues[p])
                h2 += x * x * Double(offsets[r + 1] - offsets[r]); he += x * s.cE[r]
            }
            let old = Double(params.w[j])
            let prec = alpha * h2 + lamW[g]
            let new = Double(Float(draw(mean: (alpha * (he + old * h2) + muW[g] * lamW[g]) / prec, precision: prec)))
            let d = new - old
            guard d != 0 else { continue }
            params.w[j] = Float(new)
            for p in b.columnOffsets[c]..<b.columnOffsets[c + 1] {
                let r = Int(b.columnEntities[p]), dx = d * Double(b.columnValues[p])
                s.cE[r] -= dx * Double(offsets[r + 1] - offsets[r]); s.dS2[r] += dx
            }
        }
        let sh = UncheckedSendable((e, s.dS2))
        parallelChunks(count: E, threads: threads) { _, range in
            let (e, dl) = sh.value
            for r in range where dl[r] != 0 {
                for p in offsets[r]..<offsets[r + 1] { e[Int(exs[p])] -= dl[r] }
            }
        }
    }

    private func sweepFactor(_ f: Int, _ s: Side, other o: Side) {
        let E = s.entities, b = s.block, k = self.k
        let offsets = s.offsets, exs = s.examples, oth = s.other
        let qo = o.a + f * o.entities, a = s.a + f * E
        let sh = UncheckedSendable((e, qo, a, s.cR1, s.cR2, s.cE, s.cEQ, s.aOld, s.dS2))
        parallelChunks(count: E, threads: threads) { _, range in
            let (e, qo, a, cR1, cR2, cE, cEQ, aOld, dS2) = sh.value
            for r in range {
                var r1 = 0.0, r2 = 0.0, se = 0.0, seq = 0.0
                for p in offsets[r]..<offsets[r + 1] {
                    let n = Int(exs[p]), q = qo[Int(oth[n])], en = e[n]
                    r1 += q; r2 += q * q; se += en; seq += en * q
                }
                cR1[r] = r1; cR2[r] = r2; cE[r] = se; cEQ[r] = seq; aOld[r] = a[r]; dS2[r] = 0
            }
        }
        let alpha = self.alpha
        params.v.withUnsafeMutableBufferPointer { v in
            for c in 0..<b.featureCount {
                let j = b.firstFeature + c, g = Int(design.featureGroup[j])
                let lo = b.columnOffsets[c], hi = b.columnOffsets[c + 1]
                let old = Double(v[j * k + f])
                var h2 = 0.0, he = 0.0
                for p in lo..<hi {
                    let r = Int(b.columnEntities[p]), x = Double(b.columnValues[p])
                    let ar = a[r] - old * x, cnt = Double(offsets[r + 1] - offsets[r])
                    h2 += x * x * (cnt * ar * ar + 2 * ar * s.cR1[r] + s.cR2[r])
                    he += x * (ar * s.cE[r] + s.cEQ[r])
                }
                let lam = lamV[g * k + f]
                let prec = alpha * h2 + lam
                let new = Double(Float(draw(mean: (alpha * (he + old * h2) + muV[g * k + f] * lam) / prec, precision: prec)))
                let d = new - old
                guard d != 0 else { continue }
                v[j * k + f] = Float(new)
                for p in lo..<hi {
                    let r = Int(b.columnEntities[p]), x = Double(b.columnValues[p])
                    let ar = a[r] - old * x, cnt = Double(offsets[r + 1] - offsets[r]), dx = d * x
                    s.cE[r] -= dx * (cnt * ar + s.cR1[r])
                    s.cEQ[r] -= dx * (ar * s.cR1[r] + s.cR2[r])
                    a[r] += dx
                    s.dS2[r] += (new * new - old * old) * x * x
                }
            }
        }
        // Residuals: ŷ of each example moved by ½(a'² − a²) − ½ΔΣv²x² + (a' − a)·q_other.
        parallelChunks(count: E, threads: threads) { _, range in
            let (e, qo, a, _, _, _, _, aOld, dS2) = sh.value
            for r in range {
                let d = a[r] - aOld[r]
                guard d != 0 || dS2[r] != 0 else { continue }
                let c0 = 0.5 * (a[r] * a[r] - aOld[r] * aOld[r]) - 0.5 * dS2[r]
                for p in offsets[r]..<offsets[r + 1] { let n = Int(exs[p]); e[n] -= c0 + d * qo[Int(oth[n])] }
            }
        }
        // The intra-entity term is recomputed by refresh(); a is kept current for the other side.
    }
}

// MARK: - SGD

/// Plain SGD over examples (regression) or over sampled (user, positive, negative) triples (BPR),
/// with L2 per parameter group and a per-epoch learning-rate decay η_t = η0 · decay^t.
struct FMSGD {
    let design: FMDesign
    let k: Int
    let learningRate: Double
    let decay: Double
    let regularization: Double

    /// One epoch over the examples in `order` (shuffled first); returns the training RMSE. One epoch
    /// per call, so the shared `TrainingLoop` drives FM like every other iterative model.
    func regressionEpoch(_ epoch: Int, _ ex: FMExamples, order: inout [Int], params p: inout FMParams,
                         rng: inout RandomSource) -> Double {
        var feats = [Int32](), vals = [Float]()
        let maxRow = maxRowLength()
        var q = [Double](repeating: 0, count: k), gw = [Double](repeating: 0, count: maxRow), gv = [Double](repeating: 0, count: maxRow * k)
        rng.shuffle(&order)
        let eta = learningRate * pow(decay, Double(epoch))
        var loss = 0.0
        for n in order {
            gather(user: Int(ex.users[n]), item: Int(ex.items[n]), &feats, &vals)
            let (l, g0) = FMMath.regressionGradient(features: feats[...], values: vals[...], target: ex.targets[n],
                                                    params: p, q: &q, gw: &gw, gv: &gv)
            loss += l
            p.w0 -= eta * g0
            apply(feats[...], 0, gw, gv, eta, &p)
        }
        return (2 * loss / Double(max(1, ex.count))).squareRoot()
    }

    /// One epoch of nnz sampled (user, positive, negative) triples; returns the mean BPR loss.
    func bprEpoch(_ epoch: Int, _ m: InteractionMatrix, params p: inout FMParams, rng: inout RandomSource) -> Double {
        let u = design.user, it = design.item
        let maxRow = maxRowLength() + it.rowOffsets.indices.dropLast().map { it.rowRange($0).count }.max()!
        var s = FMMath.BPRScratch(k: k)
        var gw = [Double](repeating: 0, count: maxRow), gv = [Double](repeating: 0, count: maxRow * k)
        var feats = [Int32](), vals = [Float]()
        guard m.nnz > 0, m.itemCount > 1 else { return 0 }
        let eta = learningRate * pow(decay, Double(epoch))
        var loss = 0.0
        for _ in 0..<m.nnz {
            let pIdx = rng.nextInt(below: m.nnz)
            // The user owning entry pIdx: binary search in the CSR offsets.
            var lo = 0, hi = m.userCount
            while hi - lo > 1 { let mid = (lo + hi) / 2; if m.byUser.offsets[mid] <= pIdx { lo = mid } else { hi = mid } }
            let user = lo, pos = Int(m.byUser.indices[pIdx])
            var neg = rng.nextInt(below: m.itemCount), tries = 0
            while m.contains(user: user, item: neg) && tries < 100 { neg = rng.nextInt(below: m.itemCount); tries += 1 }
            let ur = u.rowRange(user), pr = it.rowRange(pos), nr = it.rowRange(neg)
            loss += FMMath.bprGradient(user: (u.rowFeatures[ur], u.rowValues[ur]), positive: (it.rowFeatures[pr], it.rowValues[pr]),
                                       negative: (it.rowFeatures[nr], it.rowValues[nr]), params: p, scratch: &s, gw: &gw, gv: &gv)
            feats.removeAll(keepingCapacity: true); vals.removeAll(keepingCapacity: true)
            feats.append(contentsOf: u.rowFeatures[ur]); feats.append(contentsOf: it.rowFeatures[pr]); feats.append(contentsOf: it.rowFeatures[nr])
            apply(feats[...], 0, gw, gv, eta, &p)
        }
        return loss / Double(m.nnz)
    }

    private func maxRowLength() -> Int {
        let u = design.user, it = design.item
        let mu = (0..<u.entityCount).map { u.rowRange($0).count }.max() ?? 0
        let mi = (0..<it.entityCount).map { it.rowRange($0).count }.max() ?? 0
        return mu + mi
    }

    private func gather(user: Int, item: Int, _ feats: inout [Int32], _ vals: inout [Float]) {
        feats.removeAll(keepingCapacity: true); vals.removeAll(keepingCapacity: true)
        let ur = design.user.rowRange(user), ir = design.item.rowRange(item)
        feats.append(contentsOf: design.user.rowFeatures[ur]); vals.append(contentsOf: design.user.rowValues[ur])
        feats.append(contentsOf: design.item.rowFeatures[ir]); vals.append(contentsOf: design.item.rowValues[ir])
    }

    private func apply(_ feats: ArraySlice<Int32>, _ start: Int, _ gw: [Double], _ gv: [Double], _ eta: Double, _ p: inout FMParams) {
        let k = self.k, lam = regularization
        for (pos, j) in feats.enumerated() {
            let jj = Int(j)
            p.w[jj] -= Float(eta * (gw[pos] + lam * Double(p.w[jj])))
            for f in 0..<k {
                p.v[jj * k + f] -= Float(eta * (gv[pos * k + f] + lam * Double(p.v[jj * k + f])))
            }
        }
    }
}
