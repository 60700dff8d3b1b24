import Testing
import RecbenchCore
@testable import RecbenchAlgorithms

/// A model the loop can be handed; these tests give it their own validation sequence.
nonisolated(unsafe) private let anyModel = MostPopular(config: MostPopular.Config(ParameterValues([:])))

/// A counter the context's @Sendable closures may read and bump (tests run it on one thread).
private final class Count: @unchecked Sendable { var value = 0 }

/// Validation 0.1, 0.3, 0.2, 0.25, 0.28, 0.5 with patience 2: the best is iteration 2; iterations 3
/// and 4 bring no gain, so the loop stops after 4 (never sees 0.5) and restores iteration 2's state.
@Test func trainingLoopStopsAfterPatienceAndRestoresTheBest() throws {
    let metrics = [0.1, 0.3, 0.2, 0.25, 0.28, 0.5]
    let context = FitContext()
    var state = 0, calls = 0, restored: Int?
    let ran = try TrainingLoop(iterations: 6, patience: 2).run(
        context: context, model: anyModel, validation: { metrics[state - 1] },
        snapshot: { state }, restore: { restored = $0 }
    ) { iteration in
        calls += 1; state = iteration
        return ["loss": 1 / Double(iteration)]
    }
    #expect(ran == 4 && calls == 4)
    #expect(restored == 2)
    #expect(context.curve.map(\.iteration) == [1, 2, 3, 4])
    #expect(context.curve.map { $0.values["validation"] } == [0.1, 0.3, 0.2, 0.25])
    #expect(context.curve.map { $0.values["loss"] } == [1, 0.5, 1.0 / 3, 0.25])
}

/// Every `validateEvery` iterations and at the last; no restore when the last validated one is best.
@Test func trainingLoopValidatesEveryKAndAtTheEnd() throws {
    let context = FitContext()
    var validated: [Int] = [], current = 0, restores = 0
    try TrainingLoop(iterations: 5, patience: 0, validateEvery: 2).run(
        context: context, model: anyModel,
        validation: {
            validated.append(current); return Double(current)
        },
        snapshot: { current }, restore: { _ in restores += 1 }
    ) { iteration in
        current = iteration; return [:]
    }
    #expect(validated == [2, 4, 5])
    #expect(restores == 0)
    #expect(context.curve.compactMap { $0.values["validation"] } == [2, 4, 5])
}

/// Without a validation metric every iteration runs and nothing is restored; the runner's
/// `context.validate` is the default metric when the model passes none.
@Test func trainingLoopUsesTheContextsMetricOrNone() throws {
    var restores = 0
    let plain = FitContext()
    let ran = try TrainingLoop(iterations: 3, patience: 1).run(
        context: plain, model: anyModel, snapshot: { 0 }, restore: { _ in restores += 1 }
    ) { _ in [:] }
    #expect(ran == 3 && restores == 0 && plain.curve.allSatisfy { $0.values["validation"] == nil })

    let decreasing = [0.9, 0.5, 0.4], i = Count()
    let withMetric = FitContext(validate: { _ in
        defer { i.value += 1 }; return decreasing[i.value]
    })
    let stopped = try TrainingLoop(iterations: 3, patience: 1).run(
        context: withMetric, model: anyModel, snapshot: { 0 }, restore: { _ in restores += 1 }
    ) { _ in [:] }
    #expect(stopped == 2 && restores == 1)
}

/// A non-finite curve value fails the fit as diverged, naming the value and the iteration.
@Test func trainingLoopReportsDivergence() throws {
    let context = FitContext()
    #expect(throws: RecbenchError.diverged("non-finite loss at epoch 3")) {
        try TrainingLoop(iterations: 10, unit: "epoch").run(
            context: context, model: anyModel, snapshot: { 0 }, restore: { _ in }
        ) { iteration in ["loss": iteration == 3 ? .nan : 1, "learning_rate": 0.1] }
    }
    #expect(context.curve.count == 2)
    #expect(throws: RecbenchError.diverged("non-finite validation at iteration 1")) {
        try TrainingLoop(iterations: 2).run(
            context: FitContext(), model: anyModel, validation: { .infinity },
            snapshot: { 0 }, restore: { _ in }
        ) { _ in [:] }
    }
}

/// Cancellation is seen before the next iteration and thrown, in every model alike.
@Test func trainingLoopThrowsWhenCancelled() throws {
    let calls = Count()
    let context = FitContext(isCancelled: { calls.value >= 2 })
    #expect(throws: RecbenchError.cancelled) {
        try TrainingLoop(iterations: 10).run(context: context, model: anyModel, snapshot: { 0 }, restore: { _ in }) {
            _ in
            calls.value += 1; return [:]
        }
    }
    #expect(calls.value == 2)
}
