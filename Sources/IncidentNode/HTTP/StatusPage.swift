import AetherJSON
import IncidentCore

/// The public status page (`GET /status`, `/status.json`): services and their state, open
/// incidents with severity, start and latest update, and incidents resolved in the last week.
/// Pure: built from summaries and the catalog, rendered to JSON or to self-contained HTML (no
/// external assets; readable on a phone).
struct StatusPage {
    /// A service's state, from the worst severity among its open incidents.
    enum ServiceState: String {
        case operational, degradedPerformance = "degraded_performance", partialOutage = "partial_outage", majorOutage = "major_outage"

        init(worst: Severity?) {
            switch worst {
            case .sev0?: self = .majorOutage
            case .sev1?: self = .partialOutage
            case .sev2?: self = .degradedPerformance
            default: self = .operational
            }
        }

        var label: String {
            switch self {
            case .operational: "Operational"
            case .degradedPerformance: "Degraded performance"
            case .partialOutage: "Partial outage"
            case .majorOutage: "Major outage"
            }
        }
    }

    struct OpenIncident {
        var summary: IncidentSummary
        /// The latest stakeholder update's text, if any.
        var latestUpdate: String?
    }

    var generatedAt: Timestamp
    var services: [(name: String, state: ServiceState, open: Int)]
    var open: [OpenIncident]
    var resolved: [IncidentSummary]

    /// How far back "recently resolved" reaches.
    static let resolvedWindow: Duration = .seconds(7 * 86400)

    /// Builds the page from every summary and the catalog's services.
    init(summaries: [IncidentSummary], catalogServices: [String], updates: [IncidentID: String], now: Timestamp) {
        generatedAt = now
        let open = summaries.filter { $0.status.isOpen }
            .sorted { ($0.severity, $0.createdAt) < ($1.severity, $1.createdAt) }
        self.open = open.prefix(100).map { OpenIncident(summary: $0, latestUpdate: updates[$0.id]) }
        resolved = summaries.filter { s in s.resolvedAt.map { now - $0 <= Self.resolvedWindow } ?? false && !s.status.isOpen }
            .sorted { ($0.resolvedAt ?? now) > ($1.resolvedAt ?? now) }.prefix(20).map { $0 }
        var names = Set(catalogServices)
        for s in open where !s.service.isEmpty { names.insert(s.service) }
        for s in resolved where !s.service.isEmpty { names.insert(s.service) }
        var byService: [String: (worst: Severity?, count: Int)] = [:]
        for s in open {
            var e = byService[s.service] ?? (nil, 0)
            e.count += 1
            if s.status != .mitigated { e.worst = min(e.worst ?? s.severity, s.severity) }
            byService[s.service] = e
        }
        services = names.sorted().map { name in (name, ServiceState(worst: byService[name]?.worst), byService[name]?.count ?? 0) }
    }

    var json: JSONValue {
        func time(_ t: Timestamp?) -> JSONValue { t.map { .string($0.rfc3339) } ?? .null }
        return [
            "generated_at": .string(generatedAt.rfc3339),
            "services": .array(services.map { ["name": .string($0.name), "status": .string($0.state.rawValue), "open_incidents": .int(Int64($0.open))] }),
            "open_incidents": .array(open.map { o in
                [
                    "id": .string(o.summary.id.text), "title": .string(o.summary.title), "service": .string(o.summary.service),
                    "severity": .string(o.summary.severity.description), "status": .string(o.summary.status.rawValue),
                    "started_at": time(o.summary.createdAt), "last_update_at": time(o.summary.lastStatusUpdateAt),
                    "latest_update": o.latestUpdate.map { .string($0) } ?? .null,
                ]
            }),
            "recently_resolved": .array(resolved.map { s in
                [
                    "id": .string(s.id.text), "title": .string(s.title), "service": .string(s.service), "severity": .string(s.severity.description),
                    "started_at": time(s.createdAt), "resolved_at": time(s.resolvedAt),
                ]
            }),
        ]
    }

    var html: String {
        func esc(_ s: String) -> String {
            var out = ""
            for c in s {
                switch c {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&quot;"
                case "'": out += "&#39;"
                default: out.append(c)
                }
            }
            return out
        }
        let worst = services.map(\.state).max { a, b in Self.rank(a) < Self.rank(b) } ?? .operational
        var h = """
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Status</title><style>
            body{font-family:system-ui,-apple-system,sans-serif;margin:0 auto;max-width:46rem;padding:1rem;color:#1d2433}
            h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}
            .banner{padding:.8rem 1rem;border-radius:.5rem;color:#fff;font-weight:600}
            .operational{background:#1f8a4c}.degraded_performance{background:#b7791f}.partial_outage{background:#c05621}.major_outage{background:#c53030}
            ul{list-style:none;padding:0}li{border-bottom:1px solid #e2e8f0;padding:.6rem 0}
            .tag{font-size:.8rem;border-radius:.3rem;padding:.1rem .4rem;color:#fff}
            .muted{color:#5a6478;font-size:.9rem}
            </style></head><body>
            <h1>System status</h1>
            <div class="banner \(worst.rawValue)" id="overall">\(worst == .operational ? "All systems operational" : esc(worst.label))</div>
            <h2>Services</h2><ul id="services">
            """
        for s in services {
            h += "<li><strong>\(esc(s.name))</strong> <span class=\"tag \(s.state.rawValue)\">\(esc(s.state.label))</span></li>"
        }
        h += "</ul><h2>Open incidents</h2><ul id=\"open-incidents\">"
        if open.isEmpty { h += "<li class=\"muted\">None.</li>" }
        for o in open {
            let s = o.summary
            h += "<li class=\"incident\"><span class=\"tag \(ServiceState(worst: s.severity).rawValue)\">\(s.severity)</span> "
            h += "<strong>\(esc(s.title))</strong> <span class=\"muted\">\(esc(s.service)) · \(s.status.rawValue) · since \(s.createdAt.rfc3339)</span>"
            if let u = o.latestUpdate { h += "<div>\(esc(u))</div>" }
            h += "</li>"
        }
        h += "</ul><h2>Resolved in the last 7 days</h2><ul id=\"resolved\">"
        if resolved.isEmpty { h += "<li class=\"muted\">None.</li>" }
        for s in resolved {
            h += "<li><strong>\(esc(s.title))</strong> <span class=\"muted\">\(esc(s.service)) · \(s.severity) · resolved \(s.resolvedAt?.rfc3339 ?? "")</span></li>"
        }
        h += "</ul><p class=\"muted\">Updated \(generatedAt.rfc3339).</p></body></html>\n"
        return h
    }

    private static func rank(_ s: ServiceState) -> Int {
        switch s {
        case .operational: 0
        case .degradedPerformance: 1
        case .partialOutage: 2
        case .majorOutage: 3
        }
    }
}
