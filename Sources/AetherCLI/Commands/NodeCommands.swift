import AetherJSON

/// `aether cluster status`, `metrics`, `optimize incident-process`, `node info`,
/// `log digest`, `admin snapshot`.
enum NodeCommands {
    static let all: [CommandSpec] = [clusterStatus, clusterFaults, metrics, optimize, nodeInfo, logDigest, adminSnapshot]

    static let clusterFaults = CommandSpec(
        ["cluster", "faults"], "inject partitions, latency and loss toward a peer (nodes started with --fault-injection on)",
        values: ["peer", "partition", "latency-ms", "jitter-ms", "drop-rate"], flags: ["clear"]
    ) { (inv) throws(CLIError) in
        var args = JSONObject()
        if inv.flag("clear") {
            args["clear"] = .bool(true)
        } else {
            args["peer"] = .string(try inv.required("peer"))
            if let v = inv.value("partition") { args["partition"] = .string(v) }
            if inv.value("latency-ms") != nil { args["latency_ms"] = .int(Int64(try inv.int("latency-ms", default: 0, range: 0...60_000))) }
            if inv.value("jitter-ms") != nil { args["jitter_ms"] = .int(Int64(try inv.int("jitter-ms", default: 0, range: 0...60_000))) }
            if let v = inv.value("drop-rate") {
                guard let d = Double(v) else { throw CLIError.usage("--drop-rate '\(v)' is not a number; expected 0 to 1", inv.spec.usage) }
                args["drop_rate"] = .double(d)
            }
        }
        let r = try inv.client().call("cluster.faults", args)
        inv.show(r) { r in
            var t = Table(["PEER", "PARTITION", "LATENCY MS", "JITTER MS", "DROP RATE"], rightAligned: [2, 3, 4])
            for (peer, rule) in r["rules"]?.objectValue ?? JSONObject() {
                let out = rule["drop_outbound"]?.boolValue == true
                let inn = rule["drop_inbound"]?.boolValue == true
                t.add([peer, out && inn ? "both" : out ? "out" : inn ? "in" : "none", IncidentRendering.text(rule["latency_ms"]),
                       IncidentRendering.text(rule["jitter_ms"]), IncidentRendering.text(rule["drop_rate"])])
            }
            return t.rows.isEmpty ? "no faults injected" : t.text
        }
    }

    static let clusterStatus = CommandSpec(["cluster", "status"], "members, their state and the write quorum") { (inv) throws(CLIError) in
        let r = try inv.client().call("cluster.status")
        inv.show(r) { r in
            var t = Table(["NODE", "REGION", "GOSSIP", "STATE", "INCARNATION", "REPLICATION LAG"], rightAligned: [4, 5])
            for m in r["members"]?.arrayValue ?? [] {
                let me = m["self"]?.boolValue == true
                t.add([IncidentRendering.text(m["node_id"]) + (me ? " (this node)" : ""), IncidentRendering.text(m["region"]),
                       IncidentRendering.text(m["gossip"]), IncidentRendering.text(m["state"]), IncidentRendering.text(m["incarnation"]),
                       me ? "" : IncidentRendering.text(m["replication_lag_events"]).replacing("-", with: "?") + " events"])
            }
            let rejected = (r["frames_rejected"]?.objectValue ?? JSONObject()).map { "\($0.key) \(IncidentRendering.text($0.value))" }
            return t.text + "\nwrite quorum: \(IncidentRendering.text(r["write_quorum"]))"
                + "   frames rejected: \(rejected.isEmpty ? "none" : rejected.joined(separator: ", "))"
        }
    }

    static let metrics = CommandSpec(["metrics"], "MTTA, MTTR, volume, reopen rate, SLA compliance", values: ["since", "until"]) { (inv) throws(CLIError) in
        var args = JSONObject()
        if let v = inv.value("since") { args["since"] = .string(v) }
        if let v = inv.value("until") { args["until"] = .string(v) }
        let r = try inv.client().call("metrics.get", args)
        inv.show(r) { r in
            func pct(_ v: JSONValue?) -> String { v?.doubleValue.map { String(format1($0 * 100)) + "%" } ?? "-" }
            var t = Table(["SEVERITY", "VOLUME", "OPEN", "MTTA", "MTTR", "REOPEN", "SLA"], rightAligned: [1, 2, 3, 4, 5, 6])
            t.add(["all", IncidentRendering.text(r["volume"]), IncidentRendering.text(r["open"]), IncidentRendering.duration(r["mtta_s"]),
                   IncidentRendering.duration(r["mttr_s"]), pct(r["reopen_rate"]), pct(r["sla_compliance"])])
            for s in ["SEV-0", "SEV-1", "SEV-2", "SEV-3", "SEV-4"] {
                guard let f = r["per_severity"]?[s], (f["volume"]?.intValue ?? 0) > 0 else { continue }
                t.add([s, IncidentRendering.text(f["volume"]), IncidentRendering.text(f["open"]), IncidentRendering.duration(f["mtta_s"]),
                       IncidentRendering.duration(f["mttr_s"]), pct(f["reopen_rate"]), pct(f["sla_compliance"])])
            }
            return t.text + "\nmean time to mitigate: \(IncidentRendering.duration(r["mttm_s"]))   customer satisfaction: not collected yet"
        }
    }

    static let optimize = CommandSpec(
        ["optimize", "incident-process"], "where time went in an incident, and what to change",
        values: ["from-incident", "target", "strategy"], positionals: 1
    ) { (inv) throws(CLIError) in
        var args: JSONObject = ["id": .string(try inv.incidentID())]
        if let v = inv.value("target") { args["target"] = .string(v) }
        if let v = inv.value("strategy") { args["strategy"] = .string(v) }
        let r = try inv.client().call("process.analyze", args)
        inv.show(r) { r in
            var t = Table(["PHASE", "THIS INCIDENT", "AVERAGE", "SHARE"], rightAligned: [1, 2, 3])
            for p in r["phases"]?.arrayValue ?? [] {
                t.add([IncidentRendering.text(p["name"]), IncidentRendering.duration(p["seconds"]), IncidentRendering.duration(p["average_seconds"]),
                       p["share"]?.doubleValue.map { format1($0 * 100) + "%" } ?? "-"])
            }
            var out = "Process analysis for \(IncidentRendering.text(r["incident_id"])) (target \(inv.value("target") ?? "reduce_mttr"))\n\n" + t.text
            out += "\n\nbottleneck: \(IncidentRendering.text(r["bottleneck"]))\n\nRecommendations:\n"
            out += (r["recommendations"]?.arrayValue ?? []).map { "- " + IncidentRendering.text($0) }.joined(separator: "\n")
            out += "\n\nNot yet available: executing strategies automatically, and trends across many incidents."
            return out
        }
    }

    static let nodeInfo = CommandSpec(["node", "info"], "the node's id, region, version, uptime and addresses") { (inv) throws(CLIError) in
        let r = try inv.client().call("node.info")
        inv.show(r) { r in
            keyValues([("node", IncidentRendering.text(r["node_id"])), ("region", IncidentRendering.text(r["region"])), ("version", IncidentRendering.text(r["version"])),
                       ("uptime", IncidentRendering.duration(r["uptime_s"])), ("admin", IncidentRendering.text(r["addresses"]?["admin"])),
                       ("http", IncidentRendering.text(r["addresses"]?["http"])), ("gossip", IncidentRendering.text(r["addresses"]?["gossip"]))])
        }
    }

    static let logDigest = CommandSpec(["log", "digest"], "the node's event count and order-independent digest") { (inv) throws(CLIError) in
        let r = try inv.client().call("log.digest")
        inv.show(r) { r in "events \(IncidentRendering.text(r["events"]))  digest \(IncidentRendering.text(r["digest"]))" }
    }

    static let adminSnapshot = CommandSpec(["admin", "snapshot"], "take a snapshot now and compact the log") { (inv) throws(CLIError) in
        let r = try inv.client().call("admin.snapshot")
        inv.show(r) { r in "snapshot at LSN \(IncidentRendering.text(r["lsn"])), \(IncidentRendering.text(r["bytes"])) bytes" }
    }
}

/// One decimal place.
func format1(_ d: Double) -> String {
    let v = (d * 10).rounded() / 10
    return v == v.rounded() ? String(Int(v)) : String(v)
}
