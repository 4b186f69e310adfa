/// One change to one incident: the unit of the log, of replication and of the fold.
///
/// Events are created once, on one node, and never change. Every node orders an incident's events
/// by `(hlc, origin, seq)` — `orderKey` — and folds them in that order, so nodes that hold the same
/// events show the same incident, whatever order the events arrived in.
public struct IncidentEvent: Sendable, Equatable {
    /// Cluster-unique id: origin node + sequence.
    public var id: EventID
    /// Hybrid logical clock reading when the event was created.
    public var hlc: HLCTimestamp
    /// The incident the event belongs to.
    public var incident: IncidentID
    /// Who caused it: a person, `integration:<source>`, or `node:<id>`.
    public var actor: String
    /// What happened.
    public var body: IncidentEventBody

    /// Creates an event.
    public init(id: EventID, hlc: HLCTimestamp, incident: IncidentID, actor: String, body: IncidentEventBody) {
        self.id = id
        self.hlc = hlc
        self.incident = incident
        self.actor = actor
        self.body = body
    }

    /// The wall-clock time of the event.
    public var at: Timestamp { hlc.timestamp }

    /// The total order every node folds in.
    public var orderKey: EventOrderKey { EventOrderKey(hlc: hlc, id: id) }
}

/// `(hlc, origin, seq)`: the deterministic total order of events.
public struct EventOrderKey: Comparable, Hashable, Sendable {
    /// The clock reading.
    public var hlc: HLCTimestamp
    /// The event id, breaking ties between nodes.
    public var id: EventID

    public static func < (lhs: EventOrderKey, rhs: EventOrderKey) -> Bool {
        lhs.hlc != rhs.hlc ? lhs.hlc < rhs.hlc : lhs.id < rhs.id
    }
}

/// What an event records.
public enum IncidentEventBody: Sendable, Equatable {
    /// The incident was opened from an alert (detected, logged, classified, prioritized).
    case opened(IncidentOpening)
    /// `count` more triggers for the dedup key arrived between `firstAt` and `lastAt`.
    case alertRepeated(count: UInt32, firstAt: Timestamp, lastAt: Timestamp)
    /// The source acknowledged the alert.
    case sourceAcknowledged
    /// The source reported the alert resolved.
    case alertResolved
    /// A responder acknowledged.
    case acknowledged
    /// The status moved (investigating, and merges), with an optional note.
    case statusChanged(IncidentStatus, note: String)
    /// The incident was assigned to a person or team.
    case assigned(assignee: String)
    /// A response role was filled.
    case roleAssigned(IncidentRole, person: String)
    /// A war room was opened.
    case warRoomOpened(link: String)
    /// The severity changed.
    case severityChanged(Severity, reason: String)
    /// The priority changed.
    case priorityChanged(Priority, reason: String)
    /// The category was corrected (trains the learned classifier).
    case categoryChanged(Category, reason: String)
    /// A free-form note.
    case note(String)
    /// A stakeholder status update was posted to channels.
    case statusUpdate(message: String, channels: [String])
    /// A notification was delivered (`ok`) or failed. `key` names the message (its Idempotency-Key,
    /// the same for every attempt; "" in events written before keys were recorded).
    case notified(channel: String, ok: Bool, detail: String, key: String = "")
    /// Every message of escalation step `step` reached an outcome: delivered, or its attempts
    /// used up. Until then the step's delivery is the owner's to finish (a new owner resumes it).
    case deliveriesSettled(step: UInt32)
    /// The incident was escalated.
    case escalated(EscalationReason, detail: String, team: String)
    /// A workaround restored service (→ mitigated).
    case workaroundApplied(description: String)
    /// A resolution was verified.
    case resolutionVerified(method: String, detail: String)
    /// A resolution failed verification; the incident stays open.
    case resolutionFailed(method: String, reason: String)
    /// The cause was fixed (→ resolved).
    case resolved(description: String)
    /// The incident was reopened (→ reopened).
    case reopened(reason: String)
    /// The incident was closed (→ closed).
    case closed(reason: String)
    /// A post-incident review was scheduled.
    case reviewScheduled(at: Timestamp)
    /// The post-incident review was completed.
    case reviewCompleted(rootCause: String, summary: String)
    /// A follow-up action item was recorded.
    case actionItemAdded(ActionItem)
    /// A knowledge-base article was published.
    case kbArticlePublished(title: String, markdown: String)
    /// This incident duplicated `winner` (two nodes opened one each for the same dedup key while
    /// they could not agree on an owner) and was folded into it: it closes.
    case mergedInto(winner: IncidentID)
    /// The duplicate `loser` and its `alerts` triggers were folded into this incident.
    case mergedFrom(loser: IncidentID, alerts: Int)
    /// An escalation step fired (a page, an ack-timeout re-page, or the timeout escalation); its id,
    /// clock reading and content are deterministic (see `EscalationStep`).
    case escalationStep(EscalationStep)
    /// A catalog object (person, schedule, policy, service) was set or deleted. Only in the reserved
    /// record `IncidentID.catalog`, never in an incident.
    case catalogChanged(CatalogChange)
}

/// The facts an incident opens with: the first alert and its triage.
///
/// An immutable class, not a struct: the `opened` event and the folded `Incident` share one
/// instance, so each incident holds its opening once (memory per open incident matters: S6).
public final class IncidentOpening: Sendable, Equatable {
    /// From the alert.
    public let title: String
    /// From the alert.
    public let description: String
    /// From the alert.
    public let source: String
    /// From the alert.
    public let service: String
    /// From the alert.
    public let component: String
    /// The effective dedup key.
    public let dedupKey: String
    /// Labels, sorted by name.
    public let labels: [LabelPair]
    /// Links.
    public let links: [Alert.Link]
    /// Affected services.
    public let affectedServices: [String]
    /// Share of users affected.
    public let affectedUsersPct: Double?
    /// When the source observed the alert (its timestamp, else arrival).
    public let detectedAt: Timestamp
    /// Classification, scores, severity, priority.
    public let triage: Triage

    public static func == (a: IncidentOpening, b: IncidentOpening) -> Bool {
        a === b
            || (a.title == b.title && a.description == b.description && a.source == b.source && a.service == b.service
                && a.component == b.component && a.dedupKey == b.dedupKey && a.labels == b.labels && a.links == b.links
                && a.affectedServices == b.affectedServices && a.affectedUsersPct == b.affectedUsersPct
                && a.detectedAt == b.detectedAt && a.triage == b.triage)
    }

    /// Creates an opening from a validated alert and its triage.
    public init(alert: Alert, triage: Triage, receivedAt: Timestamp) {
        title = alert.title
        description = alert.description
        source = alert.source
        service = alert.service
        component = alert.component
        dedupKey = alert.effectiveDedupKey
        labels = alert.labels.sorted { $0.key < $1.key }.map { LabelPair(name: $0.key, value: $0.value) }
        links = alert.links
        affectedServices = alert.affectedServices
        affectedUsersPct = alert.affectedUsersPct
        detectedAt = min(alert.timestamp ?? receivedAt, receivedAt)
        self.triage = triage
    }

    /// Memberwise initializer (decoding).
    public init(
        title: String, description: String, source: String, service: String, component: String, dedupKey: String,
        labels: [LabelPair], links: [Alert.Link], affectedServices: [String], affectedUsersPct: Double?,
        detectedAt: Timestamp, triage: Triage
    ) {
        self.title = title
        self.description = description
        self.source = source
        self.service = service
        self.component = component
        self.dedupKey = dedupKey
        self.labels = labels
        self.links = links
        self.affectedServices = affectedServices
        self.affectedUsersPct = affectedUsersPct
        self.detectedAt = detectedAt
        self.triage = triage
    }

    /// The alert this opening was made from, for re-tokenizing.
    public var alert: Alert {
        Alert(
            title: title, dedupKey: dedupKey, description: description, source: source, service: service,
            component: component, labels: Dictionary(labels.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
            affectedUsersPct: affectedUsersPct, affectedServices: affectedServices, links: links)
    }
}

/// One label.
public struct LabelPair: Sendable, Equatable {
    /// Label name.
    public var name: String
    /// Label value.
    public var value: String

    /// Creates a label.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A follow-up task from a post-incident review.
public struct ActionItem: Sendable, Equatable {
    /// What to do.
    public var description: String
    /// Who does it.
    public var owner: String
    /// When it is due.
    public var dueAt: Timestamp

    /// Creates an action item.
    public init(description: String, owner: String, dueAt: Timestamp) {
        self.description = description
        self.owner = owner
        self.dueAt = dueAt
    }
}
