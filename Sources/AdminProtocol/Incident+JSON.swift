import AetherJSON
import IncidentCore

/// The incident object of SPEC §4, as results and `aether … --json` show it.
public enum IncidentJSON {
    /// Renders an incident; `timeline` adds the derived timeline (for `incident.get`).
    public static func render(_ record: IncidentRecord, owner: NodeID, timeline: Bool) -> JSONObject {
        let i = record.incident
        var o = JSONObject()
        o.reserveCapacity(40)
        o["id"] = .string(i.id.text)
        o["title"] = .string(i.title)
        o["description"] = .string(i.opening.description)
        o["status"] = .string(i.status.rawValue)
        o["severity"] = .string(i.severity.description)
        o["priority"] = .string(i.priority.description)
        o["category"] = .string(i.category.rawValue)
        o["service"] = .string(i.service)
        o["component"] = .string(i.opening.component)
        o["source"] = .string(i.opening.source)
        o["dedup_key"] = .string(i.dedupKey)
        o["alert_count"] = .int(Int64(i.alertCount))
        o["owner"] = .string(owner.name)
        o["created_at"] = time(i.createdAt)
        o["detected_at"] = time(i.opening.detectedAt)
        o["acknowledged_at"] = time(i.acknowledgedAt)
        o["mitigated_at"] = time(i.mitigatedAt)
        o["resolved_at"] = time(i.resolvedAt)
        o["closed_at"] = time(i.closedAt)
        o["last_seen_at"] = time(i.lastSeenAt)
        o["assignee"] = i.assignee.map { .string($0) } ?? .null
        var roles = JSONObject()
        for role in IncidentRole.allCases { if let p = i.roles[role] { roles[role.rawValue] = .string(p) } }
        o["roles"] = .object(roles)
        o["war_room"] = i.warRoom.map { .object(["link": .string($0)]) } ?? .null
        let t = i.opening.triage
        o["impact"] = .int(Int64(t.impact))
        o["urgency"] = .int(Int64(t.urgency))
        o["category_method"] = .string(i.categoryCorrected ? "operator" : t.categorySource.name)
        var labels = JSONObject()
        for l in i.opening.labels { labels[l.name] = .string(l.value) }
        o["labels"] = .object(labels)
        o["affected_services"] = .array(i.opening.affectedServices.map { .string($0) })
        o["affected_users_pct"] = i.opening.affectedUsersPct.map { .double($0) } ?? .null
        o["links"] = .array(i.opening.links.map { .object(["href": .string($0.href), "text": .string($0.text)]) })
        o["reopen_count"] = .int(Int64(i.reopenCount))
        o["escalation_count"] = .int(Int64(i.escalationCount))
        o["source_resolved"] = .bool(i.sourceResolved)
        o["last_status_update_at"] = time(i.lastStatusUpdateAt)
        o["resolution"] =
            i.resolution.map { .object(["type": .string($0.type.rawValue), "description": .string($0.description)]) }
            ?? .null
        o["review"] = .object([
            "required": .bool(i.severity.isMajor), "scheduled_at": time(i.reviewScheduledAt),
            "completed_at": time(i.reviewCompletedAt), "root_cause": i.rootCause.map { .string($0) } ?? .null,
        ])
        o["action_items"] = .array(
            i.actionItems.map {
                .object([
                    "description": .string($0.description), "owner": .string($0.owner), "due_at": time($0.dueAt),
                ])
            })
        o["kb_article"] = i.kbArticleTitle.map { .object(["title": .string($0)]) } ?? .null
        o["merged_into"] = i.mergedInto.map { .string($0.text) } ?? .null
        o["merged_from"] = .array(i.mergedFrom.keys.sorted().map { .string($0.text) })
        if timeline {
            o["timeline"] = .array(record.timeline.map { .object(render($0)) })
        }
        return o
    }

    /// Renders a summary (for `incident.list`).
    public static func render(_ s: IncidentSummary, owner: NodeID) -> JSONObject {
        var o = JSONObject()
        o.reserveCapacity(16)
        o["id"] = .string(s.id.text)
        o["title"] = .string(s.title)
        o["status"] = .string(s.status.rawValue)
        o["severity"] = .string(s.severity.description)
        o["priority"] = .string(s.priority.description)
        o["category"] = .string(s.category.rawValue)
        o["service"] = .string(s.service)
        o["dedup_key"] = .string(s.dedupKey)
        o["alert_count"] = .int(Int64(s.alertCount))
        o["owner"] = .string(owner.name)
        o["assignee"] = s.assignee.map { .string($0) } ?? .null
        o["created_at"] = time(s.createdAt)
        o["acknowledged_at"] = time(s.acknowledgedAt)
        o["resolved_at"] = time(s.resolvedAt)
        o["closed_at"] = time(s.closedAt)
        return o
    }

    /// Renders one timeline entry.
    public static func render(_ e: TimelineEntry) -> JSONObject {
        var details = JSONObject()
        for (k, v) in e.details {
            switch v {
            case .text(let s): details[k] = .string(s)
            case .number(let n): details[k] = .int(Int64(n))
            case .flag(let b): details[k] = .bool(b)
            }
        }
        return ["at": .string(e.at.rfc3339), "kind": .string(e.kind), "actor": .string(e.actor), "details": .object(details)]
    }

    /// An optional time as an RFC 3339 string or null.
    public static func time(_ t: Timestamp?) -> JSONValue {
        t.map { .string($0.rfc3339) } ?? .null
    }
}

/// Metrics as `metrics.get` returns them.
public enum MetricsJSON {
    /// Renders metrics.
    public static func render(_ m: IncidentMetrics, since: Timestamp?, until: Timestamp?) -> JSONObject {
        var o = figures(m.overall)
        o["since"] = IncidentJSON.time(since)
        o["until"] = IncidentJSON.time(until)
        var per = JSONObject()
        for s in Severity.allCases { per[s.description] = .object(figures(m.bySeverity[s] ?? .init())) }
        o["per_severity"] = .object(per)
        var statuses = JSONObject()
        for s in IncidentStatus.allCases { statuses[s.rawValue] = .int(Int64(m.byStatus[s] ?? 0)) }
        o["by_status"] = .object(statuses)
        var categories = JSONObject()
        for c in Category.allCases { categories[c.rawValue] = .int(Int64(m.byCategory[c] ?? 0)) }
        o["by_category"] = .object(categories)
        o["customer_satisfaction"] = .null
        return o
    }

    static func figures(_ f: IncidentMetrics.Figures) -> JSONObject {
        [
            "volume": .int(Int64(f.volume)), "open": .int(Int64(f.open)), "mtta_s": num(f.mttaSeconds),
            "mttm_s": num(f.mttmSeconds), "mttr_s": num(f.mttrSeconds), "reopen_rate": num(f.reopenRate),
            "sla_compliance": num(f.slaCompliance), "sla_evaluated": .int(Int64(f.slaEvaluated)),
            "sla_breached": .int(Int64(f.slaBreached)),
        ]
    }

    static func num(_ d: Double?) -> JSONValue {
        guard let d else { return .null }
        return .double((d * 1000).rounded() / 1000)
    }
}
