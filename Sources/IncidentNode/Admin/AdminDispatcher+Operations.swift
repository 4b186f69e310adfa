import AdminProtocol
import AetherJSON
import IncidentCluster
import IncidentCore

// MARK: - The longer operations, kept out of `route` so it stays a readable dispatch table.

extension AdminDispatcher {
    func incidentUpdate(_ args: ArgReader, who: () throws(AdminError) -> String) async throws(AdminError) -> (Result<JSONValue, AdminError>, UInt64) {
        try args.only(["id", "message", "channels", "status", "actor"])
        let channels = try args.optionalStrings("channels") ?? ["log"]
        guard channels.count <= 16 else {
            throw AdminError(.badRequest, "args.channels has \(channels.count) entries; expected at most 16")
        }
        for c in channels where c.isEmpty || c.utf8.count > 64 || !c.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }) {
            throw AdminError(.badRequest, "channel name '\(c)' is not valid; expected 1-64 characters of a-z, 0-9, '-' or '_' (e.g. slack, email)")
        }
        var statusLSN: UInt64 = 0
        if let status = try args.optionalString("status") {
            guard status.lowercased() == "investigating" else {
                throw AdminError(.badRequest, "args.status '\(status)' cannot be set directly; expected investigating (use incident.ack/resolve/reopen/close for the others)")
            }
            if try args.optionalString("message") == nil {
                return try await command(args, .investigate(note: ""), who())
            }
            let (r, lsn) = try await command(args, .investigate(note: try args.string("message")), who())
            if case .failure = r { return (r, 0) }
            statusLSN = lsn
        }
        let message = try args.string("message", hint: "the status update text")
        let actor = try who()
        let (posted, postedLSN) = try await command(args, .postUpdate(message: message, channels: channels), actor)
        guard case .success = posted else { return (posted, 0) }
        let id = try args.incidentID()
        let record = try await run { () throws(IncidentOpError) in try await service.record(id) }
        let deliveries = await operations.deliver(message: message, channels: channels, record: record)
        let (result, deliveredLSN) = try await command(args, .recordDeliveries(deliveries), "node:\(node.node.name)")
        let lsn = max(statusLSN, postedLSN, deliveredLSN)
        guard case .success(var value) = result, case .object(var o) = value else { return (result, lsn) }
        o["deliveries"] = .array(deliveries.map { .object(["channel": .string($0.channel), "ok": .bool($0.ok), "detail": .string($0.detail)]) })
        value = .object(o)
        return (.success(value), lsn)
    }

    /// Opens the war room; the service's announce channels are told where it is (SPEC §3: a
    /// record, a link from the template, an announcement). One opened automatically at creation
    /// is in the initial notification instead.
    func warRoom(_ args: ArgReader, actor: String) async throws(AdminError) -> (Result<JSONValue, AdminError>, UInt64) {
        let id = try args.incidentID()
        let before = try await run { () throws(IncidentOpError) in try await service.record(id) }.incident.warRoom
        let (result, lsn) = try await command(args, .openWarRoom, actor)
        guard case .success = result, before == nil else { return (result, lsn) }
        let record = try await run { () throws(IncidentOpError) in try await service.record(id) }
        let channels = service.catalog.current.services[record.incident.service]?.announceChannels ?? []
        guard let link = record.incident.warRoom, !channels.isEmpty else { return (result, lsn) }
        let deliveries = await operations.announce(
            "War room for \(id.text) (\(record.incident.severity)) \(record.incident.title): \(link)", kind: "war_room", channels: channels, incident: id)
        let (_, deliveredLSN) = try await command(args, .recordDeliveries(deliveries), "node:\(node.node.name)")
        return (result, max(lsn, deliveredLSN))
    }

    func incidentReview(_ args: ArgReader, who: () throws(AdminError) -> String) async throws(AdminError) -> (Result<JSONValue, AdminError>, UInt64) {
        try args.only(["id", "root_cause", "summary", "generate_action_items", "update_knowledge_base", "actor"])
        let id = try args.incidentID()
        let record = try await run { () throws(IncidentOpError) in try await service.record(id) }
        let draft = PostIncidentReview.draft(
            record, rootCause: try args.optionalString("root_cause") ?? "", summary: try args.optionalString("summary") ?? "",
            generateActionItems: try args.optionalBool("generate_action_items") ?? false,
            updateKnowledgeBase: try args.optionalBool("update_knowledge_base") ?? false, policy: service.policy,
            now: service.sequencer.now)
        let (result, lsn) = try await command(args, .completeReview(rootCause: draft.rootCause, summary: draft.summary, actionItems: draft.actionItems, article: draft.article), who())
        guard case .success(.object(var o)) = result else { return (result, lsn) }
        o["review_summary"] = .string(draft.summary)
        o["kb_article_markdown"] = draft.article.map { .string($0.markdown) } ?? .null
        return (.success(.object(o)), lsn)
    }

    func clusterFaults(_ args: ArgReader) async throws(AdminError) -> (Result<JSONValue, AdminError>, UInt64) {
        try args.only(["peer", "partition", "latency_ms", "jitter_ms", "drop_rate", "clear"])
        let faults = cluster.faults
        guard faults.enabled else {
            throw AdminError(.unavailable, "fault injection is off on this node; start it with --fault-injection on (tests and demos only)")
        }
        if try args.optionalBool("clear") == true {
            faults.clear()
        } else {
            let peer = try args.string("peer", hint: "a node id, or * for every peer")
            guard peer == "*" || NodeID.isValid(peer) else {
                throw AdminError(.badRequest, "args.peer '\(peer)' is not a node id; expected e.g. node2, or *")
            }
            var rule = FaultRule()
            switch try args.optionalString("partition") ?? "none" {
            case "both": (rule.dropOutbound, rule.dropInbound) = (true, true)
            case "out": rule.dropOutbound = true
            case "in": rule.dropInbound = true
            case "none": break
            case let p: throw AdminError(.badRequest, "args.partition '\(p)' is not valid; expected both, out, in or none")
            }
            rule.latency = .milliseconds(try args.optionalInt("latency_ms", range: 0...60_000) ?? 0)
            rule.jitter = .milliseconds(try args.optionalInt("jitter_ms", range: 0...60_000) ?? 0)
            if let v = args.args["drop_rate"], !v.isNull {
                guard let d = v.doubleValue, d >= 0, d <= 1 else {
                    throw AdminError(.badRequest, "args.drop_rate \(v) is not valid; expected a number from 0 to 1")
                }
                rule.dropRate = d
            }
            faults.set(rule, for: peer)
        }
        var rules = JSONObject()
        for (peer, r) in faults.all.sorted(by: { $0.key < $1.key }) {
            rules[peer] = .object([
                "drop_outbound": .bool(r.dropOutbound), "drop_inbound": .bool(r.dropInbound),
                "latency_ms": .int(r.latency.wholeMilliseconds), "jitter_ms": .int(r.jitter.wholeMilliseconds),
                "drop_rate": .double(r.dropRate),
            ])
        }
        return (.success(["enabled": true, "rules": .object(rules)]), 0)
    }
}
