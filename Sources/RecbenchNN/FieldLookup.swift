import RecbenchCore

/// One step's lookup of one side's fields (the user's or the item's) for a list of examples: each
/// distinct entity's bags are pooled once and gathered per example, and the example's own
/// counterpart entry (a training pair's item in its user's history and rated fields, its user
/// among the item's raters) is subtracted afterwards. A batch repeats popular items and active
/// users, whose bags are the longest (an ML-100K training example's item has ~250 raters on
/// average), and scoring pairs a few users with every item, so pooling per distinct entity rather
/// than per example is what keeps the field models' epochs and scoring fast.
struct FieldLookup {
    let fields: Int, examples: Int
    /// The distinct entities' bags, in order of first appearance.
    private var pooled = BagBatch()
    /// Per (example, field): its row among the pooled bags.
    private var rows: [Int32] = []
    /// Per (example, field): the entry left out for the example's counterpart, weight negated.
    private var leftOut = BagBatch()
    private var leavesOut = false

    /// `entities[k]` is example k's user (or item; < 0 for empty bags); `counterparts[k]`, when
    /// given, its item (or user), whose entries in the counterpart fields are left out.
    init(_ bags: FieldBags, entities: [Int32], counterparts: [Int32]? = nil) {
        fields = bags.fields; examples = entities.count
        var slot: [Int32: Int32] = [:]
        rows.reserveCapacity(examples * fields)
        for (k, e) in entities.enumerated() {
            var s = slot[e] ?? -1
            if s < 0 {
                s = Int32(slot.count); slot[e] = s
                pooled.append(bags, entity: Int(e))
            }
            for f in 0..<fields { rows.append(s * Int32(fields) + Int32(f)) }
            for f in 0..<fields {
                if let c = counterparts?[k], let (feature, w) = bags.entry(entity: Int(e), field: f, counterpart: c) {
                    leftOut.indices.append(feature); leftOut.weights.append(-w); leavesOut = true
                }
                leftOut.offsets.append(Int32(leftOut.indices.count))
            }
        }
    }

    /// Every (example, field) embedding through `table` (features × width): (examples · fields) × width.
    func embed(_ g: Graph, _ table: Tensor) -> Tensor { embedBoth(g, table).examples }

    /// The examples' embeddings as `embed` gives them, and, when no entry is left out (so each
    /// example's fields are its entity's), the distinct entities' rows (entities × fields·width)
    /// with each example's row among them; otherwise the examples' own rows, one each.
    func embedBoth(_ g: Graph, _ table: Tensor) -> (examples: Tensor, rows: Tensor, rowOf: [Int32]) {
        let width = table.shape.last
        let all = g.embeddingBag(table, offsets: pooled.offsets, indices: pooled.indices, weights: pooled.weights)
        let spread = g.gatherRows(all, rows, shape: Shape(examples * fields, width))
        guard leavesOut else {
            let rowOf = (0..<examples).map { rows[$0 * fields] / Int32(fields) }
            return (spread, g.reshape(all, Shape(pooled.bagCount / max(1, fields), fields * width)), rowOf)
        }
        let own = g.add(
            spread, g.embeddingBag(table, offsets: leftOut.offsets, indices: leftOut.indices, weights: leftOut.weights))
        return (own, g.reshape(own, Shape(examples, fields * width)), (0..<examples).map { Int32($0) })
    }
}
