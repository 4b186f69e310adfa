import Testing

@testable import IncidentCore

@Suite("Metrics: MTTA, MTTM, MTTR, volume, reopen rate, SLA compliance")
struct MetricsTests {
    /// 2026-01-05T00:00:00Z.
    static let base = Timestamp(unixSeconds: 1_767_571_200)
    /// Metrics are computed three days later.
    static let now = base + .seconds(3 * 86_400)

    static func at(hours h: Int64, from t: Timestamp = base) -> Timestamp { t + .seconds(h * 3600) }

    /// A summary whose ack/mitigate/resolve times are minutes after `created`.
    static func summary(
        _ n: UInt64, _ severity: Severity, _ status: IncidentStatus, created: Timestamp, ack: Int64? = nil,
        mitigated: Int64? = nil, resolved: Int64? = nil, reopenCount: Int = 0, category: Category = .database
    ) -> IncidentSummary {
        func plus(_ m: Int64?) -> Timestamp? { m.map { created + .seconds($0 * 60) } }
        return IncidentSummary(
            id: IncidentID(year: 2026, counter: n, tag: "K7Q"), title: "incident \(n)", status: status,
            severity: severity, priority: .p3, category: category, service: "svc", dedupKey: "k\(n)", alertCount: 1,
            origin: NodeID("node1"), createdAt: created, acknowledgedAt: plus(ack), mitigatedAt: plus(mitigated),
            resolvedAt: plus(resolved), closedAt: status == .closed ? plus(resolved.map { $0 + 5 }) : nil,
            reopenCount: reopenCount, lastSeenAt: created, hasCommander: false, lastStatusUpdateAt: nil,
            reviewCompletedAt: nil, actionItemCount: 0, hasKnowledgeArticle: false, assignee: nil)
    }

    // Targets (defaults): SEV-0 ack 15m / resolve 1h; SEV-1 30m / 4h; SEV-2 2h / 24h; SEV-3 8h / 5d;
    // SEV-4 24h / none.
    static let incidents: [IncidentSummary] = [
        // A  SEV-0 ack 10m, mitigated 30m, resolved 50m → met
        summary(1, .sev0, .closed, created: base, ack: 10, mitigated: 30, resolved: 50, category: .infrastructure),
        // B  SEV-0 ack 20m (> 15m) → breached
        summary(2, .sev0, .resolved, created: at(hours: 1), ack: 20, mitigated: 40, resolved: 70),
        // C  SEV-1 ack 5m, resolved 2h, reopened once → met
        summary(3, .sev1, .resolved, created: at(hours: 2), ack: 5, mitigated: 60, resolved: 120, reopenCount: 1),
        // D  SEV-1 ack 25m, still investigating 3 days later (> 4h) → breached
        summary(4, .sev1, .investigating, created: at(hours: 3), ack: 25),
        // E  SEV-2 never acknowledged, resolved at 90m (counts as the response, < 2h) → met
        summary(5, .sev2, .resolved, created: at(hours: 4), mitigated: 90, resolved: 90),
        // F  SEV-3 created 1h before now, ack 30m, within both targets → pending
        summary(6, .sev3, .acknowledged, created: now - .seconds(3600), ack: 30),
        // G  SEV-4 ack 2h, no resolve target → met
        summary(7, .sev4, .acknowledged, created: at(hours: 5), ack: 120),
        // H  SEV-4 created 2h before now, not acknowledged (ack target 24h) → pending
        summary(8, .sev4, .triggered, created: now - .seconds(2 * 3600)),
        // I  SEV-2 created 3h before now, not acknowledged (ack target 2h) → breached
        summary(9, .sev2, .triggered, created: now - .seconds(3 * 3600)),
    ]

    /// Outside the window used below: created a day before `base`, and exactly at `now` (exclusive).
    static let outside: [IncidentSummary] = [
        summary(10, .sev1, .resolved, created: base - .seconds(86_400), ack: 1, mitigated: 10, resolved: 10),
        summary(11, .sev0, .triggered, created: now),
    ]

    static func compute(_ list: [IncidentSummary], since: Timestamp? = base, until: Timestamp? = now) -> IncidentMetrics {
        IncidentMetrics.compute(list, since: since, until: until, policy: IncidentPolicy(), now: now)
    }

    @Test("overall figures")
    func overall() {
        let f = Self.compute(Self.incidents + Self.outside).overall
        #expect(f.volume == 9)
        // MTTA over A B C D F G: (600 + 1200 + 300 + 1500 + 1800 + 7200) / 6 = 12600 / 6
        #expect(f.mttaSeconds == 2100)
        // MTTM over A B C E: (1800 + 2400 + 3600 + 5400) / 4 = 13200 / 4
        #expect(f.mttmSeconds == 3300)
        // MTTR over A B C E: (3000 + 4200 + 7200 + 5400) / 4 = 19800 / 4
        #expect(f.mttrSeconds == 4950)
        // C reopened: 1 / 9
        #expect(f.reopenRate == 1.0 / 9.0)
        // met A C E G; breached B D I; pending F H → 4 / 7
        #expect(f.slaEvaluated == 7)
        #expect(f.slaBreached == 3)
        #expect(f.slaCompliance == 4.0 / 7.0)
        // open: D F G H I
        #expect(f.open == 5)
    }

    @Test("figures per severity")
    func perSeverity() throws {
        let m = Self.compute(Self.incidents)
        let s0 = try #require(m.bySeverity[.sev0])
        #expect(s0.volume == 2)
        #expect(s0.mttaSeconds == 900)  // (600 + 1200) / 2
        #expect(s0.mttmSeconds == 2100)  // (1800 + 2400) / 2
        #expect(s0.mttrSeconds == 3600)  // (3000 + 4200) / 2
        #expect(s0.reopenRate == 0)
        #expect((s0.slaEvaluated, s0.slaBreached, s0.slaCompliance) == (2, 1, 0.5))

        let s1 = try #require(m.bySeverity[.sev1])
        #expect(s1.volume == 2)
        #expect(s1.mttaSeconds == 900)  // (300 + 1500) / 2
        #expect(s1.mttmSeconds == 3600)  // C only
        #expect(s1.mttrSeconds == 7200)  // C only
        #expect(s1.reopenRate == 0.5)
        #expect((s1.slaEvaluated, s1.slaBreached, s1.slaCompliance) == (2, 1, 0.5))
        #expect(s1.open == 1)

        let s2 = try #require(m.bySeverity[.sev2])
        #expect(s2.mttaSeconds == nil)  // neither E nor I acknowledged
        #expect(s2.mttmSeconds == 5400)
        #expect(s2.mttrSeconds == 5400)
        #expect((s2.slaEvaluated, s2.slaBreached, s2.slaCompliance) == (2, 1, 0.5))

        let s3 = try #require(m.bySeverity[.sev3])
        #expect(s3.volume == 1)
        #expect(s3.mttaSeconds == 1800)
        #expect(s3.mttrSeconds == nil)
        #expect(s3.slaEvaluated == 0)
        #expect(s3.slaCompliance == nil)  // F is pending

        let s4 = try #require(m.bySeverity[.sev4])
        #expect(s4.volume == 2)
        #expect(s4.mttaSeconds == 7200)
        #expect((s4.slaEvaluated, s4.slaBreached, s4.slaCompliance) == (1, 0, 1.0))  // G met, H pending
    }

    @Test("counts per status and category")
    func countsByStatusAndCategory() {
        let m = Self.compute(Self.incidents)
        #expect(m.byStatus == [.closed: 1, .resolved: 3, .investigating: 1, .acknowledged: 2, .triggered: 2])
        #expect(m.byCategory == [.infrastructure: 1, .database: 8])
    }

    @Test("since is inclusive and until exclusive")
    func windowFiltering() {
        // [base + 2h, base + 4h) holds C (2h) and D (3h), not E (4h)
        let m = Self.compute(Self.incidents, since: Self.at(hours: 2), until: Self.at(hours: 4))
        #expect(m.overall.volume == 2)
        #expect(m.overall.mttaSeconds == 900)
        #expect(m.bySeverity[.sev1]?.volume == 2)
        #expect(m.bySeverity[.sev0]?.volume == 0)
        #expect(m.bySeverity[.sev0]?.mttaSeconds == nil)
        #expect(m.bySeverity[.sev0]?.reopenRate == nil)
        // no bounds: everything
        #expect(Self.compute(Self.incidents + Self.outside, since: nil, until: nil).overall.volume == 11)
    }

    // MARK: - SLA outcome of single incidents

    static func outcome(_ s: IncidentSummary, now: Timestamp) -> IncidentMetrics.SLAOutcome {
        IncidentMetrics.slaOutcome(s, policy: IncidentPolicy(), now: now)
    }

    @Test("acknowledging exactly at the target meets it; one minute later breaches")
    func ackBoundary() {
        let onTime = Self.summary(1, .sev1, .resolved, created: Self.base, ack: 30, resolved: 60)
        #expect(Self.outcome(onTime, now: Self.now) == .met)
        let late = Self.summary(2, .sev1, .resolved, created: Self.base, ack: 31, resolved: 60)
        #expect(Self.outcome(late, now: Self.now) == .breached)
    }

    @Test("resolving exactly at the target meets it; later breaches")
    func resolveBoundary() {
        let onTime = Self.summary(1, .sev0, .resolved, created: Self.base, ack: 1, resolved: 60)
        #expect(Self.outcome(onTime, now: Self.now) == .met)
        let late = Self.summary(2, .sev0, .resolved, created: Self.base, ack: 1, resolved: 61)
        #expect(Self.outcome(late, now: Self.now) == .breached)
    }

    @Test("an open incident is pending within its targets and breached past either")
    func openIncident() {
        let s = Self.summary(1, .sev1, .acknowledged, created: Self.base, ack: 10)
        #expect(Self.outcome(s, now: Self.base + .seconds(3 * 3600)) == .pending)  // 3h < 4h
        #expect(Self.outcome(s, now: Self.base + .seconds(4 * 3600 + 1)) == .breached)
        let unacked = Self.summary(2, .sev1, .triggered, created: Self.base)
        #expect(Self.outcome(unacked, now: Self.base + .seconds(29 * 60)) == .pending)
        #expect(Self.outcome(unacked, now: Self.base + .seconds(31 * 60)) == .breached)
    }

    @Test("SEV-4 has no resolve target: met once acknowledged in time")
    func sev4WithoutResolveTarget() {
        let acked = Self.summary(1, .sev4, .acknowledged, created: Self.base, ack: 600)
        #expect(Self.outcome(acked, now: Self.base + .seconds(30 * 86_400)) == .met)
        let waiting = Self.summary(2, .sev4, .triggered, created: Self.base)
        #expect(Self.outcome(waiting, now: Self.base + .seconds(23 * 3600)) == .pending)
        #expect(Self.outcome(waiting, now: Self.base + .seconds(25 * 3600)) == .breached)
    }

    @Test("a reopened incident still open past its resolve target is breached, and not counted as resolved")
    func reopenedIncidentIsOpen() {
        // SEV-1 resolved within 1h, then reopened and still open 5h after creation (target 4h).
        let s = Self.summary(1, .sev1, .reopened, created: Self.base, ack: 5, mitigated: 60, resolved: 60, reopenCount: 1)
        let later = Self.base + .seconds(5 * 3600)
        #expect(Self.outcome(s, now: later) == .breached)
        let f = IncidentMetrics.figures([s], policy: IncidentPolicy(), now: later)
        #expect(f.open == 1)
        #expect(f.mttrSeconds == nil)
    }

    @Test("metrics of no incidents have no means")
    func empty() {
        let f = Self.compute([]).overall
        #expect(f.volume == 0)
        #expect(f.mttaSeconds == nil && f.mttmSeconds == nil && f.mttrSeconds == nil)
        #expect(f.reopenRate == nil && f.slaCompliance == nil)
    }

    @Test("summary of a folded incident carries its times")
    func summaryFromIncident() throws {
        var h = Harness(severity: .sev2)
        try h.run(.acknowledge)
        try h.run(.assignRole(.incidentCommander, "carol"))
        try h.run(.resolve(.permanent, description: "fix", verification: .manual))
        let s = h.incident.summary
        #expect(s.createdAt == Fixture.t0)
        #expect(s.acknowledgedAt == .minutes(1))
        #expect(s.resolvedAt == .minutes(3))
        #expect(s.mitigatedAt == .minutes(3))
        #expect(s.hasCommander)
        #expect(s.status == .resolved)
        #expect(Self.outcome(s, now: .minutes(10)) == .met)
    }
}
