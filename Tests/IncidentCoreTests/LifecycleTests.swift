import Testing

@testable import IncidentCore

@Suite("Lifecycle: legal transitions and what commands decide")
struct LifecycleTests {
    /// The legal one-step transitions, written from SPEC §3 independently of `Lifecycle.transitions`:
    /// triggered → acknowledged → investigating → mitigated → resolved → closed; steps may be skipped
    /// forwards before resolution; a workaround that stops holding goes back to investigating; a
    /// resolved incident reopens (then is worked like a new one) or closes; closed is final.
    static let legal: [IncidentStatus: Set<IncidentStatus>] = [
        .triggered: [.acknowledged, .investigating, .mitigated, .resolved],
        .acknowledged: [.investigating, .mitigated, .resolved],
        .investigating: [.mitigated, .resolved],
        .mitigated: [.investigating, .resolved],
        .resolved: [.reopened, .closed],
        .reopened: [.acknowledged, .investigating, .mitigated, .resolved],
        .closed: [],
    ]

    @Test("allows(from:to:) matches the expected table", arguments: IncidentStatus.allCases, IncidentStatus.allCases)
    func allowsMatchesTable(from: IncidentStatus, to: IncidentStatus) {
        #expect(Lifecycle.allows(from: from, to: to) == Self.legal[from]!.contains(to))
    }

    @Test("check throws conflict naming current, requested and allowed statuses", arguments: IncidentStatus.allCases, IncidentStatus.allCases)
    func checkMessage(from: IncidentStatus, to: IncidentStatus) {
        let error = domainError { try Lifecycle.check(Fixture.id, from: from, to: to) }
        guard !Self.legal[from]!.contains(to) else {
            #expect(error == nil)
            return
        }
        guard case .conflict(let message) = error else {
            Issue.record("expected conflict for \(from) → \(to), got \(String(describing: error))")
            return
        }
        #expect(message.contains("INC-2026-0042-K7Q"))
        #expect(message.contains("is \(from.rawValue)"))
        #expect(message.contains("move to \(to.rawValue)"))
        let marker = "allowed from \(from.rawValue): "
        guard let range = message.firstRange(of: marker) else {
            Issue.record("message lacks '\(marker)': \(message)")
            return
        }
        let rest = String(message[range.upperBound...])
        if Self.legal[from]!.isEmpty {
            #expect(rest.hasPrefix("nothing"))
        } else {
            let named = Set(rest.split(separator: ", ").map { IncidentStatus(rawValue: String($0)) })
            #expect(named == Set(Self.legal[from]!.map { Optional($0) }))
        }
    }

    // MARK: - Through IncidentRecord.decide

    @Test("acknowledging twice is a conflict")
    func acknowledgeTwice() throws {
        var h = Harness()
        #expect(try h.run(.acknowledge) == [.acknowledged])
        #expect(h.status == .acknowledged)
        #expect(h.incident.acknowledgedAt == .minutes(1))
        let error = domainError { try h.run(.acknowledge) }
        guard case .conflict(let m) = error else {
            Issue.record("expected conflict, got \(String(describing: error))")
            return
        }
        #expect(m.contains("already acknowledged"))
    }

    @Test("closing an open incident is a conflict")
    func closeOpenIncident() {
        var h = Harness()
        let error = domainError { try h.run(.close(reason: "", force: true)) }
        guard case .conflict(let m) = error else {
            Issue.record("expected conflict, got \(String(describing: error))")
            return
        }
        #expect(m.contains("triggered") && m.contains("closed"))
        #expect(h.status == .triggered)
    }

    @Test("a resolved SEV-1 needs a review to close, unless forced")
    func majorIncidentCloseNeedsReview() throws {
        var h = Harness(severity: .sev1)
        let resolved = try h.run(.resolve(.permanent, description: "pool resized", verification: .manual))
        #expect(
            resolved == [
                .resolutionVerified(method: "manual", detail: "verified by operator"),
                .resolved(description: "pool resized"), .reviewScheduled(at: h.now + .seconds(2 * 86400)),
            ])
        #expect(h.status == .resolved)
        let error = domainError { try h.run(.close(reason: "done", force: false)) }
        guard case .conflict(let m) = error else {
            Issue.record("expected conflict, got \(String(describing: error))")
            return
        }
        #expect(m.contains("review"))
        #expect(h.status == .resolved)

        #expect(try h.run(.close(reason: "done", force: true)) == [.closed(reason: "done")])
        #expect(h.status == .closed)
        #expect(h.incident.closedAt == h.now)
    }

    @Test("a resolved SEV-1 closes without force once its review is complete")
    func majorIncidentClosesAfterReview() throws {
        var h = Harness(severity: .sev1)
        try h.run(.resolve(.permanent, description: "fixed", verification: .manual))
        let item = ActionItem(description: "add alert", owner: "bob", dueAt: .minutes(10_000))
        let review = try h.run(
            .completeReview(rootCause: "pool too small", summary: "s", actionItems: [item], article: nil))
        #expect(review == [.reviewCompleted(rootCause: "pool too small", summary: "s"), .actionItemAdded(item)])
        #expect(try h.run(.close(reason: "", force: false)) == [.closed(reason: "closed by operator")])
        #expect(h.status == .closed)
    }

    @Test("reopening a resolved incident makes it reopened")
    func reopenFromResolved() throws {
        var h = Harness()
        try h.run(.resolve(.permanent, description: "fixed", verification: .manual))
        #expect(try h.run(.reopen(reason: "")) == [.reopened(reason: "reopened by operator")])
        #expect(h.status == .reopened)
        #expect(h.incident.reopenCount == 1)
        #expect(h.incident.isOpen)
        // A reopened incident can be acknowledged again and resolved again.
        try h.run(.acknowledge)
        #expect(h.status == .acknowledged)
        try h.run(.resolve(.permanent, description: "fixed for real", verification: .manual))
        #expect(h.status == .resolved)
    }

    /// Commands that must be refused on a closed incident.
    static let closedRefusals: [IncidentCommand] = [
        .acknowledge, .assign("bob"), .assignRole(.incidentCommander, "carol"), .openWarRoom,
        .investigate(note: "look"), .postUpdate(message: "update", channels: ["log"]),
        .setSeverity(.sev1, reason: "worse"), .setPriority(.p1, reason: "urgent"),
        .setCategory(.security, reason: "actually"), .escalate(.manual, detail: "help", team: ""),
        .resolve(.workaround, description: "w", verification: .manual),
        .resolve(.permanent, description: "p", verification: .manual), .reopen(reason: "again"),
        .close(reason: "again", force: true),
    ]

    @Test("commands on a closed incident are conflicts", arguments: closedRefusals)
    func commandsOnClosedIncident(command: IncidentCommand) throws {
        var h = Harness()
        try h.run(.resolve(.permanent, description: "fixed", verification: .manual))
        try h.run(.close(reason: "", force: false))
        #expect(h.status == .closed)
        let error = domainError { try h.run(command) }
        #expect(error?.code == "conflict", "\(command) → \(String(describing: error))")
        #expect(h.status == .closed)
    }

    @Test("source acknowledge and resolve on a closed incident do nothing")
    func sourceActionsOnClosedIncident() throws {
        var h = Harness()
        try h.run(.resolve(.permanent, description: "fixed", verification: .manual))
        try h.run(.close(reason: "", force: false))
        #expect(try h.run(.sourceAcknowledge) == [])
        #expect(try h.run(.sourceResolve(autoResolve: true)) == [])
    }

    @Test("a workaround mitigates, a permanent fix then resolves")
    func workaroundThenPermanent() throws {
        var h = Harness()
        let w = try h.run(.resolve(.workaround, description: "failover", verification: .manual))
        #expect(w == [.workaroundApplied(description: "failover"), .resolutionVerified(method: "manual", detail: "verified by operator")])
        #expect(h.status == .mitigated)
        let mitigatedAt = h.now
        #expect(h.incident.mitigatedAt == mitigatedAt)
        #expect(h.incident.resolution?.type == .workaround)

        // a second workaround on a mitigated incident is not a transition
        #expect(domainError { try h.run(.resolve(.workaround, description: "again", verification: .manual)) }?.code == "conflict")

        try h.run(.resolve(.permanent, description: "root cause fixed", verification: .manual))
        #expect(h.status == .resolved)
        #expect(h.incident.resolvedAt == h.now)
        #expect(h.incident.mitigatedAt == mitigatedAt)
        #expect(h.incident.resolution?.type == .permanent)
        #expect(h.incident.resolution?.description == "root cause fixed")
    }

    @Test("a failed verification records resolution_failed and leaves the status alone")
    func failedVerification() throws {
        var h = Harness()
        try h.run(.investigate(note: "looking"))
        let failed = VerificationOutcome(method: "http_probe", passed: false, detail: "HTTP 503")
        let bodies = try h.run(.resolve(.permanent, description: "fixed?", verification: failed))
        #expect(bodies == [.resolutionFailed(method: "http_probe", reason: "HTTP 503")])
        #expect(h.status == .investigating)
        #expect(h.incident.resolvedAt == nil)
        #expect(h.incident.resolution == nil)
        #expect(h.record.timeline.last?.kind == "resolution_failed")
    }

    @Test("setting SEV-1 opens a war room and raises the priority")
    func setSeverityMajor() throws {
        var h = Harness(severity: .sev4, impact: 0, urgency: 2)
        #expect(h.incident.priority == .p5)
        let bodies = try h.run(.setSeverity(.sev1, reason: "customers complain"))
        #expect(
            bodies == [
                .severityChanged(.sev1, reason: "customers complain"), .priorityChanged(.p2, reason: "severity SEV-1"),
                .warRoomOpened(link: "https://chat.example.com/incident/inc-2026-0042-k7q"),
            ])
        #expect(h.incident.severity == .sev1)
        #expect(h.incident.priority == .p2)
        #expect(h.incident.warRoom == "https://chat.example.com/incident/inc-2026-0042-k7q")
        let change = h.record.timeline.first { $0.kind == "severity_changed" }
        #expect(change?.details.map(\.0) == ["from", "to", "reason"])
        #expect(change?.details.map(\.1) == [.text("SEV-4"), .text("SEV-1"), .text("customers complain")])

        // a second major severity does not open a second war room
        let again = try h.run(.setSeverity(.sev0, reason: "all down"))
        #expect(!again.contains { if case .warRoomOpened = $0 { true } else { false } })
    }

    @Test("setting the current severity yields no events")
    func setSameSeverity() throws {
        var h = Harness(severity: .sev2)
        let before = h.record.events.count
        #expect(try h.run(.setSeverity(.sev2, reason: "same")) == [])
        #expect(h.record.events.count == before)
    }

    @Test("an escalation timeout raises the severity one step")
    func escalateTimeout() throws {
        var h = Harness(severity: .sev3, impact: 2, urgency: 3)
        let bodies = try h.run(.escalate(.timeout, detail: "no ack", team: ""))
        // impact 2 / urgency 3 are low × low (P5); the SEV-2 floor makes it P3
        #expect(
            bodies == [
                .escalated(.timeout, detail: "no ack", team: ""), .severityChanged(.sev2, reason: "escalation timeout"),
                .priorityChanged(.p3, reason: "severity SEV-2"),
            ])
        #expect(h.incident.severity == .sev2)
        #expect(h.incident.escalationCount == 1)
    }

    @Test("an escalation timeout at SEV-0 only records the escalation")
    func escalateTimeoutAtSev0() throws {
        var h = Harness(severity: .sev0, impact: 9, urgency: 9)
        #expect(try h.run(.escalate(.timeout, detail: "no ack", team: "")) == [.escalated(.timeout, detail: "no ack", team: "")])
        #expect(h.incident.severity == .sev0)
    }

    @Test("a complexity escalation reassigns to the specialist team")
    func escalateComplexity() throws {
        var h = Harness()
        try h.run(.assign("alice"))
        try h.run(.escalate(.complexity, detail: "needs DBAs", team: "dba-team"))
        #expect(h.incident.assignee == "dba-team")
        #expect(h.incident.severity == .sev3)
    }

    @Test("escalating a resolved incident is a conflict")
    func escalateResolved() throws {
        var h = Harness()
        try h.run(.resolve(.permanent, description: "fixed", verification: .manual))
        let error = domainError { try h.run(.escalate(.manual, detail: "x", team: "")) }
        guard case .conflict(let m) = error else {
            Issue.record("expected conflict, got \(String(describing: error))")
            return
        }
        #expect(m.contains("resolved"))
    }

    @Test("investigate is idempotent; empty notes are bad requests")
    func investigateAndNotes() throws {
        var h = Harness()
        #expect(try h.run(.investigate(note: "n")) == [.statusChanged(.investigating, note: "n")])
        #expect(try h.run(.investigate(note: "n")) == [])
        #expect(domainError { try h.run(.note("   ")) }?.code == "bad_request")
        #expect(domainError { try h.run(.assign("")) }?.code == "bad_request")
    }

    @Test("a status update records the update and each delivery")
    func postUpdate() throws {
        var h = Harness()
        let deliveries = [Delivery(channel: "slack", ok: true, detail: "200"), Delivery(channel: "email", ok: false, detail: "relay down")]
        let posted = try h.run(.postUpdate(message: "working on it", channels: ["slack", "email"]))
        let postedAt = h.now
        let bodies = posted + (try h.run(.recordDeliveries(deliveries)))
        #expect(bodies.count == 3)
        #expect(h.incident.lastStatusUpdateAt == postedAt)
        #expect(h.record.timeline.suffix(3).map(\.kind) == ["status_update", "notified", "notification_failed"])
    }

    @Test("the source resolving the alert resolves the incident when the service auto-resolves")
    func sourceResolve() throws {
        var h = Harness()
        #expect(try h.run(.sourceResolve(autoResolve: false)) == [.alertResolved])
        #expect(h.status == .triggered)
        #expect(try h.run(.sourceResolve(autoResolve: true)) == [.resolved(description: "resolved by prometheus")])
        #expect(h.status == .resolved)
    }

    @Test("a major incident resolved by its source gets a post-incident review scheduled")
    func sourceResolveOfMajorIncidentSchedulesReview() throws {
        // Reviews are mandatory for SEV-0/1 (SPEC §3); an operator's resolve schedules one, and so
        // should a resolve that comes from the alert source.
        var h = Harness(severity: .sev1)
        let bodies = try h.run(.sourceResolve(autoResolve: true))
        #expect(h.status == .resolved)
        #expect(bodies.contains(.reviewScheduled(at: h.now + h.policy.reviewDelay)))
    }
}
