import Testing

@testable import IncidentCore

private let t0 = Fixture.t0
private func at(_ minutes: Int64) -> Timestamp { .minutes(minutes) }

/// Levels of 5, 10 and 20 minutes, one repeat, `mgr` notified on timeout; level 1 pages alice and
/// whoever `primary` has on call.
private let threeLevels = EscalationPolicy(
    name: "payments",
    levels: [level(5, .person("alice"), .schedule("primary")), level(10, .person("bob")), level(20, .person("carol"))],
    repeats: 1, managers: ["mgr"])

/// Two levels (5 and 10 minutes), `repeats` passes more, an optional ack timeout.
private func twoLevels(repeats: Int = 0, ackTimeout: Duration? = nil) -> EscalationPolicy {
    EscalationPolicy(
        name: "payments", levels: [level(5, .person("alice")), level(10, .person("bob"))], repeats: repeats,
        ackTimeout: ackTimeout, managers: ["mgr"])
}

/// `EscalationPlanner` driving a real `IncidentRecord` through time: each step is computed by
/// `pending`, built by `step`, recorded as its deterministic event and folded back into the record.
@Suite("Escalation planner: levels, repeats, timeouts, acknowledgements, deadlines, determinism")
struct EscalationPlannerTests {
    // MARK: - Levels and repeats

    @Test("level 1 at opening, level n+1 after level n's delay, a repeat pass, then one timeout to the managers")
    func fullRun() throws {
        var d = EscalationDriver(policy: threeLevels, onCall: { s, _ in s == "primary" ? "pat" : nil })
        #expect(d.pending() == PendingStep(number: 1, due: t0, kind: .page))
        let steps = d.run(until: at(24 * 60))
        let table = steps.map { ($0.0.number, $0.0.due, $0.1.kind, $0.1.level, $0.1.pass, $0.1.targets, $0.1.nextDueAt) }
        let expected: [(UInt32, Timestamp, EscalationStep.Kind, UInt16, UInt16, [String], Timestamp?)] = [
            (1, at(0), .page, 1, 0, ["alice", "pat"], at(5)),
            (2, at(5), .page, 2, 0, ["bob"], at(15)),
            (3, at(15), .page, 3, 0, ["carol"], at(35)),
            (4, at(35), .page, 1, 1, ["alice", "pat"], at(40)),
            (5, at(40), .page, 2, 1, ["bob"], at(50)),
            (6, at(50), .page, 3, 1, ["carol"], at(70)),
            (7, at(70), .timeout, 0, 1, ["mgr"], nil),
        ]
        try #require(table.count == expected.count, "steps: \(table)")
        for (got, want) in zip(table, expected) {
            #expect(got.0 == want.0 && got.1 == want.1 && got.2 == want.2 && got.3 == want.3, "step \(got.0)")
            #expect(got.4 == want.4 && got.5 == want.5 && got.6 == want.6, "step \(got.0)")
        }
        #expect(steps[0].1.reason == "level 1 of payments: incident triggered")
        #expect(steps[1].1.reason == "level 2 of payments: level 1 unacknowledged for 5m")
        #expect(steps[3].1.reason == "level 1 of payments, repeat 1 of 1: nobody acknowledged")
        #expect(steps[6].1.reason == "policy payments exhausted without acknowledgement")
        #expect(steps[6].1.severity == .sev2)
        #expect(steps.allSatisfy { $0.1.policy == "payments" && $0.1.channel == "log" })

        let i = d.incident
        #expect(i.status == .triggered)
        #expect(i.severity == .sev2)
        #expect(i.escalationCount == 1)
        #expect(i.escalation.lastStep == 7 && i.escalation.timedOut && i.escalation.nextDueAt == nil)
        #expect(d.pending() == nil)
    }

    @Test("a policy without repeats times out right after its last level's delay")
    func noRepeats() {
        var d = EscalationDriver(policy: twoLevels())
        let steps = d.run(until: at(600))
        #expect(steps.map(\.0.due) == [at(0), at(5), at(15)])
        #expect(steps.map(\.1.kind) == [.page, .page, .timeout])
        #expect(steps.last?.1.targets == ["mgr"])
    }

    @Test("a SEV-0 incident stays SEV-0 on timeout")
    func timeoutAtSev0() {
        var d = EscalationDriver(policy: twoLevels(), severity: .sev0)
        let steps = d.run(until: at(600))
        #expect(steps.last?.1.kind == .timeout)
        #expect(steps.last?.1.severity == .sev0)
        #expect(d.incident.severity == .sev0)
    }

    @Test("the timeline shows each page and the timeout as severity_changed + escalated(reason timeout)")
    func timeline() throws {
        var d = EscalationDriver(policy: twoLevels())
        _ = d.run(until: at(600))
        let tl = d.record.timeline
        let paged = tl.filter { $0.kind == "paged" }
        try #require(paged.map(\.at) == [at(0), at(5)])
        #expect(paged.map { $0.detail("level") } == [.number(1), .number(2)])
        #expect(paged.map { $0.detail("who") } == [.text("alice"), .text("bob")])
        #expect(paged[0].detail("next_due_at") == .text(at(5).rfc3339))
        #expect(paged.allSatisfy { $0.actor == "escalation" && $0.detail("policy") == .text("payments") })
        let sev = try #require(tl.first { $0.kind == "severity_changed" })
        #expect(sev.detail("from") == .text("SEV-3") && sev.detail("to") == .text("SEV-2"))
        #expect(sev.detail("reason") == .text("escalation timeout"))
        let esc = try #require(tl.first { $0.kind == "escalated" })
        #expect(esc.at == at(15))
        // Rendered as a JSON object, keys must be unique, and `reason` is `timeout` (admin-protocol.md).
        #expect(Set(esc.details.map(\.0)).count == esc.details.count, "duplicate keys: \(esc.details.map(\.0))")
        #expect(esc.detail("reason") == .text("timeout"))
        #expect(esc.detail("detail") == .text("policy payments exhausted without acknowledgement"))
        #expect(esc.detail("who") == .text("mgr"))
    }

    // MARK: - Acknowledgements

    @Test("acknowledging stops escalation: nothing further is pending")
    func acknowledgeStops() throws {
        var d = EscalationDriver(policy: twoLevels(repeats: 3))
        try d.fire()
        d.acknowledge(at: at(2))
        #expect(d.incident.status == .acknowledged)
        #expect(d.pending() == nil)
        #expect(d.run(until: at(24 * 60)).isEmpty)
    }

    @Test("ackTimeout re-pages the current level at last ack + timeout; escalation resumes; a new ack stops it again")
    func ackTimeout() throws {
        var d = EscalationDriver(policy: twoLevels(ackTimeout: .seconds(1800)), responseTarget: .seconds(600))
        try d.fire()
        d.acknowledge(at: at(2))
        #expect(d.pending() == PendingStep(number: 2, due: at(32), kind: .ackTimeout))
        #expect(d.run(until: at(31)).isEmpty)

        let (_, retrigger) = try d.fire()
        #expect(retrigger.kind == .ackTimeout)
        #expect(retrigger.level == 1 && retrigger.targets == ["alice"] && retrigger.nextDueAt == at(37))
        #expect(retrigger.reason == "acknowledgement timed out after 30m: paging level 1 again")
        #expect(d.incident.status == .triggered)
        #expect(d.incident.escalation.retriggeredAt == at(32))
        #expect(d.incident.acknowledgedAt == at(2))

        // Escalation continues from level 1; the response target (10 min) no longer applies.
        #expect(d.pending() == PendingStep(number: 3, due: at(37), kind: .page))
        let (_, page) = try d.fire()
        #expect(page.level == 2 && page.targets == ["bob"])

        d.acknowledge(at: at(40))
        #expect(d.incident.status == .acknowledged)
        #expect(d.incident.escalation.lastAcknowledgedAt == at(40))
        #expect(d.pending() == PendingStep(number: 4, due: at(70), kind: .ackTimeout))
        let (_, again) = try d.fire()
        #expect(again.level == 2 && again.targets == ["bob"] && again.nextDueAt == at(80))
        #expect(d.incident.escalation.retriggeredAt == at(70))
    }

    @Test("an acknowledged incident without ackTimeout has nothing pending")
    func acknowledgedWithoutAckTimeout() throws {
        var d = EscalationDriver(policy: twoLevels())
        try d.fire()
        d.acknowledge(at: at(1))
        #expect(d.pending() == nil)
    }

    // MARK: - Severity response target

    @Test("the response target fires a timeout before the policy's next step; paging continues on the policy's clock")
    func responseTargetFirst() throws {
        var d = EscalationDriver(policy: twoLevels(repeats: 1), responseTarget: .seconds(7 * 60))
        let steps = d.run(until: at(24 * 60))
        try #require(steps.map(\.0.due) == [at(0), at(5), at(7), at(15), at(20)])
        #expect(steps.map(\.1.kind) == [.page, .page, .timeout, .page, .page])
        let timeout = steps[2].1
        #expect(timeout.nextDueAt == at(15))
        #expect(timeout.targets == ["mgr"] && timeout.severity == .sev2)
        #expect(timeout.reason == "SEV-3 response target missed: unacknowledged 7m after opening")
        #expect(steps[3].1.level == 1 && steps[3].1.pass == 1)
        // Only once: the exhausted policy does not time out a second time.
        #expect(d.pending() == nil)
        #expect(d.incident.severity == .sev2)
        #expect(d.incident.escalationCount == 1)
    }

    @Test("a response target missed during the last level is not reported as the policy running out")
    func responseTargetDuringLastLevel() throws {
        var d = EscalationDriver(policy: twoLevels(), responseTarget: .seconds(7 * 60))
        let steps = d.run(until: at(24 * 60))
        #expect(steps.map(\.0.due) == [at(0), at(5), at(7)])
        let timeout = try #require(steps.last?.1)
        #expect(timeout.kind == .timeout)
        #expect(timeout.reason.contains("response target missed"), "\(timeout.reason)")
        #expect(timeout.nextDueAt == nil)  // nothing follows a timeout once the policy has no more levels
        #expect(d.pending() == nil)
    }

    @Test("a response target equal to the next page's due time does not pre-empt it")
    func responseTargetTie() {
        var d = EscalationDriver(policy: twoLevels(), responseTarget: .seconds(5 * 60))
        let steps = d.run(until: at(24 * 60))
        #expect(steps.map(\.1.kind) == [.page, .page, .timeout])
        #expect(steps.map(\.0.due) == [at(0), at(5), at(5)])
    }

    @Test("an incident ever acknowledged has no response-target deadline, even when triggered again")
    func noDeadlineAfterAck() throws {
        let policy = EscalationPolicy(name: "slow", levels: [level(30, .person("alice")), level(30, .person("bob"))],
                                      ackTimeout: .seconds(120))
        var d = EscalationDriver(policy: policy, responseTarget: .seconds(600))
        try d.fire()
        d.acknowledge(at: at(1))
        try d.fire()  // ack timeout at 3 min: triggered again
        #expect(d.incident.status == .triggered)
        #expect(d.pending() == PendingStep(number: 3, due: at(33), kind: .page))
    }

    @Test("no policy: only the severity deadline, a timeout with no targets, then nothing")
    func noPolicy() throws {
        var d = EscalationDriver(policy: nil, responseTarget: .seconds(900))
        #expect(d.pending() == PendingStep(number: 1, due: at(15), kind: .timeout))
        let (_, s) = try d.fire()
        #expect(s.policy == "" && s.targets.isEmpty && s.level == 0 && s.nextDueAt == nil)
        #expect(s.severity == .sev2)
        #expect(s.reason == "SEV-3 response target missed: unacknowledged 15m after opening")
        #expect(d.pending() == nil)
        #expect(d.incident.severity == .sev2)
    }

    // MARK: - Targets

    @Test("schedule targets resolve at the step's due time: a handoff between steps pages someone else")
    func scheduleHandoff() {
        let policy = EscalationPolicy(name: "p", levels: [level(10, .schedule("primary"))], repeats: 2)
        var d = EscalationDriver(policy: policy, onCall: { s, t in
            guard s == "primary" else { return nil }
            return t < at(8) ? "dave" : "erin"
        })
        let steps = d.run(until: at(25))
        #expect(steps.map(\.1.targets) == [["dave"], ["erin"], ["erin"]])
    }

    @Test("targets are de-duplicated; a level with nobody on call says so")
    func targetsDedupAndGap() throws {
        let policy = EscalationPolicy(
            name: "p", levels: [level(5, .person("dave"), .schedule("primary"), .person("dave")), level(5, .schedule("empty"))])
        var d = EscalationDriver(policy: policy, onCall: { s, _ in s == "primary" ? "dave" : nil })
        let (_, first) = try d.fire()
        #expect(first.targets == ["dave"])
        let (_, second) = try d.fire()
        #expect(second.targets.isEmpty)
        #expect(second.reason.hasSuffix("; nobody on call"))
    }

    // MARK: - Events and the fold

    @Test("a step's event is byte-identical when two nodes build it")
    func deterministicEvent() throws {
        var a = EscalationDriver(policy: threeLevels, onCall: { _, _ in "pat" })
        _ = a.run(until: at(5))
        let b = a  // a second node holding the same record
        let pa = try #require(a.pending())
        let pb = try #require(b.pending())
        let ea = a.event(pa)
        let eb = b.event(pb)
        #expect(ea == eb)
        var wa = ByteWriter(capacity: 0)
        var wb = ByteWriter(capacity: 0)
        ea.encode(into: &wa, omittingIncident: false)
        eb.encode(into: &wb, omittingIncident: false)
        #expect(wa.bytes == wb.bytes && !wa.bytes.isEmpty)
        #expect(ea.id == a.step(pa).eventID(due: pa.due))
        #expect(ea.id.seq >> 32 == UInt64(pa.number), "the step number is readable in the id")
        #expect(ea.hlc == HLCTimestamp(wallMillis: UInt64(pa.due.unixMillis), logical: 0))
        #expect(ea.actor == "escalation")
        // Both apply it: same digest.
        var ra = a.record
        var rb = b.record
        ra.apply(ea)
        rb.apply(eb)
        #expect(ra.digest == rb.digest)
    }

    @Test("a step due in the opening's millisecond is ordered just after the opening")
    func orderedAfterOpening() throws {
        var d = EscalationDriver(policy: twoLevels())
        var opening = Fixture.opening()
        opening.hlc = HLCTimestamp(wallMillis: UInt64(t0.unixMillis), logical: 5)
        d.record = IncidentRecord(opening: opening)
        let p = try #require(d.pending())
        #expect(p.due == t0)
        let e = d.event(p)
        #expect(e.hlc == HLCTimestamp(wallMillis: UInt64(t0.unixMillis), logical: 6))
        #expect(e.orderKey > opening.orderKey)
        let applied = d.record.apply(e)
        #expect(applied)
        #expect(d.record.events.map(\.id) == [opening.id, e.id])
        #expect(d.incident.escalation.lastStep == 1)
    }

    @Test("applying the same step event twice changes nothing")
    func idempotentApply() throws {
        var d = EscalationDriver(policy: twoLevels())
        _ = d.run(until: at(5))
        let p = try #require(d.pending())
        let e = d.event(p)
        let first = d.record.apply(e)
        #expect(first)
        let digest = d.record.digest
        let state = d.incident
        let second = d.record.apply(e)
        #expect(!second)
        #expect(d.record.digest == digest)
        #expect(d.incident == state)
        #expect(d.record.ordinaryEventCount == 4)
    }

    @Test("two owners' different steps with one number are both kept and folded in event order")
    func differentStepsWithOneNumber() throws {
        var d = EscalationDriver(policy: twoLevels())
        _ = d.run(until: at(5))  // steps 1, 2
        // A racing owner decided step 2 differently (later, from another view), and a stale step 1 arrives.
        let rival = EscalationStep(
            number: 2, kind: .timeout, level: 0, pass: 0, policy: "payments", targets: ["x"], channel: "log", severity: .sev0,
            nextDueAt: nil, reason: "rival")
        let rivalEvent = rival.event(incident: Fixture.id, due: at(6), opened: d.record.openingEvent.hlc)
        let keptRival = d.record.apply(rivalEvent)
        #expect(keptRival, "a different decision has a different id: kept")
        let stale = EscalationStep(
            number: 1, kind: .page, level: 2, pass: 3, policy: "payments", targets: ["y"], channel: "log", severity: nil,
            nextDueAt: at(99), reason: "stale")
        let keptStale = d.record.apply(stale.event(incident: Fixture.id, due: at(7), opened: d.record.openingEvent.hlc))
        #expect(keptStale)
        let again = d.record.apply(rivalEvent)
        #expect(!again, "the same decision again is held once")
        #expect(d.incident.escalation.lastStep == 2, "numbering continues after the highest")
        #expect(d.incident.escalation.timedOut)
        #expect(d.incident.severity == .sev0)
        #expect(d.incident.escalation.level == 2 && d.incident.escalation.pass == 3, "the later step folds last")
        #expect(d.pending() == nil, "passes exhausted and timed out: nothing more")
        // The fold is the same in any arrival order.
        var other = IncidentRecord(opening: d.record.openingEvent)
        for e in d.record.events.dropFirst().reversed() { other.apply(e) }
        #expect(other.incident == d.incident && other.digest == d.record.digest)
    }

    @Test("a reopened incident is paged again from level 1, with a fresh response deadline; numbers continue")
    func reopenedStartsOver() throws {
        var d = EscalationDriver(policy: twoLevels(), responseTarget: .seconds(30 * 60))
        _ = d.run(until: at(5))  // steps 1 and 2
        d.acknowledge(at: at(6))
        d.apply(.resolved(description: "fixed"), at: at(7))
        #expect(d.pending() == nil)
        d.apply(.reopened(reason: "it came back"), at: at(20))
        #expect(d.incident.status == .reopened)
        #expect(d.pending() == PendingStep(number: 3, due: at(20) + .milliseconds(1), kind: .page))
        let steps = d.run(until: at(60))
        let kinds: [EscalationStep.Kind] = steps.map(\.1.kind)
        let levels: [UInt16] = steps.map(\.1.level)
        #expect(kinds == [.page, .page, .timeout])
        #expect(levels == [1, 2, 0])
        #expect(steps.map(\.0.due) == [at(20), at(25), at(35)].map { $0 + .milliseconds(1) })
        #expect(steps[2].1.reason.contains("after reopening") || steps[2].1.reason.contains("exhausted"))
        // An acknowledgement after the reopening stops it again.
        var e = EscalationDriver(policy: twoLevels(), responseTarget: .seconds(30 * 60))
        _ = e.run(until: at(0))
        e.apply(.resolved(description: "fixed"), at: at(1))
        e.apply(.reopened(reason: "again"), at: at(2))
        _ = e.run(until: at(2))
        e.acknowledge(at: at(3))
        #expect(e.incident.status == .acknowledged)
        #expect(e.pending() == nil)
    }

    @Test("a service with announce channels gets its initial notification first, once per incident, even after a reopening")
    func announcedOnce() throws {
        var d = EscalationDriver(policy: twoLevels())
        let channels = ["chat", "email"]
        func pending() -> PendingStep? { EscalationPlanner.pending(d.view, policy: d.policy, responseTarget: d.responseTarget, announce: channels) }
        #expect(pending() == PendingStep(number: 1, due: t0, kind: .announce))
        let step = EscalationPlanner.step(pending()!, view: d.view, policy: d.policy, channel: "log", announce: channels) { _, _ in nil }
        #expect(step.kind == .announce && step.targets == channels && step.channel == "chat")
        let applied = d.record.apply(step.event(incident: Fixture.id, due: t0, opened: d.record.openingEvent.hlc))
        #expect(applied && d.incident.escalation.announced)
        #expect(pending() == PendingStep(number: 2, due: t0, kind: .page), "then level 1")
        #expect(timelineKinds(d.record).contains("announced"))
        d.apply(.resolved(description: "fixed"), at: at(1))
        #expect(pending() == PendingStep(number: 2, due: at(1) + .milliseconds(1), kind: .resolution), "the resolution is announced")
        let notice = EscalationPlanner.step(pending()!, view: d.view, policy: d.policy, channel: "log", announce: channels) { _, _ in nil }
        _ = d.record.apply(notice.event(incident: Fixture.id, due: at(1) + .milliseconds(1), opened: d.record.openingEvent.hlc))
        #expect(pending() == nil, "once")
        d.apply(.deliveriesSettled(step: 1), at: at(2))
        d.apply(.deliveriesSettled(step: 2), at: at(2))
        #expect(!d.view.isActive, "nothing left to deliver")
        d.apply(.reopened(reason: "again"), at: at(2))
        #expect(pending()?.kind == .page, "a reopening pages again but does not announce again")
    }

    @Test("a step with messages beyond the log stays undelivered (and the incident active) until its deliveries settle")
    func undeliveredUntilSettled() throws {
        var d = EscalationDriver(policy: twoLevels())
        let channels = ["log", "chat"]
        func pending() -> PendingStep? { EscalationPlanner.pending(d.view, policy: d.policy, responseTarget: d.responseTarget, announce: channels) }
        let announce = EscalationPlanner.step(pending()!, view: d.view, policy: d.policy, channel: "log", announce: channels) { _, _ in nil }
        #expect(announce.needsDelivery, "chat is beyond the log")
        _ = d.record.apply(announce.event(incident: Fixture.id, due: t0, opened: d.record.openingEvent.hlc))
        #expect(d.incident.escalation.undelivered == [1])
        // A page whose people are all paged in the node log has nothing to settle.
        var logOnly = d.step(pending()!)
        logOnly.channel = "log"
        #expect(!logOnly.needsDelivery)
        _ = d.record.apply(logOnly.event(incident: Fixture.id, due: t0, opened: d.record.openingEvent.hlc))
        #expect(d.incident.escalation.undelivered == [1])
        d.apply(.notified(channel: "chat", ok: false, detail: "503", key: "k"), at: at(1))
        #expect(d.incident.escalation.undelivered == [1], "an attempt is not a settlement")
        d.apply(.resolved(description: "fixed"), at: at(2))
        d.apply(.closed(reason: "done"), at: at(3))
        #expect(d.view.isActive, "closed, but its announcement is still to be delivered")
        d.apply(.deliveriesSettled(step: 1), at: at(4))
        #expect(d.incident.escalation.undelivered.isEmpty && !d.view.isActive)
        let kinds = timelineKinds(d.record)
        #expect(kinds.contains("notification_failed") && kinds.contains("deliveries_settled"))
        #expect(d.record.timeline.first { $0.kind == "notification_failed" }?.detail("key") == .text("k"))
    }

    @Test("resolved, mitigated and investigating incidents have nothing pending", arguments: [
        IncidentEventBody.statusChanged(.investigating, note: "looking"),
        .workaroundApplied(description: "failover"),
        .resolved(description: "fixed"),
    ])
    func inactiveStatuses(body: IncidentEventBody) throws {
        var d = EscalationDriver(policy: twoLevels(ackTimeout: .seconds(60)), responseTarget: .seconds(60))
        try d.fire()
        d.apply(body, at: at(1))
        #expect(d.incident.status != .triggered && d.incident.status != .acknowledged)
        #expect(!d.view.isActive)
        #expect(d.pending() == nil)
    }
}

private func timelineKinds(_ r: IncidentRecord) -> [String] { r.timeline.map(\.kind) }
