import RecbenchCore
import RecbenchAlgorithms

/// AutoInt (Song et al. 2019): every feature field (user ID, user attribute groups, optionally the
/// user's training items as one mean-pooled multi-hot field, item ID, item attribute groups) is
/// embedded to d; `layers` interacting layers of multi-head self-attention over the fields, each
/// ReLU(attention + W_res·x) as in the paper; a linear output over the flattened fields. Scores are
/// scaled by 1/√attention_size (the paper leaves them unscaled). With `linear_terms` a first-order
/// weight per feature is added (the wide part RecBole's context-aware models add): with it the
/// user and item biases need not be learned through attention. With `pairwise_term` the factorization
/// machine's inner products of the field embeddings are added too (the wide part of DeepFM): the
/// attention layers then model what the inner products miss, and a user–item affinity need not be
/// learned through a linear readout of attention outputs, which learns it poorly (Rendle et al. 2020
/// on MLPs against the dot product). Rating task: squared error on the
/// ratings; ranking task: binary cross-entropy against sampled negatives.
public final class AutoInt: FieldRecommender {
    public struct Config: AlgorithmConfig {
        public static let budgetParameter: String? = "epochs"
        public static let parameters: [ParameterSpec] =
            [
                .integer("embedding_size", default: 16, min: 1, max: 1024, "Field embedding size d."),
                .integer("layers", default: 2, min: 1, max: 16, "Interacting (self-attention) layers."),
                .integer("heads", default: 2, min: 1, max: 64, "Attention heads per layer."),
                .integer(
                    "attention_size", default: 16, min: 1, max: 1024,
                    "Width of each head; a layer outputs heads × attention_size per field."),
                .real(
                    "dropout", default: 0, min: 0, max: 0.95,
                    "Dropout on the attention weights and the flattened output."),
                .boolean("user_attributes", default: true, "Add a field per user feature group of the data set."),
                .boolean("item_attributes", default: true, "Add a field per item feature group of the data set."),
                .boolean(
                    "history", default: false, "Add the user's training items as one mean-pooled multi-hot field."),
                .boolean("linear_terms", default: true, "Add a first-order weight per feature to the output."),
                FieldTrainingSettings.ratingFields,
                FieldTrainingSettings.pairwiseTerm
            ] + FieldTrainingSettings.parameters
        /// One step's field activations: batch × (1 + negatives) × fields(≤ 64) × heads × attention_size.
        public static let constraints: [ParameterConstraint] = [
            .product(
                ["batch_size", "negatives", "heads", "attention_size"], atMost: 1 << 22,
                "floats per field in a step's activations")
        ]
        public var embeddingSize: Int, layers: Int, heads: Int, attentionSize: Int, dropout: Double
        public var userAttributes: Bool, itemAttributes: Bool, history: Bool, linearTerms: Bool, pairwiseTerm: Bool
        public var ratingFields: Bool
        var training: FieldTrainingSettings
        public init(_ v: ParameterValues) {
            embeddingSize = v.int("embedding_size"); layers = v.int("layers"); heads = v.int("heads")
            attentionSize = v.int("attention_size"); dropout = v.real("dropout")
            userAttributes = v.bool("user_attributes"); itemAttributes = v.bool("item_attributes")
            history = v.bool("history"); linearTerms = v.bool("linear_terms")
            pairwiseTerm = v.bool("pairwise_term"); ratingFields = v.bool("rating_fields")
            training = FieldTrainingSettings(v)
        }
        /// One embedding (and a linear weight) per user, item and feature column and per entry of
        /// the history and rating blocks, the attention layers (value, gradient, two Adam moments),
        /// the history and rating bags (feature and weight per interaction), and one batch's field
        /// activations.
        public func estimatedPeakBytes(_ s: DataShape) -> Int {
            let e = embeddingSize
            let rows =
                s.users + s.items + s.featureColumns + (history ? s.items : 0) + (ratingFields ? s.users + s.items : 0)
            let bagEntries = ((history ? 1 : 0) + (ratingFields ? 2 : 0)) * s.interactions
            let batch = training.batchSize * (1 + training.negatives)
            let weights = rows * (e + 1) + layers * 4 * e * heads * attentionSize
            return 16 * weights + 8 * bagEntries + 4 * 16 * batch * 64 * heads * attentionSize
        }
    }
    public static let name = "AutoInt"
    public static let summary = "Self-attention over user, item and attribute fields (AutoInt); ratings or ranking."
    public static let tasks: Set<RecommendationTask> = [.rating, .ranking]

    public let config: Config
    let graphs = GraphCache()
    var fields: FeatureFields!
    var table: Parameter!, linear: Parameter!
    var query: [Parameter] = [], key: [Parameter] = [], value: [Parameter] = [], residual: [Parameter] = []
    var head: Linear!
    var parameters: [Parameter] = []
    var itemCount = 0
    var ratingRange: ClosedRange<Float>?

    public init(config: Config) { self.config = config }

    /// The field names, in the order `attentionWeights` reports them.
    public var fieldNames: [String] { fields?.names ?? [] }

    func build(_ data: TrainingData, seed: UInt64) {
        var rng = RandomSource(seed: seed, stream: "autoint-init")
        fields = FeatureFields(
            data, userAttributes: config.userAttributes, itemAttributes: config.itemAttributes,
            history: config.history, ratings: config.ratingFields)
        let d = config.embeddingSize, width = config.heads * config.attentionSize
        let f = fields.userFields + fields.itemFields
        table = Parameter("fields", Shape(fields.featureCount, d)); table.fillNormal(std: 0.01, rng: &rng)
        linear = Parameter("linear", Shape(fields.featureCount, 1))
        query = []; key = []; value = []; residual = []
        for l in 0..<config.layers {
            let input = l == 0 ? d : width
            for (list, name) in [(0, "query"), (1, "key"), (2, "value"), (3, "residual")] {
                let p = Parameter("layer\(l).\(name)", Shape(input, width)); p.fillXavier(rng: &rng)
                switch list {
                case 0: query.append(p);
                case 1: key.append(p);
                case 2: value.append(p);
                default: residual.append(p)
                }
            }
        }
        head = Linear("head", f * width, 1, rng: &rng)
        var all: [Parameter] = [table, linear]
        for list in [query, key, value, residual, head.parameters] { all += list }
        parameters = all
        itemCount = data.itemCount
        ratingRange = nil
        if data.task == .rating, let lo = data.interactions.byUser.values.min(),
            let hi = data.interactions.byUser.values.max()
        {
            ratingRange = lo...hi
            let mean = data.interactions.byUser.values.reduce(0, +) / Float(max(1, data.interactions.nnz))
            head.bias.values = [mean]
        }
    }

    /// The embedded fields of the pairs, B × F × d, and the lookups of both sides.
    func embed(_ g: Graph, users: [Int32], items: [Int32]) -> (fields: Tensor, sides: [FieldLookup]) {
        let sides = [
            FieldLookup(fields.user, entities: users, counterparts: items),
            FieldLookup(fields.item, entities: items, counterparts: users)
        ]
        let n = users.count, d = config.embeddingSize, t = g.parameter(table)
        let halves = sides.map { g.reshape($0.embed(g, t), Shape(n, $0.fields * d)) }
        let e = g.reshape(g.concat(halves[0], halves[1]), Shape(n, fields.userFields + fields.itemFields, d))
        g.penalize(e, scale: config.training.embeddingRegularization / Float(max(1, n)))
        return (e, sides)
    }

    /// Outputs for the pairs (logits for ranking, ratings for the rating task); `attention`
    /// receives each layer's attention weights [B·H, F, F].
    func forward(_ g: Graph, users: [Int32], items: [Int32]) -> Tensor {
        forward(g, users: users, items: items, attention: nil)
    }

    func forward(_ g: Graph, users: [Int32], items: [Int32], attention: ((Tensor) -> Void)?) -> Tensor {
        let n = users.count, f = fields.userFields + fields.itemFields, width = config.heads * config.attentionSize
        let (e, sides) = embed(g, users: users, items: items)
        let valid = [Int32](repeating: 1, count: n * f)
        var x = e
        for l in 0..<config.layers {
            let q = g.matmul(x, g.parameter(query[l])), k = g.matmul(x, g.parameter(key[l]))
            let v = g.matmul(x, g.parameter(value[l]))
            let s = g.attentionScores(q, k, heads: config.heads, scale: 1 / Float(config.attentionSize).squareRoot())
            let p = g.maskedSoftmax(s, heads: config.heads, causal: false, keyValid: valid)
            attention?(p)
            let a = g.attentionApply(g.dropout(p, Float(config.dropout)), v, heads: config.heads)
            x = g.relu(g.add(a, g.matmul(x, g.parameter(residual[l]))))
        }
        var out = head(g, g.dropout(g.reshape(x, Shape(n, f * width)), Float(config.dropout)))
        if config.linearTerms {
            out = g.add(
                out,
                firstOrderTerm(
                    g, linear: linear, sides: sides, regularization: config.training.embeddingRegularization))
        }
        if config.pairwiseTerm { out = g.add(out, g.pairwiseInteraction(e)) }
        return out
    }

    var noDecay: [Parameter] { head.noDecay + [linear] }
    var trainingSettings: FieldTrainingSettings { config.training }

    /// The attention each field receives when the model scores (user, item): the softmax weights
    /// of every layer and head averaged over the querying fields (or only from the field named
    /// `query`, e.g. "item": what the candidate looks at), so the weights sum to 1 over `fieldNames`.
    public func attentionWeights(user: Int32, item: Int32, query: String? = nil) -> [(field: String, weight: Float)] {
        let f = fields.userFields + fields.itemFields
        let rows = query.flatMap { q in fields.names.firstIndex(of: q).map { [$0] } } ?? Array(0..<f)
        var received = [Float](repeating: 0, count: f)
        graphs.withGraph { g in
            _ = forward(g, users: [user], items: [item]) { p in
                let values = g.value(p)
                for h in 0..<p.shape.d0 {
                    for q in rows { for k in 0..<f { received[k] += values[(h * f + q) * f + k] } }
                }
            }
        }
        let total = Float(config.layers * config.heads * rows.count)
        return zip(fields.names, received).map { ($0, $1 / total) }
    }
}

extension AutoInt: AttentionExplaining {
    /// The attention each field receives, averaged over the querying fields, layers and heads.
    public func attention(user: Int32, item: Int32) -> [AttentionWeight] {
        attentionWeights(user: user, item: item).map { AttentionWeight(.field($0.field), $0.weight) }
    }
}
