import AdminProtocol
import AetherJSON
import IncidentCore

// MARK: - Catalog (people, schedules, policies, services), on-call queries, escalation status.

extension AdminDispatcher {
    func catalogOp(_ op: AdminOp, _ args: ArgReader, actor: String) throws(AdminError) -> (Result<JSONValue, AdminError>, UInt64) {
        let catalog = service.catalog
        func kind() throws(AdminError) -> CatalogKind {
            let k = try args.string("kind", hint: "person, schedule, policy, service or integration")
            guard let kind = CatalogKind(name: k) else {
                throw AdminError(.badRequest, "args.kind '\(k)' is not valid; expected person, schedule, policy, service or integration")
            }
            return kind
        }
        switch op {
        case .catalogSet:
            try args.only(["kind", "document", "actor"])
            let k = try kind()
            guard let doc = args.args["document"] else {
                throw AdminError(.badRequest, "missing args.document for catalog.set; expected the \(k) as a JSON object")
            }
            let (name, lsn) = try catalog.set(k, json: doc, actor: actor)
            return (.success(["kind": .string(k.description), "name": .string(name), "replicas": .null]), lsn)
        case .catalogDelete:
            try args.only(["kind", "name", "actor"])
            let k = try kind()
            let name = try args.string("name")
            let lsn = try catalog.delete(k, name: name, actor: actor)
            return (.success(["kind": .string(k.description), "name": .string(name), "deleted": .bool(true), "replicas": .null]), lsn)
        case .catalogGet:
            try args.only(["kind", "name"])
            let k = try kind()
            let name = try args.string("name")
            guard let doc = catalog.document(k, name) else { throw AdminError(.notFound, "\(k) '\(name)' not found") }
            do { return (.success(try JSONParser.parse(Array(doc.utf8))), 0) } catch {
                throw AdminError(.internal, "\(k) '\(name)' is stored as JSON that does not parse: \(error)")
            }
        default:
            try args.only(["kind"])
            let k = try kind()
            let current = catalog.current
            let items: [JSONValue] = current.names(k).compactMap { name in
                catalog.document(k, name).flatMap { try? JSONParser.parse(Array($0.utf8)) }
            }
            return (.success(["kind": .string(k.description), "items": .array(items)]), 0)
        }
    }

    func oncallOp(_ op: AdminOp, _ args: ArgReader) throws(AdminError) -> JSONValue {
        let catalog = service.catalog.current
        let now = service.sequencer.now
        func schedule(_ name: String) throws(AdminError) -> OnCallCalculator {
            guard let c = catalog.calculator(schedule: name) else { throw AdminError(.notFound, "schedule '\(name)' not found") }
            return c
        }
        func window(defaultDays: Int64, back: Int64 = 0) throws(AdminError) -> (Timestamp, Timestamp) {
            let from = try args.optionalTimestamp("from") ?? (now - .seconds(back * 86400))
            let to = try args.optionalTimestamp("to") ?? (from + .seconds(defaultDays * 86400))
            guard to > from, to - from <= .seconds(366 * 86400) else {
                throw AdminError(.badRequest, "args.from/to span \(from.rfc3339) to \(to.rfc3339); expected to after from, at most 366 days apart")
            }
            return (from, to)
        }
        switch op {
        case .oncallWho:
            try args.only(["service", "schedule", "policy", "at"])
            let at = try args.optionalTimestamp("at") ?? now
            if let name = try args.optionalString("schedule") {
                let c = try schedule(name)
                return ["schedule": .string(name), "time_zone": .string(c.schedule.timeZone), "at": .string(at.rfc3339), "on_call": c.who(at: at).map { .string($0) } ?? .null]
            }
            var policyName = try args.optionalString("policy")
            var o: JSONObject = ["at": .string(at.rfc3339)]
            if let s = try args.optionalString("service") {
                guard let svc = catalog.services[s] else { throw AdminError(.notFound, "service '\(s)' not found") }
                guard let p = svc.policy else { throw AdminError(.notFound, "service '\(s)' has no escalation policy") }
                o["service"] = .string(s)
                policyName = p
            }
            if let p = policyName {
                guard let policy = catalog.policies[p] else { throw AdminError(.notFound, "policy '\(p)' not found") }
                o["policy"] = .string(p)
                o["levels"] = .array(policy.levels.enumerated().map { n, level in
                    .object(["level": .int(Int64(n + 1)), "delay_s": .int(level.delay.wholeMilliseconds / 1000), "on_call": .array(people(level.targets, catalog, at).map { .string($0) })])
                })
                o["on_call"] = .array(catalog.firstResponders(policy: policy, at: at).map { .string($0) })
                return .object(o)
            }
            o["schedules"] = .array(catalog.names(.schedule).map { name in
                .object(["schedule": .string(name), "on_call": catalog.onCall(schedule: name, at: at).map { .string($0) } ?? .null])
            })
            return .object(o)
        case .oncallShifts:
            try args.only(["schedule", "from", "to"])
            let c = try schedule(try args.string("schedule"))
            let (from, to) = try window(defaultDays: 7)
            return ["schedule": .string(c.schedule.name), "from": .string(from.rfc3339), "to": .string(to.rfc3339), "shifts": .array(c.shifts(from: from, to: to).map(render))]
        case .oncallICS:
            try args.only(["schedule", "from", "to"])
            let c = try schedule(try args.string("schedule"))
            let (from, to) = try window(defaultDays: 97, back: 7)
            return ["schedule": .string(c.schedule.name), "ics": .string(ICalendar.export(calendarName: c.schedule.name, shifts: c.shifts(from: from, to: to), generatedAt: now))]
        default:
            try args.only(["schedule", "policy", "service", "days", "from"])
            let days = try args.optionalInt("days", range: 1...366) ?? 14
            let from = try args.optionalTimestamp("from") ?? now
            let to = from + .seconds(Int64(days) * 86400)
            var subjects: [(String, String, [OnCallGap])] = []
            var policyName = try args.optionalString("policy")
            if policyName == nil, let svc = try args.optionalString("service") { policyName = catalog.services[svc]?.policy ?? "" }
            if let s = try args.optionalString("schedule") {
                subjects.append(("schedule", s, try schedule(s).gaps(from: from, to: to)))
            } else if let p = policyName {
                guard let policy = catalog.policies[p] else { throw AdminError(.notFound, "policy '\(p)' not found (or the service has none)") }
                subjects.append(("policy", p, policyGaps(policy, catalog, from: from, to: to)))
            } else {
                for name in catalog.names(.schedule) { subjects.append(("schedule", name, try schedule(name).gaps(from: from, to: to))) }
                for (name, policy) in catalog.policies.sorted(by: { $0.key < $1.key }) {
                    subjects.append(("policy", name, policyGaps(policy, catalog, from: from, to: to)))
                }
            }
            return ["from": .string(from.rfc3339), "to": .string(to.rfc3339), "subjects": .array(subjects.map { kind, name, gaps in
                .object([kind: .string(name), "gaps": .array(gaps.map { .object(["start": .string($0.start.rfc3339), "end": .string($0.end.rfc3339), "duration_s": .int($0.duration.wholeMilliseconds / 1000)]) })])
            })]
        }
    }

    /// Counters and fire lateness; `resetLateness` starts a new lateness window (benchmarks).
    func escalationStatus(resetLateness: Bool) async -> JSONValue {
        let (stats, tracked, parked, owned, warmingUp) = await escalation.status(resetLateness: resetLateness)
        let sorted = stats.lateness.sorted()
        func pct(_ p: Double) -> JSONValue {
            guard !sorted.isEmpty else { return .null }
            return .int(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))])
        }
        return [
            "warming_up": .bool(warmingUp), "tracked": .int(Int64(tracked)), "parked": .int(Int64(parked)), "owned_pending": .int(Int64(owned)), "fired": .int(Int64(stats.fired)),
            "stale_fires": .int(Int64(stats.staleFires)), "overdue_raised": .int(Int64(stats.overdueRaised)),
            "deliveries_resumed": .int(Int64(stats.deliveriesResumed)), "held_for_merge": .int(Int64(stats.heldForMerge)),
            "restarts": .int(Int64(stats.restarts)), "lateness_samples": .int(Int64(sorted.count)),
            "lateness_p50_ms": pct(0.5), "lateness_p99_ms": pct(0.99), "lateness_max_ms": sorted.last.map { .int($0) } ?? .null,
        ]
    }

    private func people(_ targets: [EscalationTarget], _ catalog: OnCallCatalog, _ at: Timestamp) -> [String] {
        var out: [String] = []
        for t in targets {
            switch t {
            case .person(let p): if !out.contains(p) { out.append(p) }
            case .schedule(let s): if let p = catalog.onCall(schedule: s, at: at), !out.contains(p) { out.append(p) }
            }
        }
        return out
    }

    /// Stretches in which a policy's first level reaches nobody: none if it names a person,
    /// else where all of its schedules have gaps at once.
    private func policyGaps(_ policy: EscalationPolicy, _ catalog: OnCallCatalog, from: Timestamp, to: Timestamp) -> [OnCallGap] {
        let targets = policy.levels.first?.targets ?? []
        if targets.contains(where: { if case .person = $0 { true } else { false } }) { return [] }
        var result = [OnCallGap(start: from, end: to)]
        for case .schedule(let s) in targets {
            let gaps = catalog.calculator(schedule: s)?.gaps(from: from, to: to) ?? [OnCallGap(start: from, end: to)]
            result = intersect(result, gaps)
        }
        return result
    }

    private func intersect(_ a: [OnCallGap], _ b: [OnCallGap]) -> [OnCallGap] {
        var out: [OnCallGap] = []
        var i = 0
        var j = 0
        while i < a.count && j < b.count {
            let start = max(a[i].start, b[j].start)
            let end = min(a[i].end, b[j].end)
            if start < end { out.append(OnCallGap(start: start, end: end)) }
            if a[i].end < b[j].end { i += 1 } else { j += 1 }
        }
        return out
    }

    private func render(_ s: Shift) -> JSONValue {
        ["person": .string(s.person), "start": .string(s.start.rfc3339), "end": .string(s.end.rfc3339), "source": .string(s.source)]
    }
}
