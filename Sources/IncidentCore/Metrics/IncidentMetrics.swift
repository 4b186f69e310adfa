/// MTTA, MTTR, volume, reopen rate and SLA compliance over a set of incidents: pure functions.
///
/// Definitions (seconds):
/// - **MTTA**: mean of `acknowledged_at − created_at` over incidents that were acknowledged.
/// - **MTTM**: mean of `mitigated_at − created_at` over incidents whose service was restored.
/// - **MTTR**: mean of `resolved_at − created_at` over resolved (or closed) incidents.
/// - **Volume**: incidents created in the window.
/// - **Reopen rate**: incidents reopened at least once ÷ volume.
/// - **SLA compliance**: of the incidents whose outcome is known, the share that met both targets of
///   their severity (acknowledged within the response target, resolved within the resolve target).
///   An incident still open past a target counts as breached; one still within its targets is
///   pending and not counted.
public struct IncidentMetrics: Sendable, Equatable {
    /// Figures for one slice of incidents (all, or one severity).
    public struct Figures: Sendable, Equatable {
        /// Incidents in the slice.
        public var volume = 0

        /// Empty figures.
        public init() {}
        /// Mean time to acknowledge, nil without data.
        public var mttaSeconds: Double?
        /// Mean time to mitigate.
        public var mttmSeconds: Double?
        /// Mean time to resolve.
        public var mttrSeconds: Double?
        /// Reopened ÷ volume.
        public var reopenRate: Double?
        /// Met ÷ evaluated.
        public var slaCompliance: Double?
        /// Incidents whose SLA outcome is known.
        public var slaEvaluated = 0
        /// Of those, incidents that breached a target.
        public var slaBreached = 0
        /// Incidents still open.
        public var open = 0
    }

    /// All incidents in the window.
    public var overall: Figures
    /// Per severity.
    public var bySeverity: [Severity: Figures]
    /// Counts per status.
    public var byStatus: [IncidentStatus: Int]
    /// Counts per category.
    public var byCategory: [Category: Int]

    /// Computes the metrics of the incidents created in `[since, until)` as of `now`.
    public static func compute(
        _ incidents: [IncidentSummary], since: Timestamp? = nil, until: Timestamp? = nil, policy: IncidentPolicy,
        now: Timestamp
    ) -> IncidentMetrics {
        var selected: [IncidentSummary] = []
        for i in incidents {
            if let since, i.createdAt < since { continue }
            if let until, i.createdAt >= until { continue }
            selected.append(i)
        }
        var bySeverity: [Severity: Figures] = [:]
        for s in Severity.allCases {
            bySeverity[s] = figures(selected.filter { $0.severity == s }, policy: policy, now: now)
        }
        var byStatus: [IncidentStatus: Int] = [:]
        var byCategory: [Category: Int] = [:]
        for i in selected {
            byStatus[i.status, default: 0] += 1
            byCategory[i.category, default: 0] += 1
        }
        return IncidentMetrics(
            overall: figures(selected, policy: policy, now: now), bySeverity: bySeverity, byStatus: byStatus,
            byCategory: byCategory)
    }

    /// The figures of one slice.
    public static func figures(_ incidents: [IncidentSummary], policy: IncidentPolicy, now: Timestamp) -> Figures {
        var f = Figures()
        f.volume = incidents.count
        var ack = Mean()
        var mitigate = Mean()
        var resolve = Mean()
        var reopened = 0
        var met = 0
        for i in incidents {
            if let a = i.acknowledgedAt { ack.add((a - i.createdAt).seconds) }
            if let m = i.mitigatedAt { mitigate.add((m - i.createdAt).seconds) }
            if !i.status.isOpen, let r = i.resolvedAt { resolve.add((r - i.createdAt).seconds) }
            if i.reopenCount > 0 { reopened += 1 }
            if i.status.isOpen { f.open += 1 }
            switch slaOutcome(i, policy: policy, now: now) {
            case .met:
                met += 1
                f.slaEvaluated += 1
            case .breached:
                f.slaBreached += 1
                f.slaEvaluated += 1
            case .pending:
                break
            }
        }
        f.mttaSeconds = ack.value
        f.mttmSeconds = mitigate.value
        f.mttrSeconds = resolve.value
        f.reopenRate = incidents.isEmpty ? nil : Double(reopened) / Double(incidents.count)
        f.slaCompliance = f.slaEvaluated == 0 ? nil : Double(met) / Double(f.slaEvaluated)
        return f
    }

    /// Whether an incident met its severity's targets.
    public enum SLAOutcome: Sendable, Equatable {
        case met, breached, pending
    }

    /// The SLA outcome of one incident as of `now`.
    public static func slaOutcome(_ i: IncidentSummary, policy: IncidentPolicy, now: Timestamp) -> SLAOutcome {
        let t = policy.targets(for: i.severity)
        let ackDeadline = i.createdAt + t.acknowledge
        // Resolving without an explicit acknowledgement counts as responding at resolution time.
        let responded = i.acknowledgedAt ?? i.mitigatedAt ?? i.resolvedAt
        if let r = responded {
            if r > ackDeadline { return .breached }
        } else if now > ackDeadline {
            return .breached
        }
        guard let resolveTarget = t.resolve else {
            return responded != nil ? .met : .pending
        }
        let resolveDeadline = i.createdAt + resolveTarget
        if !i.status.isOpen, let r = i.resolvedAt { return r <= resolveDeadline ? .met : .breached }
        return now > resolveDeadline ? .breached : .pending
    }
}

private struct Mean {
    var sum = 0.0
    var count = 0
    mutating func add(_ v: Double) {
        sum += v
        count += 1
    }
    var value: Double? { count == 0 ? nil : sum / Double(count) }
}
