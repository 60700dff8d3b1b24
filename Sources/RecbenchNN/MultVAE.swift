import Foundation
import RecbenchCore
import RecbenchAlgorithms

/// Mult-VAE (Liang et al. 2018): a variational autoencoder of each user's interaction row with a
/// multinomial likelihood over all items. The row x_u is L2-normalised and dropped out (input
/// dropout), encoded as h = tanh(x̃ W₁ + b₁) (a sparse bag of W₁'s rows), then μ and log σ² by two
/// linear maps; z = μ + ε σ while training (μ at prediction); decoded as
/// logits = tanh(z W₃ + b₃) W₄ + b₄. The loss per user is −Σ_i x_ui log softmax(logits)_i + β·KL,
/// averaged over the batch, with β annealed linearly from 0 by 1/total_anneal_steps per step up
/// to anneal_cap. Scores are the logits of μ. Defaults follow RecBole's MultiVAE (one hidden
/// layer of 600, RecBole's latent_dimension 128 split into μ and log σ², so a 64-dimensional z;
/// dropout 0.5, cap 0.2 over 200,000 steps, Adam at 1e-3) with the paper's 500 users a batch.
public final class MultVAE: Recommender {
    public struct Config: AlgorithmConfig {
        public static let budgetParameter: String? = "epochs"
        public static let parameters: [ParameterSpec] = [
            .integer(
                "hidden_size", default: 600, min: 1, max: 65_536,
                "Width of the encoder's and decoder's tanh layer."),
            .integer(
                "latent", default: 64, min: 1, max: 65_536,
                "Dimension of z (RecBole's latent_dimension is twice this)."),
            .real("dropout", default: 0.5, max: 0.95, "Dropout on the normalised input row."),
            .real("anneal_cap", default: 0.2, max: 10, "Largest β on the KL term."),
            .integer("total_anneal_steps", default: 200_000, min: 1, "Steps over which β grows from 0 to 1 (capped)."),
            .real("learning_rate", default: 1e-3, exclusiveMin: true, "Adam step size."),
            .integer("batch_size", default: 500, min: 1, max: 1 << 20, "Users per step."),
            .integer("epochs", default: 200, min: 1, max: 100_000, "Most passes over the users."),
            .patience(default: 10, unit: "epochs"),
            // A validation pass scores every user through the items-wide output layer: on ML-1M about a
            // third of an epoch's training arithmetic, so validating every few epochs saves a quarter.
            .validateEvery()
        ]
        public var hidden: Int, latent: Int, dropout: Double, annealCap: Double, annealSteps: Int
        public var learningRate: Double, batchSize: Int, epochs: Int, patience: Int, validateEvery: Int
        public init(_ v: ParameterValues) {
            hidden = v.int("hidden_size"); latent = v.int("latent"); dropout = v.real("dropout")
            annealCap = v.real("anneal_cap"); annealSteps = v.int("total_anneal_steps")
            learningRate = v.real("learning_rate"); batchSize = v.int("batch_size"); epochs = v.int("epochs")
            patience = v.int("patience"); validateEvery = v.int("validate_every")
        }
        /// Encoder and decoder weights (items × hidden each, with value, gradient and two Adam
        /// moments) and one batch's dense rows (input, dropout, logits, softmax, their gradients).
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            let weights = 2 * s.items * hidden + hidden * 3 * latent + 2 * hidden + s.items
            return 16 * weights + 4 * 8 * min(batchSize, max(1, s.users)) * s.items
        }
    }
    public static let name = "MultVAE"
    public static let summary =
        "Variational autoencoder with multinomial likelihood over the user's row (Liang et al. 2018)."
    public static let tasks: Set<RecommendationTask> = [.ranking]

    public let config: Config
    let graphs = GraphCache()
    var input: Parameter!, inputBias: Parameter!
    var mean: Linear!, logVariance: Linear!, decoder: Linear!, output: Linear!
    var parameters: [Parameter] = []
    private var train = SparseMatrix(rows: 0, columns: 0, offsets: [0], indices: [], values: [])

    public init(config: Config) { self.config = config }

    func build(items: Int, seed: UInt64) {
        var rng = RandomSource(seed: seed, stream: "multvae-init")
        let h = config.hidden, k = config.latent
        input = Parameter("encoder.input", Shape(items, h)); inputBias = Parameter("encoder.input.bias", Shape(h))
        input.fillXavier(rng: &rng)
        mean = Linear("encoder.mean", h, k, rng: &rng); logVariance = Linear("encoder.logvar", h, k, rng: &rng)
        decoder = Linear("decoder.hidden", k, h, rng: &rng); output = Linear("decoder.output", h, items, rng: &rng)
        var all: [Parameter] = [input, inputBias]
        for layer in [mean!, logVariance!, decoder!, output!] { all += layer.parameters }
        parameters = all
    }

    /// The users' rows as a sparse bag: offsets, items, and x_ui/‖x_u‖ (times the dropout mask and
    /// 1/(1 − p) when `drop` is given).
    func rows(_ users: ArraySlice<Int32>, drop: (p: Double, rng: UnsafeMutablePointer<RandomSource>)?)
        -> (offsets: [Int32], items: [Int32], weights: [Float], targets: [Float])
    {
        var offsets: [Int32] = [0], items: [Int32] = [], weights: [Float] = [], targets: [Float] = []
        for u in users {
            let range = Int(u) < train.rows ? train.rowRange(Int(u)) : 0..<0
            var norm: Float = 0
            for k in range { norm += train.values[k] * train.values[k] }
            let inv = norm > 0 ? 1 / norm.squareRoot() : 0
            for k in range {
                var w = train.values[k] * inv
                if let drop { w = drop.rng.pointee.nextDouble() < drop.p ? 0 : w / Float(1 - drop.p) }
                items.append(train.indices[k]); weights.append(w); targets.append(train.values[k])
            }
            offsets.append(Int32(items.count))
        }
        return (offsets, items, weights, targets)
    }

    /// β at update `step` (1-based): step/steps, never above `cap` (Liang et al.'s linear annealing).
    static func klWeight(step: Int, cap: Double, steps: Int) -> Float {
        Float(min(cap, Double(step) / Double(max(1, steps))))
    }

    /// The training objective of a bag of rows: multinomial NLL of the targets plus β·KL.
    func loss(
        _ g: Graph, _ batch: (offsets: [Int32], items: [Int32], weights: [Float], targets: [Float]),
        beta: Float
    ) -> Tensor {
        let (logits, mu, lv) = forward(g, offsets: batch.offsets, items: batch.items, weights: batch.weights)
        let nll = g.multinomialNLL(logits: logits, offsets: batch.offsets, targets: batch.items, weights: batch.targets)
        return g.add(nll, g.scale(g.gaussianKL(mean: mu, logVariance: lv), beta))
    }

    /// Logits, μ and log σ² for a bag of rows.
    func forward(_ g: Graph, offsets: [Int32], items: [Int32], weights: [Float]) -> (Tensor, Tensor, Tensor) {
        let h = g.tanh(
            g.addBias(
                g.embeddingBag(g.parameter(input), offsets: offsets, indices: items, weights: weights),
                g.parameter(inputBias)))
        let mu = mean(g, h), lv = logVariance(g, h)
        let z = g.reparameterize(mean: mu, logVariance: lv)
        return (output(g, g.tanh(decoder(g, z))), mu, lv)
    }

    public func fit(_ data: TrainingData, context: FitContext) throws {
        let m = data.interactions
        train = m.byUser
        build(items: m.itemCount, seed: context.seed)
        var users = (0..<m.userCount).filter { m.byUser.rowCount($0) > 0 }.map { Int32($0) }
        guard !users.isEmpty else { return }
        let adam = Adam(parameters: parameters, learningRate: Float(config.learningRate), threads: context.threads)
        let g = Graph(training: true, threads: context.threads, seed: context.seed)
        var rng = context.random("multvae-batches")
        var step = 0
        try TrainingLoop(
            iterations: config.epochs, patience: config.patience, validateEvery: config.validateEvery, unit: "epoch"
        ).run(
            context: context, model: self,
            snapshot: { ParameterSnapshot(parameters) }, restore: { $0.restore(parameters) }
        ) { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            rng.shuffle(&users)
            var lossSum = 0.0, batches = 0
            for first in stride(from: 0, to: users.count, by: config.batchSize) {
                if context.isCancelled { throw RecbenchError.cancelled }
                let batch = withUnsafeMutablePointer(to: &rng) { r in
                    rows(users[first..<min(users.count, first + config.batchSize)], drop: (config.dropout, r))
                }
                step += 1
                let beta = Self.klWeight(step: step, cap: config.annealCap, steps: config.annealSteps)
                g.reset()
                let loss = loss(g, batch, beta: beta)
                g.backward(loss)
                adam.update()
                lossSum += Double(g.scalar(loss)); batches += 1
            }
            return [
                "loss": lossSum / Double(max(1, batches)),
                "epoch_seconds": Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            ]
        }
    }

    /// Logits of μ (no dropout) for each user's full row.
    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        let n = train.columns, block = 256
        for first in stride(from: 0, to: users.count, by: block) {
            let part = users[first..<min(users.count, first + block)]
            let batch = rows(part, drop: nil)
            graphs.withGraph { g in
                let (logits, _, _) = forward(g, offsets: batch.offsets, items: batch.items, weights: batch.weights)
                (scores.baseAddress! + first * n).update(from: g.value(logits), count: part.count * n)
            }
        }
    }
}
