import RecbenchAlgorithms
import RecbenchCore

/// Adam (Kingma & Ba 2015), or AdamW (Loshchilov & Hutter 2019) when `decoupledWeightDecay`:
/// the decay shrinks weights directly instead of being added to the gradient. Optional clipping
/// of the global gradient norm before each step. Gradients are zeroed after the step.
public final class Adam {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float
    public var weightDecay: Float
    public let decoupledWeightDecay: Bool
    /// Global L2 norm above which gradients are rescaled; 0 disables clipping.
    public var clipNorm: Float
    /// Threads for the element-wise update of large parameters (embedding tables): the models pass
    /// their fit's threads, since the step over a whole table is a large part of a step.
    public var threads: Int
    /// Whether the step runs the AVX2 kernel (the CPU has it and a test has not asked for the
    /// Swift lanes, which it compares it with); both round every operation alike.
    var vectorKernels = CPUFeatures.avx2FMA
    /// Decay β of an exponential moving average of the weights kept beside them (Polyak
    /// averaging; 0 keeps none): after each step w̄ ← β·w̄ + (1 − β)·w, starting from the first
    /// step's weights. `swapAverage` puts it in the parameters' place for evaluation.
    public var averaging: Float = 0
    private var average: [UnsafeMutablePointer<Float>] = []
    public let parameters: [Parameter]
    /// Parameters (by identity) exempt from weight decay: biases, layer-norm gains and shifts.
    private let decays: [Bool]
    private var m: [UnsafeMutablePointer<Float>], v: [UnsafeMutablePointer<Float>]
    /// Per table, the step that last listed each row in a lazy update (`update(adding:rows:)`).
    private var stamps: [[Int]]
    public private(set) var step = 0
    /// The gradient norm seen by the last step (before clipping).
    public private(set) var lastGradientNorm: Float = 0

    public init(
        parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false, clipNorm: Float = 0,
        noDecay: Set<ObjectIdentifier> = [], threads: Int = 1
    ) {
        self.threads = max(1, threads)
        self.parameters = parameters; self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2
        self.epsilon = epsilon; self.weightDecay = weightDecay; self.decoupledWeightDecay = decoupledWeightDecay
        self.clipNorm = clipNorm
        decays = parameters.map { !noDecay.contains(ObjectIdentifier($0)) }
        stamps = parameters.map { _ in [] }
        m = parameters.map {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, $0.count));
            p.initialize(repeating: 0, count: max(1, $0.count)); return p
        }
        v = parameters.map {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, $0.count));
            p.initialize(repeating: 0, count: max(1, $0.count)); return p
        }
    }
    deinit { for p in m + v + average { p.deallocate() } }

    /// Exchanges the weights and their moving average (no-op without averaging): call it once to
    /// evaluate or keep the averaged model, and again before the next step.
    public func swapAverage() {
        for (p, a) in zip(parameters, average) { swap(p.value, a, p.count) }
    }

    private func swap(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { (x[i], y[i]) = (y[i], x[i]) }
    }

    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// One update from the accumulated gradients, then zeroes them. `shadows` hold more of the
    /// step's gradient (a split step's later parts, see `SplitStep`): the step adds one set to the
    /// gradient as it reads it, the same sums as adding it in a pass of its own, without that pass
    /// over every table; with clipping or several sets they are added first.
    ///
    /// `rows` makes the step lazy for the tables it names (SparseAdam's rule, as in PyTorch): only
    /// the listed rows (repeats allowed) move, with their moments; every other row keeps its weights
    /// and moments as they are, where dense Adam would still move it by its decaying momentum. The
    /// caller lists every row its gradient can touch; the rest of the table's gradient must be 0.
    /// A table's step then costs its batch's rows, not the whole table (a few hundred rows of an
    /// embedding table's thousands).
    func update(adding shadows: [ShadowGradients], rows: [ObjectIdentifier: [Int32]] = [:]) {
        var shadows = shadows
        if clipNorm > 0 || shadows.count > 1 {
            for s in shadows { s.flush(threads: threads) }
            shadows = []
        }
        // With clipping the norm must be known before the step; without, it is only reported, and
        // the step's own pass sums it (in another order, which changes nothing the step computes).
        var clip: Float = 1
        if clipNorm > 0 {
            var sq: Double = 0
            for p in parameters {
                let g = p.grad; var s: Float = 0; for i in 0..<p.count { s += g[i] * g[i] }; sq += Double(s)
            }
            lastGradientNorm = Float(sq.squareRoot())
            if lastGradientNorm > clipNorm { clip = clipNorm / lastGradientNorm }
        }
        var squares: Double = 0
        step += 1
        let c1 = 1 - powf(beta1, Float(step)), c2 = 1 - powf(beta2, Float(step))
        let lr = learningRate * c2.squareRoot() / c1
        let keepAverage = averaging > 0
        if keepAverage && average.isEmpty {
            average = parameters.map {
                let a = UnsafeMutablePointer<Float>.allocate(capacity: max(1, $0.count))
                a.initialize(from: $0.value, count: $0.count); return a
            }
        }
        let (β, first) = (averaging, step == 1)
        for (k, p) in parameters.enumerated() {
            let w = p.value, g = p.grad, mk = m[k], vk = v[k], avg = keepAverage ? average[k] : nil
            let extra = shadows.first?.gradient(of: p)
            let l2: Float = (!decoupledWeightDecay && decays[k]) ? weightDecay : 0
            let shrink: Float = (decoupledWeightDecay && decays[k]) ? 1 - learningRate * weightDecay : 1
            let rule = AdamRule(
                beta1: beta1, beta2: beta2, learningRate: lr, epsilon: epsilon * c2.squareRoot(), clip: clip, l2: l2,
                shrink: shrink, vectorKernel: vectorKernels)
            let apply = { (lo: Int, hi: Int) -> Double in rule.apply(w, g, extra: extra, mk, vk, lo, hi) }
            let average = { (range: Range<Int>) in
                guard let avg else { return }
                for i in range { avg[i] = first ? w[i] : β * avg[i] + (1 - β) * w[i] }
            }
            let lazy = rows[ObjectIdentifier(p)].map { distinctRows($0, of: p, slot: k) }
            let width = lazy == nil ? 1 : p.shape.last
            let units = lazy?.count ?? p.count
            let workers = units * width >= 1 << 15 ? threads : 1
            var sums = [Double](repeating: 0, count: max(1, workers))
            // Element-wise (or row-wise), so a split over the threads changes nothing but the time.
            sums.withUnsafeMutableBufferPointer { sums in
                parallelChunks(count: units, threads: workers) { chunk, range in
                    if let lazy {
                        // Rows come at random: ask for the moments and weights a few rows ahead.
                        var s = 0.0
                        for r in range {
                            if r + rowsAhead < range.upperBound {
                                let ahead = lazy[r + rowsAhead]
                                prefetchRow(w, ahead, width, write: true); prefetchRow(g, ahead, width, write: true)
                                prefetchRow(mk, ahead, width, write: true); prefetchRow(vk, ahead, width, write: true)
                                if let extra { prefetchRow(extra, ahead, width, write: true) }
                            }
                            let row = Int(lazy[r]) * width
                            s += apply(row, row + width)
                        }
                        sums[chunk] = s
                    } else {
                        sums[chunk] = apply(range.lowerBound, range.upperBound)
                        average(range)
                    }
                }
            }
            // Every row's average moves, listed or not (its weight is constant while unlisted).
            if lazy != nil { average(0..<p.count) }
            squares += sums.reduce(0, +)
        }
        if clipNorm <= 0 { lastGradientNorm = Float(squares.squareRoot()) }
    }

    /// The distinct rows of `listed`, in first-seen order, from a per-table stamp of the step that
    /// last listed each row (no set or sort on the hot path).
    private func distinctRows(_ listed: [Int32], of p: Parameter, slot k: Int) -> [Int32] {
        precondition(p.shape.rank == 2, "Adam: lazy rows need a rows × width table, not \(p.shape) (\(p.name))")
        if stamps[k].count != p.shape.rows { stamps[k] = [Int](repeating: 0, count: p.shape.rows) }
        var out: [Int32] = []
        out.reserveCapacity(listed.count)
        let step = step
        stamps[k].withUnsafeMutableBufferPointer { stamp in
            for r in listed where stamp[Int(r)] != step {
                stamp[Int(r)] = step; out.append(r)
            }
        }
        return out
    }

    /// One update from the accumulated gradients, then zeroes them.
    public func update() { update(adding: []) }
}

#if canImport(Glibc)
import Glibc
#endif
