import IncidentCore
import Testing

@testable import IncidentCluster

/// Ownership (`Rendezvous.owner`) and who decides a key's incident where an alert arrives
/// (`Rendezvous.deciders`).
@Suite struct RendezvousTests {
    static func member(_ name: String, _ region: String, _ state: MemberState = .alive) -> Member {
        Member(node: NodeID(name), address: "127.0.0.1:1", region: region, state: state)
    }

    static let fiveInThreeRegions = [
        member("eu1", "eu-west"), member("eu2", "eu-west"), member("us1", "us-east"), member("us2", "us-east"), member("ap1", "ap-south"),
    ]

    @Test func ownerIsTheSameForAnyOrderOfMembers() {
        let ids = Self.fiveInThreeRegions.map(\.node)
        for k in 0..<500 {
            let key = "key-\(k)"
            #expect(Rendezvous.owner(of: key, among: ids) == Rendezvous.owner(of: key, among: ids.reversed()))
        }
        #expect(Rendezvous.owner(of: "k", among: []) == nil)
    }

    @Test func inOneRegionEveryActiveMemberDecides() {
        let members = [Self.member("a", "local"), Self.member("b", "local"), Self.member("c", "local", .suspect), Self.member("d", "local", .dead)]
        let deciders = Rendezvous.deciders(among: members, myself: members[0])
        #expect(Set(deciders) == [NodeID("a"), NodeID("b"), NodeID("c")])
    }

    @Test func acrossRegionsOnlyTheReceivingRegionDecides() {
        let all = Self.fiveInThreeRegions
        #expect(Set(Rendezvous.deciders(among: all, myself: all[0])) == [NodeID("eu1"), NodeID("eu2")])
        #expect(Set(Rendezvous.deciders(among: all, myself: all[3])) == [NodeID("us1"), NodeID("us2")])
        #expect(Rendezvous.deciders(among: all, myself: all[4]) == [NodeID("ap1")])
    }

    /// A key whose owner is in the receiving region is decided by that owner, so a cluster in one
    /// region routes exactly as before, and duplicates arise only between regions.
    @Test func theOwnerDecidesWhereverItIsInTheReceivingRegion() {
        let all = Self.fiveInThreeRegions
        let ids = all.map(\.node)
        var ownedInEU = 0
        for k in 0..<2_000 {
            let key = "key-\(k)"
            let owner = Rendezvous.owner(of: key, among: ids)!
            for me in all {
                let decider = Rendezvous.owner(of: key, among: Rendezvous.deciders(among: all, myself: me))!
                #expect(all.first { $0.node == decider }!.region == me.region)
                if all.first(where: { $0.node == owner })!.region == me.region {
                    #expect(decider == owner, "\(key): owner \(owner) is in \(me.region) but \(decider) decides")
                }
            }
            if owner == NodeID("eu1") || owner == NodeID("eu2") { ownedInEU += 1 }
        }
        #expect(ownedInEU > 600 && ownedInEU < 1_000, "eu-west owns \(ownedInEU) of 2,000 keys; expected about 2 in 5")
    }

    /// Two nodes that both think they own a key pick the same survivor: the incident the key's
    /// owner opened, else the one opened by the best-ranked node, the oldest among its own.
    @Test func mergeWinnerDependsOnTheIncidentsAlone() {
        let ids = Self.fiveInThreeRegions.map(\.node)
        for k in 0..<300 {
            let key = "key-\(k)"
            let owner = Rendezvous.owner(of: key, among: ids)!
            let others = ids.filter { $0 != owner }
            // Oldest first: two incidents opened elsewhere, then the owner's own, then another of its own.
            let origins = [others[k % 4], others[(k + 1) % 4], owner, owner]
            #expect(Rendezvous.mergeWinner(of: key, openedBy: origins) == 2, "\(key): the owner's oldest incident survives")
            let elsewhere = [others[k % 4], others[(k + 1) % 4], others[k % 4]]
            let w = Rendezvous.mergeWinner(of: key, openedBy: elsewhere)!
            let best = Rendezvous.owner(of: key, among: Array(Set(elsewhere)))!
            #expect(elsewhere[w] == best && elsewhere.firstIndex(of: best) == w)
        }
        #expect(Rendezvous.mergeWinner(of: "k", openedBy: []) == nil)
    }
}
