/// Where time went in an incident's lifecycle, against targets and the node's averages, with what
/// to change: the engine behind `aether optimize incident-process`.
public enum ProcessAnalysis {
    /// One lifecycle phase.
    public struct Phase: Sendable, Equatable {
        /// `detect→acknowledge`, `acknowledge→mitigate`, `mitigate→resolve`, `resolve→close`.
        public var name: String
        /// Seconds this incident spent in it (nil: not reached).
        public var seconds: Double?
        /// Mean seconds across incidents that reached it.
        public var averageSeconds: Double?
        /// Share of the incident's time to resolve (0…1).
        public var share: Double?
    }

    /// The report.
    public struct Report: Sendable, Equatable {
        /// Phases in order.
        public var phases: [Phase]
        /// The phase with the largest share.
        public var bottleneck: String?
        /// Red flags found on the incident.
        public var redFlags: [String]
        /// Suggested changes, most useful first.
        public var recommendations: [String]
    }

    /// Analyses one incident against all incidents.
    /// - Parameters:
    ///   - target: what to optimise (`reduce_mttr`, `reduce_mtta`, `prevent_recurrence`, `improve_communication`).
    ///   - strategy: the change being considered (e.g. `automated_rollback`), echoed into recommendations.
    public static func analyze(
        _ record: IncidentRecord, all: [IncidentSummary], target: String, strategy: String, policy: IncidentPolicy,
        now: Timestamp
    ) -> Report {
        let i = record.incident
        func span(_ a: Timestamp?, _ b: Timestamp?) -> Double? {
            guard let a, let b else { return nil }
            return max(0, (b - a).seconds)
        }
        let ack = i.acknowledgedAt ?? i.mitigatedAt ?? i.resolvedAt
        let mine: [(String, Double?)] = [
            ("detect→acknowledge", span(i.createdAt, ack)),
            ("acknowledge→mitigate", span(ack, i.mitigatedAt)),
            ("mitigate→resolve", span(i.mitigatedAt, i.resolvedAt)),
            ("resolve→close", span(i.resolvedAt, i.closedAt)),
        ]
        let averages: [Double?] = [
            mean(all.compactMap { s in span(s.createdAt, s.acknowledgedAt ?? s.mitigatedAt ?? s.resolvedAt) }),
            mean(all.compactMap { s in span(s.acknowledgedAt ?? s.mitigatedAt, s.mitigatedAt) }),
            mean(all.compactMap { s in span(s.mitigatedAt, s.resolvedAt) }),
            mean(all.compactMap { s in span(s.resolvedAt, s.closedAt) }),
        ]
        let total = span(i.createdAt, i.resolvedAt ?? i.mitigatedAt ?? now) ?? 0
        var phases: [Phase] = []
        for (n, (name, secs)) in mine.enumerated() {
            let share = (n < 3 && total > 0) ? secs.map { $0 / total } : nil
            phases.append(Phase(name: name, seconds: secs, averageSeconds: averages[n], share: share))
        }
        let bottleneck = phases.prefix(3).filter { $0.share != nil }.max { ($0.share ?? 0) < ($1.share ?? 0) }?.name
        let flags = RedFlags.audit(record.incident.summary, all: all, policy: policy, now: now)
        var recs: [String] = []
        let t = policy.targets(for: i.severity)
        if let a = mine[0].1, a > t.acknowledge.seconds {
            recs.append("Acknowledgement took \(formatDuration(a)) against a \(formatDuration(t.acknowledge.seconds)) target: shorten escalation delays and page a second responder sooner.")
        }
        if bottleneck == "acknowledge→mitigate" || target == "reduce_mttr" {
            if let m = mine[1].1 {
                recs.append("Mitigation took \(formatDuration(m)): runbooks and one-step rollback for \(i.service) cut this phase most.")
            }
        }
        if bottleneck == "mitigate→resolve", let r = mine[2].1 {
            recs.append("The permanent fix took \(formatDuration(r)) after mitigation: track it as a problem record with an owner and due date.")
        }
        if !strategy.isEmpty {
            recs.append(
                "Strategy '\(strategy)': Aether records and measures it but does not execute it — wire it into your deploy tooling, "
                    + "then compare \(target.isEmpty ? "MTTR" : target) on the next incidents with `aether metrics`.")
        }
        for f in flags { recs.append("Red flag: \(f).") }
        if recs.isEmpty { recs.append("No phase stands out against targets and averages; keep reviewing major incidents.") }
        return Report(phases: phases, bottleneck: bottleneck, redFlags: flags, recommendations: recs)
    }

    private static func mean(_ xs: [Double]) -> Double? {
        xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count)
    }
}

/// The seed's red-flag audit on one incident.
public enum RedFlags {
    /// Red flags: no commander, no updates, review skipped, action items untracked, recurrence,
    /// stakeholders not notified.
    public static func audit(_ s: IncidentSummary, all: [IncidentSummary], policy: IncidentPolicy, now: Timestamp) -> [String] {
        var flags: [String] = []
        let major = s.severity.isMajor
        if major && !s.hasCommander { flags.append("no incident commander assigned to a \(s.severity) incident") }
        if major && s.lastStatusUpdateAt == nil && now - s.createdAt > .seconds(15 * 60) {
            flags.append("no status update in the first 15 minutes; stakeholders not notified")
        }
        if major, let r = s.resolvedAt, s.reviewCompletedAt == nil, now - r > policy.reviewDelay {
            flags.append("post-incident review skipped (resolved \(formatDuration((now - r).seconds)) ago, none completed)")
        }
        if s.reviewCompletedAt != nil && s.actionItemCount == 0 { flags.append("review completed without tracked action items") }
        let recurrences = all.filter { $0.dedupKey == s.dedupKey && $0.id != s.id }.count
        if recurrences >= 2 { flags.append("same incident recurring: \(recurrences + 1) incidents for key '\(s.dedupKey)'") }
        return flags
    }
}
