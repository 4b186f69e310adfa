import IncidentCore
import Testing

@testable import IncidentCluster

@Suite("Membership rules: precedence, refutation, instance steps")
struct MembershipRulesTests {
    static let t0 = Timestamp(unixMillis: 1_800_000_000_000)

    static func member(_ name: String, _ state: MemberState, _ incarnation: UInt64, address: String? = nil) -> Member {
        Member(node: NodeID(name), address: address ?? "\(name):7946", state: state, incarnation: incarnation)
    }

    // MARK: - Precedence

    /// (held, incoming, whether incoming replaces held)
    static let precedence: [(MemberState, UInt64, MemberState, UInt64, Bool)] = [
        // Equal incarnation: left > dead > suspect > alive.
        (.alive, 3, .suspect, 3, true), (.alive, 3, .dead, 3, true), (.alive, 3, .left, 3, true),
        (.suspect, 3, .dead, 3, true), (.suspect, 3, .left, 3, true), (.dead, 3, .left, 3, true),
        (.suspect, 3, .alive, 3, false), (.dead, 3, .alive, 3, false), (.dead, 3, .suspect, 3, false),
        (.left, 3, .alive, 3, false), (.left, 3, .suspect, 3, false), (.left, 3, .dead, 3, false),
        // Equal records do not replace each other (no gossip echo).
        (.alive, 3, .alive, 3, false), (.suspect, 3, .suspect, 3, false), (.dead, 3, .dead, 3, false),
        (.left, 3, .left, 3, false),
        // A higher incarnation wins whatever the states: refutation and restart.
        (.suspect, 3, .alive, 4, true), (.dead, 3, .alive, 4, true), (.left, 3, .alive, 4, true),
        (.alive, 3, .suspect, 4, true), (.left, 3, .dead, 4, true),
        // A lower incarnation never wins: stale news.
        (.alive, 4, .dead, 3, false), (.alive, 4, .left, 3, false), (.suspect, 4, .dead, 3, false),
        (.alive, 4, .suspect, 3, false),
    ]

    @Test("Member.supersedes orders by (incarnation, left > dead > suspect > alive)", arguments: precedence)
    func supersedes(
        held: MemberState, heldIncarnation: UInt64, incoming: MemberState, incomingIncarnation: UInt64, wins: Bool
    ) {
        let old = Self.member("x", held, heldIncarnation)
        let new = Self.member("x", incoming, incomingIncarnation)
        #expect(new.supersedes(old) == wins)
    }

    @Test("an instance applies the same table to gossip about another member", arguments: precedence)
    func instanceMerges(
        held: MemberState, heldIncarnation: UInt64, incoming: MemberState, incomingIncarnation: UInt64, wins: Bool
    ) {
        var instance = MembershipInstance(myself: Self.member("me", .alive, 1), seed: 1)
        _ = instance.onMessage(.gossip(updates: [Self.member("x", .alive, 0)]), from: "x:7946", now: Self.t0)
        if held != .alive || heldIncarnation != 0 {
            _ = instance.onMessage(
                .gossip(updates: [Self.member("x", held, heldIncarnation)]), from: "y:1", now: Self.t0)
        }
        #expect(instance.member(NodeID("x")) == Self.member("x", held, heldIncarnation))
        let directives = instance.onMessage(
            .gossip(updates: [Self.member("x", incoming, incomingIncarnation)]), from: "y:1", now: Self.t0)
        let expected = wins ? Self.member("x", incoming, incomingIncarnation) : Self.member("x", held, heldIncarnation)
        #expect(instance.member(NodeID("x")) == expected)
        let changed = directives.contains { if case .memberChanged = $0 { true } else { false } }
        #expect(changed == (wins && held != incoming))
    }

    // MARK: - Refutation

    /// What this node hears about itself (it is alive at incarnation 5) and its incarnation after.
    static let aboutMyself: [(MemberState, UInt64, UInt64)] = [
        (.suspect, 5, 6), (.dead, 5, 6), (.left, 5, 6),  // at our incarnation: refute
        (.suspect, 9, 10), (.dead, 9, 10),  // a later incarnation (a previous life): jump past it
        (.alive, 9, 10),  // a previous life was alive at 9: jump past it
        (.suspect, 4, 5), (.dead, 4, 5), (.left, 4, 5),  // stale: already refuted
        (.alive, 5, 5), (.alive, 2, 5),  // nothing to refute
    ]

    @Test("a member refutes suspicion, death and departure at or above its incarnation", arguments: aboutMyself)
    func refutation(heard: MemberState, incarnation: UInt64, after: UInt64) {
        var instance = MembershipInstance(myself: Self.member("me", .alive, 5), seed: 1)
        _ = instance.onMessage(.gossip(updates: [Self.member("x", .alive, 0)]), from: "x:7946", now: Self.t0)
        let directives = instance.onMessage(
            .gossip(updates: [Self.member("me", heard, incarnation)]), from: "x:7946", now: Self.t0)
        #expect(instance.myself.incarnation == after)
        #expect(instance.myself.state == .alive)
        // No self-reports. A refuted suspicion, death or departure goes straight to every member;
        // anything else leaves with the next messages.
        let direct: [MembershipInstance.Directive] =
            after > 5 && heard != .alive
            ? [.send(.gossip(updates: [Self.member("me", .alive, after)]), to: "x:7946")] : []
        #expect(directives == direct)
        if after > 5 {
            // The refutation goes out at the next tick, to the member that can spread it.
            let out = instance.onTick(now: Self.t0 + .milliseconds(1))
            let refutations = out.filter {
                if case .send(.gossip(let updates), _) = $0 { return updates.first == Self.member("me", .alive, after) }
                return false
            }
            #expect(!refutations.isEmpty, "\(out)")
        }
    }

    @Test("after leaving, a member ignores everything, including news of its own death")
    func leftIsFinal() {
        var instance = MembershipInstance(myself: Self.member("me", .alive, 5), seed: 1)
        _ = instance.onMessage(.gossip(updates: [Self.member("x", .alive, 0)]), from: "x:7946", now: Self.t0)
        let leaving = instance.leave(now: Self.t0)
        #expect(leaving == [.send(.leave(Self.member("me", .left, 5)), to: "x:7946")])
        #expect(
            instance.onMessage(.ping(sequence: 1, updates: [Self.member("me", .dead, 5)]), from: "x:7946", now: Self.t0)
                .isEmpty)
        #expect(instance.onTick(now: Self.t0 + .seconds(10)).isEmpty)
        #expect(instance.myself == Self.member("me", .left, 5))
        #expect(instance.leave(now: Self.t0).isEmpty)
    }

    @Test("unknown dead or left members are not learned; unknown alive or suspect ones are")
    func learningStrangers() {
        var instance = MembershipInstance(myself: Self.member("me", .alive, 1), seed: 1)
        let directives = instance.onMessage(
            .gossip(updates: [
                Self.member("a", .alive, 1), Self.member("s", .suspect, 1), Self.member("d", .dead, 1),
                Self.member("l", .left, 1),
            ]), from: "a:7946", now: Self.t0)
        #expect(instance.members.map(\.node.name) == ["a", "me", "s"])
        #expect(
            directives == [
                .memberChanged(Self.member("a", .alive, 1), previous: nil),
                .memberChanged(Self.member("s", .suspect, 1), previous: nil),
            ])
    }

    @Test("a stale record from a sender is answered with the newer one (so it can refute)")
    func staleSenderIsCorrected() {
        var instance = MembershipInstance(myself: Self.member("me", .alive, 1), seed: 1)
        _ = instance.onMessage(.gossip(updates: [Self.member("x", .dead, 3)]), from: "y:1", now: Self.t0)
        _ = instance.onMessage(.gossip(updates: [Self.member("x", .alive, 0)]), from: "y:1", now: Self.t0)
        // x is unknown as dead → ignored; learn it alive first, then dead.
        _ = instance.onMessage(.gossip(updates: [Self.member("x", .dead, 3)]), from: "y:1", now: Self.t0)
        #expect(instance.member(NodeID("x"))?.state == .dead)
        let directives = instance.onMessage(
            .ping(sequence: 7, updates: [Self.member("x", .alive, 3)]), from: "x:7946", now: Self.t0)
        #expect(
            directives == [
                .send(
                    .ack(sequence: 7, updates: [Self.member("me", .alive, 1), Self.member("x", .dead, 3)]), to: "x:7946"
                )
            ])
    }

    // MARK: - Probing steps

    /// An instance that knows `others` (alive, incarnation 1).
    static func instance(knowing others: [String], configuration: MembershipConfiguration = .lan) -> MembershipInstance
    {
        var instance = MembershipInstance(myself: member("me", .alive, 1), configuration: configuration, seed: 42)
        _ = instance.onMessage(
            .gossip(updates: others.map { member($0, .alive, 1) }), from: "\(others[0]):7946", now: t0)
        return instance
    }

    static func sends(_ directives: [MembershipInstance.Directive]) -> [(MembershipMessage, String)] {
        directives.compactMap { if case .send(let m, let to) = $0 { (m, to) } else { nil } }
    }

    @Test("probe → ping-req through k helpers → suspect → dead, with the configured timing")
    func probeEscalation() throws {
        let c = MembershipConfiguration.lan
        var instance = Self.instance(knowing: ["a", "b", "c", "d", "e"])
        var now = Self.t0
        var target: String?
        var sequence: UInt64 = 0
        while target == nil {
            for (message, to) in Self.sends(instance.onTick(now: now)) {
                if case .ping(let s, _) = message { (target, sequence) = (to, s) }
            }
            if target == nil { now = now + .milliseconds(10) }
        }
        let probedAt = now
        let targetName = String(try #require(target).split(separator: ":")[0])
        // Just before the timeout: nothing but gossip.
        let early = Self.sends(instance.onTick(now: probedAt + c.probeTimeout - .milliseconds(1)))
        #expect(!early.contains { if case .pingRequest = $0.0 { true } else { false } })
        // At the timeout: k ping-reqs to distinct helpers other than the target, and one more direct ping.
        let escalation = Self.sends(instance.onTick(now: probedAt + c.probeTimeout))
        let helpers = escalation.compactMap { m, to -> String? in
            if case .pingRequest(let s, let t, _) = m, s == sequence, t.node.name == targetName { return to }
            return nil
        }
        #expect(helpers.count == c.indirectProbes)
        #expect(Set(helpers).count == helpers.count && !helpers.contains(target!))
        let retried = escalation.contains { m, to in
            if case .ping(let s, _) = m { return s == sequence && to == target! }
            return false
        }
        #expect(retried)
        // Nacks from every helper: local health unchanged when the probe fails.
        for _ in helpers {
            _ = instance.onMessage(.nack(sequence: sequence), from: helpers[0], now: probedAt + .milliseconds(200))
        }
        let failed = instance.onTick(now: probedAt + c.probeInterval)
        #expect(failed.contains(.memberChanged(Self.member(targetName, .suspect, 1), previous: .alive)))
        #expect(instance.localHealthScore == 0)
        // Suspicion runs out: dead.
        let beforeDeath = instance.onTick(now: probedAt + c.probeInterval + c.suspicionTimeout - .milliseconds(1))
        #expect(!beforeDeath.contains(.memberChanged(Self.member(targetName, .dead, 1), previous: .suspect)))
        let death = instance.onTick(now: probedAt + c.probeInterval + c.suspicionTimeout)
        #expect(death.contains(.memberChanged(Self.member(targetName, .dead, 1), previous: .suspect)))
        // The dead member is forgotten after deadRetention.
        _ = instance.onTick(now: probedAt + c.probeInterval + c.suspicionTimeout + c.deadRetention)
        #expect(instance.member(NodeID(targetName)) == nil)
    }

    @Test("an ack ends the probe; a failed probe without nacks lowers local health and stretches the interval")
    func localHealth() {
        let c = MembershipConfiguration.lan
        var instance = Self.instance(knowing: ["a", "b"])
        var now = Self.t0
        // Fail probes with no nacks for 1 s: the score rises (1 helper expected, none nacks).
        for _ in 0..<100 {
            _ = instance.onTick(now: now)
            now = now + .milliseconds(10)
        }
        #expect(instance.localHealthScore > 0)
        let score = instance.localHealthScore
        #expect(instance.currentProbeInterval == c.probeInterval * (1 + score))
        #expect(instance.currentProbeTimeout == c.probeTimeout * (1 + score))
        // From now on every ping is answered, with a refutation of the suspicion: the score falls back to 0.
        for _ in 0..<3000 where instance.localHealthScore > 0 {
            for (message, to) in Self.sends(instance.onTick(now: now)) {
                if case .ping(let s, _) = message {
                    let name = String(to.split(separator: ":")[0])
                    _ = instance.onMessage(
                        .ack(sequence: s, updates: [Self.member(name, .alive, 10)]), from: to, now: now)
                }
            }
            now = now + .milliseconds(10)
        }
        #expect(instance.localHealthScore == 0)
    }

    @Test("a helper forwards the target's ack to the requester, or nacks in time")
    func helperForwardsOrNacks() throws {
        var instance = Self.instance(knowing: ["req", "tgt"])
        let request = MembershipMessage.pingRequest(sequence: 99, target: Self.member("tgt", .alive, 1), updates: [])
        let out = Self.sends(instance.onMessage(request, from: "req:7946", now: Self.t0))
        let ping = try #require(out.first)
        #expect(ping.1 == "tgt:7946")
        guard case .ping(let helperSequence, _) = ping.0 else {
            Issue.record("expected a ping, got \(ping.0)")
            return
        }
        let forwarded = Self.sends(
            instance.onMessage(
                .ack(sequence: helperSequence, updates: []), from: "tgt:7946", now: Self.t0 + .milliseconds(5)))
        #expect(forwarded.count == 1)
        #expect(forwarded.first?.1 == "req:7946")
        if case .ack(let s, _)? = forwarded.first?.0 { #expect(s == 99) } else { Issue.record("expected an ack") }

        // A second request whose target stays silent: a nack before the requester's interval ends.
        let c = MembershipConfiguration.lan
        _ = instance.onMessage(request, from: "req:7946", now: Self.t0 + .seconds(1))
        var nackAt: Timestamp?
        var now = Self.t0 + .seconds(1)
        while nackAt == nil, now < Self.t0 + .seconds(2) {
            now = now + .milliseconds(10)
            if instance.onTick(now: now).contains(.send(.nack(sequence: 99), to: "req:7946")) { nackAt = now }
        }
        let delay = try #require(nackAt) - (Self.t0 + .seconds(1))
        #expect(delay < c.probeInterval - c.probeTimeout)
    }

    @Test("join: seeds get join until one answers; the seed replies with every member and spreads the joiner")
    func joinHandshake() {
        var joiner = MembershipInstance(myself: Self.member("j", .alive, 1), seed: 3)
        let first = joiner.join(seeds: ["s:7946", "j:7946", "s:7946", "t:7946"], now: Self.t0)
        #expect(
            first == [
                .send(.join(Self.member("j", .alive, 1)), to: "s:7946"),
                .send(.join(Self.member("j", .alive, 1)), to: "t:7946"),
            ])
        #expect(!joiner.hasJoined)
        let retry = joiner.onTick(now: Self.t0 + .seconds(1))
        #expect(Self.sends(retry).filter { if case .join = $0.0 { true } else { false } }.count == 2)

        var seed = MembershipInstance(myself: Self.member("s", .alive, 1), seed: 4)
        _ = seed.join(seeds: [], now: Self.t0)
        let answer = seed.onMessage(.join(Self.member("j", .alive, 1)), from: "j:7946", now: Self.t0)
        #expect(answer.contains(.memberChanged(Self.member("j", .alive, 1), previous: nil)))
        #expect(
            answer.contains(
                .send(.joinReply(members: [Self.member("s", .alive, 1), Self.member("j", .alive, 1)]), to: "j:7946")))

        let joined = joiner.onMessage(
            .joinReply(members: [Self.member("s", .alive, 1), Self.member("j", .alive, 1)]), from: "s:7946",
            now: Self.t0)
        #expect(joined == [.memberChanged(Self.member("s", .alive, 1), previous: nil)])
        #expect(joiner.hasJoined)
        // No more retries to the silent seed (it is retried only every seedRetryInterval); the
        // anti-entropy pull goes to a member.
        let later = Self.sends(joiner.onTick(now: Self.t0 + .seconds(2)))
        #expect(!later.contains { if case .join = $0.0 { $0.1 == "t:7946" } else { false } })
        #expect(later.contains { if case .join = $0.0 { $0.1 == "s:7946" } else { false } })
    }

    /// The LAN defaults with one field broken.
    static func broken(_ field: String) -> MembershipConfiguration {
        var c = MembershipConfiguration.lan
        switch field {
        case "probeTimeout": c.probeTimeout = c.probeInterval
        case "probeInterval": c.probeInterval = .zero
        case "indirectProbes": c.indirectProbes = 0
        case "suspicionTimeout": c.suspicionTimeout = .milliseconds(100)
        case "gossipPiggybackMax": c.gossipPiggybackMax = 1
        case "deadRetention": c.deadRetention = .milliseconds(500)
        case "gossipFanout": c.gossipFanout = 0
        default: Issue.record("no way to break \(field)")
        }
        return c
    }

    @Test(
        "configuration: defaults and presets validate; bad values name the field",
        arguments: [
            "probeTimeout", "probeInterval", "indirectProbes", "suspicionTimeout", "gossipPiggybackMax",
            "deadRetention",
            "gossipFanout",
        ])
    func validation(field: String) {
        #expect(throws: Never.self) { try MembershipConfiguration.lan.validate() }
        #expect(throws: Never.self) { try MembershipConfiguration.wan.validate() }
        let c = Self.broken(field)
        do {
            try c.validate()
            Issue.record("\(field): accepted")
        } catch {
            #expect(error.field == field, "\(error)")
            #expect(error.message.contains("expected"))
        }
    }

    @Test("piggyback: own record first, at most gossipPiggybackMax, each update sent a bounded number of times")
    func piggybackBounds() {
        var c = MembershipConfiguration.lan
        c.gossipPiggybackMax = 4
        var instance = MembershipInstance(myself: Self.member("me", .alive, 1), configuration: c, seed: 9)
        let names = (0..<10).map { "m\($0)" }
        _ = instance.onMessage(
            .gossip(updates: names.map { Self.member($0, .alive, 1) }), from: "m0:7946", now: Self.t0)
        var sent: [String: Int] = [:]
        for _ in 0..<100 {
            let updates = instance.piggyback(for: nil)
            #expect(updates.first == instance.myself)
            #expect(updates.count <= 4)
            for u in updates.dropFirst() { sent[u.node.name, default: 0] += 1 }
        }
        // 11 members → ⌈log10(12)⌉ = 2 → 4 · 2 = 8 transmissions each.
        #expect(instance.retransmitLimit == 8)
        #expect(sent.count == 10 && sent.values.allSatisfy { $0 == 8 }, "\(sent)")
    }

    @Test(
        "log10 without Foundation",
        arguments: [(1.0, 0.0), (10.0, 1.0), (11.0, 1.041_392_685), (1000.0, 3.0), (2.0, 0.301_029_995)])
    func log10(x: Double, expected: Double) {
        #expect(abs(MembershipInstance.log10(x) - expected) < 1e-9)
    }
}
