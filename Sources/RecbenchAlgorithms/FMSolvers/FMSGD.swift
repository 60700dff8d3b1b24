import Foundation
import RecbenchCore
import RecbenchGSL

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
    func regressionEpoch(
        _ epoch: Int, _ ex: FMExamples, order: inout [Int], params p: inout FMParams,
        rng: inout RandomSource
    ) -> Double {
        var feats = [Int32](), vals = [Float]()
        let maxRow = maxRowLength()
        var q = [Double](repeating: 0, count: k), gw = [Double](repeating: 0, count: maxRow),
            gv = [Double](repeating: 0, count: maxRow * k)
        rng.shuffle(&order)
        let eta = learningRate * pow(decay, Double(epoch))
        var loss = 0.0
        for n in order {
            gather(user: Int(ex.users[n]), item: Int(ex.items[n]), &feats, &vals)
            let (l, g0) = FMMath.regressionGradient(
                features: feats[...], values: vals[...], target: ex.targets[n],
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
            while hi - lo > 1 {
                let mid = (lo + hi) / 2; if m.byUser.offsets[mid] <= pIdx { lo = mid } else { hi = mid }
            }
            let user = lo, pos = Int(m.byUser.indices[pIdx])
            var neg = rng.nextInt(below: m.itemCount), tries = 0
            while m.contains(user: user, item: neg) && tries < 100 { neg = rng.nextInt(below: m.itemCount); tries += 1 }
            let ur = u.rowRange(user), pr = it.rowRange(pos), nr = it.rowRange(neg)
            loss += FMMath.bprGradient(
                user: (u.rowFeatures[ur], u.rowValues[ur]), positive: (it.rowFeatures[pr], it.rowValues[pr]),
                negative: (it.rowFeatures[nr], it.rowValues[nr]), params: p, scratch: &s, gw: &gw, gv: &gv)
            feats.removeAll(keepingCapacity: true); vals.removeAll(keepingCapacity: true)
            feats.append(contentsOf: u.rowFeatures[ur]); feats.append(contentsOf: it.rowFeatures[pr]);
            feats.append(contentsOf: it.rowFeatures[nr])
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

    private func apply(
        _ feats: ArraySlice<Int32>, _ start: Int, _ gw: [Double], _ gv: [Double], _ eta: Double, _ p: inout FMParams
    ) {
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
