import Testing

@testable import IncidentCore

private let n1 = NodeID("n1")
private let n2 = NodeID("n2")
private let minute: Duration = .seconds(60)
private func at(_ minutes: Int64) -> Timestamp { .minutes(minutes) }

/// Ownership the tests control: a dedup key names its preferred owner after `@`; when that node is
/// not a member, the smallest member owns it.
private let ownerOf: @Sendable (String, [NodeID]) -> NodeID? = { key, members in
    let want = NodeID(String(key.split(separator: "@").last ?? ""))
    return members.contains(want) ? want : members.min()
}

private let baseView = EscalationView(IncidentRecord(opening: Fixture.opening()).incident)

/// The view of incident number `n` with dedup key `key`.
private func view(_ n: UInt64, _ key: String, status: IncidentStatus = .triggered) -> EscalationView {
    var v = baseView
    v.id = IncidentID(year: 2026, counter: n, tag: "TST")
    v.dedupKey = key
    v.status = status
    return v
}

private func page(_ number: UInt32, _ due: Timestamp, _ kind: EscalationStep.Kind = .page) -> PendingStep {
    PendingStep(number: number, due: due, kind: kind)
}

/// Timers on `n2` with members n1 and n2.
private func timers(overdueAfter: Duration = minute) -> EscalationTimers {
    var t = EscalationTimers(node: n2, overdueAfter: overdueAfter, ownerOf: ownerOf)
    t.setOwners([n1, n2])
    return t
}

/// `EscalationTimers`, the supervisor's pure core: which steps fire on this node, which are reported
/// overdue, and how ownership changes, stale heap entries, re-planning and retries are handled.
@Suite("Escalation timers: ownership, fire, overdue watchdog, stale entries, replan, retry, ordering")
struct EscalationTimersTests {
    @Test("only owned incidents fire; both owned and not-owned steps are reported overdue once per step number")
    func fireAndOverdue() {
        var t = timers()
        let a = view(1, "a@n1")
        let b = view(2, "b@n2")
        let p = page(1, at(1))
        t.update(a, pending: p)
        t.update(b, pending: p)
        #expect(t.tracked == 2 && t.ownedPending == 1)
        #expect(t.owns(b.id) && !t.owns(a.id))
        #expect(t.nextWake == at(1))
        #expect(t.due(now: at(1) - .milliseconds(1)).isEmpty)
        #expect(t.due(now: at(1)) == [.fire(b.id, p)])
        #expect(t.due(now: at(2) - .milliseconds(1)).isEmpty)
        #expect(t.due(now: at(2)) == [.overdue(a.id, p, owner: n1), .overdue(b.id, p, owner: n2)])
        #expect(t.due(now: at(600)).isEmpty)

        // The next step number is watched afresh.
        let next = page(2, at(700))
        t.update(b, pending: next)
        #expect(t.due(now: at(700)) == [.fire(b.id, next)])
        #expect(t.due(now: at(701)) == [.overdue(b.id, next, owner: n2)])
        #expect(t.due(now: at(9999)).isEmpty)
    }

    @Test("before any membership view this node owns everything")
    func ownsAloneAtStart() {
        var t = EscalationTimers(node: n2, overdueAfter: minute, ownerOf: ownerOf)
        let a = view(1, "a@n1")
        t.update(a, pending: page(1, at(1)))
        #expect(t.owns(a.id))
        #expect(t.due(now: at(1)) == [.fire(a.id, page(1, at(1)))])
    }

    @Test("a step due on an incident this node comes to own fires at the next due(now:)")
    func ownerChange() {
        var t = timers(overdueAfter: .seconds(3600))
        let a = view(1, "a@n1")
        let p = page(1, at(1))
        t.update(a, pending: p)
        #expect(t.due(now: at(2)).isEmpty)
        t.setOwners([n2])  // n1 left
        #expect(t.owns(a.id))
        #expect(t.due(now: at(2)) == [.fire(a.id, p)])
        #expect(t.due(now: at(3)).isEmpty)
        t.setOwners([n2])  // unchanged: nothing re-fires
        #expect(t.due(now: at(3)).isEmpty)
        t.setOwners([n2, n1])
        #expect(!t.owns(a.id))
        #expect(t.due(now: at(4)).isEmpty)
    }

    @Test("a view update with an unchanged pending step does not fire it again")
    func unchangedUpdate() {
        var t = timers(overdueAfter: .seconds(3600))
        let b = view(2, "b@n2")
        let p = page(1, at(1))
        t.update(b, pending: p)
        t.update(b, pending: p)
        #expect(t.due(now: at(1)) == [.fire(b.id, p)])
        t.update(b, pending: p)
        #expect(t.due(now: at(2)).isEmpty)
    }

    @Test("an entry for a superseded step number is skipped when it surfaces")
    func staleNumber() {
        var t = timers()
        let b = view(2, "b@n2")
        let first = page(1, at(1))
        let second = page(2, at(5))
        t.update(b, pending: first)
        t.update(b, pending: second)  // step 1 was recorded elsewhere
        #expect(t.due(now: at(4)).isEmpty)
        #expect(t.due(now: at(5)) == [.fire(b.id, second)])
        #expect(t.due(now: at(100)) == [.overdue(b.id, second, owner: n2)])
    }

    @Test("a step whose due time moved later (acknowledged: page → ack timeout, same number) neither fires nor is overdue early",
          arguments: ["a@n1", "b@n2"])
    func movedLater(key: String) {
        var t = timers()
        let v = view(1, key)
        let owned = key.hasSuffix("n2")
        let before = page(1, at(1))
        t.update(v, pending: before)
        #expect(t.due(now: at(1)) == (owned ? [.fire(v.id, before)] : []))
        // The step was not recorded (the incident got acknowledged first): now an ack timeout waits.
        var acked = v
        acked.status = .acknowledged
        let after = page(1, at(31), .ackTimeout)
        t.update(acked, pending: after)
        #expect(t.due(now: at(30)).isEmpty)
        #expect(t.due(now: at(31)) == (owned ? [.fire(v.id, after)] : []))
        #expect(t.due(now: at(32)) == [.overdue(v.id, after, owner: owned ? n2 : n1)])
    }

    @Test("a directive never names a step that is not due yet")
    func noEarlyFire() {
        var t = timers()
        let b = view(2, "b@n2")
        t.update(b, pending: page(1, at(1)))
        let later = page(1, at(10), .timeout)  // e.g. the severity changed, moving the deadline
        t.update(b, pending: later)
        #expect(t.due(now: at(5)).isEmpty)
        #expect(t.due(now: at(10)) == [.fire(b.id, later)])
    }

    @Test("replan recomputes every pending step (policy changed); one left with nothing pending is dropped")
    func replan() {
        var t = timers(overdueAfter: .seconds(3600))
        let b = view(2, "b@n2")
        let c = view(3, "c@n2")
        t.update(b, pending: page(1, at(10)))
        t.update(c, pending: page(1, at(10)))
        let sooner = page(1, at(3))
        t.replan { v in v.id == b.id ? sooner : nil }
        #expect(t.tracked == 1 && t.ownedPending == 1)
        #expect(t.due(now: at(3)) == [.fire(b.id, sooner)])
        #expect(t.due(now: at(10)).isEmpty)
        t.replan { _ in page(2, at(20)) }
        #expect(t.due(now: at(20)) == [.fire(b.id, page(2, at(20)))], "c is offered again by the shell, not kept")
        t.update(c, pending: page(2, at(20)))
        #expect(t.due(now: at(20)) == [.fire(c.id, page(2, at(20)))])
    }

    @Test("retry re-fires the current step at the given time; a stale step is not retried")
    func retry() {
        var t = timers()
        let b = view(2, "b@n2")
        let p = page(1, at(1))
        t.update(b, pending: p)
        #expect(t.due(now: at(1)) == [.fire(b.id, p)])
        let soon = at(1) + .seconds(1)
        #expect(t.due(now: soon).isEmpty)
        t.retry(b.id, p, at: soon)
        #expect(t.due(now: soon) == [.fire(b.id, p)])
        t.retry(b.id, page(7, at(1)), at: soon + .seconds(1))
        t.retry(view(9, "z@n2").id, p, at: soon + .seconds(1))
        #expect(t.due(now: soon + .seconds(1)).isEmpty)
        // Every fire armed the watchdog again; it still reports the step once.
        #expect(t.due(now: at(2)) == [.overdue(b.id, p, owner: n2)])
        t.retry(b.id, p, at: at(3))
        #expect(t.due(now: at(3)) == [.fire(b.id, p)])
        #expect(t.due(now: at(9)).isEmpty)
    }

    @Test("inactive views, and active ones with nothing pending, are dropped")
    func inactive() {
        var t = timers()
        let b = view(2, "b@n2")
        t.update(b, pending: page(1, at(1)))
        t.update(view(2, "b@n2", status: .resolved), pending: nil)
        #expect(t.tracked == 0 && !t.owns(b.id))
        #expect(t.due(now: at(100)).isEmpty)
        t.update(view(2, "b@n2", status: .acknowledged), pending: nil)
        #expect(t.tracked == 0 && t.ownedPending == 0)
        #expect(t.due(now: at(200)).isEmpty)
        // Many come and go: the memory is given back (and what stays still fires).
        for k in UInt64(0)..<20_000 { t.update(view(100 + k, "k\(k)@n2"), pending: page(1, at(300))) }
        for k in UInt64(1)..<20_000 { t.update(view(100 + k, "k\(k)@n2", status: .resolved), pending: nil) }
        #expect(t.tracked == 1)
        #expect(t.due(now: at(300)) == [.fire(view(100, "k0@n2").id, page(1, at(300)))])
    }

    @Test("100,000 timers fire exactly once each, in due order, never before they are due")
    func manyInOrder() {
        var rng = SeededRandom(seed: 0xE5C_A1A7E)
        var t = EscalationTimers(node: n1, overdueAfter: .seconds(86_400), ownerOf: ownerOf)
        var dues: [IncidentID: Timestamp] = [:]
        let base = view(0, "k@n1")
        for n in 1...100_000 {
            var v = base
            v.id = IncidentID(year: 2026, counter: UInt64(n), tag: "TST")
            let due = Fixture.t0 + .milliseconds(Int64(rng.next() % 3_600_000))
            dues[v.id] = due
            t.update(v, pending: page(1, due))
        }
        var fired: [(Timestamp, IncidentID)] = []
        fired.reserveCapacity(dues.count)
        var early = 0
        var other = 0
        var now = Fixture.t0
        while now <= Fixture.t0 + .seconds(3600) {
            for d in t.due(now: now) {
                guard case .fire(let id, let p) = d else {
                    other += 1
                    continue
                }
                if p.due > now || p.due != dues[id] { early += 1 }
                fired.append((p.due, id))
            }
            now = now + .milliseconds(Int64(rng.next() % 120_000))
        }
        for d in t.due(now: Fixture.t0 + .seconds(3600)) {
            if case .fire(let id, let p) = d { fired.append((p.due, id)) } else { other += 1 }
        }
        #expect(early == 0 && other == 0)
        #expect(fired.count == 100_000)
        #expect(Set(fired.map(\.1)).count == 100_000)
        let inOrder = zip(fired, fired.dropFirst()).allSatisfy { a, b in a.0 < b.0 || (a.0 == b.0 && a.1 < b.1) }
        #expect(inOrder)
    }
}
