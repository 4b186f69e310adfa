import Testing

@testable import IncidentCore

@Suite("Dedup, repeat coalescing and out-of-order convergence")
struct DedupAndCoalescingTests {
    // MARK: - decideTrigger

    static func repeats(_ count: UInt32, at: Timestamp) -> IncidentEventBody {
        .alertRepeated(count: count, firstAt: at, lastAt: at + .seconds(10))
    }

    /// Drives the harness to each open status.
    static let openStates: [(IncidentStatus, [IncidentCommand])] = [
        (.triggered, []),
        (.acknowledged, [.acknowledge]),
        (.investigating, [.investigate(note: "")]),
        (.mitigated, [.resolve(.workaround, description: "failover", verification: .manual)]),
        (.reopened, [.resolve(.permanent, description: "fix", verification: .manual), .reopen(reason: "")]),
    ]

    @Test("a trigger for an open incident attaches its repeats", arguments: openStates)
    func triggerOnOpenIncident(status: IncidentStatus, commands: [IncidentCommand]) throws {
        var h = Harness()
        for c in commands { try h.run(c) }
        #expect(h.status == status)
        let at = h.now + .seconds(30)
        let decision = h.record.decideTrigger(count: 3, firstAt: at, lastAt: at + .seconds(10), origin: Fixture.node, policy: h.policy, now: at)
        #expect(decision == .attach([Self.repeats(3, at: at)]))
        guard case .attach(let bodies) = decision else { return }
        let before = h.incident.alertCount
        h.apply(bodies)
        #expect(h.incident.alertCount == before + 3)
        #expect(h.status == status)
        #expect(h.incident.lastSeenAt == at + .seconds(10))
    }

    @Test("a trigger within the reopen window reopens the resolved incident and attaches")
    func triggerWithinReopenWindow() throws {
        var h = Harness()
        try h.run(.resolve(.permanent, description: "fix", verification: .manual))
        let resolvedAt = h.now
        let at = resolvedAt + .seconds(29 * 60)
        let decision = h.record.decideTrigger(count: 1, firstAt: at, lastAt: at + .seconds(10), origin: Fixture.node, policy: h.policy, now: at)
        #expect(
            decision
                == .attach([.reopened(reason: "alert fired again within 30 min of resolution"), Self.repeats(1, at: at)]))
        guard case .attach(let bodies) = decision else { return }
        h.apply(bodies, after: .seconds(29 * 60))
        #expect(h.status == .reopened)
        #expect(h.incident.reopenCount == 1)
        #expect(h.incident.alertCount == 2)
    }

    @Test(
        "a trigger at or past the reopen window opens a new incident",
        arguments: [30 * 60, 31 * 60, 86_400] as [Int64])
    func triggerPastReopenWindow(secondsAfterResolve: Int64) throws {
        var h = Harness()
        try h.run(.resolve(.permanent, description: "fix", verification: .manual))
        let at = h.now + .seconds(secondsAfterResolve)
        #expect(h.record.decideTrigger(count: 1, firstAt: at, lastAt: at, origin: Fixture.node, policy: h.policy, now: at) == .openNew)
    }

    @Test("a trigger for a closed incident opens a new incident, even right after closing")
    func triggerOnClosed() throws {
        var h = Harness()
        try h.run(.resolve(.permanent, description: "fix", verification: .manual))
        try h.run(.close(reason: "", force: false))
        let at = h.now + .seconds(1)
        #expect(h.record.decideTrigger(count: 1, firstAt: at, lastAt: at, origin: Fixture.node, policy: h.policy, now: at) == .openNew)
    }

    @Test("a zero reopen window never reopens")
    func zeroReopenWindow() throws {
        var policy = IncidentPolicy()
        policy.reopenWindow = .zero
        var h = Harness(policy: policy)
        try h.run(.resolve(.permanent, description: "fix", verification: .manual))
        #expect(h.record.decideTrigger(count: 1, firstAt: h.now, lastAt: h.now, origin: Fixture.node, policy: policy, now: h.now) == .openNew)
    }

    // MARK: - Coalescing

    @Test("an alert storm of 10,000 repeats is one timeline entry")
    func alertStormCoalesces() {
        var record = IncidentRecord(opening: Fixture.opening())
        var maker = EventMaker(node: Fixture.node, startSeq: 1, after: record.openingEvent.hlc)
        for i in 0..<10_000 {
            let at = Fixture.t0 + .milliseconds(Int64(i) * 12)  // 0 … 119.988 s after opening
            // Each repeat event carries the origin's cumulative count for the window.
            record.apply(maker.event(.alertRepeated(count: UInt32(i + 1), firstAt: at, lastAt: at), at: at))
        }
        #expect(record.incident.alertCount == 10_001)
        #expect(record.incident.lastSeenAt == Fixture.t0 + .milliseconds(119_988))
        #expect(record.events.count == 1)
        #expect(record.eventCount == 10_001)
        let timeline = record.timeline
        let repeated = timeline.filter { $0.kind == "alert_repeated" }
        #expect(repeated.count == 1)
        #expect(repeated.first?.details.first?.1 == .number(10_000))
        #expect(repeated.first?.at == Fixture.t0)
        #expect(timeline.count == 5)  // detected, logged, classified, prioritized, alert_repeated
    }

    @Test("repeats spread over 12 minutes fall into three 5-minute buckets")
    func repeatsBucketByWindow() {
        #expect(IncidentRecord.repeatWindow == .seconds(300))
        var record = IncidentRecord(opening: Fixture.opening())
        var maker = EventMaker(node: Fixture.node, startSeq: 1, after: record.openingEvent.hlc)
        for s in 0..<720 {  // one per second for 12 minutes
            let at = Fixture.t0 + .seconds(Int64(s))
            let cumulative = UInt32(s % 300 + 1)  // counts start again in each 5-minute window
            record.apply(maker.event(.alertRepeated(count: cumulative, firstAt: at, lastAt: at), at: at))
        }
        let repeated = record.timeline.filter { $0.kind == "alert_repeated" }
        #expect(repeated.count == 3)
        #expect(repeated.map(\.at) == [Fixture.t0, .minutes(5), .minutes(10)])
        #expect(repeated.map { $0.details.first?.1 } == [.number(300), .number(300), .number(120)])
        #expect(record.incident.alertCount == 721)
    }

    @Test("repeat entries sit in the timeline at their time, between other events")
    func repeatEntriesAreInTimeOrder() throws {
        var h = Harness()
        try h.run(.acknowledge, after: .seconds(60))  // t0 + 1 min
        try h.run(.note("looking"), after: .seconds(600))  // t0 + 11 min
        let at = Fixture.t0 + .seconds(7 * 60)
        h.record.apply(h.maker.event(.alertRepeated(count: 4, firstAt: at, lastAt: at), at: at))
        let kinds = h.record.timeline.map(\.kind)
        #expect(kinds.suffix(3) == ["acknowledged", "alert_repeated", "note"])
    }

    // MARK: - Convergence

    /// A random mix of events from three nodes, including concurrent and conflicting changes.
    static func randomEvents(seed: UInt64, count: Int) -> [IncidentEvent] {
        var rng = SeededRandom(seed: seed)
        let opening = Fixture.opening()
        var makers = [
            EventMaker(node: NodeID("node1"), startSeq: 1, after: opening.hlc),
            EventMaker(node: NodeID("node2"), after: opening.hlc),
            EventMaker(node: NodeID("node3"), after: opening.hlc),
        ]
        var out: [IncidentEvent] = []
        for i in 0..<count {
            // coarse times so that different nodes often share a millisecond
            let at = Fixture.t0 + .seconds(Int64(i / 2 + 1) * 10)
            let body: IncidentEventBody
            switch Int.random(in: 0..<16, using: &rng) {
            case 0, 1: body = .acknowledged
            case 2: body = .sourceAcknowledged
            case 3: body = .severityChanged(Severity.allCases.randomElement(using: &rng)!, reason: "r\(i)")
            case 4: body = .priorityChanged(Priority.allCases.randomElement(using: &rng)!, reason: "r\(i)")
            case 5, 6: body = .note("note \(i)")
            case 7: body = .resolved(description: "fix \(i)")
            case 8: body = .reopened(reason: "again \(i)")
            case 9: body = .workaroundApplied(description: "w \(i)")
            case 10: body = .statusChanged(.investigating, note: "i \(i)")
            case 11: body = .assigned(assignee: ["alice", "bob", "carol"].randomElement(using: &rng)!)
            case 12:
                body = .alertRepeated(
                    count: UInt32.random(in: 1...50, using: &rng), firstAt: at,
                    lastAt: at + .seconds(Int64.random(in: 0...400, using: &rng)))
            case 13: body = .alertResolved
            case 14: body = .categoryChanged(Category.assignable.randomElement(using: &rng)!, reason: "c\(i)")
            default: body = Bool.random(using: &rng) ? .closed(reason: "c\(i)") : .warRoomOpened(link: "l\(i)")
            }
            let n = Int.random(in: 0..<3, using: &rng)
            out.append(makers[n].event(body, at: at, actor: "person\(n)"))
        }
        return out
    }

    /// A random interleaving that keeps each origin's events in sequence order, the way replication
    /// delivers them; across origins anything goes.
    static func interleave(_ events: [IncidentEvent], using rng: inout SeededRandom) -> [IncidentEvent] {
        var queues = Dictionary(grouping: events, by: \.id.origin).mapValues {
            ArraySlice($0.sorted { $0.id.seq < $1.id.seq })
        }
        var origins = queues.keys.sorted()
        var out: [IncidentEvent] = []
        while !origins.isEmpty {
            let k = Int.random(in: 0..<origins.count, using: &rng)
            let origin = origins[k]
            out.append(queues[origin]!.removeFirst())
            if queues[origin]!.isEmpty { origins.remove(at: k) }
        }
        return out
    }

    static func fold(_ events: [IncidentEvent]) -> IncidentRecord {
        var record = IncidentRecord(opening: Fixture.opening())
        for e in events { record.apply(e) }
        return record
    }

    @Test("events applied in any order fold to the same incident and timeline", arguments: [1, 2, 3, 7, 42, 2026] as [UInt64])
    func outOfOrderConvergence(seed: UInt64) {
        let events = Self.randomEvents(seed: seed, count: 80)
        let kinds = Set(events.map { "\($0.body)".prefix(while: { $0 != "(" }) })
        #expect(kinds.count >= 10, "the mix should cover many kinds of events")

        let reference = Self.fold(events.sorted { $0.orderKey < $1.orderKey })
        var rngA = SeededRandom(seed: seed &* 31 &+ 1)
        var rngB = SeededRandom(seed: seed &* 77 &+ 5)
        let orderA = Self.interleave(events, using: &rngA)
        let orderB = Self.interleave(events, using: &rngB)
        #expect(orderA != orderB)
        let a = Self.fold(orderA)
        let b = Self.fold(orderB)

        #expect(a.incident == b.incident)
        #expect(a.timeline == b.timeline)
        #expect(a.events == b.events)
        #expect(a.repeatBuckets == b.repeatBuckets)
        #expect(a.incident == reference.incident)
        #expect(a.timeline == reference.timeline)
        // Whole origins one after another, last node first: most events arrive late.
        let byOrigin = Dictionary(grouping: events, by: \.id.origin)
        let c = Self.fold(byOrigin.keys.sorted(by: >).flatMap { byOrigin[$0]! })
        #expect(c.incident == reference.incident)
        #expect(c.timeline == reference.timeline)
    }

    @Test("events in ANY order — even one origin's out of sequence, with duplicates — fold alike", arguments: [5, 11, 2027] as [UInt64])
    func fullShuffleConvergence(seed: UInt64) {
        let events = Self.randomEvents(seed: seed, count: 80)
        var rng = SeededRandom(seed: seed ^ 0xABCD)
        let reference = Self.fold(events)
        for _ in 0..<5 {
            var shuffled = (events + events.prefix(20)).shuffled(using: &rng)
            shuffled.reverse()
            let r = Self.fold(shuffled)
            #expect(r.incident == reference.incident)
            #expect(r.timeline == reference.timeline)
            #expect(r.digest == reference.digest)
        }
    }

    @Test("merging two partial copies gives the union, on both sides, with equal digests", arguments: [3, 8, 21] as [UInt64])
    func mergeConverges(seed: UInt64) {
        let events = Self.randomEvents(seed: seed, count: 60)
        var rng = SeededRandom(seed: seed &* 7)
        let split = events.map { _ in Int.random(in: 0..<3, using: &rng) }  // 0: only A, 1: only B, 2: both
        var a = Self.fold(zip(events, split).filter { $0.1 != 1 }.map(\.0))
        var b = Self.fold(zip(events, split).filter { $0.1 != 0 }.map(\.0))
        let bCopy = b
        let fromB = a.merge(bCopy)
        let fromA = b.merge(a)
        let all = Self.fold(events)
        #expect(a.digest == all.digest && b.digest == all.digest)
        #expect(a.incident == all.incident && b.incident == all.incident)
        #expect(a.timeline == all.timeline && b.timeline == all.timeline)
        #expect(!fromB.isEmpty || split.allSatisfy { $0 != 1 })
        _ = fromA
        #expect(a.merge(b).isEmpty)  // converged: nothing left to exchange
    }

    @Test("concurrent acknowledgements from two nodes: the first in order wins, both are in the timeline")
    func concurrentAcknowledgements() {
        let opening = Fixture.opening()
        var n1 = EventMaker(node: NodeID("node1"), startSeq: 1, after: opening.hlc)
        var n2 = EventMaker(node: NodeID("node2"), after: opening.hlc)
        let at = Timestamp.minutes(2)
        let ack2 = n2.event(.acknowledged, at: at, actor: "bob")
        let ack1 = n1.event(.acknowledged, at: at, actor: "alice")  // same hlc; node1 orders first
        let inOrder = Self.fold([ack1, ack2])
        let reversed = Self.fold([ack2, ack1])
        #expect(inOrder.incident == reversed.incident)
        #expect(inOrder.timeline == reversed.timeline)
        #expect(inOrder.incident.status == .acknowledged)
        #expect(inOrder.timeline.filter { $0.kind == "acknowledged" }.map(\.actor) == ["alice", "bob"])
    }

    @Test("a duplicate delivery of an event is ignored")
    func duplicateEventIgnored() {
        let opening = Fixture.opening()
        var n1 = EventMaker(node: NodeID("node1"), startSeq: 1, after: opening.hlc)
        let ack = n1.event(.acknowledged, at: .minutes(1))
        let note = n1.event(.note("x"), at: .minutes(2))
        var record = Self.fold([ack, note])
        #expect(record.apply(ack) == false)
        #expect(record.apply(note) == false)
        #expect(record.events.count == 3)
        #expect(record.timeline.filter { $0.kind == "note" }.count == 1)
        #expect(record == Self.fold([ack, note]))
    }

    @Test("a duplicate repeat event is not counted twice")
    func duplicateRepeatIgnored() {
        let opening = Fixture.opening()
        var n2 = EventMaker(node: NodeID("node2"), after: opening.hlc)
        let storm = n2.event(.alertRepeated(count: 50, firstAt: .minutes(1), lastAt: .minutes(2)), at: .minutes(2))
        var record = Self.fold([storm])
        #expect(record.apply(storm) == false)
        #expect(record.incident.alertCount == 51)
        #expect(record.repeatEventCount == 1)
    }

    @Test("a decoded repeat with an extreme timestamp does not trap the fold")
    func extremeRepeatTimestamp() async {
        // Events arrive from the log and from peers as bytes; any Int64 decodes as a timestamp.
        // Runs in a child process so an arithmetic-overflow trap fails only this test.
        await #expect(processExitsWith: .success) {
            var record = IncidentRecord(opening: Fixture.opening())
            var n2 = EventMaker(node: NodeID("node2"), after: record.openingEvent.hlc)
            record.apply(
                n2.event(.alertRepeated(count: 1, firstAt: Timestamp(unixMillis: .min), lastAt: .epoch), at: .minutes(1)))
            record.apply(
                n2.event(.alertRepeated(count: 1, firstAt: Timestamp(unixMillis: .max), lastAt: .epoch), at: .minutes(2)))
            precondition(record.incident.alertCount == 3)
            _ = record.timeline
        }
    }

    @Test("a record restored from its events and buckets equals the live one")
    func restoreFromSnapshot() {
        let live = Self.fold(Self.randomEvents(seed: 99, count: 60))
        let restored = IncidentRecord(
            events: live.events, repeatCounters: live.repeatCounters, repeatEventCount: live.repeatEventCount)
        #expect(restored.incident == live.incident)
        #expect(restored.digest == live.digest)
        #expect(restored.timeline == live.timeline)
        #expect(restored.eventCount == live.eventCount)
    }
}

extension IncidentRecord {
    /// Test-only equality of what a record shows.
    static func == (lhs: IncidentRecord, rhs: IncidentRecord) -> Bool {
        lhs.incident == rhs.incident && lhs.timeline == rhs.timeline && lhs.events == rhs.events
    }
}
