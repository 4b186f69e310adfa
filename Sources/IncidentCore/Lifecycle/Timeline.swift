/// One line of an incident's timeline: when, what kind, who, and details.
public struct TimelineEntry: Sendable, Equatable {
    /// When it happened.
    public var at: Timestamp
    /// `detected`, `acknowledged`, `status_update`, … (SPEC §3).
    public var kind: String
    /// Person, `integration:<source>` or `node:<id>`.
    public var actor: String
    /// Ordered key/value details.
    public var details: [(String, DetailValue)]

    public static func == (lhs: TimelineEntry, rhs: TimelineEntry) -> Bool {
        lhs.at == rhs.at && lhs.kind == rhs.kind && lhs.actor == rhs.actor
            && lhs.details.map(\.0) == rhs.details.map(\.0) && lhs.details.map(\.1) == rhs.details.map(\.1)
    }
}

/// A detail value: text, a number or a flag.
public enum DetailValue: Sendable, Equatable {
    case text(String)
    case number(Int)
    case flag(Bool)
}

extension IncidentRecord {
    /// The timeline, derived from the events: `opened` becomes detected, logged, classified and
    /// prioritized; each repeat bucket one `alert_repeated` line; every other event one line.
    public var timeline: [TimelineEntry] {
        var entries: [TimelineEntry] = []
        entries.reserveCapacity(events.count + 3 + repeatBuckets.count)
        var severity = incident.opening.triage.severity
        for event in events {
            Self.append(event, severity: &severity, to: &entries)
        }
        if !repeatBuckets.isEmpty {
            for (_, b) in repeatBuckets.sorted(by: { $0.key < $1.key }) {
                entries.append(
                    TimelineEntry(
                        at: b.firstAt, kind: "alert_repeated", actor: Alert.integrationActor(source: incident.opening.source),
                        details: [
                            ("count", .number(b.count)), ("first_at", .text(b.firstAt.rfc3339)),
                            ("last_at", .text(b.lastAt.rfc3339)),
                        ]))
            }
            // Stable sort by time keeps event order for equal instants.
            entries = entries.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(
                \.element)
        }
        return entries
    }

    private static func append(_ e: IncidentEvent, severity: inout Severity, to out: inout [TimelineEntry]) {
        func add(_ kind: String, _ details: [(String, DetailValue)], at: Timestamp? = nil, actor: String? = nil) {
            out.append(TimelineEntry(at: at ?? e.at, kind: kind, actor: actor ?? e.actor, details: details))
        }
        switch e.body {
        case .opened(let o):
            let t = o.triage
            add(
                "detected", [("source", .text(o.source)), ("alert", .text(o.title)), ("dedup_key", .text(o.dedupKey))],
                at: o.detectedAt)
            add("logged", [("incident_id", .text(e.incident.text)), ("service", .text(o.service))], actor: "node:\(e.id.origin.authorNode)")
            add(
                "classified", [("category", .text(t.category.rawValue)), ("method", .text(t.categorySource.name))],
                actor: "node:\(e.id.origin.authorNode)")
            add(
                "prioritized",
                [
                    ("severity", .text(t.severity.description)), ("priority", .text(t.priority.description)),
                    ("impact", .number(t.impact)), ("urgency", .number(t.urgency)),
                    ("severity_explicit", .flag(t.severityExplicit)),
                ], actor: "node:\(e.id.origin.authorNode)")
        case .alertRepeated:
            break  // shown per bucket
        case .sourceAcknowledged:
            add("acknowledged", [("by", .text("source"))])
        case .alertResolved:
            add("alert_resolved", [])
        case .acknowledged:
            add("acknowledged", [])
        case .statusChanged(let status, let note):
            add("status_changed", [("status", .text(status.rawValue)), ("note", .text(note))])
        case .assigned(let who):
            add("assigned", [("assignee", .text(who))])
        case .roleAssigned(let role, let person):
            add("role_assigned", [("role", .text(role.rawValue)), ("person", .text(person))])
        case .warRoomOpened(let link):
            add("war_room_opened", [("link", .text(link))])
        case .severityChanged(let s, let reason):
            add(
                "severity_changed",
                [("from", .text(severity.description)), ("to", .text(s.description)), ("reason", .text(reason))])
            severity = s
        case .priorityChanged(let p, let reason):
            add("priority_changed", [("to", .text(p.description)), ("reason", .text(reason))])
        case .categoryChanged(let c, let reason):
            add("classified", [("category", .text(c.rawValue)), ("method", .text("operator")), ("reason", .text(reason))])
        case .note(let text):
            add("note", [("text", .text(text))])
        case .statusUpdate(let message, let channels):
            add("status_update", [("message", .text(message)), ("channels", .text(channels.joined(separator: ",")))])
        case .notified(let channel, let ok, let detail, let key):
            var d: [(String, DetailValue)] = [("channel", .text(channel)), ("detail", .text(detail))]
            if !key.isEmpty { d.append(("key", .text(key))) }
            add(ok ? "notified" : "notification_failed", d)
        case .deliveriesSettled(let step):
            add("deliveries_settled", [("step", .number(Int(step)))])
        case .escalated(let reason, let detail, let team):
            var d: [(String, DetailValue)] = [("reason", .text(reason.rawValue)), ("detail", .text(detail))]
            if !team.isEmpty { d.append(("team", .text(team))) }
            add("escalated", d)
        case .workaroundApplied(let description):
            add("workaround_applied", [("resolution", .text(description))])
        case .resolutionVerified(let method, let detail):
            add("resolution_verified", [("method", .text(method)), ("detail", .text(detail))])
        case .resolutionFailed(let method, let reason):
            add("resolution_failed", [("method", .text(method)), ("reason", .text(reason))])
        case .resolved(let description):
            add("resolved", [("resolution", .text(description))])
        case .reopened(let reason):
            add("reopened", [("reason", .text(reason))])
        case .closed(let reason):
            add("closed", [("reason", .text(reason))])
        case .reviewScheduled(let when):
            add("review_scheduled", [("review_at", .text(when.rfc3339))])
        case .reviewCompleted(let cause, let summary):
            add("review_completed", [("root_cause", .text(cause)), ("summary", .text(summary))])
        case .actionItemAdded(let item):
            add(
                "action_item_added",
                [("description", .text(item.description)), ("owner", .text(item.owner)), ("due", .text(item.dueAt.rfc3339))])
        case .kbArticlePublished(let title, _):
            add("kb_article_published", [("title", .text(title))])
        case .mergedInto(let winner):
            add("merged", [("into", .text(winner.text))])
        case .mergedFrom(let loser, let alerts):
            add("merged", [("from", .text(loser.text)), ("alerts", .number(alerts))])
        case .escalationStep(let step):
            var d: [(String, DetailValue)] = [
                ("step", .number(Int(step.number))), ("who", .text(step.targets.joined(separator: ","))),
                ("channel", .text(step.channel)), ("reason", .text(step.reason)),
            ]
            if !step.policy.isEmpty { d.insert(("policy", .text(step.policy)), at: 1) }
            if step.level > 0 { d.insert(("level", .number(Int(step.level))), at: 1) }
            if let next = step.nextDueAt { d.append(("next_due_at", .text(next.rfc3339))) }
            switch step.kind {
            case .announce, .resolution:
                add("announced", [("step", .number(Int(step.number))), ("channels", .text(step.targets.joined(separator: ","))), ("reason", .text(step.reason))])
            case .page:
                add("paged", d)
            case .ackTimeout:
                add("paged", d + [("ack_timeout", .flag(true))])
            case .timeout:
                if let s = step.severity, s != severity {
                    add(
                        "severity_changed",
                        [("from", .text(severity.description)), ("to", .text(s.description)), ("reason", .text("escalation timeout"))])
                    severity = s
                }
                // `reason` is the escalation reason (as for `incident.escalate`); the step's own
                // reason goes to `detail`, so the keys stay unique when rendered as a JSON object.
                add("escalated", [("reason", .text("timeout"))] + d.map { $0.0 == "reason" ? ("detail", $0.1) : $0 })
            }
        case .catalogChanged(let c):
            add("catalog_changed", [("kind", .text(c.kind.description)), ("name", .text(c.name)), ("deleted", .flag(c.document == nil))])
        }
    }
}
