/// The slice of an incident escalation needs: small enough to keep for every open incident on every
/// node (the escalation supervisor does, so a new owner knows every deadline at once).
public struct EscalationView: Sendable, Hashable {
    /// The incident.
    public var id: IncidentID
    /// Its dedup key (ownership follows it).
    public var dedupKey: String
    /// Its service (which names the policy).
    public var service: String
    /// Status.
    public var status: IncidentStatus
    /// Severity (response targets).
    public var severity: Severity
    /// Opened at.
    public var createdAt: Timestamp
    /// Steps so far.
    public var escalation: EscalationState
    /// Resolved at (the resolution notification is due then).
    public var resolvedAt: Timestamp?

    /// The view of an incident.
    public init(_ i: Incident) {
        id = i.id
        dedupKey = i.dedupKey
        service = i.service
        status = i.status
        severity = i.severity
        createdAt = i.createdAt
        escalation = i.escalation
        resolvedAt = i.resolvedAt
    }

    /// Whether escalation can still do anything for it: triggered, reopened or acknowledged, or
    /// resolved with its resolution not yet announced, or with step messages not yet settled.
    public var isActive: Bool {
        status == .triggered || status == .reopened || status == .acknowledged
            || (status == .resolved && escalation.announced && !escalation.resolutionAnnounced)
            || !escalation.undelivered.isEmpty
    }
}

/// The step an incident is waiting for: its number, when it is due and what it will do.
public struct PendingStep: Sendable, Equatable {
    /// The step's number (the last one + 1).
    public var number: UInt32
    /// When it is due.
    public var due: Timestamp
    /// What it will do.
    public var kind: EscalationStep.Kind

    /// Creates a pending step.
    public init(number: UInt32, due: Timestamp, kind: EscalationStep.Kind) {
        self.number = number
        self.due = due
        self.kind = kind
    }
}

/// Escalation decisions, pure: which step an incident waits for, and what that step records.
///
/// - open, service with announce channels, not yet announced: the initial notification, due when
///   the incident opened, before anything else;
/// - triggered, no step yet: level 1 of the policy, due when the incident opened;
/// - triggered after a page: the page's `nextDueAt` — the next level, the first level again (a
///   repeat pass), or after the last pass the `timeout` escalation;
/// - triggered and never acknowledged: the severity's response target is a deadline too; when it
///   comes first, the `timeout` escalation happens then (once per incident);
/// - reopened: as triggered, starting over from level 1 at the reopening (with a fresh response
///   deadline), step numbers continuing;
/// - acknowledged, with an `ackTimeout`: an ack-timeout step at last acknowledgement + timeout;
/// - otherwise nothing.
public enum EscalationPlanner {
    /// The step `view` waits for, or nil.
    public static func pending(
        _ view: EscalationView, policy: EscalationPolicy?, responseTarget: Duration, announce: [String] = []
    ) -> PendingStep? {
        let e = view.escalation
        let number = e.lastStep + 1
        // The initial notification comes first, once, while the incident is open.
        if !announce.isEmpty, !e.announced, view.status.isOpen {
            return PendingStep(number: number, due: view.createdAt, kind: .announce)
        }
        // The resolution notification: 1 ms after the resolution, so it orders after it.
        if !announce.isEmpty, e.announced, !e.resolutionAnnounced, view.status == .resolved, let r = view.resolvedAt {
            return PendingStep(number: number, due: r + .milliseconds(1), kind: .resolution)
        }
        switch view.status {
        case .triggered, .reopened:
            // Escalation runs from the opening, or from the last reopening — 1 ms after it, so the
            // step's event orders after the reopening event (same millisecond: the step id would sort first).
            let base = e.restartedAt.map { $0 + .milliseconds(1) } ?? view.createdAt
            var best: PendingStep?
            if let policy {
                if e.lastStep == 0 || e.level == 0 {
                    best = PendingStep(number: number, due: base, kind: .page)
                } else if let due = e.nextDueAt, let kind = following(e, in: policy) {
                    best = PendingStep(number: number, due: due, kind: kind)
                }
            }
            if !e.timedOut && e.lastAcknowledgedAt == nil {
                let deadline = base + responseTarget
                if best == nil || deadline < best!.due { best = PendingStep(number: number, due: deadline, kind: .timeout) }
            }
            return best
        case .acknowledged:
            guard let t = policy?.ackTimeout, let ack = e.lastAcknowledgedAt else { return nil }
            return PendingStep(number: number, due: ack + t, kind: .ackTimeout)
        default:
            return nil
        }
    }

    /// What comes after the last page: another page, or (policy exhausted, no timeout yet) a timeout.
    private static func following(_ e: EscalationState, in policy: EscalationPolicy) -> EscalationStep.Kind? {
        if Int(e.level) < policy.levels.count || Int(e.pass) < policy.repeats { return .page }
        return e.timedOut ? nil : .timeout
    }

    /// The step to record when `pending` fires; `onCall` names whoever a schedule has on call at
    /// an instant, and `channel` is where pages go.
    public static func step(
        _ pending: PendingStep, view: EscalationView, policy: EscalationPolicy?, channel: String, announce: [String] = [],
        onCall: (String, Timestamp) -> String?
    ) -> EscalationStep {
        let e = view.escalation
        let name = policy?.name ?? ""
        func people(level: Int) -> [String] {
            guard let policy, policy.levels.indices.contains(level - 1) else { return [] }
            var out: [String] = []
            for t in policy.levels[level - 1].targets {
                switch t {
                case .person(let p): if !out.contains(p) { out.append(p) }
                case .schedule(let s): if let p = onCall(s, pending.due), !out.contains(p) { out.append(p) }
                }
            }
            return out
        }
        func delay(level: Int) -> Duration? {
            guard let policy, policy.levels.indices.contains(level - 1) else { return nil }
            return policy.levels[level - 1].delay
        }
        switch pending.kind {
        case .announce, .resolution:
            return EscalationStep(
                number: pending.number, kind: pending.kind, level: 0, pass: e.pass, policy: name, targets: announce,
                channel: announce.first ?? "log", severity: nil, nextDueAt: e.nextDueAt,
                reason: pending.kind == .announce ? "initial notification" : "resolution notification")
        case .page:
            var level = Int(e.level) + 1
            var pass = Int(e.pass)
            if e.level == 0 {
                level = 1
                pass = 0
            } else if let policy, level > policy.levels.count {
                level = 1
                pass += 1
            }
            let targets = people(level: level)
            let why: String
            if e.level == 0 {
                why = "level 1 of \(name): incident triggered"
            } else if level == 1 {
                why = "level 1 of \(name), repeat \(pass) of \(policy?.repeats ?? 0): nobody acknowledged"
            } else {
                why = "level \(level) of \(name): level \(level - 1) unacknowledged for \(seconds(delay(level: level - 1)))"
            }
            return EscalationStep(
                number: pending.number, kind: .page, level: UInt16(level), pass: UInt16(pass), policy: name,
                targets: targets, channel: channel, severity: nil, nextDueAt: delay(level: level).map { pending.due + $0 },
                reason: targets.isEmpty ? why + "; nobody on call" : why)
        case .ackTimeout:
            let level = max(1, Int(e.level))
            return EscalationStep(
                number: pending.number, kind: .ackTimeout, level: UInt16(level), pass: e.pass, policy: name,
                targets: people(level: level), channel: channel, severity: nil,
                nextDueAt: delay(level: level).map { pending.due + $0 },
                reason: "acknowledgement timed out after \(seconds(policy?.ackTimeout)): paging level \(level) again")
        case .timeout:
            let raised = view.severity.raised
            // Nothing follows a timeout once the policy has no page left; it ran out only if this is
            // its own step (the response target may come first, during the last level's delay).
            let lastStep = policy != nil && e.level > 0 && following(e, in: policy!) == .timeout
            let exhausted = lastStep && e.nextDueAt.map { pending.due >= $0 } == true
            let why =
                exhausted
                ? "policy \(name) exhausted without acknowledgement"
                : "\(view.severity) response target missed: unacknowledged \(seconds(pending.due - (e.restartedAt ?? view.createdAt))) after \(e.restartedAt == nil ? "opening" : "reopening")"
            return EscalationStep(
                number: pending.number, kind: .timeout, level: 0, pass: e.pass, policy: name, targets: policy?.managers ?? [],
                channel: channel, severity: raised, nextDueAt: lastStep ? nil : e.nextDueAt, reason: why)
        }
    }

    private static func seconds(_ d: Duration?) -> String {
        guard let d else { return "-" }
        let s = d.wholeMilliseconds / 1000
        if s % 3600 == 0 && s >= 3600 { return "\(s / 3600)h" }
        if s % 60 == 0 && s >= 60 { return "\(s / 60)m" }
        return "\(s)s"
    }
}
