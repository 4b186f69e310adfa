import AetherJSON

/// Human views of incidents and results.
enum IncidentRendering {
    static func text(_ v: JSONValue?) -> String {
        guard let v else { return "-" }
        switch v {
        case .null: return "-"
        case .string(let s): return s.isEmpty ? "-" : s
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): return b ? "yes" : "no"
        default: return v.jsonString
        }
    }

    /// Seconds as `1h 5m`.
    static func duration(_ v: JSONValue?) -> String {
        guard let s = v?.doubleValue else { return "-" }
        let n = Int(s.rounded())
        if n < 60 { return "\(n)s" }
        if n < 3600 { return "\(n / 60)m \(n % 60)s" }
        if n < 86400 { return "\(n / 3600)h \(n % 3600 / 60)m" }
        return "\(n / 86400)d \(n % 86400 / 3600)h"
    }

    /// One incident with its details (and timeline when present).
    static func detail(_ i: JSONValue) -> String {
        var pairs: [(String, String)] = [
            ("id", text(i["id"])), ("title", text(i["title"])), ("status", text(i["status"])),
            ("severity", "\(text(i["severity"])) (\(text(i["priority"])))"),
            ("category", "\(text(i["category"])) (\(text(i["category_method"])))"),
            ("service", text(i["service"])), ("dedup key", text(i["dedup_key"])), ("alerts", text(i["alert_count"])),
            ("owner", text(i["owner"])), ("assignee", text(i["assignee"])), ("created", text(i["created_at"])),
            ("acknowledged", text(i["acknowledged_at"])), ("mitigated", text(i["mitigated_at"])),
            ("resolved", text(i["resolved_at"])), ("closed", text(i["closed_at"])),
        ]
        if let roles = i["roles"]?.objectValue, !roles.isEmpty {
            pairs.append(("roles", roles.map { "\($0.key)=\(text($0.value))" }.joined(separator: ", ")))
        }
        if let link = i["war_room"]?["link"] { pairs.append(("war room", text(link))) }
        if let r = i["resolution"], !r.isNull { pairs.append(("resolution", "\(text(r["type"])): \(text(r["description"]))")) }
        if let review = i["review"], review["required"]?.boolValue == true || review["completed_at"]?.isNull == false {
            pairs.append(("review", review["completed_at"]?.isNull == false ? "completed \(text(review["completed_at"]))"
                : "required, scheduled \(text(review["scheduled_at"]))"))
        }
        if let kb = i["kb_article"]?["title"] { pairs.append(("kb article", text(kb))) }
        var out = keyValues(pairs)
        if let items = i["action_items"]?.arrayValue, !items.isEmpty {
            var t = Table(["ACTION ITEM", "OWNER", "DUE"])
            for a in items { t.add([text(a["description"]), text(a["owner"]), text(a["due_at"])]) }
            out += "\n\n" + t.text
        }
        if let timeline = i["timeline"]?.arrayValue {
            var t = Table(["AT", "KIND", "ACTOR", "DETAILS"])
            for e in timeline {
                let details = (e["details"]?.objectValue ?? JSONObject()).map { "\($0.key)=\(text($0.value))" }.joined(separator: " ")
                t.add([text(e["at"]), text(e["kind"]), text(e["actor"]), details])
            }
            out += "\n\n" + t.text
        }
        return out
    }

    /// A list of incidents.
    static func list(_ incidents: [JSONValue], more: Bool) -> String {
        var t = Table(["ID", "SEV", "PRI", "STATUS", "SERVICE", "ALERTS", "CREATED", "TITLE"], rightAligned: [5])
        for i in incidents {
            t.add([
                text(i["id"]), text(i["severity"]), text(i["priority"]), text(i["status"]), text(i["service"]),
                text(i["alert_count"]), text(i["created_at"]), text(i["title"]),
            ])
        }
        var out = t.text
        if more { out += "\n(more incidents match; raise --limit or narrow the filter)" }
        if incidents.isEmpty { out = "no incidents match" }
        return out
    }

    /// A one-line summary after a change.
    static func changed(_ verb: String, _ i: JSONValue) -> String {
        "\(text(i["id"])) \(verb): status \(text(i["status"])), \(text(i["severity"])) \(text(i["priority"]))"
            + (i["replicas"].map { ", durable on \(text($0)) node(s)" } ?? "")
    }
}
