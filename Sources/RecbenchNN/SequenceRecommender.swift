import RecbenchAlgorithms

/// What the sequence models (SASRec, GRU4Rec, BERT4Rec) share: a `SequenceState` of histories and a
/// `TransformerSequenceModel` core. Fitting loads the histories and trains with the validation
/// item held out; scoring runs the core over each user's window. A model states only what differs:
/// its training objective (`train`, next-item by default) and the window it scores (`window`).
protocol SequenceRecommender: Recommender {
    var state: SequenceState { get }
    var core: TransformerSequenceModel { get }
    /// Trains `core` on `state.training` (the core is built and the validation item held out).
    func train(_ data: TrainingData, context: FitContext) throws
    /// The input window whose last output scores the next item for `user`.
    func window(_ user: Int) -> [Int32]
}

extension SequenceRecommender {
    public func fit(_ data: TrainingData, context: FitContext) throws {
        state.load(data)
        state.includeValidation = false
        defer { state.includeValidation = true }
        core.build(itemCount: data.itemCount, seed: context.seed)
        try train(data, context: context)
    }

    /// Scores of every item as the next one after each user's history (training history, plus the
    /// validation item once fitting is over; see `SequenceState`).
    public func score(users: [Int32], into scores: UnsafeMutableBufferPointer<Float>) {
        core.score(users: users, into: scores) { self.window($0) }
    }

    func train(_ data: TrainingData, context: FitContext) throws {
        try core.trainNextItem(state: state, context: context, model: self)
    }

    func window(_ user: Int) -> [Int32] { state.scoringHistory(user) }
}
