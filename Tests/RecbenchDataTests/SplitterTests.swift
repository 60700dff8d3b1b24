import Foundation
import RecbenchCore
import Testing
import RecbenchData

func disjoint(_ f: Fold) -> Bool {
    Set(f.train).isDisjoint(with: f.test) && Set(f.train).isDisjoint(with: f.validation)
        && Set(f.test).isDisjoint(with: f.validation)
}

@Suite struct SplitterTests {
    /// 30 users with 1…30 interactions, timestamps scrambled per user.
    static let data: Dataset = {
        var r: [(Int, Int, Float, Int64)] = []
        for u in 0..<30 { for j in 0...u { r.append((u, (u * 7 + j * 3) % 40, 1, Int64((j * 17) % (u + 1)))) } }
        return handMade(r)
    }()
    let d = SplitterTests.data

    @Test func kFoldCoversEveryInteractionOnce() throws {
        let folds = try Splitter.folds(d, method: .kFold(k: 5), seed: 1)
        #expect(folds.count == 5)
        #expect(folds.allSatisfy { disjoint($0) && $0.train.count + $0.test.count == d.count })
        let tests = folds.flatMap(\.test)
        #expect(tests.count == d.count && Set(tests).count == d.count)
        #expect(folds.map(\.test.count).max()! - folds.map(\.test.count).min()! <= 1)
        #expect(try Splitter.folds(d, method: .kFold(k: 5), seed: 1) == folds)  // deterministic
        #expect(try Splitter.folds(d, method: .kFold(k: 5), seed: 2) != folds)  // seed matters
    }

    @Test func userKFoldSplitsEachUser() throws {
        let folds = try Splitter.folds(d, method: .userKFold(k: 3), seed: 7)
        #expect(Set(folds.flatMap(\.test)).count == d.count && folds.flatMap(\.test).count == d.count)
        for f in folds {
            #expect(disjoint(f) && f.train.count + f.test.count == d.count)
            // Every user with ≥ 3 interactions has test items in every fold, about a third of theirs.
            for u in 0..<d.userCount {
                let mine = (0..<d.count).filter { Int(d.users[$0]) == u }
                let t = f.test.filter { Int(d.users[Int($0)]) == u }.count
                #expect(t == mine.count / 3 || t == (mine.count + 2) / 3)
            }
        }
        #expect(try Splitter.folds(d, method: .userKFold(k: 3), seed: 8) != folds)
    }

    @Test func userCrossfoldHoldsOutPerTestUser() throws {
        let folds = try Splitter.folds(d, method: .userCrossfold(k: 3, testFraction: 0.2), seed: 3)
        var testUsers: [Set<Int32>] = []
        for f in folds {
            #expect(disjoint(f) && f.train.count + f.test.count == d.count)
            let users = Set(f.test.map { d.users[Int($0)] })
            #expect(users.count == 10)
            for u in users {
                let n = (0..<d.count).filter { d.users[$0] == u }.count
                let t = f.test.filter { d.users[Int($0)] == u }.count
                #expect(t == min(n, max(1, Int((0.2 * Double(n)).rounded()))))
            }
            testUsers.append(users)
        }
        #expect(testUsers[0].isDisjoint(with: testUsers[1]) && testUsers[1].isDisjoint(with: testUsers[2]))
        #expect(testUsers.reduce(Set()) { $0.union($1) }.count == 30)
        #expect(try Splitter.folds(d, method: .userCrossfold(k: 3, testFraction: 0.2), seed: 3) == folds)
    }

    @Test func holdoutGlobalAndPerUser() throws {
        let g = try Splitter.folds(
            d, method: .holdout(testFraction: 0.2, perUser: false, validationFraction: 0.1), seed: 5)
        #expect(g.count == 1 && disjoint(g[0]))
        #expect(g[0].test.count == Int((0.2 * Double(d.count)).rounded()))
        #expect(g[0].validation.count == Int((0.1 * Double(d.count)).rounded()))
        #expect(g[0].train.count + g[0].test.count + g[0].validation.count == d.count)
        let p = try Splitter.folds(
            d, method: .holdout(testFraction: 0.5, perUser: true, validationFraction: 0), seed: 5)
        for u in Int32(0)..<30 {
            let n = (0..<d.count).filter { d.users[$0] == u }.count
            #expect(p[0].test.filter { d.users[Int($0)] == u }.count == Int((0.5 * Double(n)).rounded()))
        }
        #expect(
            try Splitter.folds(d, method: .holdout(testFraction: 0.2, perUser: false, validationFraction: 0.1), seed: 6)
                != g)
        #expect(
            thrownMessage {
                _ = try Splitter.folds(
                    d, method: .holdout(testFraction: 0.7, perUser: false, validationFraction: 0.3), seed: 1)
            }
                == "holdout: testFraction + validationFraction must be below 1")
    }

    @Test func temporalSplits() throws {
        let t = handMade([(1, 1, 1, 50), (1, 2, 1, 10), (2, 1, 1, 30), (2, 3, 1, 20), (1, 3, 1, 40)])
        let cut = try Splitter.folds(t, method: .temporal(cutoff: 30, testFraction: 0, perUser: false), seed: 0)
        #expect(cut[0].test == [0, 2, 4] && cut[0].train == [1, 3])
        let global = try Splitter.folds(t, method: .temporal(cutoff: nil, testFraction: 0.4, perUser: false), seed: 0)
        #expect(global[0].test == [0, 4])
        let perUser = try Splitter.folds(t, method: .temporal(cutoff: nil, testFraction: 0.5, perUser: true), seed: 0)
        // u1: times 10, 40, 50 → last round(1.5) = 2 → positions 4, 0; u2: 20, 30 → last 1 → position 2.
        #expect(perUser[0].test == [0, 2, 4])
    }

    @Test func leaveLastOutUsesTimeThenFileOrder() throws {
        // u1: ties at t=9 between positions 1 and 3 → position 3 (later in file) is last, position 1 second-to-last.
        // u2: two interactions → test only with validation off; train-only with validation on (needs 3).
        // u3: a single interaction → train-only.
        let t = handMade([(1, 1, 1, 5), (1, 2, 1, 9), (2, 1, 1, 1), (1, 3, 1, 9), (2, 2, 1, 0), (3, 1, 1, 4)])
        let v = try Splitter.folds(t, method: .leaveLastOut(validation: true), seed: 0)[0]
        #expect(v.test == [3] && v.validation == [1] && v.train == [0, 2, 4, 5])
        let nv = try Splitter.folds(t, method: .leaveLastOut(validation: false), seed: 0)[0]
        #expect(nv.test == [2, 3] && nv.validation.isEmpty && nv.train == [0, 1, 4, 5])
    }

    @Test func timeBasedSplitsNeedTimestamps() {
        var t = handMade([(1, 1, 1, 5), (1, 2, 1, 9)], name: "untimed")
        t.timestamps = nil
        #expect(
            thrownMessage { _ = try Splitter.folds(t, method: .leaveLastOut(validation: false), seed: 0) }
                == "leave-last-out split needs timestamps, but data set 'untimed' has none")
        #expect(
            thrownMessage {
                _ = try Splitter.folds(t, method: .temporal(cutoff: nil, testFraction: 0.5, perUser: true), seed: 0)
            } != nil)
    }

    @Test func predefinedMatchesByExternalIDs() throws {
        let t = handMade([(1, 1, 1, 5), (1, 2, 1, 9), (2, 1, 1, 1), (2, 3, 1, 2)])
        let dir = try makeTempDir([
            "a.base": text("u1\ti1\t1\t5\nu2\ti3\t1\t2\n"), "a.test": text("u2\ti1\t1\t1\n"),
            "bad.test": text("u2\ti1\t1\t1\nu9\ti1\t1\t1\n"), "dup.test": text("u1\ti1\n")
        ])
        let f = try Splitter.folds(
            t, method: .predefined(files: [PredefinedPair(base: dir + "/a.base", test: dir + "/a.test")]), seed: 0)
        #expect(f == [Fold(index: 0, train: [0, 3], test: [2])])  // (u1, i2) is in neither file
        #expect(
            thrownMessage {
                _ = try Splitter.folds(
                    t, method: .predefined(files: [PredefinedPair(base: dir + "/a.base", test: dir + "/bad.test")]),
                    seed: 0)
            }
                == "bad.test:2: user u9, item i1 is not in data set 'hand'")
        #expect(
            thrownMessage {
                _ = try Splitter.folds(
                    t, method: .predefined(files: [PredefinedPair(base: dir + "/a.base", test: dir + "/dup.test")]),
                    seed: 0)
            }
                == "dup.test:1: interaction also in a.base")
    }

    @Test func invalidParameters() {
        #expect(
            thrownMessage { _ = try Splitter.folds(d, method: .kFold(k: 1), seed: 0) } == "k must be at least 2, got 1")
        #expect(
            thrownMessage { _ = try Splitter.folds(d, method: .userCrossfold(k: 3, testFraction: 1.5), seed: 0) }
                == "testFraction must be in (0, 1), got 1.5")
    }
}
