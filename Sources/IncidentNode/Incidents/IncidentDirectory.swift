import IncidentCore
import IncidentStorage

/// Maps incident ids and dedup keys to incident actors, allocates incident ids, and opens incidents.
///
/// Opening happens here so that two alerts for a new key racing each other open one incident: the
/// directory checks the key and creates the actor in one turn, with no `await` in between.
/// Closed incidents that stay idle are passivated: their record is kept encoded (`Entry.passive`)
/// and their actor released, so memory does not grow with every incident ever closed.
actor IncidentDirectory {
    enum Entry {
        case live(IncidentActor)
        case passive([UInt8])
    }

    private var entries: [IncidentID: Entry] = [:]
    /// The latest incident for each dedup key.
    private var byKey: [String: IncidentID] = [:]
    /// Incidents opened per year by this node (for ids).
    private var counters: [Int: UInt64] = [:]
    private let tag: String
    nonisolated let context: IncidentActor.Context

    /// - Parameter tag: this data directory's incident-id tag.
    init(context: IncidentActor.Context, tag: String) {
        self.context = context
        self.tag = tag
    }

    /// Loads recovered incidents (start-up only), in creation order so that later incidents win
    /// their dedup key and the summary index lists newest first.
    func load(_ records: [IncidentRecord]) {
        // Sort plain integer keys, not the records: moving or copying 100,000 large values costs seconds.
        let keys = records.map { r in (r.incident.createdAt.unixMillis, r.openingEvent.hlc.raw, r.openingEvent.id.seq) }
        let order = records.indices.sorted { a, b in
            if keys[a] != keys[b] { return keys[a] < keys[b] }
            return records[a].openingEvent.id.origin < records[b].openingEvent.id.origin
        }
        entries.reserveCapacity(records.count)
        byKey.reserveCapacity(records.count)
        context.index.reserve(records.count)
        for i in order {
            let record = records[i]
            let id = record.incident.id
            let a = IncidentActor(record: record, context: context, now: record.lastEventAt)
            entries[id] = .live(a)
            byKey[record.incident.dedupKey] = id
            noteCounter(id)
            showNew(record, actor: a)
            if let c = record.incident.confirmedCategory {
                context.classifier.retrain(tokens: Triage.learningTokens(of: record.incident.opening.alert), from: nil, to: c)
            }
        }
    }

    private func noteCounter(_ id: IncidentID) {
        guard let p = IncidentID.parts(id.text), p.tag == tag else { return }
        counters[p.year] = max(counters[p.year] ?? 0, p.counter)
    }

    /// The actor of an incident, reactivating a passivated one.
    func actor(for id: IncidentID) throws(IncidentOpError) -> IncidentActor {
        switch entries[id] {
        case .live(let a): return a
        case .passive(let bytes):
            let record: IncidentRecord
            do {
                record = try bytes.withUnsafeBytes { (b) throws(BinaryDecodingError) -> IncidentRecord in
                    var r = ByteReader(b)
                    return try IncidentRecord(from: &r)
                }
            } catch {
                preconditionFailure("passivated incident \(id) does not decode: \(error)")
            }
            let a = IncidentActor(record: record, context: context, now: context.sequencer.now)
            entries[id] = .live(a)
            return a
        case nil:
            throw .domain(.notFound("incident \(id) not found"))
        }
    }

    /// The actors currently responsible for each dedup key (nil: none open, or passivated).
    func route(_ keys: [String]) -> [IncidentActor?] {
        keys.map { key in
            guard let id = byKey[key], case .live(let a) = entries[id] else { return nil }
            return a
        }
    }

    /// Opens an incident for `alert` unless the key already has a newer incident than `replacing`.
    /// `repeats` more triggers (after the first) are attached in the same turn.
    func open(alert: Alert, repeats: Int, firstAt: Timestamp, lastAt: Timestamp, replacing: IncidentID?, actor: String)
        throws(IncidentOpError) -> OpenOutcome
    {
        let key = alert.effectiveDedupKey
        if let current = byKey[key], current != replacing, case .live(let a) = entries[current] {
            return .existing(a)
        }
        // Another open incident for the key (one replicated from a peer, or a merge winner).
        if let open = context.index.openIncidents(forKey: key).first(where: { $0.id != replacing }),
            let a = try? self.actor(for: open.id)
        {
            byKey[key] = open.id
            return .existing(a)
        }
        return try context.digest.changing { () throws(IncidentOpError) -> OpenOutcome in
            try create(alert: alert, key: key, repeats: repeats, firstAt: firstAt, lastAt: lastAt, actor: actor)
        }
    }

    /// Logs a new incident's opening (and its first repeats and war room) and registers its actor.
    private func create(alert: Alert, key: String, repeats: Int, firstAt: Timestamp, lastAt: Timestamp, actor: String)
        throws(IncidentOpError) -> OpenOutcome
    {
        let now = context.sequencer.now
        let year = now.year
        let counter = (counters[year] ?? 0) + 1
        let id = IncidentID(year: year, counter: counter, tag: tag)
        let triage = Triage.assess(
            alert, criticality: context.serviceEntry(for: alert.service).criticality,
            classifier: context.classifier.current)
        let opening = IncidentOpening(alert: alert, triage: triage, receivedAt: now)
        var lsn: UInt64
        var record: IncidentRecord
        do {
            let (event, l) = try context.sequencer.append(incident: id, actor: actor, body: .opened(opening))
            lsn = l
            record = IncidentRecord(opening: event)
            var follow: [IncidentEventBody] = []
            if repeats > 0 {
                follow.append(.alertRepeated(count: UInt32(clamping: repeats), firstAt: firstAt, lastAt: lastAt))
            }
            if triage.severity.isMajor {
                follow += (try? record.decide(.openWarRoom, policy: context.policy, now: now)) ?? []
            }
            for body in follow {
                // Repeats are the source's; the automatic war room is the node's doing.
                let who: String
                if case .warRoomOpened = body { who = "node:\(context.sequencer.node)" } else { who = actor }
                let (e, l2) = try context.sequencer.append(incident: id, actor: who, body: body)
                record.apply(e)
                lsn = l2
            }
        } catch {
            throw .log(error)
        }
        counters[year] = counter
        let a = IncidentActor(record: record, context: context, now: now)
        entries[id] = .live(a)
        byKey[key] = id
        showNew(record, actor: a)
        return .created(a, record, lsn)
    }

    /// Adds a record this directory now holds to the state digest and the summary index.
    private func showNew(_ record: IncidentRecord, actor: IncidentActor) {
        let id = record.incident.id
        context.digest.set(id, bucket: StateDigest.bucket(of: id), units: record.digestUnits, from: 0, to: record.digest)
        context.index.update(record.incident.summary)
        let view = EscalationView(record.incident)
        if view.isActive { context.escalations.observe(view, actor: actor) }
    }

    // MARK: - Replication

    /// The actors that should apply events from another node, creating incidents whose `opened`
    /// event is among them (logged here, in this turn, so two copies cannot race). Events of an
    /// unknown incident without its opening come back as `missing`: ask the sender for the record.
    func remoteTargets(_ events: [IncidentEvent]) throws(IncidentOpError)
        -> (targets: [(IncidentActor, [IncidentEvent])], missing: [IncidentID], lsn: UInt64)
    {
        var order: [IncidentID] = []
        var groups: [IncidentID: [IncidentEvent]] = [:]
        for e in events {
            if groups[e.incident] == nil { order.append(e.incident) }
            groups[e.incident, default: []].append(e)
        }
        var targets: [(IncidentActor, [IncidentEvent])] = []
        var missing: [IncidentID] = []
        var lsn: UInt64 = 0
        for id in order {
            let list = groups[id]!
            if entries[id] != nil {
                targets.append((try actor(for: id), list))
            } else if let opening = list.first(where: { if case .opened = $0.body { true } else { false } }) {
                let (a, l) = try adopt(opening)
                lsn = max(lsn, l)
                targets.append((a, list))
            } else {
                missing.append(id)
            }
        }
        return (targets, missing, lsn)
    }

    /// The actors that should merge records from another node, adopting unknown incidents.
    func mergeTargets(_ records: [IncidentRecord]) throws(IncidentOpError) -> (targets: [(IncidentActor, IncidentRecord)], lsn: UInt64) {
        var out: [(IncidentActor, IncidentRecord)] = []
        var lsn: UInt64 = 0
        for r in records {
            let id = r.incident.id
            if entries[id] != nil {
                out.append((try actor(for: id), r))
            } else {
                let (a, l) = try adopt(r.openingEvent)
                lsn = max(lsn, l)
                out.append((a, r))
            }
        }
        return (out, lsn)
    }

    /// Creates an incident another node opened: logs its opening and registers an actor.
    private func adopt(_ opening: IncidentEvent) throws(IncidentOpError) -> (IncidentActor, UInt64) {
        try context.digest.changing { () throws(IncidentOpError) -> (IncidentActor, UInt64) in try register(opening) }
    }

    private func register(_ opening: IncidentEvent) throws(IncidentOpError) -> (IncidentActor, UInt64) {
        let lsn: UInt64
        do { lsn = try context.sequencer.appendReplicated(opening) } catch { throw .log(error) }
        let record = IncidentRecord(opening: opening)
        let id = record.incident.id
        let a = IncidentActor(record: record, context: context, now: context.sequencer.now)
        entries[id] = .live(a)
        let key = record.incident.dedupKey
        if let current = byKey[key], let s = context.index.get(current), s.status.isOpen,
            (s.createdAt, s.id) < (record.incident.createdAt, id)
        {
            // keep routing to the older open incident for the key: it survives the duplicate merge
        } else {
            byKey[key] = id
        }
        noteCounter(id)
        showNew(record, actor: a)
        return (a, lsn)
    }

    /// The current records of the given incidents (those held).
    func records(_ ids: [IncidentID]) async -> [IncidentRecord] {
        var out: [IncidentRecord] = []
        for id in ids {
            guard let a = try? actor(for: id) else { continue }
            out.append(await a.current)
        }
        return out
    }

    /// Every entry (for snapshots).
    func allEntries() -> [(IncidentID, Entry)] { entries.map { ($0.key, $0.value) } }

    /// Number of live actors and passivated incidents.
    func counts() -> (live: Int, passive: Int) {
        var live = 0
        for e in entries.values { if case .live = e { live += 1 } }
        return (live, entries.count - live)
    }

    /// Passivates closed incidents idle since before `cutoff`. Returns how many.
    func passivateIdle(before cutoff: Timestamp) async -> Int {
        var candidates: [(IncidentID, IncidentActor)] = []
        for (id, e) in entries {
            if case .live(let a) = e, context.index.get(id)?.status == .closed { candidates.append((id, a)) }
        }
        var done = 0
        for (id, a) in candidates {
            guard let record = await a.passivateIfIdle(before: cutoff) else { continue }
            // Re-check after the await: the entry may have been reactivated meanwhile.
            guard case .live(let current) = entries[id], current === a else { continue }
            var w = ByteWriter(capacity: 1024)
            record.encode(into: &w)
            entries[id] = .passive(w.bytes)
            if byKey[record.incident.dedupKey] == id { byKey[record.incident.dedupKey] = nil }
            done += 1
        }
        return done
    }
}

/// What `IncidentDirectory.open` did.
enum OpenOutcome: Sendable {
    /// A new incident; wait for the LSN.
    case created(IncidentActor, IncidentRecord, UInt64)
    /// Another request opened one first: attach to it.
    case existing(IncidentActor)
}
