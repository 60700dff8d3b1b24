import RecbenchCore
import RecbenchAlgorithms
import Dispatch
import Foundation

/// What SASRec and BERT4Rec share: time-ordered histories, the validation item, early stopping on
/// validation NDCG@10 with the best parameters restored, and the rule that decides what history
/// `score` continues.
final class SequenceState: @unchecked Sendable {
    /// Training histories in time order (timestamp, then source position).
    var training: [[Int32]] = []
    /// Each user's validation item, or −1.
    var validationItem: [Int32] = []
    /// While fitting, `score` continues the training history (so it predicts the validation item);
    /// afterwards it continues training history + validation item.
    var includeValidation = false
    var itemCount = 0

    init() {}

    func load(_ data: TrainingData) {
        training = data.interactions.histories()
        itemCount = data.itemCount
        validationItem = [Int32](repeating: -1, count: data.userCount)
        if let v = data.validation {
            for u in 0..<min(v.userCount, data.userCount) { if let i = v.items(of: u).last { validationItem[u] = i } }
        }
    }

    var hasValidation: Bool { validationItem.contains { $0 >= 0 } }

    /// The history `score` continues for user u, most recent last.
    func scoringHistory(_ u: Int) -> [Int32] {
        guard u < training.count else { return [] }
        let v = validationItem[u]
        return includeValidation && v >= 0 ? training[u] + [v] : training[u]
    }

    /// NDCG@10 of each user's validation item ranked among all items outside the training history
    /// (ties count against the target), averaged over users with a validation item.
    func validationNDCG(_ model: any Recommender) -> Double {
        let users = (0..<training.count).filter { validationItem[$0] >= 0 }.map { Int32($0) }
        guard !users.isEmpty else { return 0 }
        let n = itemCount, block = 256
        var total = 0.0
        var scores = [Float](repeating: 0, count: block * n)
        for start in stride(from: 0, to: users.count, by: block) {
            let batch = Array(users[start..<min(users.count, start + block)])
            scores.withUnsafeMutableBufferPointer { model.score(users: batch, into: $0) }
            for (r, u) in batch.enumerated() {
                let row = r * n, target = Int(validationItem[Int(u)]), t = scores[row + target]
                var seen = Set<Int32>(training[Int(u)])
                seen.remove(Int32(target))
                var rank = 0
                for i in 0..<n where i != target && scores[row + i] >= t && !seen.contains(Int32(i)) { rank += 1 }
                if rank < 10 { total += 1 / log2(Double(rank + 2)) }
            }
        }
        return total / Double(users.count)
    }
}

/// Idle inference graphs kept between `score` calls, so repeated scoring (validation every
/// epoch, the evaluator's user blocks) reuses warm buffers instead of faulting in fresh pages.
/// Each call takes its own graph, so concurrent calls stay independent.
final class GraphCache: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Graph] = []
    init() {}
    func withGraph<T>(_ body: (Graph) -> T) -> T {
        lock.lock()
        let g = idle.popLast() ?? Graph(training: false, recordsGradients: false)
        lock.unlock()
        g.reset()
        defer { lock.lock(); if idle.count < 4 { idle.append(g) }; lock.unlock() }
        return body(g)
    }
}

/// A copy of parameter values, for restoring the best epoch.
struct ParameterSnapshot {
    var values: [[Float]]
    init(_ params: [Parameter]) { values = params.map(\.values) }
    func restore(_ params: [Parameter]) { for (p, v) in zip(params, values) { p.values = v } }
}

/// Uniform negatives outside a user's history.
struct NegativeSampler {
    let itemCount: Int
    /// Sorted items per user, for binary-search rejection.
    let seen: [[Int32]]
    init(histories: [[Int32]], itemCount: Int) {
        self.itemCount = itemCount; seen = histories.map { Array(Set($0)).sorted() }
    }
    func contains(_ u: Int, _ item: Int32) -> Bool {
        let s = seen[u]
        var lo = 0, hi = s.count
        while lo < hi { let m = (lo + hi) / 2; if s[m] < item { lo = m + 1 } else { hi = m } }
        return lo < s.count && s[lo] == item
    }
    func draw(for u: Int, rng: inout RandomSource) -> Int32 {
        // A user who saw (nearly) everything still gets a draw after a bounded number of tries.
        for _ in 0..<100 {
            let i = Int32(rng.nextInt(below: itemCount))
            if !contains(u, i) { return i }
        }
        return Int32(rng.nextInt(below: itemCount))
    }
}

/// The neural models' epoch loop: the shared `TrainingLoop` over one shuffled pass per epoch
/// (`pass` returns its mean loss), with the epoch's seconds in the curve. It validates with the
/// runner's metric when there is one, else with NDCG@10 of each user's own validation item.
func trainEpochs(
    _ epochs: Int, patience: Int, validateEvery: Int = 1, parameters: [Parameter], state: SequenceState,
    context: FitContext, model: any Recommender, pass: () -> Double
) throws {
    let own: (() -> Double)? = state.hasValidation ? { state.validationNDCG(model) } : nil
    try TrainingLoop(iterations: epochs, patience: patience, validateEvery: validateEvery, unit: "epoch").run(
        context: context, model: model, validation: context.validate.map { v in { v(model) } } ?? own,
        snapshot: { ParameterSnapshot(parameters) }, restore: { $0.restore(parameters) }
    ) { _ in
        let start = DispatchTime.now().uptimeNanoseconds
        let loss = pass()
        return ["loss": loss, "epoch_seconds": Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9]
    }
}

#if canImport(Glibc)
import Glibc
#endif
