import Foundation
import Testing
@testable import RecbenchData

/// Planted preferences: with taste groups, a user's interactions concentrate on the own group's items, more so
/// as `in_group_share` grows (less than the share itself: popularity and latent affinity still weigh each
/// candidate); without them, a group is no better than chance (1 / groups).
@Suite struct PlantedGroupsTests {
    static func ownGroupShare(_ c: SyntheticConfig, groupsOf planted: SyntheticConfig) -> Double {
        let d = SyntheticData.generate(c)
        let g = PlantedGroups(planted, users: c.users, popularity: [Double](repeating: 1, count: c.items))!
        let own = (0..<d.count).filter { g.userGroup[Int(d.users[$0])] == g.itemGroup[Int(d.items[$0])] }.count
        return Double(own) / Double(d.count)
    }

    @Test func interactionsConcentrateOnTheOwnGroup() {
        var c = SyntheticConfig(users: 600, items: 400, interactions: 30_000, seed: 7)
        c.tasteGroups = 8
        let none = SyntheticConfig(users: 600, items: 400, interactions: 30_000, seed: 7)
        let chance = Self.ownGroupShare(none, groupsOf: c)
        #expect(abs(chance - 1.0 / 8) < 0.03, "without groups: \(chance)")
        c.inGroupShare = 0.5
        let half = Self.ownGroupShare(c, groupsOf: c)
        c.inGroupShare = 0.9
        let most = Self.ownGroupShare(c, groupsOf: c)
        // Measured: 0.37 and 0.60, against 0.125 by chance.
        #expect(half > 0.3 && most > 0.5 && most > half + 0.15, "0.5 → \(half), 0.9 → \(most)")
    }

    @Test func withoutGroupsTheDataIsUnchanged() {
        let plain = SyntheticConfig(users: 300, items: 200, interactions: 9_000, seed: 3)
        var zero = plain; zero.tasteGroups = 0
        let a = SyntheticData.generate(plain), b = SyntheticData.generate(zero)
        #expect(a.users == b.users && a.items == b.items && a.values == b.values)
        #expect(PlantedGroups(zero, users: 300, popularity: [Double](repeating: 1, count: 200)) == nil)
    }

    /// Heavy users (a third of the catalogue or more) are weighed exactly by the same mixture.
    @Test func heavyUsersFollowTheMixtureToo() {
        var c = SyntheticConfig(users: 40, items: 60, interactions: 1_200, seed: 5)
        c.tasteGroups = 4; c.inGroupShare = 0.9
        #expect(Self.ownGroupShare(c, groupsOf: c) > 0.4)
        var none = c; none.tasteGroups = nil
        #expect(Self.ownGroupShare(none, groupsOf: c) < 0.35)
    }
}
