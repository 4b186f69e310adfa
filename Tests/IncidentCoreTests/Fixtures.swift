import Testing

@testable import IncidentCore

/// Shared builders for the IncidentCore tests: one incident opened at a fixed instant, an event
/// maker with its own clock, and a harness that decides commands and folds their events.
enum Fixture {
    static let node = NodeID("node1")
    static let id = IncidentID(year: 2026, counter: 42, tag: "K7Q")
    /// 2026-03-02T09:00:00Z.
    static let t0 = Timestamp(unixSeconds: 1_772_442_000)

    /// A triage whose priority follows the matrix with the severity floor.
    static func triage(
        severity: Severity = .sev3, impact: Int = 2, urgency: Int = 3, category: Category = .database,
        explicit: Bool = false
    ) -> Triage {
        Triage(
            category: category, categorySource: .keywords, impact: impact, urgency: urgency, severity: severity,
            severityExplicit: explicit,
            priority: PriorityMatrix.priority(impactScore: impact, urgencyScore: urgency, severity: severity))
    }

    /// The `opened` event of `Fixture.id`, created on `node` with sequence 1.
    static func opening(triage: Triage = triage(), at: Timestamp = t0, source: String = "prometheus") -> IncidentEvent {
        let alert = Alert(
            title: "Connection pool exhausted", source: source, service: "payment-service",
            labels: ["env": "prod"], affectedUsersPct: 12.5, affectedServices: ["checkout"])
        let opening = IncidentOpening(alert: alert, triage: triage, receivedAt: at)
        return IncidentEvent(
            id: EventID(origin: node, seq: 1), hlc: HLCTimestamp(wallMillis: UInt64(at.unixMillis), logical: 0),
            incident: id, actor: "integration:\(source)", body: .opened(opening))
    }
}

/// Makes events the way one node does: increasing sequence numbers and HLC readings.
struct EventMaker {
    let node: NodeID
    var seq: UInt64
    var clock: HybridLogicalClock

    init(node: NodeID, startSeq: UInt64 = 0, after last: HLCTimestamp = HLCTimestamp(raw: 0)) {
        self.node = node
        self.seq = startSeq
        self.clock = HybridLogicalClock(last: last)
    }

    mutating func event(_ body: IncidentEventBody, at: Timestamp, actor: String = "alice") -> IncidentEvent {
        seq += 1
        return IncidentEvent(
            id: EventID(origin: node, seq: seq), hlc: clock.tick(now: at), incident: Fixture.id, actor: actor,
            body: body)
    }
}

/// One incident driven through `decide` → events → `apply`, one minute per command by default.
struct Harness {
    var record: IncidentRecord
    var maker: EventMaker
    var now: Timestamp
    let policy: IncidentPolicy

    init(severity: Severity = .sev3, impact: Int = 2, urgency: Int = 3, policy: IncidentPolicy = IncidentPolicy()) {
        let opening = Fixture.opening(triage: Fixture.triage(severity: severity, impact: impact, urgency: urgency))
        record = IncidentRecord(opening: opening)
        maker = EventMaker(node: Fixture.node, startSeq: 1, after: opening.hlc)
        now = Fixture.t0
        self.policy = policy
    }

    var incident: Incident { record.incident }
    var status: IncidentStatus { record.incident.status }

    /// Decides `command` `after` the previous one and applies the resulting events.
    @discardableResult
    mutating func run(_ command: IncidentCommand, after: Duration = .seconds(60)) throws(DomainError)
        -> [IncidentEventBody]
    {
        now = now + after
        let bodies = try record.decide(command, policy: policy, now: now)
        for body in bodies { record.apply(maker.event(body, at: now)) }
        return bodies
    }

    /// Applies events directly (e.g. the bodies of a `TriggerDecision`).
    mutating func apply(_ bodies: [IncidentEventBody], after: Duration = .seconds(60)) {
        now = now + after
        for body in bodies { record.apply(maker.event(body, at: now)) }
    }
}

/// The `DomainError` a throwing body raised, or nil when it did not throw.
func domainError(_ body: () throws -> Void) -> DomainError? {
    do {
        try body()
    } catch let error as DomainError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
    }
    return nil
}

extension Timestamp {
    /// `t0` plus whole minutes, for readable test tables.
    static func minutes(_ m: Int64, after base: Timestamp = Fixture.t0) -> Timestamp {
        base + .seconds(m * 60)
    }
}
