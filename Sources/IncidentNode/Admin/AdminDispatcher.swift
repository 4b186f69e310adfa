import AdminProtocol
import AetherJSON
import IncidentCluster
import IncidentCore
import IncidentStorage

/// Turns admin requests into incident operations and their results into JSON (SPEC §4,
/// Docs/admin-protocol.md). Each call returns the result and the LSN the reply must wait for.
final class AdminDispatcher: Sendable {
    let service: IncidentService
    let node: NodeInfo
    let tokens: AdminTokens
    let limits: AdminLimits
    let operations: NodeOperations
    let cluster: ClusterShell
    let escalation: EscalationSupervisor

    init(
        service: IncidentService, node: NodeInfo, tokens: AdminTokens, limits: AdminLimits, operations: NodeOperations,
        cluster: ClusterShell, escalation: EscalationSupervisor
    ) {
        self.escalation = escalation
        self.cluster = cluster
        self.service = service
        self.node = node
        self.tokens = tokens
        self.limits = limits
        self.operations = operations
    }

    /// Handles one request.
    func handle(_ request: AdminRequest) async -> (Result<AdminReply, AdminError>, UInt64) {
        guard let op = AdminOp(rawValue: request.op) else {
            return (.failure(AdminError(.unknownOp, "unknown op '\(request.op)'; expected one of \(AdminOp.allCases.map(\.rawValue).joined(separator: ", "))")), 0)
        }
        let caller: String?
        switch tokens.authorize(request.token, op: op) {
        case .success(let name): caller = name
        case .failure(let e): return (.failure(e), 0)
        }
        do {
            if let alerts = request.alerts {
                // Read by the ingest fast path: answered from the results, without JSON values.
                let batch = op == .alertIngestBatch
                if batch { try checkBatchSize(alerts.count) }
                let (results, lsn) = try await ingest(alerts)
                return (.success(.ingested(results, batch: batch)), lsn)
            }
            let (result, lsn) = try await route(op, ArgReader(request.args, op: request.op), caller: caller)
            return (result.map(AdminReply.json), lsn)
        } catch {
            return (.failure(error), 0)
        }
    }

    /// Handles consecutive `alert.ingest` requests as one ingest; one outcome per request, in order.
    func handleIngestRun(_ requests: [AdminRequest]) async -> [(Result<AdminReply, AdminError>, UInt64)] {
        var outcomes = [(Result<AdminReply, AdminError>, UInt64)](repeating: (.failure(AdminError(.internal, "not handled")), 0), count: requests.count)
        var alerts: [Alert] = []
        var owners: [Int] = []
        for (n, request) in requests.enumerated() {
            if case .failure(let e) = tokens.authorize(request.token, op: .alertIngest) {
                outcomes[n] = (.failure(e), 0)
                continue
            }
            do {
                if let scanned = request.alerts, scanned.count == 1 {
                    alerts.append(scanned[0])
                } else {
                    alerts.append(try Alert(json: request.args, path: "args"))
                }
                owners.append(n)
            } catch {
                outcomes[n] = (.failure(error), 0)
            }
        }
        guard !alerts.isEmpty else { return outcomes }
        do {
            let (results, lsn) = try await ingest(alerts)
            for (k, n) in owners.enumerated() { outcomes[n] = (.success(.ingested([results[k]], batch: false)), lsn) }
        } catch {
            for n in owners { outcomes[n] = (.failure(error), 0) }
        }
        return outcomes
    }

    private func route(_ op: AdminOp, _ args: ArgReader, caller: String?) async throws(AdminError) -> (Result<JSONValue, AdminError>, UInt64) {
        func who() throws(AdminError) -> String {
            if let a = try args.optionalString("actor"), !a.isEmpty {
                guard a.utf8.count <= 128 else { throw AdminError(.badRequest, "args.actor is \(a.utf8.count) bytes; expected at most 128") }
                return a
            }
            return caller ?? "operator"
        }
        switch op {
        case .nodeInfo:
            try args.only([])
            return (.success(.object(node.json(uptime: operations.uptimeSeconds()))), 0)
        case .clusterStatus:
            try args.only([])
            return (.success(.object(node.clusterJSON(cluster))), 0)
        case .logDigest:
            try args.only([])
            let d = service.digest.current
            return (.success(["events": .int(d.events), "digest": .string(StateDigest.hex(d.value))]), 0)
        case .alertIngest:
            let (results, lsn) = try await ingest([try Alert(json: args.args, path: "args")])
            return (.success(.object(AdminReply.render(results[0]))), lsn)
        case .alertIngestBatch:
            try args.only(["alerts"])
            guard let list = args.args["alerts"] else { throw AdminError(.badRequest, "missing args.alerts; expected a list of alerts") }
            guard case .array(let items) = list else { throw AdminError(.badRequest, "args.alerts is \(list.typeWithArticle); expected a list of alerts") }
            guard !items.isEmpty else { throw AdminError(.badRequest, "args.alerts is empty; expected 1 to \(limits.batchAlertsMax) alerts") }
            try checkBatchSize(items.count)
            var alerts: [Alert] = []
            alerts.reserveCapacity(items.count)
            for (n, item) in items.enumerated() {
                guard case .object(let o) = item else {
                    throw AdminError(.badRequest, "args.alerts[\(n)] is \(item.typeWithArticle); expected an object")
                }
                alerts.append(try Alert(json: o, path: "args.alerts[\(n)]"))
            }
            let (results, lsn) = try await ingest(alerts)
            return (.success(["results": .array(results.map { .object(AdminReply.render($0)) })]), lsn)
        case .incidentList:
            try args.only(["status", "severity", "service", "dedup_key", "open", "category", "limit"])
            var f = IncidentFilter()
            f.status = try args.optionalParsed("status", IncidentStatus.init(parsing:), invalid: IncidentStatus.invalidMessage)
            f.severity = try args.optionalParsed("severity", Severity.parseExplicit, invalid: { Severity.invalidMessage($0, allowMonitoringLevels: false) })
            f.category = try args.optionalParsed("category", Category.init(parsing:), invalid: Category.invalidMessage)
            f.service = try args.optionalString("service")
            f.dedupKey = try args.optionalString("dedup_key")
            f.open = try args.optionalBool("open")
            let limit = try args.optionalInt("limit", range: 1...limits.listLimitMax) ?? 100
            let (list, more) = service.index.list(f, limit: limit)
            return (.success(["incidents": .array(list.map { .object(IncidentJSON.render($0, owner: owner($0.dedupKey))) }), "more": .bool(more)]), 0)
        case .incidentGet:
            try args.only(["id"])
            let id = try args.incidentID()
            let record = try await run { () throws(IncidentOpError) in try await service.record(id) }
            return (.success(.object(IncidentJSON.render(record, owner: owner(record.incident.dedupKey), timeline: true))), 0)
        case .incidentAck:
            try args.only(["id", "actor"])
            return try await command(args, .acknowledge, who())
        case .incidentAssign:
            try args.only(["id", "assignee", "role", "person", "auto", "actor"])
            if try args.optionalBool("auto") == true {
                let id = try args.incidentID()
                guard let svc = self.service.index.get(id)?.service else { throw AdminError(.notFound, "incident \(id) not found") }
                let catalog = self.service.catalog.current
                guard let policy = catalog.policy(forService: svc) else {
                    throw AdminError(.unavailable, "cannot auto-assign \(id): service '\(svc)' has no escalation policy; add one with `aether service set` and `aether policy set`, or assign with --assignee NAME")
                }
                guard let first = catalog.firstResponders(policy: policy, at: self.service.sequencer.now).first else {
                    throw AdminError(.unavailable, "cannot auto-assign \(id): nobody is on call for level 1 of policy '\(policy.name)' now (see `aether oncall gaps`); assign with --assignee NAME")
                }
                if let roleText = try args.optionalString("role") {
                    guard let role = IncidentRole(parsing: roleText) else { throw AdminError(.badRequest, IncidentRole.invalidMessage(roleText)) }
                    return try await command(args, .assignRole(role, first), who())
                }
                return try await command(args, .assign(first), who())
            }
            if let roleText = try args.optionalString("role") {
                guard let role = IncidentRole(parsing: roleText) else { throw AdminError(.badRequest, IncidentRole.invalidMessage(roleText)) }
                return try await command(args, .assignRole(role, try args.string("person", hint: "a person's name")), who())
            }
            return try await command(args, .assign(try args.string("assignee", hint: "a person or team")), who())
        case .incidentNote:
            try args.only(["id", "text", "actor"])
            return try await command(args, .note(try args.string("text")), who())
        case .incidentUpdate:
            return try await incidentUpdate(args, who: who)
        case .incidentSeverity:
            try args.only(["id", "severity", "reason", "actor"])
            let s = try args.parsed("severity", Severity.parseExplicit, invalid: { Severity.invalidMessage($0, allowMonitoringLevels: false) }, hint: "SEV-0 … SEV-4")
            return try await command(args, .setSeverity(s, reason: try args.optionalString("reason") ?? "set by operator"), who())
        case .incidentPriority:
            try args.only(["id", "priority", "reason", "actor"])
            let p = try args.parsed("priority", Priority.init(parsing:), invalid: { "priority '\($0)' is not valid; expected P1, P2, P3, P4 or P5" }, hint: "P1 … P5")
            return try await command(args, .setPriority(p, reason: try args.optionalString("reason") ?? "set by operator"), who())
        case .incidentClassify:
            try args.only(["id", "category", "reason", "actor"])
            let c = try args.parsed("category", Category.init(parsing:), invalid: Category.invalidMessage, hint: "database, application, …")
            return try await command(args, .setCategory(c, reason: try args.optionalString("reason") ?? "corrected by operator"), who())
        case .incidentWarRoom:
            try args.only(["id", "actor"])
            return try await warRoom(args, actor: who())
        case .incidentEscalate:
            try args.only(["id", "reason", "detail", "team", "actor"])
            let reason = try args.optionalParsed("reason", { EscalationReason(rawValue: $0.lowercased()) }, invalid: EscalationReason.invalidMessage) ?? .manual
            let id = try args.incidentID()
            var team = try args.optionalString("team") ?? ""
            if reason == .complexity, team.isEmpty {
                let svc = service.index.get(id)?.service ?? ""
                team = service.directory.context.serviceEntry(for: svc).specialistTeam
                if team.isEmpty {
                    throw AdminError(.unavailable, "complexity escalation of \(id) needs a specialist team for service '\(svc)'; none is configured (set specialist_team with `aether service set`, or pass team)")
                }
            }
            return try await command(args, .escalate(reason, detail: try args.optionalString("detail") ?? "", team: team), who())
        case .incidentResolve:
            try args.only(["id", "resolution", "type", "verification", "quiet_window_s", "probe_url", "probe_timeout_ms", "actor"])
            let type = try args.optionalParsed("type", { ResolutionType(rawValue: $0.lowercased()) }, invalid: ResolutionType.invalidMessage) ?? .permanent
            let description = try args.string("resolution", hint: "what was done")
            let verification = try await verify(args)
            let (result, lsn) = try await command(args, .resolve(type, description: description, verification: verification), who())
            guard case .success(.object(var o)) = result else { return (result, lsn) }
            o["verification"] = .object(["method": .string(verification.method), "passed": .bool(verification.passed), "detail": .string(verification.detail)])
            return (.success(.object(o)), lsn)
        case .incidentReopen:
            try args.only(["id", "reason", "actor"])
            return try await command(args, .reopen(reason: try args.optionalString("reason") ?? ""), who())
        case .incidentClose:
            try args.only(["id", "reason", "force", "actor"])
            return try await command(args, .close(reason: try args.optionalString("reason") ?? "", force: try args.optionalBool("force") ?? false), who())
        case .incidentReview:
            return try await incidentReview(args, who: who)
        case .metricsGet:
            try args.only(["since", "until"])
            let since = try args.optionalTimestamp("since")
            let until = try args.optionalTimestamp("until")
            return (.success(.object(MetricsJSON.render(service.metrics(since: since, until: until), since: since, until: until))), 0)
        case .processAnalyze:
            try args.only(["id", "target", "strategy"])
            let id = try args.incidentID()
            let record = try await run { () throws(IncidentOpError) in try await service.record(id) }
            let report = ProcessAnalysis.analyze(record, all: service.index.all(), target: try args.optionalString("target") ?? "reduce_mttr", strategy: try args.optionalString("strategy") ?? "", policy: service.policy, now: service.sequencer.now)
            return (.success(.object(render(report, id: id))), 0)
        case .clusterFaults:
            return try await clusterFaults(args)
        case .catalogSet, .catalogGet, .catalogList, .catalogDelete:
            return try catalogOp(op, args, actor: who())
        case .oncallWho, .oncallShifts, .oncallGaps, .oncallICS:
            return (.success(try oncallOp(op, args)), 0)
        case .escalationStatus:
            try args.only([])
            return (.success(await escalationStatus(resetLateness: false)), 0)
        case .escalationResetLateness:
            try args.only([])
            return (.success(await escalationStatus(resetLateness: true)), 0)
        case .adminSnapshot:
            try args.only([])
            do {
                let (lsn, bytes) = try await operations.snapshot()
                return (.success(["lsn": .int(Int64(lsn)), "bytes": .int(Int64(bytes))]), 0)
            } catch {
                throw AdminError(.unavailable, "snapshot failed: \(error)")
            }
        }
    }

    private func verify(_ args: ArgReader) async throws(AdminError) -> VerificationOutcome {
        let method = try args.optionalString("verification") ?? "manual"
        switch method {
        case "manual":
            return .manual
        case "alerts_quiet":
            let window = try args.optionalInt("quiet_window_s", range: 1...86_400) ?? 300
            let id = try args.incidentID()
            guard let s = service.index.get(id) else { throw AdminError(.notFound, "incident \(id) not found") }
            let quiet = service.sequencer.now - s.lastSeenAt
            let passed = quiet >= .seconds(window)
            return VerificationOutcome(method: "alerts_quiet", passed: passed, detail: passed
                ? "no trigger for \(formatDuration(quiet.seconds)) (window \(window)s)"
                : "last trigger \(formatDuration(quiet.seconds)) ago, inside the \(window)s quiet window")
        case "http_probe":
            let url = try args.string("probe_url", hint: "http://host:port/path")
            let timeout = try args.optionalInt("probe_timeout_ms", range: 1...60_000) ?? 2000
            return await HTTPProbe.check(url: url, timeoutMillis: timeout)
        default:
            throw AdminError(.badRequest, "args.verification '\(method)' is not valid; expected manual, alerts_quiet or http_probe")
        }
    }

    func command(_ args: ArgReader, _ c: IncidentCommand, _ actor: String) async throws(AdminError) -> (Result<JSONValue, AdminError>, UInt64) {
        let id = try args.incidentID()
        let (record, lsn) = try await run { () throws(IncidentOpError) in try await service.command(id, c, actor: actor) }
        var o = IncidentJSON.render(record, owner: owner(record.incident.dedupKey), timeline: false)
        o["replicas"] = .null  // filled in by the admin server after the quorum wait
        return (.success(.object(o)), lsn)
    }

    func run<T>(_ body: () async throws(IncidentOpError) -> T) async throws(AdminError) -> T {
        do { return try await body() } catch {
            switch error {
            case .domain(let d): throw AdminError(d)
            case .log(.recordTooLarge(let bytes, let limit)):
                throw AdminError(.badRequest, "the change is \(bytes) bytes encoded, over the log's \(limit)-byte record limit; send less text")
            case .log(let l): throw AdminError(.unavailable, "the node's log cannot take writes: \(l)")
            case .moved: throw AdminError(.unavailable, "incident moved; retry")
            }
        }
    }

    /// The node that owns a dedup key now (rendezvous over alive members).
    func owner(_ key: String) -> NodeID { cluster.owner(of: key) ?? node.node }

    private func checkBatchSize(_ count: Int) throws(AdminError) {
        guard count <= limits.batchAlertsMax else {
            throw AdminError(.badRequest, "args.alerts has \(count) alerts; expected at most \(limits.batchAlertsMax) per batch")
        }
    }

    /// Ingests decoded alerts; their results and the LSN the reply waits for.
    private func ingest(_ alerts: [Alert]) async throws(AdminError) -> ([IncidentService.IngestResult], UInt64) {
        try await run { () throws(IncidentOpError) in try await service.ingest(alerts, actor: "") }
    }

    private func render(_ r: ProcessAnalysis.Report, id: IncidentID) -> JSONObject {
        func num(_ d: Double?) -> JSONValue { d.map { .double(($0 * 1000).rounded() / 1000) } ?? .null }
        return [
            "incident_id": .string(id.text),
            "phases": .array(r.phases.map { .object(["name": .string($0.name), "seconds": num($0.seconds), "average_seconds": num($0.averageSeconds), "share": num($0.share)]) }),
            "bottleneck": r.bottleneck.map { .string($0) } ?? .null,
            "red_flags": .array(r.redFlags.map { .string($0) }),
            "recommendations": .array(r.recommendations.map { .string($0) }),
        ]
    }
}
