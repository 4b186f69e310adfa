import AetherJSON
import PosixIO

/// `aether person|schedule|policy|service set|get|list|delete`, `aether oncall who|shifts|gaps|ics`,
/// `aether escalation status`.
enum OnCallCommands {
    static let kinds = ["person", "schedule", "policy", "service"]

    static let all: [CommandSpec] = kinds.flatMap(catalogCommands) + [who, shifts, gaps, ics, escalationStatus]

    /// set FILE, get NAME, list, delete NAME for one kind.
    static func catalogCommands(_ kind: String) -> [CommandSpec] {
        [
            CommandSpec([kind, "set"], "create or replace a \(kind) from a JSON file (- for stdin)", positionals: 1) { (inv) throws(CLIError) in
                guard let path = inv.positionals.first else { throw CLIError.usage("missing FILE: the \(kind) as JSON", inv.spec.usage) }
                let document = try readJSON(path)
                let r = try inv.client().call("catalog.set", ["kind": .string(kind), "document": document])
                inv.show(r) { r in "\(kind) \(IncidentRendering.text(r["name"])) saved (replicas \(IncidentRendering.text(r["replicas"])))" }
            },
            CommandSpec([kind, "get"], "show a \(kind) as JSON", positionals: 1) { (inv) throws(CLIError) in
                guard let name = inv.positionals.first else { throw CLIError.usage("missing NAME", inv.spec.usage) }
                inv.print(try inv.client().call("catalog.get", ["kind": .string(kind), "name": .string(name)]).jsonString)
            },
            CommandSpec([kind, "list"], "list every \(kind)") { (inv) throws(CLIError) in
                let r = try inv.client().call("catalog.list", ["kind": .string(kind)])
                inv.show(r) { r in listTable(kind, r["items"]?.arrayValue ?? []) }
            },
            CommandSpec([kind, "delete"], "delete a \(kind) nothing refers to", positionals: 1) { (inv) throws(CLIError) in
                guard let name = inv.positionals.first else { throw CLIError.usage("missing NAME", inv.spec.usage) }
                let r = try inv.client().call("catalog.delete", ["kind": .string(kind), "name": .string(name)])
                inv.show(r) { _ in "\(kind) \(name) deleted" }
            },
        ]
    }

    static let who = CommandSpec(
        ["oncall", "who"], "who is on call for a service, policy or schedule, now or --at TIME",
        values: ["service", "schedule", "policy", "at"]
    ) { (inv) throws(CLIError) in
        var args = JSONObject()
        for k in ["service", "schedule", "policy", "at"] { if let v = inv.value(k) { args[k] = .string(v) } }
        let r = try inv.client().call("oncall.who", args)
        inv.show(r) { r in
            let at = IncidentRendering.text(r["at"])
            if let s = r["schedule"], !s.isNull {
                return "\(IncidentRendering.text(s)) (\(IncidentRendering.text(r["time_zone"]))) at \(at): \(r["on_call"]?.stringValue ?? "nobody on call")"
            }
            if let levels = r["levels"]?.arrayValue {
                var t = Table(["LEVEL", "ON CALL", "ESCALATES AFTER"], rightAligned: [0])
                for l in levels {
                    let people = (l["on_call"]?.arrayValue ?? []).compactMap(\.stringValue)
                    t.add([IncidentRendering.text(l["level"]), people.isEmpty ? "nobody" : people.joined(separator: ", "), IncidentRendering.duration(l["delay_s"])])
                }
                let head = r["service"].flatMap(\.stringValue).map { "service \($0), " } ?? ""
                return "\(head)policy \(IncidentRendering.text(r["policy"])) at \(at)\n" + t.text
            }
            var t = Table(["SCHEDULE", "ON CALL"])
            for s in r["schedules"]?.arrayValue ?? [] { t.add([IncidentRendering.text(s["schedule"]), s["on_call"]?.stringValue ?? "nobody"]) }
            return "at \(at)\n" + (t.rows.isEmpty ? "no schedules" : t.text)
        }
    }

    static let shifts = CommandSpec(["oncall", "shifts"], "a schedule's final shifts between --from and --to (default: next 7 days)", values: ["schedule", "from", "to"]) { (inv) throws(CLIError) in
        var args: JSONObject = ["schedule": .string(try inv.required("schedule"))]
        if let v = inv.value("from") { args["from"] = .string(v) }
        if let v = inv.value("to") { args["to"] = .string(v) }
        let r = try inv.client().call("oncall.shifts", args)
        inv.show(r) { r in
            var t = Table(["PERSON", "START", "END", "FROM"])
            for s in r["shifts"]?.arrayValue ?? [] {
                t.add([IncidentRendering.text(s["person"]), IncidentRendering.text(s["start"]), IncidentRendering.text(s["end"]), IncidentRendering.text(s["source"])])
            }
            return t.rows.isEmpty ? "nobody is on call in that window" : t.text
        }
    }

    static let gaps = CommandSpec(["oncall", "gaps"], "stretches with nobody on call in the next --days N (default 14; from --from TIME, default now)", values: ["schedule", "policy", "service", "days", "from"]) { (inv) throws(CLIError) in
        var args: JSONObject = [:]
        for k in ["schedule", "policy", "service", "from"] { if let v = inv.value(k) { args[k] = .string(v) } }
        if inv.value("days") != nil { args["days"] = .int(Int64(try inv.int("days", default: 14, range: 1...366))) }
        let r = try inv.client().call("oncall.gaps", args)
        inv.show(r) { r in
            var t = Table(["SCHEDULE/POLICY", "GAP START", "GAP END", "LENGTH"], rightAligned: [3])
            for s in r["subjects"]?.arrayValue ?? [] {
                let name = s["schedule"].map { "schedule " + IncidentRendering.text($0) } ?? "policy " + IncidentRendering.text(s["policy"])
                for g in s["gaps"]?.arrayValue ?? [] {
                    t.add([name, IncidentRendering.text(g["start"]), IncidentRendering.text(g["end"]), IncidentRendering.duration(g["duration_s"])])
                }
            }
            return t.rows.isEmpty ? "no gaps: someone is on call throughout" : t.text
        }
    }

    static let ics = CommandSpec(["oncall", "ics"], "a schedule's shifts as an iCalendar file (stdout)", values: ["schedule", "from", "to"]) { (inv) throws(CLIError) in
        var args: JSONObject = ["schedule": .string(try inv.required("schedule"))]
        if let v = inv.value("from") { args["from"] = .string(v) }
        if let v = inv.value("to") { args["to"] = .string(v) }
        let r = try inv.client().call("oncall.ics", args)
        inv.show(r) { r in r["ics"]?.stringValue ?? "" }
    }

    static let escalationStatus = CommandSpec(["escalation", "status"], "escalation timers on this node: pending, fired, lateness") { (inv) throws(CLIError) in
        let r = try inv.client().call("escalation.status")
        inv.show(r) { r in
            keyValues([
                ("warming up", r["warming_up"]?.boolValue == true ? "yes (steps wait until the node has caught up)" : "no"),
                ("steps due within a minute", IncidentRendering.text(r["tracked"])),
                ("steps due later (parked)", IncidentRendering.text(r["parked"])), ("owned with a step pending", IncidentRendering.text(r["owned_pending"])),
                ("steps fired", IncidentRendering.text(r["fired"])), ("stale fires skipped", IncidentRendering.text(r["stale_fires"])),
                ("overdue alarms raised", IncidentRendering.text(r["overdue_raised"])), ("supervisor restarts", IncidentRendering.text(r["restarts"])),
                ("lateness p50 / p99 / max", "\(IncidentRendering.text(r["lateness_p50_ms"])) / \(IncidentRendering.text(r["lateness_p99_ms"])) / \(IncidentRendering.text(r["lateness_max_ms"])) ms"),
            ])
        }
    }

    private static func listTable(_ kind: String, _ items: [JSONValue]) -> String {
        guard !items.isEmpty else { return "no \(kind) defined" }
        var t: Table
        switch kind {
        case "person":
            t = Table(["NAME", "FULL NAME", "CONTACTS"])
            for p in items {
                let contacts = (p["contacts"]?.arrayValue ?? []).map { "\(IncidentRendering.text($0["channel"])):\(IncidentRendering.text($0["address"]))" }
                t.add([IncidentRendering.text(p["name"]), IncidentRendering.text(p["full_name"]), contacts.joined(separator: " ")])
            }
        case "schedule":
            t = Table(["NAME", "TIME ZONE", "LAYERS", "OVERRIDES"], rightAligned: [2, 3])
            for s in items {
                t.add([IncidentRendering.text(s["name"]), IncidentRendering.text(s["time_zone"]), "\(s["layers"]?.arrayValue?.count ?? 0)", "\(s["overrides"]?.arrayValue?.count ?? 0)"])
            }
        case "policy":
            t = Table(["NAME", "LEVELS", "REPEATS", "ACK TIMEOUT", "MANAGERS"], rightAligned: [1, 2])
            for p in items {
                t.add([IncidentRendering.text(p["name"]), "\(p["levels"]?.arrayValue?.count ?? 0)", IncidentRendering.text(p["repeats"]),
                       IncidentRendering.duration(p["ack_timeout_s"]), (p["managers"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")])
            }
        default:
            t = Table(["NAME", "POLICY", "CRITICALITY", "OWNING TEAM", "SPECIALIST TEAM", "BUSINESS OWNER"])
            for s in items {
                t.add([IncidentRendering.text(s["name"]), IncidentRendering.text(s["policy"]), IncidentRendering.text(s["criticality"]),
                       IncidentRendering.text(s["owning_team"]), IncidentRendering.text(s["specialist_team"]), IncidentRendering.text(s["business_owner"])])
            }
        }
        return t.text
    }

    /// Reads and parses a JSON file (`-`: standard input).
    static func readJSON(_ path: String) throws(CLIError) -> JSONValue {
        let bytes: [UInt8]
        do {
            bytes = path == "-" ? try PosixFile.readStandardInput() : try PosixFile(path: path, create: false, readOnly: true).readAll()
        } catch {
            throw CLIError.usage("cannot read '\(path)': \(error.reason)")
        }
        do { return try JSONParser.parse(bytes) } catch {
            throw CLIError.usage("'\(path)' is not valid JSON: \(error)")
        }
    }
}
