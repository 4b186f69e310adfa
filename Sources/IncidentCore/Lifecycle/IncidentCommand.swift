/// A request to change one incident, as decided by `IncidentRecord.decide`.
///
/// Commands carry everything the decision needs except the incident and the policy; anything that
/// needs IO (an HTTP probe, a channel delivery) has already happened in the shell and arrives here as
/// its outcome.
public enum IncidentCommand: Sendable, Equatable {
    /// A responder acknowledges.
    case acknowledge
    /// Assign to a person or team.
    case assign(String)
    /// Fill a response role.
    case assignRole(IncidentRole, String)
    /// Open a war room (link from the policy's template).
    case openWarRoom
    /// Move to `investigating` (the only status set directly; others have their own commands).
    case investigate(note: String)
    /// Post a stakeholder update to channels (delivery happens after it is recorded).
    case postUpdate(message: String, channels: [String])
    /// Record how deliveries of an update went.
    case recordDeliveries([Delivery])
    /// Record that every message of an escalation step reached an outcome.
    case settleDeliveries(step: UInt32)
    /// Add a note.
    case note(String)
    /// Set the severity explicitly.
    case setSeverity(Severity, reason: String)
    /// Set the priority explicitly.
    case setPriority(Priority, reason: String)
    /// Correct the category.
    case setCategory(Category, reason: String)
    /// Escalate. For `complexity`, `team` is the specialist team.
    case escalate(EscalationReason, detail: String, team: String)
    /// Apply a resolution; the verification already ran.
    case resolve(ResolutionType, description: String, verification: VerificationOutcome)
    /// Reopen a resolved incident.
    case reopen(reason: String)
    /// Close a resolved incident; `force` skips the review requirement of major incidents.
    case close(reason: String, force: Bool)
    /// Record a completed post-incident review.
    case completeReview(rootCause: String, summary: String, actionItems: [ActionItem], article: KnowledgeArticle?)
    /// The source acknowledged the alert.
    case sourceAcknowledge
    /// The source resolved the alert; `autoResolve` from the service catalog.
    case sourceResolve(autoResolve: Bool)
    /// This incident is a duplicate of `winner`: close it as merged.
    case mergeInto(IncidentID)
    /// Fold the duplicate `loser` (with its alert count) into this incident.
    case absorb(IncidentID, alerts: Int)
}

/// The outcome of delivering one notification.
public struct Delivery: Sendable, Equatable {
    /// Channel name.
    public var channel: String
    /// Whether it was delivered.
    public var ok: Bool
    /// What happened.
    public var detail: String
    /// The message's key (its Idempotency-Key; "" for messages without one).
    public var key: String

    /// Creates an outcome.
    public init(channel: String, ok: Bool, detail: String, key: String = "") {
        self.channel = channel
        self.ok = ok
        self.detail = detail
        self.key = key
    }
}

/// How a resolution was checked and whether it held.
public struct VerificationOutcome: Sendable, Equatable {
    /// `manual`, `alerts_quiet` or `http_probe`.
    public var method: String
    /// Whether it passed.
    public var passed: Bool
    /// What was observed.
    public var detail: String

    /// Creates an outcome.
    public init(method: String, passed: Bool, detail: String) {
        self.method = method
        self.passed = passed
        self.detail = detail
    }

    /// An operator's word for it.
    public static let manual = VerificationOutcome(method: "manual", passed: true, detail: "verified by operator")
}

/// A knowledge-base article.
public struct KnowledgeArticle: Sendable, Equatable {
    /// Title.
    public var title: String
    /// Markdown body.
    public var markdown: String

    /// Creates an article.
    public init(title: String, markdown: String) {
        self.title = title
        self.markdown = markdown
    }
}

/// What a trigger for an incident's dedup key does to it.
public enum TriggerDecision: Sendable, Equatable {
    /// Attach the repeats (and reopen first when the incident was resolved within the window).
    case attach([IncidentEventBody])
    /// The incident is past reopening: open a new incident for the key.
    case openNew
}
