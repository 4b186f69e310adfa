import IncidentCore

/// Prometheus text exposition (format 0.0.4) of the node's figures for `GET /metrics`.
struct MetricsExposition {
    private var out = ""

    /// A gauge or counter family with one sample per label set.
    mutating func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: [(String, String)], value: Double)]) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        for s in samples {
            out += name
            if !s.labels.isEmpty {
                out += "{" + s.labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
            }
            out += " " + Self.number(s.value) + "\n"
        }
    }

    /// One unlabelled sample.
    mutating func single(_ name: String, _ type: String, _ help: String, _ value: Double?) {
        guard let value else { return }
        family(name, type, help, [([], value)])
    }

    var text: String { out }

    static func escape(_ s: String) -> String {
        s.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
    }

    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }

    /// The node's exposition: incidents by status and severity, MTTA/MTTR, SLA, the log, replication,
    /// escalation and HTTP intake counters.
    static func render(
        metrics m: IncidentMetrics, logEvents: Int64, replication: ReplicationShell.Stats, escalation: EscalationSupervisor.Stats,
        http: [Int: UInt64], uptimeSeconds: Double
    ) -> String {
        var e = MetricsExposition()
        e.family("aether_incidents", "gauge", "Incidents held, by status.", IncidentStatus.allCases.map { ([("status", $0.rawValue)], Double(m.byStatus[$0] ?? 0)) })
        e.family("aether_incidents_open", "gauge", "Open incidents, by severity.", Severity.allCases.map { ([("severity", $0.description)], Double(m.bySeverity[$0]?.open ?? 0)) })
        e.single("aether_incidents_total", "counter", "Incidents opened (volume).", Double(m.overall.volume))
        e.single("aether_mtta_seconds", "gauge", "Mean time to acknowledge.", m.overall.mttaSeconds)
        e.single("aether_mttr_seconds", "gauge", "Mean time to resolve.", m.overall.mttrSeconds)
        e.single("aether_sla_compliance_ratio", "gauge", "Share of incidents that met their severity's targets.", m.overall.slaCompliance)
        e.single("aether_log_events", "gauge", "Events and repeat counters held (log.digest).", Double(logEvents))
        e.single("aether_replication_events_pushed_total", "counter", "Events pushed to peers.", Double(replication.pushedEvents))
        e.single("aether_replication_events_received_total", "counter", "Events received from peers.", Double(replication.receivedEvents))
        e.single("aether_anti_entropy_rounds_total", "counter", "Anti-entropy rounds.", Double(replication.antiEntropyRounds))
        e.single("aether_anti_entropy_records_merged_total", "counter", "Records merged by anti-entropy.", Double(replication.recordsMerged))
        e.single("aether_escalation_steps_fired_total", "counter", "Escalation steps this node recorded.", Double(escalation.fired))
        e.single("aether_escalation_overdue_total", "counter", "escalation_overdue alerts this node raised.", Double(escalation.overdueRaised))
        e.family("aether_http_responses_total", "counter", "HTTP responses, by status code.", http.keys.sorted().map { ([("code", String($0))], Double(http[$0]!)) })
        e.single("aether_uptime_seconds", "gauge", "Seconds since the process started.", uptimeSeconds)
        return e.text
    }
}
