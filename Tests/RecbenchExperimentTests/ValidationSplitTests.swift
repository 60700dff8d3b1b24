import Testing
import RecbenchCore
@testable import RecbenchConfig
@testable import RecbenchRunner

/// 30 users with 1…30 interactions each (user u has u + 1), item i at time 100·u + i, items in
/// reverse order of time within the file (so time order and file order disagree).
private func training() -> InteractionMatrix {
    var users = [Int32](), items = [Int32](), values = [Float](), stamps = [Int64]()
    for u in 0..<30 {
        for i in stride(from: u, through: 0, by: -1) {
            users.append(Int32(u)); items.append(Int32(i)); values.append(Float(1 + i % 5));
            stamps.append(Int64(100 * u + i))
        }
    }
    return InteractionMatrix(
        userCount: 30, itemCount: 40, users: users, items: items, values: values, timestamps: stamps)
}

private func entries(_ m: InteractionMatrix) -> Set<String> {
    var out = Set<String>()
    for u in 0..<m.userCount {
        for e in m.byUser.rowRange(u) { out.insert("\(u):\(m.byUser.indices[e]):\(m.byUser.values[e]):\(m.order[e])") }
    }
    return out
}

@Test func carvedPartsPartitionTheTrainingPart() {
    let t = training()
    let methods: [ValidationSpec.Method] = [
        .holdout(fraction: 0.2, perUser: true), .holdout(fraction: 0.3, perUser: false),
        .temporal(fraction: 0.2, perUser: true), .temporal(fraction: 0.4, perUser: false), .leaveLastOut,
        .coldUsers(fraction: 0.5, maxTrain: 5)
    ]
    for method in methods {
        let (inner, held) = ValidationSplit.carve(t, method: method, seed: 5)
        // Disjoint, and together exactly the training part (values and source positions kept).
        #expect(entries(inner).isDisjoint(with: entries(held)), "\(method)")
        #expect(entries(inner).union(entries(held)) == entries(t), "\(method)")
        // Every user keeps at least one training interaction.
        #expect((0..<30).allSatisfy { inner.byUser.rowCount($0) >= 1 }, "\(method)")
        // The same seed carves the same parts; another seed (for random methods) others.
        #expect(entries(ValidationSplit.carve(t, method: method, seed: 5).validation) == entries(held), "\(method)")
    }
}

@Test func carvingFollowsEachMethodsRule() {
    let t = training()
    // Per-user holdout: round(0.2·n) of each user's n interactions, at most n − 1.
    let (_, holdout) = ValidationSplit.carve(t, method: .holdout(fraction: 0.2, perUser: true), seed: 1)
    #expect((0..<30).allSatisfy { u in holdout.byUser.rowCount(u) == min(u, Int((0.2 * Double(u + 1)).rounded())) })
    // Leave-last-out: each user's latest item (by timestamp, not file order) is item u; none for a one-item user.
    let (_, last) = ValidationSplit.carve(t, method: .leaveLastOut, seed: 1)
    #expect(last.byUser.rowCount(0) == 0)
    #expect((1..<30).allSatisfy { u in Array(last.items(of: u)) == [Int32(u)] })
    // Per-user temporal: the latest round(0.2·n) items by time.
    let (_, recent) = ValidationSplit.carve(t, method: .temporal(fraction: 0.2, perUser: true), seed: 1)
    for u in 0..<30 {
        let n = u + 1, k = min(n - 1, Int((0.2 * Double(n)).rounded()))
        #expect(Array(recent.items(of: u)) == (n - k..<n).map { Int32($0) }, "user \(u)")
    }
    // Global holdout: round(f·N) entries, less those given back to users who would lose everything.
    let (innerG, heldG) = ValidationSplit.carve(t, method: .holdout(fraction: 0.3, perUser: false), seed: 2)
    #expect(heldG.nnz <= Int((0.3 * Double(t.nnz)).rounded()) && heldG.nnz >= Int((0.3 * Double(t.nnz)).rounded()) - 30)
    #expect(innerG.byUser.rowCount(0) == 1)
}

@Test func budgetSamplesKeepEveryUser() {
    let t = training()
    let s = ValidationSplit.sample(t, fraction: 0.25, seed: 3)
    #expect(entries(s).isSubset(of: entries(t)))
    #expect((0..<30).allSatisfy { s.byUser.rowCount($0) >= 1 })
    #expect(abs(s.nnz - Int(0.25 * Double(t.nnz))) <= 30)
    #expect(entries(ValidationSplit.sample(t, fraction: 0.25, seed: 3)) == entries(s))
    #expect(ValidationSplit.sample(t, fraction: 1, seed: 3).nnz == t.nnz)
}

@Test func predefinedValidationMustComeFromTraining() throws {
    let (inner, held) = try ValidationSplit.predefined(
        file: "/x/u1.valid", positions: [(4, 1), (7, 2)], trainingPositions: [1, 4, 5, 7, 9], fold: 1)
    #expect(inner == [1, 5, 9] && held == [4, 7])
    #expect(
        throws: RecbenchError.input(
            file: "u1.valid", line: 2,
            message: "this interaction is not in fold 1's training part (validation is carved from training only)")
    ) {
        try ValidationSplit.predefined(
            file: "/x/u1.valid", positions: [(4, 1), (8, 2)], trainingPositions: [1, 4, 5, 7, 9], fold: 1)
    }
}

/// Cold-user validation: of the 25 users with more than 5 training interactions (users 5…29), round(0.4 · 25) = 10
/// keep between 1 and 5 of theirs and give the rest to validation; everyone else keeps everything.
@Test func coldUserValidationCutsAShareOfTheHeavierUsers() {
    let t = training()
    let (inner, held) = ValidationSplit.carve(t, method: .coldUsers(fraction: 0.4, maxTrain: 5), seed: 9)
    let cut = (0..<30).filter { held.byUser.rowCount($0) > 0 }
    #expect(cut.count == 10)
    for u in 0..<30 {
        let kept = inner.byUser.rowCount(u), total = u + 1
        if cut.contains(u) {
            #expect(total > 5 && (1...5).contains(kept) && kept + held.byUser.rowCount(u) == total, "user \(u)")
        } else {
            #expect(kept == total, "user \(u)")
        }
    }
    // The kept counts are drawn, not fixed at the maximum.
    #expect(Set(cut.map { inner.byUser.rowCount($0) }).count > 1)
    #expect(
        issues(
            validExperiment.replacingOccurrences(
                of: "\"metrics\"", with: "\"validation\": {\"method\": \"cold_users\", \"max_train\": 0}, \"metrics\""))
            == ["exp.json:10: validation.max_train: expected an integer in 1...100000, got 0"])
}
