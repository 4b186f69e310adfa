import Testing

@testable import IncidentCore

/// One incident (`Fixture.id`, opened at `Fixture.t0`) driven through escalation with an injected
/// clock, the way the supervisor and the incident actor do it: compute `pending`, build the step
/// with `step(...)`, make its deterministic event and apply it to the record, recompute.
struct EscalationDriver {
    var record: IncidentRecord
    var policy: EscalationPolicy?
    var responseTarget: Duration
    var onCall: (String, Timestamp) -> String?
    /// Makes the operator's events (acknowledgements, status changes).
    var maker: EventMaker

    init(
        policy: EscalationPolicy?, responseTarget: Duration = .hours(24), severity: Severity = .sev3,
        onCall: @escaping (String, Timestamp) -> String? = { _, _ in nil }
    ) {
        let opening = Fixture.opening(triage: Fixture.triage(severity: severity))
        record = IncidentRecord(opening: opening)
        maker = EventMaker(node: Fixture.node, startSeq: 1, after: opening.hlc)
        self.policy = policy
        self.responseTarget = responseTarget
        self.onCall = onCall
    }

    var incident: Incident { record.incident }
    var view: EscalationView { EscalationView(record.incident) }

    /// The step the incident waits for now.
    func pending() -> PendingStep? {
        EscalationPlanner.pending(view, policy: policy, responseTarget: responseTarget)
    }

    /// The step `p` records, built from the current view.
    func step(_ p: PendingStep) -> EscalationStep {
        EscalationPlanner.step(p, view: view, policy: policy, channel: "log", onCall: onCall)
    }

    /// The event recording `p`.
    func event(_ p: PendingStep) -> IncidentEvent {
        step(p).event(incident: Fixture.id, due: p.due, opened: record.openingEvent.hlc)
    }

    /// Fires the pending step (which must exist) and applies its event.
    @discardableResult
    mutating func fire(sourceLocation: SourceLocation = #_sourceLocation) throws -> (PendingStep, EscalationStep) {
        let p = try #require(pending(), "nothing pending", sourceLocation: sourceLocation)
        let s = step(p)
        let applied = record.apply(s.event(incident: Fixture.id, due: p.due, opened: record.openingEvent.hlc))
        #expect(applied, sourceLocation: sourceLocation)
        return (p, s)
    }

    /// Fires every step due at or before `until`, in order (bounded, in case a bug loops).
    mutating func run(until: Timestamp) -> [(PendingStep, EscalationStep)] {
        var out: [(PendingStep, EscalationStep)] = []
        while let p = pending(), p.due <= until, out.count < 100 {
            let s = step(p)
            record.apply(s.event(incident: Fixture.id, due: p.due, opened: record.openingEvent.hlc))
            out.append((p, s))
        }
        return out
    }

    /// Applies an operator event at `at`.
    mutating func apply(_ body: IncidentEventBody, at: Timestamp) {
        record.apply(maker.event(body, at: at))
    }

    /// Acknowledges at `at`.
    mutating func acknowledge(at: Timestamp) { apply(.acknowledged, at: at) }
}

/// A policy level paging people and schedules.
func level(_ minutes: Int64, _ targets: EscalationTarget...) -> EscalationPolicy.Level {
    EscalationPolicy.Level(delay: .seconds(minutes * 60), targets: targets)
}

extension TimelineEntry {
    /// The first detail named `key`.
    func detail(_ key: String) -> DetailValue? { details.first { $0.0 == key }?.1 }
}
