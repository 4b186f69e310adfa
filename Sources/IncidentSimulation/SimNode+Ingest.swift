import IncidentCluster
import IncidentCore

// MARK: - Alert intake, forwarding to the key's decider, duplicate merge
//
// Mirrors `IncidentService.ingest`/`trigger`, `IncidentDirectory.open`/`adopt`,
// `ClusterShell.forward`/`handleForward`/`mergeLoop` and the admin server's "durable, then quorum"
// answer, one alert per client request.

extension SimNode {
    /// A client sent an alert to this node: forward it to the node deciding the key in this region
    /// when that is another node, else take it here.
    public mutating func onClientAlert(_ alert: SimAlert, now: Int64, into out: inout [SimEffect]) {
        if let owner = Rendezvous.owner(of: alert.key, among: deciders), owner != id {
            let request = nextRequest
            nextRequest += 1
            forwards[request] = alert
            out.append(.send(to: owner, .forward(request: request, alert: alert)))
            out.append(.timer(.forwardTimeout(request: request), at: now + configuration.forwardTimeoutMillis))
            return
        }
        takeLocally(alert, now: now, into: &out)
    }

    /// The owner answered a forwarded alert.
    mutating func onForwardResult(request: UInt64, replicas: Int, fact: SimAlertFact?, now: Int64, into out: inout [SimEffect]) {
        guard let alert = forwards.removeValue(forKey: request) else { return }
        if replicas > 0 {
            out.append(.answerClient(alert: alert.number, replicas: replicas, fact: fact))
        } else {
            takeLocally(alert, now: now, into: &out)
        }
    }

    /// The owner did not answer in time: take the alert here (alerts are never refused).
    mutating func onForwardTimeout(request: UInt64, now: Int64, into out: inout [SimEffect]) {
        guard let alert = forwards.removeValue(forKey: request) else { return }
        takeLocally(alert, now: now, into: &out)
    }

    /// This node owns the key (`ClusterShell.handleForward`): ingest without forwarding, then
    /// answer once durable here and on a quorum.
    mutating func onForward(request: UInt64, alert: SimAlert, from sender: Sender, now: Int64, into out: inout [SimEffect]) {
        let first = log.nextLSN
        let (fact, lsn) = ingest(alert, now: now, into: &out)
        let pending = SimPending.forward(to: sender, request: request, fact: fact)
        if lsn > 0 {
            afterDurable(min(first, lsn)...lsn, pending, now: now, into: &out)
        } else {
            finish(pending, replicas: 1, into: &out)
        }
    }

    private mutating func takeLocally(_ alert: SimAlert, now: Int64, into out: inout [SimEffect]) {
        let first = log.nextLSN
        let (fact, lsn) = ingest(alert, now: now, into: &out)
        let pending = SimPending.client(alert: alert.number, fact: fact)
        if lsn > 0 {
            afterDurable(min(first, lsn)...lsn, pending, now: now, into: &out)
        } else {
            finish(pending, replicas: 1, into: &out)
        }
    }

    /// Takes one alert here. Returns what it did (for triggers) and the LSN that makes it durable
    /// (0 when nothing was written).
    mutating func ingest(_ alert: SimAlert, now: Int64, into out: inout [SimEffect]) -> (SimAlertFact?, UInt64) {
        let who = Alert.integrationActor(source: alert.alert.source)
        out.append(.ingested(alert: alert.number))
        note("takes alert #\(alert.number) \(alert.key)", into: &out)
        guard alert.isTrigger else {
            guard let target = byKey[alert.key], let record = records[target] else { return (nil, 0) }
            let command: IncidentCommand =
                alert.alert.action == .resolve ? .sourceResolve(autoResolve: false) : .sourceAcknowledge
            let bodies = (try? record.decide(command, policy: policy, now: wall(now))) ?? []
            return (nil, append(bodies, to: target, actor: who, now: now, into: &out))
        }
        var target = byKey[alert.key].flatMap { records[$0] != nil ? $0 : nil }
        var replacing: IncidentID?
        for _ in 0..<8 {
            if let t = target {
                let at = wall(now)
                switch records[t]!.decideTrigger(count: 1, firstAt: at, lastAt: at, origin: author, policy: policy, now: at) {
                case .attach(let bodies):
                    let window = records[t]!.window(of: at)
                    var count = 0
                    for case .alertRepeated(let c, _, _) in bodies { count = Int(c) }
                    let lsn = append(bodies, to: t, actor: who, now: now, into: &out)
                    let key = SimCounterKey(incident: t, origin: author, window: window)
                    return (SimAlertFact(node: id, incident: t, effect: .repeated(key, count: count)), lsn)
                case .openNew:
                    replacing = t
                }
            }
            switch open(alert, replacing: replacing, actor: who, now: now, into: &out) {
            case .created(let rid, let opening, let lsn):
                return (SimAlertFact(node: id, incident: rid, effect: .opened(opening)), lsn)
            case .existing(let rid):
                target = rid
            }
        }
        out.append(.violation("\(id) could not attach alert #\(alert.number) to key \(alert.key) in 8 attempts"))
        return (nil, 0)
    }

    /// What `open` did.
    enum OpenOutcome {
        case created(IncidentID, EventOrderKey, UInt64)
        case existing(IncidentID)
    }

    /// `IncidentDirectory.open`: reuse the key's current incident unless it is the one being
    /// replaced, else another open incident for the key (the merge survivor first), else open one.
    private mutating func open(
        _ alert: SimAlert, replacing: IncidentID?, actor: String, now: Int64, into out: inout [SimEffect]
    ) -> OpenOutcome {
        let key = alert.key
        if let current = byKey[key], current != replacing, records[current] != nil { return .existing(current) }
        if let other = openIncidents(forKey: key).first(where: { $0.incident.id != replacing }) {
            byKey[key] = other.incident.id
            return .existing(other.incident.id)
        }
        let at = wall(now)
        let year = at.year
        let counter = (counters[year] ?? 0) + 1
        let rid = IncidentID(year: year, counter: counter, tag: dataDirectory!.tag)
        if records[rid] != nil {
            out.append(.violation("\(id) handed out incident id \(rid) again (it already holds an incident with that id)"))
        }
        let triage = Triage.assess(
            alert.alert, criticality: policy.services.entry(for: alert.alert.service).criticality, classifier: classifier)
        let opening = IncidentOpening(alert: alert.alert, triage: triage, receivedAt: at)
        let (event, firstLSN) = appendLocal(incident: rid, actor: actor, body: .opened(opening), now: now, into: &out)
        var lsn = firstLSN
        var record = IncidentRecord(opening: event)
        if triage.severity.isMajor {
            for body in (try? record.decide(.openWarRoom, policy: policy, now: at)) ?? [] {
                let (e, l) = appendLocal(incident: rid, actor: "node:\(id)", body: body, now: now, into: &out)
                record.apply(e)
                lsn = l
            }
        }
        counters[year] = counter
        records[rid] = record
        keyIncidents[key, default: []].append(rid)
        byKey[key] = rid
        digest.set(rid, to: record.digest)
        return .created(rid, event.orderKey, lsn)
    }

    /// Appends the events of a decision to an incident (`IncidentActor.append`); returns the LSN
    /// of the last (0 when there were none).
    mutating func append(
        _ bodies: [IncidentEventBody], to rid: IncidentID, actor: String, now: Int64, into out: inout [SimEffect]
    ) -> UInt64 {
        var lsn: UInt64 = 0
        for body in bodies {
            let (event, l) = appendLocal(incident: rid, actor: actor, body: body, now: now, into: &out)
            change(rid) { $0.apply(event) }
            lsn = l
        }
        return lsn
    }

    /// Runs a command on an incident (`IncidentService.command`); refused commands do nothing.
    mutating func command(_ rid: IncidentID, _ command: IncidentCommand, actor: String, now: Int64, into out: inout [SimEffect]) {
        guard let record = records[rid], let bodies = try? record.decide(command, policy: policy, now: wall(now)) else { return }
        _ = append(bodies, to: rid, actor: actor, now: now, into: &out)
    }

    /// `ClusterShell.mergeLoop`: for every key this node owns that has more than one open
    /// incident, `Rendezvous.mergeWinner` survives and absorbs the others.
    mutating func onMergeLoop(now: Int64, into out: inout [SimEffect]) {
        out.append(.timer(.mergeLoop, at: now + configuration.mergeIntervalMillis))
        guard !configuration.bugs.contains(.noDuplicateMerge) else { return }
        let members = owners
        for key in conflictKeys where Rendezvous.owner(of: key, among: members) == id {
            var open = openIncidents(forKey: key)
            guard open.count > 1, let w = Rendezvous.mergeWinner(of: key, openedBy: open.map(\.incident.origin.authorNode)) else { continue }
            let winner = open.remove(at: w)
            for loser in open {
                let actor = "node:\(id)"
                command(loser.incident.id, .mergeInto(winner.incident.id), actor: actor, now: now, into: &out)
                command(
                    winner.incident.id, .absorb(loser.incident.id, alerts: loser.incident.alertCount), actor: actor, now: now,
                    into: &out)
            }
        }
    }

    /// `IncidentDirectory.adopt`: logs another node's opening and registers the incident; the key
    /// keeps routing to an older open incident if there is one.
    mutating func adopt(_ opening: IncidentEvent, now: Int64, into out: inout [SimEffect]) -> UInt64 {
        let lsn = appendReplicated(opening, now: now, into: &out)
        let record = IncidentRecord(opening: opening)
        let rid = record.incident.id
        let key = record.incident.dedupKey
        records[rid] = record
        keyIncidents[key, default: []].append(rid)
        if let current = byKey[key], let c = records[current], c.incident.isOpen,
            (c.incident.createdAt, current) < (record.incident.createdAt, rid)
        {
            // keep routing to the older open incident: it survives the duplicate merge
        } else {
            byKey[key] = rid
        }
        noteCounter(rid)
        digest.set(rid, to: record.digest)
        return lsn
    }
}
