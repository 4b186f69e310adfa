import AdminProtocol
import AetherJSON
import IncidentCore
import IncidentStorage
import PosixIO
import Synchronization

/// What each HTTP endpoint does (SPEC §5). Writes answer after they are durable and replicated like
/// admin writes (the reply carries `replicas`).
///
/// | endpoint | |
/// |---|---|
/// | `POST /v1/alerts` | one canonical alert object, or `{"alerts": […]}` |
/// | `POST /v1/integrations/alertmanager` | Alertmanager webhook, version 4 |
/// | `POST /v2/enqueue` | PagerDuty Events API v2 (`routing_key` = an integration key) |
/// | `GET /status`, `/status.json` | the public status page |
/// | `GET /metrics` | Prometheus text exposition |
/// | `GET /v1/schedules/NAME.ics` | a schedule's shifts (a week back, 90 days ahead) as iCalendar |
/// | `GET /healthz` | the process serves |
/// | `GET /readyz` | the log is replayed and the node has caught up with its peers |
///
/// With admin tokens configured, `/v1/…` needs `Authorization: Bearer <token>` of a responder;
/// PagerDuty events are authorized by their integration key.
final class HTTPRoutes: Sendable {
    private let service: IncidentService
    private let log: EventLog
    private let tokens: AdminTokens
    private let limits: AdminLimits
    private let replicas: @Sendable (ClosedRange<UInt64>) async -> Int
    private let ready: @Sendable () async -> Bool
    private let cluster: ClusterShell
    private let escalation: EscalationSupervisor
    private let startedAt: UInt64
    /// Responses sent, by status code (for `/metrics`).
    private let responses = Mutex<[Int: UInt64]>([:])

    init(
        service: IncidentService, log: EventLog, tokens: AdminTokens, limits: AdminLimits,
        replicas: @escaping @Sendable (ClosedRange<UInt64>) async -> Int, ready: @escaping @Sendable () async -> Bool,
        cluster: ClusterShell, escalation: EscalationSupervisor, startedAt: UInt64
    ) {
        self.cluster = cluster
        self.escalation = escalation
        self.startedAt = startedAt
        self.service = service
        self.log = log
        self.tokens = tokens
        self.limits = limits
        self.replicas = replicas
        self.ready = ready
    }

    /// Answers one request.
    func handle(_ r: HTTPRequest) async -> HTTPResponse {
        let response = await route(r)
        responses.withLock { $0[response.status, default: 0] += 1 }
        return response
    }

    private func route(_ r: HTTPRequest) async -> HTTPResponse {
        switch r.path {
        case "/status", "/status.json":
            guard r.method == "GET" else { return Self.methodNotAllowed(r, allow: "GET") }
            let page = await statusPage()
            return r.path == "/status" ? .text(200, page.html, contentType: "text/html; charset=utf-8") : .json(200, page.json)
        case let path where path.hasPrefix("/v1/schedules/") && path.hasSuffix(".ics"):
            guard r.method == "GET" else { return Self.methodNotAllowed(r, allow: "GET") }
            return await authorized(r, op: .oncallICS) { () async throws(AdminError) -> HTTPResponse in
                let name = String(path.dropFirst("/v1/schedules/".count).dropLast(4))
                guard let calculator = self.service.catalog.current.calculator(schedule: name) else {
                    throw AdminError(.notFound, "schedule '\(name)' not found")
                }
                let now = self.service.sequencer.now
                let shifts = calculator.shifts(from: now - .seconds(7 * 86400), to: now + .seconds(90 * 86400))
                return .text(200, ICalendar.export(calendarName: name, shifts: shifts, generatedAt: now), contentType: "text/calendar; charset=utf-8")
            }
        case "/metrics":
            guard r.method == "GET" else { return Self.methodNotAllowed(r, allow: "GET") }
            return .text(200, await metricsText(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        case "/healthz":
            guard r.method == "GET" else { return Self.methodNotAllowed(r, allow: "GET") }
            return .json(200, ["status": "ok"])
        case "/readyz":
            guard r.method == "GET" else { return Self.methodNotAllowed(r, allow: "GET") }
            return await ready() ? .json(200, ["status": "ready"]) : .json(503, ["status": "catching up"])
        case "/v1/alerts":
            guard r.method == "POST" else { return Self.methodNotAllowed(r, allow: "POST") }
            return await authorized(r) { () async throws(AdminError) -> HTTPResponse in
                try await self.ingest(try Self.genericAlerts(try Self.json(r)), status: 202)
            }
        case "/v1/integrations/alertmanager":
            guard r.method == "POST" else { return Self.methodNotAllowed(r, allow: "POST") }
            return await authorized(r) { () async throws(AdminError) -> HTTPResponse in
                _ = try Self.json(r)  // content type and JSON first, with their own messages
                return try await self.ingest(try AlertmanagerWebhook.decode(r.body), status: 200)
            }
        case "/v2/enqueue":
            guard r.method == "POST" else { return Self.methodNotAllowed(r, allow: "POST") }
            return await pagerDuty(r)
        default:
            return Self.error(404, "no endpoint \(r.path); expected /v1/alerts, /v1/integrations/alertmanager, /v2/enqueue, /status, /status.json, /metrics, /healthz or /readyz")
        }
    }

    // MARK: - Endpoints

    private func statusPage() async -> StatusPage {
        let summaries = service.index.all()
        let now = service.sequencer.now
        let catalogServices = service.catalog.current.names(.service)
        // Latest updates only for the incidents the page shows (the worst 100 open ones).
        let first = StatusPage(summaries: summaries, catalogServices: catalogServices, updates: [:], now: now)
        var updates: [IncidentID: String] = [:]
        for o in first.open where o.summary.lastStatusUpdateAt != nil {
            guard let record = try? await service.record(o.summary.id) else { continue }
            for e in record.events.reversed() {
                if case .statusUpdate(let message, let channels) = e.body, channels.contains("statuspage") {
                    updates[o.summary.id] = message
                    break
                }
            }
        }
        var page = first
        page.open = first.open.map { StatusPage.OpenIncident(summary: $0.summary, latestUpdate: updates[$0.summary.id]) }
        return page
    }

    private func metricsText() async -> String {
        let m = service.metrics(since: nil, until: nil)
        return MetricsExposition.render(
            metrics: m, logEvents: service.digest.current.events, replication: cluster.replication.status().stats,
            escalation: await escalation.status().stats, http: responses.withLock { $0 },
            uptimeSeconds: Double(monotonicNanos() - startedAt) / 1e9)
    }

    private func pagerDuty(_ r: HTTPRequest) async -> HTTPResponse {
        if let type = r.header("Content-Type"), !type.lowercased().hasPrefix("application/json") {
            return .json(400, PagerDutyEvents.Rejection(errors: ["Content-Type '\(type)' is not supported; expected application/json"]).body)
        }
        let accepted: PagerDutyEvents.Accepted
        switch PagerDutyEvents.decode(r.body, generateKey: Self.generatedKey) {
        case .failure(let rejection): return .json(400, rejection.body)
        case .success(let a): accepted = a
        }
        guard let integration = service.catalog.integration(accepted.routingKey) else {
            return .json(400, PagerDutyEvents.Rejection(errors: ["routing_key is not a known integration key; create one with `aether integration create`"]).body)
        }
        var alert = accepted.alert
        alert.service = integration.service
        do {
            _ = try await store([alert])
            return .json(202, PagerDutyEvents.successBody(dedupKey: accepted.dedupKey))
        } catch {
            return Self.error(error)
        }
    }

    /// Ingests, waits for durability and the write quorum; answers `status` with the results.
    private func ingest(_ alerts: [Alert], status: Int) async throws(AdminError) -> HTTPResponse {
        let (results, replicaCount) = try await store(alerts)
        let rendered: [JSONValue] = results.map { r in
            [
                "incident_id": r.incidentID.map { .string($0.text) } ?? .null, "created": .bool(r.created), "dedup_key": .string(r.dedupKey),
            ]
        }
        return .json(status, ["results": .array(rendered), "replicas": .int(Int64(replicaCount))])
    }

    /// Ingests alerts the decoders already validated; returns once they are durable and held by the
    /// write quorum (or its timeout passed), with the number of nodes holding them.
    private func store(_ alerts: [Alert]) async throws(AdminError) -> ([IncidentService.IngestResult], Int) {
        guard !alerts.isEmpty else { return ([], 1) }
        guard alerts.count <= limits.batchAlertsMax else {
            throw AdminError(.badRequest, "\(alerts.count) alerts in one request; expected at most \(limits.batchAlertsMax)")
        }
        let firstLSN = log.nextLSN
        let results: [IncidentService.IngestResult]
        let lsn: UInt64
        do { (results, lsn) = try await service.ingest(alerts, actor: "") } catch {
            switch error {
            case .domain(let d): throw AdminError(d)
            case .log(let l): throw AdminError(.unavailable, "the node's log cannot take writes: \(l)")
            case .moved: throw AdminError(.unavailable, "incident moved; retry")
            }
        }
        var replicaCount = 1
        if lsn > 0 {
            do { try await log.waitDurable(lsn) } catch { throw AdminError(.unavailable, "not durable: \(error)") }
            replicaCount = await replicas(min(firstLSN, lsn)...lsn)
        }
        let forwarded = results.compactMap(\.forwardedReplicas).min()
        return (results, min(replicaCount, forwarded ?? replicaCount))
    }

    private func authorized(_ r: HTTPRequest, op: AdminOp = .alertIngest, _ body: () async throws(AdminError) -> HTTPResponse) async -> HTTPResponse {
        var token: String?
        if let auth = r.header("Authorization") {
            guard auth.lowercased().hasPrefix("bearer ") else {
                return Self.error(401, "Authorization '\(auth.prefix(16))…' is not a bearer token; expected `Authorization: Bearer <token>`")
            }
            token = String(auth.dropFirst(7))
        }
        if case .failure(let e) = tokens.authorize(token, op: op) { return Self.error(e) }
        do { return try await body() } catch { return Self.error(error) }
    }

    // MARK: - Bodies

    /// The body as JSON, after checking its content type.
    static func json(_ r: HTTPRequest) throws(AdminError) -> JSONValue {
        if let type = r.header("Content-Type"), !type.lowercased().hasPrefix("application/json") {
            throw AdminError(.badRequest, "Content-Type '\(type)' is not supported; expected application/json")
        }
        guard !r.body.isEmpty else { throw AdminError(.badRequest, "empty body; expected a JSON object") }
        do { return try JSONParser.parse(r.body) } catch { throw AdminError(.badRequest, "body is not valid JSON: \(error)") }
    }

    /// One canonical alert, or `{"alerts": […]}`.
    static func genericAlerts(_ v: JSONValue) throws(AdminError) -> [Alert] {
        guard case .object(let o) = v else { throw AdminError(.badRequest, "body is \(v.typeWithArticle); expected an alert object or {\"alerts\": [...]}") }
        if o.count == 1, let list = o["alerts"] {
            guard case .array(let items) = list else { throw AdminError(.badRequest, "alerts is \(list.typeWithArticle); expected a list of alerts") }
            var out: [Alert] = []
            for (n, item) in items.enumerated() {
                guard case .object(let a) = item else { throw AdminError(.badRequest, "alerts[\(n)] is \(item.typeWithArticle); expected an object") }
                out.append(try Alert(json: a, path: "alerts[\(n)]"))
            }
            return out
        }
        return [try Alert(json: o, path: "alert")]
    }

    // MARK: - Responses

    /// A JSON error body: `{"error": {"code": "<admin code>", "message": "…"}}`.
    static func error(_ status: Int, _ message: String) -> HTTPResponse {
        let code: String
        switch status {
        case 401: code = "unauthorized"
        case 403: code = "forbidden"
        case 404: code = "not_found"
        case 405: code = "method_not_allowed"
        case 408: code = "timeout"
        case 413: code = "too_large"
        case 503: code = "unavailable"
        default: code = status >= 500 ? "internal" : "bad_request"
        }
        return .json(status, ["error": ["code": .string(code), "message": .string(message)]])
    }

    static func error(_ e: AdminError) -> HTTPResponse {
        let status: Int
        switch e.code {
        case .unauthorized: status = 401
        case .forbidden: status = 403
        case .notFound: status = 404
        case .tooLarge: status = 413
        case .unavailable: status = 503
        case .internal: status = 500
        default: status = 400
        }
        return .json(status, ["error": ["code": .string(e.code.wire), "message": .string(e.message)]])
    }

    static func methodNotAllowed(_ r: HTTPRequest, allow: String) -> HTTPResponse {
        var response = error(405, "method \(r.method) is not allowed on \(r.path); expected \(allow)")
        response.headers.append(("Allow", allow))
        return response
    }

    /// A dedup key for a PagerDuty trigger that brought none (32 hex digits).
    @Sendable static func generatedKey() -> String {
        var g = SystemRandomNumberGenerator()
        let a = g.next() as UInt64
        let b = g.next() as UInt64
        func hex(_ v: UInt64) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return hex(a) + hex(b)
    }
}
