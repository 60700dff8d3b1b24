import RecbenchCore
import RecbenchAlgorithms

/// DIN, the deep interest network (Zhou et al. 2018): the candidate item c (its ID and attribute
/// embeddings side by side) attends over the user's most recent `max_length` training items h_j
/// (the candidate itself left out) through an activation unit, a ReLU layer on [h, c, h − c, h ⊙ c]
/// and a linear output; as in the paper the weights are not softmax-normalised, so their sum keeps
/// the intensity of the user's interest. The difference is linear in h and c, so its weights fold
/// into theirs: the unit is computed as ReLU(W_h·h + W_c·c + W_p·(h ⊙ c) + b), the same functions
/// at half the cost, in one fused op with the linear output (`Graph.activationWeights`). The weighted sum of the h_j, the profile (user ID and attribute embeddings)
/// and c feed an MLP (ReLU layers of `hidden_size`, each next one 40 % as wide: 200 → 80) with a
/// linear output, plus with `linear_terms` a first-order weight per feature and with `pairwise_term`
/// the factorization machine's inner products of the profile, interest and candidate fields. Rating task: squared
/// error; ranking task: binary cross-entropy against sampled negatives.
public final class DIN: FieldRecommender {
    public struct Config: AlgorithmConfig {
        public static let budgetParameter: String? = "epochs"
        public static let parameters: [ParameterSpec] =
            [
                .integer("embedding_size", default: 16, min: 1, max: 1024, "Embedding size of each field."),
                .integer(
                    "max_length", default: 20, min: 1, max: 4096,
                    "Most recent training items the candidate attends over."),
                .integer("attention_size", default: 36, min: 1, max: 4096, "Hidden ReLU units of the activation unit."),
                .integer("hidden_size", default: 200, min: 1, max: 65536, "Width of the MLP's first hidden layer."),
                .integer(
                    "mlp_layers", default: 2, min: 1, max: 8,
                    "Hidden ReLU layers of the MLP, each 40 % as wide as the last."),
                .real("dropout", default: 0, min: 0, max: 0.95, "Dropout after each hidden MLP layer."),
                .boolean("user_attributes", default: true, "Add each user feature group to the profile."),
                .boolean("item_attributes", default: true, "Add each item feature group to the item embeddings."),
                .boolean("linear_terms", default: true, "Add a first-order weight per feature to the output."),
                FieldTrainingSettings.ratingFields, FieldTrainingSettings.pairwiseTerm
            ] + FieldTrainingSettings.parameters
        /// The activation unit's input per step: batch × (1 + negatives) × max_length × item width.
        public static let constraints: [ParameterConstraint] = [
            .product(
                ["batch_size", "negatives", "max_length", "embedding_size"], atMost: 1 << 24,
                "floats per item field in a step's history embeddings")
        ]
        public var embeddingSize: Int, maxLength: Int, attentionSize: Int, hiddenSize: Int, mlpLayers: Int
        public var dropout: Double, userAttributes: Bool, itemAttributes: Bool, linearTerms: Bool, pairwiseTerm: Bool
        public var ratingFields: Bool
        var training: FieldTrainingSettings
        public init(_ v: ParameterValues) {
            embeddingSize = v.int("embedding_size"); maxLength = v.int("max_length");
            attentionSize = v.int("attention_size")
            hiddenSize = v.int("hidden_size"); mlpLayers = v.int("mlp_layers"); dropout = v.real("dropout")
            userAttributes = v.bool("user_attributes"); itemAttributes = v.bool("item_attributes")
            linearTerms = v.bool("linear_terms"); pairwiseTerm = v.bool("pairwise_term")
            ratingFields = v.bool("rating_fields"); training = FieldTrainingSettings(v)
        }
        /// One embedding (and a linear weight) per user, item and feature column, the activation
        /// unit and MLP (value, gradient, two Adam moments), and one batch's history activations.
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            let e = embeddingSize, rows = s.users + s.items + s.featureColumns + (ratingFields ? s.users + s.items : 0)
            let batch = training.batchSize * (1 + training.negatives)
            let weights =
                rows * (e + 1) + 4 * e * attentionSize + 4 * e * hiddenSize + mlpLayers * hiddenSize * hiddenSize
            return 16 * weights + 4 * 8 * batch * maxLength * (4 * e + attentionSize)
                + (ratingFields ? 24 : 8) * s.interactions
        }
    }
    public static let name = "DIN"
    public static let summary = "Deep interest network: the candidate attends over the user's past items (DIN)."
    public static let tasks: Set<RecommendationTask> = [.rating, .ranking]

    public let config: Config
    let graphs = GraphCache()
    var fields: FeatureFields!
    /// Time-ordered training items per user.
    var histories: [[Int32]] = []
    var table: Parameter!, linear: Parameter!
    /// The activation unit stacked as `Graph.activationWeights` reads it: weights [W_h; W_p; W_c; vᵀ]
    /// and the biases [b; v₀] (without weight decay).
    var unit: Parameter!, unitBiases: Parameter!
    var tower: [Linear] = []
    var head: Linear!
    var parameters: [Parameter] = []
    var itemCount = 0
    var ratingRange: ClosedRange<Float>?

    public init(config: Config) { self.config = config }

    func build(_ data: TrainingData, seed: UInt64) {
        var rng = RandomSource(seed: seed, stream: "din-init")
        fields = FeatureFields(
            data, userAttributes: config.userAttributes, itemAttributes: config.itemAttributes,
            history: false, ratings: config.ratingFields)
        histories = data.interactions.histories()
        itemCount = data.itemCount
        let d = config.embeddingSize, item = fields.itemFields * d, a = config.attentionSize
        table = Parameter("fields", Shape(fields.featureCount, d)); table.fillNormal(std: 0.01, rng: &rng)
        linear = Parameter("linear", Shape(fields.featureCount, 1))
        unit = Parameter("unit", Shape(3 * item + 1, a)); unitBiases = Parameter("unit.biases", Shape(a + 1))
        // Each block initialised as its own weight: W_h, W_c, W_p (item × a), then v (a × 1).
        for rows in [0..<item, (2 * item)..<(3 * item), item..<(2 * item), (3 * item)..<(3 * item + 1)] {
            unit.fillXavier(rows: rows, rng: &rng)
        }
        var width = fields.userFields * d + 2 * item, next = config.hiddenSize
        tower = (0..<config.mlpLayers).map { k in
            defer { width = next; next = max(1, next * 2 / 5) }
            return Linear("mlp\(k)", width, next, rng: &rng)
        }
        head = Linear("head", width, 1, rng: &rng)
        var all: [Parameter] = [table, linear, unit, unitBiases]
        for list in [tower.flatMap(\.parameters), head.parameters] { all += list }
        parameters = all
        ratingRange = nil
        if data.task == .rating, let lo = data.interactions.byUser.values.min(),
            let hi = data.interactions.byUser.values.max()
        {
            ratingRange = lo...hi
            let mean = data.interactions.byUser.values.reduce(0, +) / Float(max(1, data.interactions.nnz))
            head.bias.values = [mean]
        }
    }

    /// The past items `candidate` attends over for `user`: the most recent `max_length` training
    /// items other than the candidate, oldest first.
    func pastItems(user: Int32, candidate: Int32) -> [Int32] {
        guard user >= 0 && Int(user) < histories.count else { return [] }
        var out = [Int32]()
        for i in histories[Int(user)].reversed() where i != candidate {
            out.append(i); if out.count == config.maxLength { break }
        }
        return out.reversed()
    }

    /// Outputs for the pairs; `weights` receives the activation weights [B, N] and the past items.
    func forward(_ g: Graph, users: [Int32], items: [Int32]) -> Tensor {
        forward(g, users: users, items: items, weights: nil)
    }

    func forward(_ g: Graph, users: [Int32], items: [Int32], weights: ((Tensor, [[Int32]]) -> Void)?) -> Tensor {
        let n = users.count, d = config.embeddingSize, fu = fields.userFields, fi = fields.itemFields
        let length = config.maxLength, width = fi * d
        var mask = [Float](repeating: 0, count: n * length), kept = [[Int32]]()
        var pastEntities = [Int32](), pastUsers = [Int32]()
        pastEntities.reserveCapacity(n * length); pastUsers.reserveCapacity(n * length)
        for (k, (u, i)) in zip(users, items).enumerated() {
            let h = pastItems(user: u, candidate: i)
            for j in 0..<length {
                pastEntities.append(j < h.count ? h[j] : -1); pastUsers.append(u)
                if j < h.count { mask[k * length + j] = 1 }
            }
            if weights != nil { kept.append(h) }
        }
        let profile = FieldLookup(fields.user, entities: users, counterparts: items)
        let candidate = FieldLookup(fields.item, entities: items, counterparts: users)
        let past = FieldLookup(fields.item, entities: pastEntities, counterparts: pastUsers)
        let t = g.parameter(table)
        let p = g.reshape(profile.embed(g, t), Shape(n, fu * d))
        let c = g.reshape(candidate.embed(g, t), Shape(n, width))
        let pastEmbedded = past.embedBoth(g, t)
        let h = g.reshape(pastEmbedded.examples, Shape(n, length, width))
        let λ = config.training.embeddingRegularization / Float(max(1, n))
        for e in [p, c, h] { g.penalize(e, scale: λ) }
        let w = g.mul(
            g.activationWeights(
                history: pastEmbedded.rows, slots: pastEmbedded.rowOf, length: length, candidate: c,
                unit: g.parameter(unit), biases: g.parameter(unitBiases)),
            g.input(Shape(n, length, 1), mask))
        weights?(w, kept)
        let joined = g.concat(g.concat(p, g.weightedPool(w, h)), c)
        var z = joined
        for layer in tower { z = g.dropout(g.relu(layer(g, z)), Float(config.dropout)) }
        var out = head(g, z)
        if config.pairwiseTerm {
            // The pooled interest counts as one more set of item fields: ⟨interest, candidate⟩ is
            // the attention-weighted item–item affinity.
            out = g.add(out, g.pairwiseInteraction(g.reshape(joined, Shape(n, fu + 2 * fi, d))))
        }
        if config.linearTerms {
            let λ = config.training.embeddingRegularization
            out = g.add(out, firstOrderTerm(g, linear: linear, sides: [profile, candidate], regularization: λ))
        }
        return out
    }

    var noDecay: [Parameter] { [linear, unitBiases] + tower.flatMap(\.noDecay) + head.noDecay }
    var trainingSettings: FieldTrainingSettings { config.training }

    /// The activation weight of each past item `user`'s history gives `item` (not normalised, as
    /// in the paper), oldest first.
    public func attentionWeights(user: Int32, item: Int32) -> [(item: Int32, weight: Float)] {
        graphs.withGraph { g in
            var result: [(item: Int32, weight: Float)] = []
            _ = forward(g, users: [user], items: [item]) { w, kept in
                let v = g.value(w)
                result = kept[0].enumerated().map { ($1, v[$0]) }
            }
            return result
        }
    }
}

extension DIN: AttentionExplaining {
    /// The activation weight of each past item the candidate attended over, oldest first.
    public func attention(user: Int32, item: Int32) -> [AttentionWeight] {
        attentionWeights(user: user, item: item).map { AttentionWeight(.item($0.item), $0.weight) }
    }
}
