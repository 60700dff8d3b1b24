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
            .patience(default: 5, unit: "epochs")
        ]
        /// One step's input rows are batch_size × (1 + negatives), each 2 × embedding_size wide.
        public static let constraints: [ParameterConstraint] = [
            .product(
                ["batch_size", "negatives", "embedding_size"], atMost: 1 << 28,
                "floats in a step's embedding rows")
        ]
        public var embeddingSize: Int, mlpLayers: Int, dropout: Double, learningRate: Double, weightDecay: Double
        public var batchSize: Int, epochs: Int, negatives: Int, patience: Int
        public init(_ v: ParameterValues) {
            embeddingSize = v.int("embedding_size"); mlpLayers = v.int("mlp_layers"); dropout = v.real("dropout")
            learningRate = v.real("learning_rate"); weightDecay = v.real("weight_decay");
            batchSize = v.int("batch_size")
            epochs = v.int("epochs"); negatives = v.int("negatives"); patience = v.int("patience")
        }
        /// GMF and MLP embeddings of every user and item and the tower (value, gradient, two Adam
        /// moments), and one epoch's training pairs with their sampled negatives.
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            let e = embeddingSize, tower = mlpLayers * 4 * e * e + 2 * e
            return 16 * ((s.users + s.items) * 2 * e + tower) + 12 * s.interactions * (1 + negatives)
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

    /// Logits for pairs (users[k], items[k]).
    func forward(_ g: Graph, users: UnsafeBufferPointer<Int32>, items: UnsafeBufferPointer<Int32>) -> Tensor {
        let n = users.count, e = config.embeddingSize
        let gmf = g.mul(
            g.gatherRows(g.parameter(userGMF), users, shape: Shape(n, e)),
            g.gatherRows(g.parameter(itemGMF), items, shape: Shape(n, e)))
        var h = g.concat(
            g.gatherRows(g.parameter(userMLP), users, shape: Shape(n, e)),
            g.gatherRows(g.parameter(itemMLP), items, shape: Shape(n, e)))
        for layer in tower { h = g.dropout(g.relu(layer(g, h)), Float(config.dropout)) }
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
            decoupledWeightDecay: config.weightDecay > 0, noDecay: noDecay)
        let sampler = NegativeSampler(histories: state.training, itemCount: data.itemCount)
        let g = Graph(training: true, threads: context.threads, seed: context.seed)
        var rng = context.random("neumf-batches")
        var us = [Int32](), its = [Int32](), ys = [Float](), ws = [Float]()
        try trainEpochs(
            config.epochs, patience: config.patience, parameters: parameters, state: state,
            context: context, model: self
        ) {
            rng.shuffle(&positives)
            var lossSum = 0.0, steps = 0
            for first in stride(from: 0, to: positives.count, by: config.batchSize) {
                us.removeAll(keepingCapacity: true); its.removeAll(keepingCapacity: true)
                ys.removeAll(keepingCapacity: true); ws.removeAll(keepingCapacity: true)
                for (u, i) in positives[first..<min(positives.count, first + config.batchSize)] {
                    us.append(u); its.append(i); ys.append(1); ws.append(1)
                    for _ in 0..<k {
                        us.append(u); its.append(sampler.draw(for: Int(u), rng: &rng)); ys.append(0); ws.append(1)
                    }
                }
                g.reset()
                let logits = us.withUnsafeBufferPointer { u in
                    its.withUnsafeBufferPointer { forward(g, users: u, items: $0) }
                }
                let loss = g.binaryCrossEntropy(logits: logits, targets: ys, weights: ws)
                g.backward(loss)
                adam.update()
                lossSum += Double(g.scalar(loss)); steps += 1
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
    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        let n = state.itemCount, e = config.embeddingSize, first = tower[0], width = first.weight.shape.last
        let last = head.weight.shape.rows - e, w = head.weight.value, bias = head.bias.value[0]
        let itemTerm = UnsafeMutablePointer<Float>.allocate(capacity: n * width)
        defer { itemTerm.deallocate() }
        BLAS.sgemm(
            m: n, n: width, k: e, a: itemMLP.value, lda: e, b: first.weight.value + e * width, ldb: width,
            c: itemTerm, ldc: width)
        for i in 0..<n { addRow(itemTerm + i * width, first.bias.value, width) }
        let block = max(1, 32_768 / max(1, n))
        for start in stride(from: 0, to: users.count, by: block) {
            let part = users[start..<min(users.count, start + block)], pairs = part.count * n
            var mlpRows = [Float](repeating: 0, count: part.count * e), gmfRows = mlpRows
            for (k, u) in part.enumerated() {
                for c in 0..<e {
                    mlpRows[k * e + c] = userMLP.value[Int(u) * e + c]
                    gmfRows[k * e + c] = userGMF.value[Int(u) * e + c] * w[c]
                }
            }
            let out = scores.baseAddress! + start * n
            BLAS.sgemm(
                transB: true, m: part.count, n: n, k: e, a: gmfRows, lda: e, b: itemGMF.value, ldb: e, c: out, ldc: n)
            graphs.withGraph { g in
                let userTerm = g.matmul(
                    g.input(Shape(part.count, e), mlpRows),
                    g.input(Shape(e, width), Array(first.weight.values[0..<(e * width)])))
                var h = g.input(Shape(pairs, width), [Float](repeating: 0, count: pairs * width))
                let U = g.value(userTerm), H = g.value(h)
                for k in 0..<part.count {
                    for i in 0..<n {
                        reluOfSumRow(H + (k * n + i) * width, U + k * width, itemTerm + i * width, width)
                    }
                }
                for layer in tower.dropFirst() { h = g.relu(layer(g, h)) }
                let z = g.value(h)
                for p in 0..<pairs { out[p] += dotRow(z + p * last, w + e, last) + bias }
            }
        }
    }
}
