/// The few fields of an incident that listing, filtering and metrics need, small enough to keep for
/// every incident in memory (open, passivated or archived).
public struct IncidentSummary: Sendable, Equatable {
    /// Id.
    public var id: IncidentID
    /// Title.
    public var title: String
    /// Status.
    public var status: IncidentStatus
    /// Severity.
    public var severity: Severity
    /// Priority.
    public var priority: Priority
    /// Category.
    public var category: Category
    /// Service.
    public var service: String
    /// Dedup key.
    public var dedupKey: String
    /// Alerts received.
    public var alertCount: Int
    /// Node that opened it.
    public var origin: NodeID
    /// Opened.
    public var createdAt: Timestamp
    /// First acknowledged.
    public var acknowledgedAt: Timestamp?
    /// Service restored.
    public var mitigatedAt: Timestamp?
    /// Resolved.
    public var resolvedAt: Timestamp?
    /// Closed.
    public var closedAt: Timestamp?
    /// Times reopened.
    public var reopenCount: Int
    /// Last trigger.
    public var lastSeenAt: Timestamp
    /// Whether an incident commander is assigned.
    public var hasCommander: Bool
    /// Last stakeholder update.
    public var lastStatusUpdateAt: Timestamp?
    /// Review completed.
    public var reviewCompletedAt: Timestamp?
    /// Action items recorded.
    public var actionItemCount: Int
    /// Whether a knowledge-base article was published.
    public var hasKnowledgeArticle: Bool
    /// Assignee.
    public var assignee: String?
}

extension Incident {
    /// The summary of this incident.
    public var summary: IncidentSummary {
        IncidentSummary(
            id: id, title: title, status: status, severity: severity, priority: priority, category: category,
            service: service, dedupKey: dedupKey, alertCount: alertCount, origin: origin, createdAt: createdAt,
            acknowledgedAt: acknowledgedAt, mitigatedAt: mitigatedAt, resolvedAt: resolvedAt, closedAt: closedAt,
            reopenCount: reopenCount, lastSeenAt: lastSeenAt, hasCommander: roles[.incidentCommander] != nil,
            lastStatusUpdateAt: lastStatusUpdateAt, reviewCompletedAt: reviewCompletedAt,
            actionItemCount: actionItems.count, hasKnowledgeArticle: kbArticleTitle != nil, assignee: assignee)
    }
}
