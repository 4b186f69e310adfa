import AetherJSON
import IncidentCore

/// `aether incident …`: the seed's verbs verbatim plus list/show/ack/escalate/note/reopen/close.
enum IncidentCommands {
    static let all: [CommandSpec] = [detect, manage, communicate, resolve, review, list, show, ack, escalate, note, reopen, close, assign, classify]

    static let detect = CommandSpec(
        ["incident", "detect"], "report an alert; opens an incident or attaches to the open one for its key",
        values: ["source", "alert", "title", "service", "component", "description", "severity", "dedup-key", "affected-users-pct", "action"],
        repeating: ["label", "affected-service", "link"]
    ) { (inv) throws(CLIError) in
        guard let title = inv.value("alert") ?? inv.value("title") else {
            throw CLIError.usage("missing --alert NAME (the alert's title)", inv.spec.usage)
        }
        var o = JSONObject()
        o["title"] = .string(title)
        for (flag, field) in [("source", "source"), ("service", "service"), ("component", "component"), ("description", "description"),
                              ("severity", "severity"), ("dedup-key", "dedup_key"), ("action", "action")] {
            if let v = inv.value(flag) { o[field] = .string(v) }
        }
        if let p = inv.value("affected-users-pct") {
            guard let d = Double(p) else { throw CLIError.usage("--affected-users-pct '\(p)' is not a number; expected 0-100", inv.spec.usage) }
            o["affected_users_pct"] = .double(d)
        }
        var labels = JSONObject()
        for l in inv.repeated["label"] ?? [] {
            guard let eq = l.firstIndex(of: "=") else { throw CLIError.usage("--label '\(l)' is not KEY=VALUE", inv.spec.usage) }
            labels[String(l[..<eq])] = .string(String(l[l.index(after: eq)...]))
        }
        if !labels.isEmpty { o["labels"] = .object(labels) }
        if let s = inv.repeated["affected-service"] { o["affected_services"] = .array(s.map { .string($0) }) }
        if let s = inv.repeated["link"] { o["links"] = .array(s.map { .string($0) }) }
        let client = try inv.client()
        let r = try client.call("alert.ingest", o)
        guard let id = r["incident_id"]?.stringValue else {
            inv.show(r) { _ in "no open incident for dedup key \(IncidentRendering.text(r["dedup_key"]))" }
            return
        }
        let incident = try client.call("incident.get", ["id": .string(id)])
        inv.show(r) { _ in
            let verb = r["created"]?.boolValue == true ? "opened" : "updated (alert attached)"
            return "Incident \(id) \(verb)\n\n" + IncidentRendering.detail(incident)
        }
    }

    static let manage = CommandSpec(
        ["incident", "manage"], "set severity, assign roles, open the war room",
        values: ["incident-id", "severity", "assignee", "commander", "communications-lead", "technical-lead", "reason"],
        flags: ["auto-assign", "create-war-room"], positionals: 1
    ) { (inv) throws(CLIError) in
        let id = JSONValue.string(try inv.incidentID())
        let client = try inv.client()
        var steps: [String] = []
        var last: JSONValue = .null
        if let s = inv.value("severity") {
            last = try client.call("incident.severity", ["id": id, "severity": .string(s), "reason": .string(inv.value("reason") ?? "set by operator")])
            steps.append("severity \(IncidentRendering.text(last["severity"])) (\(IncidentRendering.text(last["priority"])))")
        }
        if inv.flag("create-war-room") {
            last = try client.call("incident.war_room", ["id": id])
            steps.append("war room \(IncidentRendering.text(last["war_room"]?["link"]))")
        }
        if let a = inv.value("assignee") {
            last = try client.call("incident.assign", ["id": id, "assignee": .string(a)])
            steps.append("assigned to \(a)")
        }
        for (flag, role) in [("commander", "incident_commander"), ("communications-lead", "communications_lead"), ("technical-lead", "technical_lead")] {
            if let p = inv.value(flag) {
                last = try client.call("incident.assign", ["id": id, "role": .string(role), "person": .string(p)])
                steps.append("\(role) \(p)")
            }
        }
        if inv.flag("auto-assign") {
            last = try client.call("incident.assign", ["id": id, "auto": .bool(true)])
            steps.append("assigned to \(IncidentRendering.text(last["assignee"])) (on call now)")
        }
        if !steps.isEmpty, !inv.global.json { inv.print("\(id.stringValue!): " + steps.joined(separator: "; ")) }
        if steps.isEmpty {
            throw CLIError.usage("nothing to do; give --severity, --create-war-room, --assignee, --commander or --auto-assign", inv.spec.usage)
        }
        if inv.global.json { inv.print(last.jsonString) }
    }

    static let communicate = CommandSpec(
        ["incident", "communicate"], "post a status update to channels",
        values: ["incident-id", "message", "channels", "status"], positionals: 1
    ) { (inv) throws(CLIError) in
        var args: JSONObject = ["id": .string(try inv.incidentID()), "message": .string(try inv.required("message"))]
        let channels = (inv.value("channels") ?? "log").split(separator: ",").map { JSONValue.string(String($0)) }
        args["channels"] = .array(channels)
        if let s = inv.value("status") { args["status"] = .string(s) }
        let r = try inv.client().call("incident.update", args)
        inv.show(r) { r in
            var t = Table(["CHANNEL", "DELIVERED", "DETAIL"])
            for d in r["deliveries"]?.arrayValue ?? [] {
                t.add([IncidentRendering.text(d["channel"]), d["ok"]?.boolValue == true ? "yes" : "NO", IncidentRendering.text(d["detail"])])
            }
            return "Status update recorded on \(IncidentRendering.text(r["id"])) (timeline: status_update)\n\n" + t.text
        }
    }

    static let resolve = CommandSpec(
        ["incident", "resolve"], "apply a workaround (→ mitigated) or a permanent fix (→ resolved)",
        values: ["incident-id", "resolution", "type", "verification", "probe-url", "probe-timeout-ms", "quiet-window-s"], positionals: 1
    ) { (inv) throws(CLIError) in
        var args: JSONObject = ["id": .string(try inv.incidentID()), "resolution": .string(try inv.required("resolution"))]
        args["type"] = .string(inv.value("type") ?? "permanent")
        if let v = inv.value("verification") { args["verification"] = .string(v) }
        if let v = inv.value("probe-url") { args["probe_url"] = .string(v) }
        if let v = inv.value("probe-timeout-ms") { args["probe_timeout_ms"] = .int(Int64(try inv.int("probe-timeout-ms", default: 2000, range: 1...60_000))); _ = v }
        if let v = inv.value("quiet-window-s") { args["quiet_window_s"] = .int(Int64(try inv.int("quiet-window-s", default: 300, range: 1...86_400))); _ = v }
        let r = try inv.client().call("incident.resolve", args)
        inv.show(r) { r in IncidentRendering.changed("resolution applied", r) }
        if r["verification"]?["passed"]?.boolValue == false {
            throw CLIError(.failed("verification failed (\(IncidentRendering.text(r["verification"]?["detail"]))): the incident stays \(IncidentRendering.text(r["status"])); the timeline has a resolution_failed entry"))
        }
    }

    static let review = CommandSpec(
        ["incident", "review"], "complete the post-incident review (action items, knowledge-base article)",
        values: ["incident-id", "root-cause", "summary"], flags: ["generate-action-items", "update-knowledge-base"], positionals: 1
    ) { (inv) throws(CLIError) in
        var args: JSONObject = ["id": .string(try inv.incidentID())]
        if let v = inv.value("root-cause") { args["root_cause"] = .string(v) }
        if let v = inv.value("summary") { args["summary"] = .string(v) }
        args["generate_action_items"] = .bool(inv.flag("generate-action-items"))
        args["update_knowledge_base"] = .bool(inv.flag("update-knowledge-base"))
        let r = try inv.client().call("incident.review", args)
        inv.show(r) { r in
            var out = "Post-incident review completed for \(IncidentRendering.text(r["id"]))\n\n"
            out += keyValues([("root cause", IncidentRendering.text(r["review"]?["root_cause"])), ("summary", IncidentRendering.text(r["review_summary"]))])
            if let items = r["action_items"]?.arrayValue, !items.isEmpty {
                var t = Table(["ACTION ITEM", "OWNER", "DUE"])
                for a in items { t.add([IncidentRendering.text(a["description"]), IncidentRendering.text(a["owner"]), IncidentRendering.text(a["due_at"])]) }
                out += "\n\n" + t.text
            }
            if let md = r["kb_article_markdown"]?.stringValue { out += "\n\nKnowledge-base article published:\n\n" + md }
            out += "\n\nNot yet available: knowledge-base search and similar-incident suggestions."
            return out
        }
    }

    static let list = CommandSpec(
        ["incident", "list"], "list incidents, newest first",
        values: ["status", "severity", "service", "dedup-key", "category", "limit"], flags: ["open", "closed"]
    ) { (inv) throws(CLIError) in
        var args = JSONObject()
        for (flag, key) in [("status", "status"), ("severity", "severity"), ("service", "service"), ("dedup-key", "dedup_key"), ("category", "category")] {
            if let v = inv.value(flag) { args[key] = .string(v) }
        }
        if inv.flag("open") { args["open"] = .bool(true) }
        if inv.flag("closed") { args["open"] = .bool(false) }
        args["limit"] = .int(Int64(try inv.int("limit", default: 50, range: 1...10_000)))
        let r = try inv.client().call("incident.list", args)
        inv.show(r) { r in IncidentRendering.list(r["incidents"]?.arrayValue ?? [], more: r["more"]?.boolValue ?? false) }
    }

    static let show = CommandSpec(["incident", "show"], "one incident with its timeline", values: ["incident-id"], positionals: 1) { (inv) throws(CLIError) in
        let r = try inv.client().call("incident.get", ["id": .string(try inv.incidentID())])
        inv.show(r) { IncidentRendering.detail($0) }
    }

    static func simple(_ verb: String, _ op: String, _ summary: String, done: String, values: [String] = [], flags: [String] = [], build: @escaping @Sendable (Invocation, inout JSONObject) throws(CLIError) -> Void = { _, _ in }) -> CommandSpec {
        CommandSpec(["incident", verb], summary, values: ["incident-id", "actor"] + values, flags: flags, positionals: 1) { (inv) throws(CLIError) in
            var args: JSONObject = ["id": .string(try inv.incidentID())]
            if let a = inv.value("actor") { args["actor"] = .string(a) }
            try build(inv, &args)
            let r = try inv.client().call(op, args)
            inv.show(r) { r in IncidentRendering.changed(done, r) }
        }
    }

    static let ack = simple("ack", "incident.ack", "acknowledge", done: "acknowledged")
    static let escalate = simple("escalate", "incident.escalate", "escalate (reason timeout|complexity|manual)", done: "escalated", values: ["reason", "detail", "team"]) { (inv, a) throws(CLIError) in
        if let v = inv.value("reason") { a["reason"] = .string(v) }
        if let v = inv.value("detail") { a["detail"] = .string(v) }
        if let v = inv.value("team") { a["team"] = .string(v) }
    }
    static let note = simple("note", "incident.note", "add a note to the timeline", done: "noted", values: ["text", "message"]) { (inv, a) throws(CLIError) in
        guard let t = inv.value("text") ?? inv.value("message") else { throw CLIError.usage("missing --text", inv.spec.usage) }
        a["text"] = .string(t)
    }
    static let reopen = simple("reopen", "incident.reopen", "reopen a resolved incident", done: "reopened", values: ["reason"]) { (inv, a) throws(CLIError) in
        if let v = inv.value("reason") { a["reason"] = .string(v) }
    }
    static let close = simple("close", "incident.close", "close a resolved incident", done: "closed", values: ["reason"], flags: ["force"]) { (inv, a) throws(CLIError) in
        if let v = inv.value("reason") { a["reason"] = .string(v) }
        if inv.flag("force") { a["force"] = .bool(true) }
    }
    static let assign = simple("assign", "incident.assign", "assign a person/team, or a role (--role R --person P)", done: "assigned", values: ["assignee", "role", "person"]) { (inv, a) throws(CLIError) in
        for k in ["assignee", "role", "person"] { if let v = inv.value(k) { a[k] = .string(v) } }
    }
    static let classify = simple("classify", "incident.classify", "correct the category (trains the classifier)", done: "reclassified", values: ["category", "reason"]) { (inv, a) throws(CLIError) in
        a["category"] = .string(try inv.required("category"))
        if let v = inv.value("reason") { a["reason"] = .string(v) }
    }
}
