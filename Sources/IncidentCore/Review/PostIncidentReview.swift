/// Drafts a post-incident review from an incident's record: root cause (given or inferred),
/// summary, follow-up action items and a knowledge-base article in Markdown.
///
/// Action items come from what the record shows went wrong, so each one names a concrete gap:
/// a workaround without a permanent fix, a missed response or resolve target, no incident
/// commander, no stakeholder update, repeated reopening, escalations.
public enum PostIncidentReview {
    /// A drafted review.
    public struct Draft: Sendable, Equatable {
        /// Root cause text.
        public var rootCause: String
        /// One-paragraph summary.
        public var summary: String
        /// Follow-ups.
        public var actionItems: [ActionItem]
        /// The article, when asked for.
        public var article: KnowledgeArticle?
    }

    /// Drafts the review.
    /// - Parameters:
    ///   - rootCause: the responders' root cause; when empty, the resolution text stands in.
    ///   - generateActionItems: derive action items from the record.
    ///   - updateKnowledgeBase: write the article.
    public static func draft(
        _ record: IncidentRecord, rootCause: String, summary: String, generateActionItems: Bool,
        updateKnowledgeBase: Bool, policy: IncidentPolicy, now: Timestamp
    ) -> Draft {
        let i = record.incident
        let cause = !rootCause.isEmpty ? rootCause
            : i.resolution.map { "Not yet determined; resolved by: \($0.description)" } ?? "Not yet determined"
        let duration = ((i.resolvedAt ?? i.mitigatedAt ?? now) - i.createdAt).seconds
        let text = !summary.isEmpty ? summary
            : "\(i.severity) \(i.category.rawValue) incident on \(i.service.isEmpty ? "an unnamed service" : i.service): "
                + "\"\(i.title)\", \(i.alertCount) alert(s), restored after \(formatDuration(duration))."
        let items = generateActionItems ? actionItems(record, policy: policy, now: now) : []
        let article = updateKnowledgeBase ? knowledgeArticle(record, rootCause: cause, summary: text, items: items) : nil
        return Draft(rootCause: cause, summary: text, actionItems: items, article: article)
    }

    /// Action items derived from the record.
    public static func actionItems(_ record: IncidentRecord, policy: IncidentPolicy, now: Timestamp) -> [ActionItem] {
        let i = record.incident
        let owner = i.roles[.incidentCommander] ?? i.roles[.technicalLead] ?? i.assignee ?? "unassigned"
        let due = now + policy.actionItemDueIn
        var items: [String] = []
        if i.resolution?.type == .workaround || (i.status == .mitigated) {
            items.append("Replace the workaround with a permanent fix: \(i.resolution?.description ?? "see timeline")")
        }
        let targets = policy.targets(for: i.severity)
        let responded = i.acknowledgedAt ?? i.mitigatedAt ?? i.resolvedAt
        if let r = responded, r - i.createdAt > targets.acknowledge {
            items.append(
                "Acknowledgement took \(formatDuration((r - i.createdAt).seconds)), over the \(i.severity) target of "
                    + "\(formatDuration(targets.acknowledge.seconds)): review paging and escalation for \(i.service)")
        }
        if let r = i.resolvedAt, let limit = targets.resolve, r - i.createdAt > limit {
            items.append(
                "Resolution took \(formatDuration((r - i.createdAt).seconds)), over the \(i.severity) target of "
                    + "\(formatDuration(limit.seconds)): add a runbook for \"\(i.title)\"")
        }
        if i.severity.isMajor && i.roles[.incidentCommander] == nil {
            items.append("Assign an incident commander at the start of every \(i.severity) incident")
        }
        if i.severity.isMajor && i.lastStatusUpdateAt == nil {
            items.append("Send stakeholder status updates during \(i.severity) incidents (none was sent)")
        }
        if i.reopenCount > 0 {
            items.append("The incident reopened \(i.reopenCount) time(s): verify fixes before resolving")
        }
        if i.escalationCount > 0 {
            items.append("It was escalated \(i.escalationCount) time(s): check the service's escalation policy and specialist coverage")
        }
        if i.alertCount > 100 {
            items.append("\(i.alertCount) alerts fired for one incident: tune alert grouping for \(i.dedupKey)")
        }
        if items.isEmpty {
            items.append("Add monitoring that would have caught \"\(i.title)\" earlier")
        }
        return items.map { ActionItem(description: $0, owner: owner, dueAt: due) }
    }

    /// Longest article body; long timelines are cut short (the article is stored in the log).
    public static let articleBytesMax = 256 << 10

    /// The knowledge-base article for the incident.
    public static func knowledgeArticle(_ record: IncidentRecord, rootCause: String, summary: String, items: [ActionItem])
        -> KnowledgeArticle
    {
        let i = record.incident
        var md = "# \(i.id): \(i.title)\n\n"
        md += "- **Service**: \(i.service)\n- **Severity**: \(i.severity) (\(i.priority))\n"
        md += "- **Category**: \(i.category.rawValue)\n- **Detected**: \(i.opening.detectedAt.rfc3339)\n"
        if let r = i.resolvedAt { md += "- **Resolved**: \(r.rfc3339)\n" }
        md += "\n## Summary\n\n\(summary)\n\n## Symptoms\n\n\(i.opening.description.isEmpty ? i.title : i.opening.description)\n"
        md += "\n## Root cause\n\n\(rootCause)\n\n## Resolution\n\n"
        md += i.resolution.map { "\($0.type.rawValue): \($0.description)" } ?? "not resolved yet"
        md += "\n\n## Timeline\n\n"
        let timeline = record.timeline
        for (n, e) in timeline.enumerated() {
            if md.utf8.count > articleBytesMax - 4096 {
                md += "- … \(timeline.count - n) more entries: `aether incident show \(i.id)`\n"
                break
            }
            md += "- \(e.at.rfc3339) \(e.kind) (\(e.actor))\n"
        }
        if !items.isEmpty {
            md += "\n## Action items\n\n"
            for a in items { md += "- [ ] \(a.description) (owner: \(a.owner), due \(a.dueAt.rfc3339))\n" }
        }
        return KnowledgeArticle(title: "\(i.id): \(i.title)", markdown: md)
    }
}

/// `1h 5m`, `42s`, `3d 2h`.
public func formatDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m \(s % 60)s" }
    if s < 86400 { return "\(s / 3600)h \(s % 3600 / 60)m" }
    return "\(s / 86400)d \(s % 86400 / 3600)h"
}
