import RecbenchCore
import RecbenchAlgorithms
import Dispatch

/// NeuMF (He et al. 2017): a generalised matrix factorisation branch (p_u ⊙ q_i) and an MLP
/// tower over [p'_u ‖ q'_i] with separate embeddings, joined by one output unit; trained with
/// binary cross-entropy on each interaction and `negatives` sampled non-interacted items.
public final class NeuMF: Recommender {
    public struct Config: AlgorithmConfig {
        public static let budgetParameter: String? = "epochs"
        public static let parameters: [ParameterSpec] = [
            .integer(
                "embedding_size", default: 32, min: 1, max: 4096,
                "GMF factor size; the MLP embeddings are the same size."),
            .integer(
                "mlp_layers", default: 3, min: 1, max: 8, "Hidden ReLU layers of the tower: 2E → E → E/2 → … (halving)."
            ),
            .real("dropout", default: 0, min: 0, max: 0.95, "Dropout after each hidden layer."),
            .real("learning_rate", default: 1e-3, exclusiveMin: true, "Adam step size."),
            .real("weight_decay", default: 0, "Decoupled weight decay (AdamW) when > 0."),
            .integer(
                "batch_size", default: 256, min: 1, max: 1 << 20, "Interactions per step (each with its negatives)."),
            .integer("epochs", default: 30, min: 1, max: 100_000, "Most passes over the interactions."),
            .integer("negatives", default: 4, min: 1, max: 1000, "Sampled negatives per interaction."),
            .boolean(
                "sparse_adam", default: false,
                "Move only the embedding rows a step's batch uses, with their moments (PyTorch's SparseAdam); dense Adam, as RecBole, moves every row."
            ),
            .patience(default: 5, unit: "epochs")
        ]
        /// One step's input rows are batch_size × (1 + negatives), each 2 × embedding_size wide.
        public static let constraints: [ParameterConstraint] = [
            .product(
                ["batch_size", "negatives", "embedding_size"], atMost: 1 << 28,
                "floats in a step's embedding rows")
        ]
        public var embeddingSize: Int, mlpLayers: Int, dropout: Double, learningRate: Double, weightDecay: Double
        public var batchSize: Int, epochs: Int, negatives: Int, patience: Int, sparseAdam: Bool
        public init(_ v: ParameterValues) {
            embeddingSize = v.int("embedding_size"); mlpLayers = v.int("mlp_layers"); dropout = v.real("dropout")
            learningRate = v.real("learning_rate"); weightDecay = v.real("weight_decay");
            batchSize = v.int("batch_size")
            epochs = v.int("epochs"); negatives = v.int("negatives"); patience = v.int("patience")
            sparseAdam = v.bool("sparse_adam")
        }
        /// GMF and MLP embeddings of every user and item and the tower (value, gradient, the second
        /// half-batch's shadow gradient, two Adam moments), and one epoch's training pairs with their
        /// sampled negatives.
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            let e = embeddingSize, tower = mlpLayers * 4 * e * e + 2 * e
            return 20 * ((s.users + s.items) * 2 * e + tower) + 12 * s.interactions * (1 + negatives)
                + 4 * 8 * batchSize * (1 + negatives) * 2 * e
        }
    }
    public static let name = "NeuMF"
    public static let summary = "Neural matrix factorisation: GMF and an MLP tower over user and item embeddings."
    public static let tasks: Set<RecommendationTask> = [.ranking, .sequential]

    public let config: Config
    let state = SequenceState()
    let graphs = GraphCache()
    var userGMF: Parameter!, itemGMF: Parameter!, userMLP: Parameter!, itemMLP: Parameter!
    var tower: [Linear] = []
    var head: Linear!
    var parameters: [Parameter] = []
    /// Pairs whose deeper layers `score` computes at once (a test makes it small).
    var scoringChunk = 2048

    public init(config: Config) { self.config = config }

    func build(users: Int, items: Int, seed: UInt64) {
        var rng = RandomSource(seed: seed, stream: "neumf-init")
        let e = config.embeddingSize
        userGMF = Parameter("user.gmf", Shape(users, e)); itemGMF = Parameter("item.gmf", Shape(items, e))
        userMLP = Parameter("user.mlp", Shape(users, e)); itemMLP = Parameter("item.mlp", Shape(items, e))
        for p in [userGMF!, itemGMF!, userMLP!, itemMLP!] { p.fillNormal(std: 0.01, rng: &rng) }
        var width = 2 * e
        tower = (0..<config.mlpLayers).map { k in
            let out = max(1, width / 2)
            defer { width = out }
            return Linear("mlp\(k)", width, out, rng: &rng)
        }
        head = Linear("head", e + width, 1, rng: &rng)
        parameters = [userGMF, itemGMF, userMLP, itemMLP] + tower.flatMap(\.parameters) + head.parameters
    }

    /// Logits for pairs (users[k], items[k]). The tower's first layer on [p′_u ‖ q′_i] is computed as
    /// p′_u·W_u + q′_i·W_i + b with the user half once per run of equal users: a training step
    /// lists each user's positive and its negatives together, so that half costs 1/(1 + negatives)
    /// of a pair's, and the concatenation and its backward pass disappear.
    func forward(_ g: Graph, users: UnsafeBufferPointer<Int32>, items: UnsafeBufferPointer<Int32>) -> Tensor {
        let n = users.count, e = config.embeddingSize, first = tower[0], width = first.weight.shape.last
        let gmf = g.mul(
            g.gatherRows(g.parameter(userGMF), users, shape: Shape(n, e)),
            g.gatherRows(g.parameter(itemGMF), items, shape: Shape(n, e)))
        var runs: [Int32] = [], runOf: [Int32] = []
        runOf.reserveCapacity(n)
        for u in users {
            if runs.last != u { runs.append(u) }
            runOf.append(Int32(runs.count - 1))
        }
        let userHalf = g.matmul(
            g.gatherRows(g.parameter(userMLP), runs, shape: Shape(runs.count, e)),
            g.parameter(first.weight, rows: 0..<e))
        let itemHalf = g.matmul(
            g.gatherRows(g.parameter(itemMLP), items, shape: Shape(n, e)), g.parameter(first.weight, rows: e..<(2 * e)))
        let joined = g.add(g.gatherRows(userHalf, runOf, shape: Shape(n, width)), itemHalf)
        var h = g.dropout(g.relu(g.addBias(joined, g.parameter(first.bias))), Float(config.dropout))
        for layer in tower.dropFirst() { h = g.dropout(g.relu(layer(g, h)), Float(config.dropout)) }
        return head(g, g.concat(gmf, h))
    }

    public func fit(_ data: TrainingData, context: FitContext) throws {
        state.load(data)
        let m = data.interactions, k = config.negatives
        build(users: data.userCount, items: data.itemCount, seed: context.seed)
        var positives: [(Int32, Int32)] = []
        for u in 0..<m.userCount { for i in m.items(of: u) { positives.append((Int32(u), i)) } }
        guard !positives.isEmpty else { return }
        let noDecay = Set(tower.flatMap(\.noDecay).map(ObjectIdentifier.init) + head.noDecay.map(ObjectIdentifier.init))
        let adam = Adam(
            parameters: parameters, learningRate: Float(config.learningRate), weightDecay: Float(config.weightDecay),
            decoupledWeightDecay: config.weightDecay > 0, noDecay: noDecay, threads: context.threads)
        let sampler = NegativeSampler(histories: state.training, itemCount: data.itemCount)
        // Each batch is cut in two halves by its positives, forward and backward on a graph each
        // (`SplitStep`): a step's graph work is row loops and small products that one graph runs
        // on one core.
        let split = SplitStep(
            parameters: parameters, parts: 2, threads: context.threads, seed: context.seed, rating: false)
        var halves = [FieldBatch](repeating: FieldBatch(), count: 2)
        // `forward` reads the embedding tables only at the batch's users and items.
        let lazy: (users: [Parameter], items: [Parameter]) =
            config.sparseAdam ? ([userGMF, userMLP], [itemGMF, itemMLP]) : ([], [])
        var rng = context.random("neumf-batches")
        try trainEpochs(
            config.epochs, patience: config.patience, parameters: parameters, state: state,
            context: context, model: self
        ) {
            rng.shuffle(&positives)
            var lossSum = 0.0, steps = 0
            for first in stride(from: 0, to: positives.count, by: config.batchSize) {
                let batch = first..<min(positives.count, first + config.batchSize)
                for (h, range) in SplitStep.halves(batch).enumerated() {
                    halves[h].removeAll()
                    for (u, i) in positives[range] {
                        halves[h].append(u, i, 1)
                        for _ in 0..<k { halves[h].append(u, sampler.draw(for: Int(u), rng: &rng), 0) }
                    }
                }
                lossSum += split.step(halves, adam: adam, lazy: lazy) { g, users, items in
                    users.withUnsafeBufferPointer { u in
                        items.withUnsafeBufferPointer { forward(g, users: u, items: $0) }
                    }
                }
                steps += 1
            }
            return lossSum / Double(max(1, steps))
        }
    }

    /// All items for each user, in blocks of users, with the two user-by-item products factored
    /// out of the pairs. The tower's first layer on [p′_u ‖ q′_i] is p′_u·W_u + q′_i·W_i + b, so its
    /// halves are computed once per user and once per item and summed per pair; the head's GMF part
    /// Σ_k p_u[k]·q_i[k]·w_k is (p_u ⊙ w)·q_i, one sgemm over the block's users and every item. A pair
    /// is left the deeper layers: the first layer alone was 2E² of a pair's ≈ 2.6E² multiply-adds,
    /// and scoring every item for every user (each validation pass) cost more than a training epoch.
    /// The deeper layers run on `scoringChunk` pairs at a time, so that their activations stay in
    /// the core's cache instead of streaming a block's (megabytes) through memory layer by layer.
    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        let n = state.itemCount, e = config.embeddingSize, first = tower[0], width = first.weight.shape.last
        let last = head.weight.shape.rows - e, w = head.weight.value, bias = head.bias.value[0]
        let block = max(1, 32_768 / max(1, n))
        let itemTerm = UnsafeMutablePointer<Float>.allocate(capacity: n * width)
        let userTerm = UnsafeMutablePointer<Float>.allocate(capacity: block * width)
        defer { itemTerm.deallocate(); userTerm.deallocate() }
        BLAS.sgemm(
            m: n, n: width, k: e, a: itemMLP.value, lda: e, b: first.weight.value + e * width, ldb: width,
            c: itemTerm, ldc: width)
        for i in 0..<n { addRow(itemTerm + i * width, first.bias.value, width) }
        var mlpRows = [Float](repeating: 0, count: block * e), gmfRows = mlpRows
        for start in stride(from: 0, to: users.count, by: block) {
            let part = users[start..<min(users.count, start + block)], pairs = part.count * n
            for (k, u) in part.enumerated() {
                for c in 0..<e {
                    mlpRows[k * e + c] = userMLP.value[Int(u) * e + c]
                    gmfRows[k * e + c] = userGMF.value[Int(u) * e + c] * w[c]
                }
            }
            let out = scores.baseAddress! + start * n
            BLAS.sgemm(
                transB: true, m: part.count, n: n, k: e, a: gmfRows, lda: e, b: itemGMF.value, ldb: e, c: out, ldc: n)
            BLAS.sgemm(
                m: part.count, n: width, k: e, a: mlpRows, lda: e, b: first.weight.value, ldb: width, c: userTerm,
                ldc: width)
            for p0 in stride(from: 0, to: pairs, by: scoringChunk) {
                let count = min(scoringChunk, pairs - p0)
                graphs.withGraph { g in
                    var h = g.make(Shape(count, width), needsGrad: false)
                    let H = g.value(h)
                    // Pair p0 + q is (user k, item i); stepped along, not divided out per pair.
                    var (k, i) = p0.quotientAndRemainder(dividingBy: n)
                    for q in 0..<count {
                        reluOfSumRow(H + q * width, userTerm + k * width, itemTerm + i * width, width)
                        i += 1
                        if i == n { (k, i) = (k + 1, 0) }
                    }
                    for layer in tower.dropFirst() { h = g.relu(layer(g, h)) }
                    let z = g.value(h)
                    for q in 0..<count { out[p0 + q] += dotRow(z + q * last, w + e, last) + bias }
                }
            }
        }
    }
}
