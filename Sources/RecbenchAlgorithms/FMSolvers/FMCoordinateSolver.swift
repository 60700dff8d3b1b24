import RecbenchCore
import RecbenchGSL

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
                let p = UnsafeMutablePointer<Double>.allocate(capacity: max(1, n));
                p.initialize(repeating: 0, count: max(1, n)); return p
            }
            a = buf(k * entities); lin = buf(entities); intra = buf(entities)
            cR1 = buf(entities); cR2 = buf(entities); cE = buf(entities); cEQ = buf(entities); aOld = buf(entities);
            dS2 = buf(entities)
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

    init(
        design: FMDesign, examples: FMExamples, params: FMParams, sampling: Bool, regularization: Double,
        threads: Int, seed: UInt64
    ) {
        self.design = design; ex = examples; k = params.k; self.sampling = sampling; self.threads = threads
        self.params = params
        e = .allocate(capacity: max(1, examples.count)); e.initialize(repeating: 0, count: max(1, examples.count))
        user = Side(
            block: design.user, offsets: examples.userOffsets, examples: examples.userExamples, other: examples.items,
            k: params.k)
        item = Side(
            block: design.item, offsets: examples.itemOffsets, examples: examples.itemExamples, other: examples.users,
            k: params.k)
        let g = design.groupCount
        muW = [Double](repeating: 0, count: g); lamW = [Double](repeating: regularization, count: g)
        muV = [Double](repeating: 0, count: g * params.k);
        lamV = [Double](repeating: regularization, count: g * params.k)
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
        params.w.withUnsafeBufferPointer { w in
            params.v.withUnsafeBufferPointer { v in
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
            }
        }
    }

    var squaredError: Double { var s = 0.0; for n in 0..<ex.count { s += e[n] * e[n] }; return s }

    /// ½ Σ e² + ½ Σ_groups λ (‖w_g‖² + ‖V_g‖²): what ALS minimises.
    func objective() -> Double {
        var s = 0.5 * squaredError
        for (j, g) in design.featureGroup.enumerated() {
            s += 0.5 * lamW[Int(g)] * Double(params.w[j]) * Double(params.w[j])
            for f in 0..<k {
                s += 0.5 * lamV[Int(g) * k + f] * Double(params.v[j * k + f]) * Double(params.v[j * k + f])
            }
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
            for f in 0..<k {
                sample({ Double(self.params.v[$0 * self.k + f]) }, mu: &muV[g * k + f], lambda: &lamV[g * k + f])
            }
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
                let new = Double(
                    Float(draw(mean: (alpha * (he + old * h2) + muV[g * k + f] * lam) / prec, precision: prec)))
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
