import RecbenchCore
import RecbenchAlgorithms
import Dispatch

/// The optimisation settings the field models (AutoInt, DIN) share, declared once.
struct FieldTrainingSettings: Sendable {
    var learningRate: Float, weightDecay: Float, embeddingRegularization: Float, averaging: Float
    var batchSize: Int, epochs: Int, negatives: Int, patience: Int

    static let parameters: [ParameterSpec] = [
        .real("learning_rate", default: 1e-3, exclusiveMin: true, "Adam step size."),
        .real("weight_decay", default: 0, "Decoupled weight decay (AdamW) when > 0."),
        .real(
            "embedding_regularization", default: 0,
            "L2 penalty λ · Σ‖e‖² on the embeddings and first-order weights each example uses, averaged over the batch."
        ),
        .real(
            "weight_averaging", default: 0, min: 0, max: 0.9999,
            "Decay of a moving average of the weights over the steps (0: none); the average is what is validated and kept."
        ),
        .integer(
            "batch_size", default: 512, min: 1, max: 1 << 20,
            "Examples per step (ranking: positives per step, each with its negatives)."),
        .integer("epochs", default: 30, min: 1, max: 100_000, "Most passes over the training interactions."),
        .integer(
            "negatives", default: 4, min: 1, max: 1000,
            "Ranking task: sampled non-interacted items per positive (binary cross-entropy)."),
        .patience(default: 5, unit: "epochs")
    ]

    /// The training ratings as input fields (`FeatureFields`), for both models.
    static let ratingFields = ParameterSpec.boolean(
        "rating_fields", default: false,
        "Rating task: add the user's rated items and the item's raters as two fields, each weighted by its rating "
            + "minus the global mean over √count (the pair itself left out).")

    /// The factorization machine's second-order term both models may add to their output.
    static let pairwiseTerm = ParameterSpec.boolean(
        "pairwise_term", default: false,
        "Add the factorization machine's second-order term, the inner products of every pair of field embeddings.")

    init(_ v: ParameterValues) {
        learningRate = Float(v.real("learning_rate")); weightDecay = Float(v.real("weight_decay"))
        embeddingRegularization = Float(v.real("embedding_regularization"))
        averaging = Float(v.real("weight_averaging"))
        batchSize = v.int("batch_size"); epochs = v.int("epochs"); negatives = v.int("negatives")
        patience = v.int("patience")
    }
}

/// The first-order term of each example: Σ over the fields of `sides` of each bag's weighted
/// linear weights, B × 1. The per-field sums are penalised (`λ / B · Σ w²`) before they are added
/// up, so a rarely seen user's or item's weight is shrunk like its embedding.
func firstOrderTerm(_ g: Graph, linear: Parameter, sides: [FieldLookup], regularization λ: Float) -> Tensor {
    let w = g.parameter(linear)
    let terms = sides.map { side in
        let perField = side.embed(g, w), n = side.examples
        g.penalize(perField, scale: λ / Float(max(1, n)))
        return g.matmul(
            g.reshape(perField, Shape(n, side.fields)),
            g.input(Shape(side.fields, 1), [Float](repeating: 1, count: side.fields)))
    }
    return terms.dropFirst().reduce(terms[0]) { g.add($0, $1) }
}

/// Pairwise forward passes: `forward(g, users, items)` gives one output per (users[k], items[k]).
typealias PairForward = (Graph, [Int32], [Int32]) -> Tensor

/// The field models' fit: the rating task regresses ratings with squared error, the ranking task
/// classifies each training interaction against `negatives` uniformly sampled non-interacted
/// items with binary cross-entropy. Epochs run in the shared `TrainingLoop`, which validates on
/// the runner's metric when the trial has a validation part and restores the best epoch.
func trainFieldModel(
    _ data: TrainingData, context: FitContext, settings s: FieldTrainingSettings,
    parameters: [Parameter], noDecay: [Parameter], model: any Recommender,
    forward: PairForward
) throws {
    let m = data.interactions
    var triples: [(Int32, Int32, Float)] = []
    triples.reserveCapacity(m.nnz)
    for u in 0..<m.userCount {
        for p in m.byUser.rowRange(u) { triples.append((Int32(u), m.byUser.indices[p], m.byUser.values[p])) }
    }
    guard !triples.isEmpty else { return }
    let rating = data.task == .rating
    let adam = Adam(
        parameters: parameters, learningRate: s.learningRate, weightDecay: s.weightDecay,
        decoupledWeightDecay: s.weightDecay > 0, noDecay: Set(noDecay.map(ObjectIdentifier.init)),
        threads: context.threads)
    adam.averaging = s.averaging
    var averaged = false
    let sampler = NegativeSampler(histories: (0..<m.userCount).map { Array(m.items(of: $0)) }, itemCount: m.itemCount)
    // Each batch is cut in two halves by its positives (`SplitStep`).
    let step = SplitStep(parameters: parameters, parts: 2, threads: context.threads, seed: context.seed, rating: rating)
    var rng = context.random("field-model-batches")
    var halves = [FieldBatch](repeating: FieldBatch(), count: 2)
    try TrainingLoop(iterations: s.epochs, patience: s.patience, unit: "epoch").run(
        context: context, model: model, snapshot: { ParameterSnapshot(parameters) }, restore: { $0.restore(parameters) }
    ) { _ in
        let start = DispatchTime.now().uptimeNanoseconds
        if averaged { adam.swapAverage(); averaged = false }  // back to the live weights
        rng.shuffle(&triples)
        var lossSum = 0.0, steps = 0
        for first in stride(from: 0, to: triples.count, by: s.batchSize) {
            let batch = first..<min(triples.count, first + s.batchSize)
            for (h, range) in SplitStep.halves(batch).enumerated() {
                halves[h].removeAll()
                for (u, i, r) in triples[range] {
                    halves[h].append(u, i, rating ? r : 1)
                    if !rating {
                        for _ in 0..<s.negatives { halves[h].append(u, sampler.draw(for: Int(u), rng: &rng), 0) }
                    }
                }
            }
            lossSum += step.step(halves, adam: adam, forward: forward)  // includes the penalty
            steps += 1
        }
        // The loop validates and snapshots what the parameters hold: the average, when kept.
        if s.averaging > 0 { adam.swapAverage(); averaged = true }
        return [
            "loss": lossSum / Double(max(1, steps)),
            "epoch_seconds": Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        ]
    }
}

/// Outputs for pairs, in blocks of `block` pairs on cached inference graphs (safe concurrently).
func pairOutputs(
    users: [Int32], items: [Int32], graphs: GraphCache, block: Int = 4096,
    forward: PairForward
) -> [Float] {
    var out = [Float](repeating: 0, count: users.count)
    for first in stride(from: 0, to: users.count, by: block) {
        let end = min(users.count, first + block)
        graphs.withGraph { g in
            let t = forward(g, Array(users[first..<end]), Array(items[first..<end]))
            for k in first..<end { out[k] = g.value(t)[k - first] }
        }
    }
    return out
}

/// Every item's output for each user (row-major users × items), through `pairOutputs`.
func allItemOutputs(
    users: [Int32], itemCount n: Int, graphs: GraphCache, forward: PairForward,
    into scores: UnsafeMutableBufferPointer<Float>
) {
    let perBlock = max(1, 8192 / max(1, n))
    for first in stride(from: 0, to: users.count, by: perBlock) {
        let part = users[first..<min(users.count, first + perBlock)]
        var us = [Int32](), its = [Int32]()
        us.reserveCapacity(part.count * n); its.reserveCapacity(part.count * n)
        for u in part { for i in 0..<n { us.append(u); its.append(Int32(i)) } }
        let values = pairOutputs(users: us, items: its, graphs: graphs, block: us.count, forward: forward)
        for (k, v) in values.enumerated() { scores[first * n + k] = v }
    }
}

/// What the field models (AutoInt, DIN) share beyond their forward pass: fitting through
/// `trainFieldModel`, rating predictions clamped to the training range, and every item's output
/// as its score. A model states how it builds its parameters and computes one batch of pairs.
protocol FieldRecommender: RatingPredictor {
    var graphs: GraphCache { get }
    var parameters: [Parameter] { get }
    /// Parameters left out of weight decay (biases, first-order terms).
    var noDecay: [Parameter] { get }
    var trainingSettings: FieldTrainingSettings { get }
    var itemCount: Int { get }
    /// The training ratings' range (rating task), which predictions are clamped to.
    var ratingRange: ClosedRange<Float>? { get }
    func build(_ data: TrainingData, seed: UInt64)
    /// The model's outputs for the pairs (users[k], items[k]).
    func forward(_ g: Graph, users: [Int32], items: [Int32]) -> Tensor
}

extension FieldRecommender {
    public func fit(_ data: TrainingData, context: FitContext) throws {
        build(data, seed: context.seed)
        try trainFieldModel(
            data, context: context, settings: trainingSettings, parameters: parameters, noDecay: noDecay, model: self
        ) { g, u, i in self.forward(g, users: u, items: i) }
    }

    public func predict(users: [Int32], items: [Int32]) -> [Float] {
        let out = pairOutputs(users: users, items: items, graphs: graphs) { g, u, i in
            self.forward(g, users: u, items: i)
        }
        guard let r = ratingRange else { return out }
        return out.map { min(r.upperBound, max(r.lowerBound, $0)) }
    }

    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        allItemOutputs(
            users: users, itemCount: itemCount, graphs: graphs,
            forward: { g, u, i in self.forward(g, users: u, items: i) }, into: scores)
    }
}
