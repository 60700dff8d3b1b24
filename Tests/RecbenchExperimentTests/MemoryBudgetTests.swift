import Foundation
import Testing
import RecbenchCore
import RecbenchAlgorithms
@testable import RecbenchConfig
@testable import RecbenchRunner

private let suite = """
    {
      "name": "memory", "seed": 3, "task": "ranking", "threads": 1, "jobs": 2,
      "datasets": [{ "name": "synthetic-memory", "synthetic": { "users": 300, "items": 400, "interactions": 6000, "factors": 4, "seed": 5 } }],
      "split": { "method": "holdout", "test_fraction": 0.2, "per_user": true },
      "algorithms": [{ "name": "MostPopular" }, { "name": "EASE", "params": { "precision": "double" } }],
      "metrics": ["ndcg@10"]
    }
    """

/// A machine (injected) with room for MostPopular's estimate but not EASE's: EASE is refused before
/// its fit with both figures in its failure, MostPopular runs on and carries its estimate.
@Test func aTrialThatCannotFitIsRefusedAndTheRestRuns() throws {
    let spec = try ExperimentLoader(registry: nil).load(text: suite, file: "memory.json")
    let plan = Plan(spec: spec)
    let runner = Runner(spec: spec, data: syntheticEnvironment)
    let shape = try #require(try PlanMemory.shapes(spec, data: syntheticEnvironment).first?.get())
    let estimates = plan.configurations.map { MemoryBudget.estimate($0, shape: shape, spec: spec) }
    #expect(estimates[0] < estimates[1])
    // EASE on 400 items in double precision alone is 400² · 12 bytes.
    #expect(estimates[1] > 400 * 400 * 12)
    runner.memory = MemoryBudget(physicalBytes: (estimates[0] + estimates[1]) / 2)
    let (_, trials) = try runner.run(plan: plan)
    #expect(trials.map(\.algorithm) == ["MostPopular"])
    let popular = try #require(trials.first)
    // The run's estimate uses the fold's training part, so it is at most the whole set's.
    let runEstimate = try #require(popular.estimatedPeakBytes)
    #expect(runEstimate > 0 && runEstimate <= estimates[0])
    #expect(runner.failures.map(\.configuration) == ["EASE"])
    let reason = try #require(runner.failures.first?.reason)
    #expect(reason.contains("needs an estimated") && reason.contains("this machine has"))
    #expect(reason.contains(TextFormat.bytes(runner.memory.physicalBytes)))
    // With the real machine's memory both run.
    let roomy = Runner(spec: spec, data: syntheticEnvironment)
    #expect(try roomy.run(plan: plan).trials.count == 2 && roomy.failures.isEmpty)
}

@Test func concurrentTrialsAreCappedSoTheirEstimatesFitTogether() {
    let budget = MemoryBudget(physicalBytes: 100)
    // The two largest that fit alone (60 + 30) fit together, three (120) do not; 200 is refused anyway.
    #expect(budget.jobs(requested: 4, estimates: [60, 30, 30, 200]) == 2)
    #expect(budget.jobs(requested: 4, estimates: [20, 30, 10, 5]) == 4)
    #expect(budget.jobs(requested: 1, estimates: [10, 10]) == 1)
    #expect(budget.jobs(requested: 3, estimates: [500, 400]) == 1)
    #expect(throws: RecbenchError.self) { try budget.check("big", estimate: 101) }
    #expect(throws: Never.self) { try budget.check("small", estimate: 100) }
}

@Test func planListsEachTrialsEstimateAndFlagsWhatCannotFit() throws {
    let spec = try ExperimentLoader(registry: nil).load(text: suite, file: "memory.json")
    let shapes = PlanMemory.shapes(spec, data: syntheticEnvironment)
    let shape = try #require(try shapes.first?.get())
    #expect(shape.users == 300 && shape.items == 400 && shape.interactions == 6000)
    let plan = Plan(spec: spec)
    let ease = MemoryBudget.estimate(plan.configurations[1], shape: shape, spec: spec)
    let text = PlanMemory.describe(plan, shapes: shapes, budget: MemoryBudget(physicalBytes: ease - 1))
    let lines = text.split(separator: "\n").map(String.init)
    let easeLine = try #require(lines.first { $0.contains("EASE") })
    #expect(easeLine.contains(TextFormat.bytes(ease)) && easeLine.contains("will be refused"))
    let popularLine = try #require(lines.first { $0.contains("MostPopular") })
    #expect(!popularLine.contains("refused"))
}
