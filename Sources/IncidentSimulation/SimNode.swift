import IncidentCluster
import IncidentCore

/// One simulated Aether node: the real node's logic (`IncidentService.ingest`, `IncidentDirectory`,
/// `EventSequencer`, `ReplicationShell`, `ClusterShell`, `MembershipShell`, `NodeRecovery`),
/// written as synchronous steps over the same pure types — `IncidentRecord` (apply, merge, digest,
/// `decideTrigger`, `decide`), `HybridLogicalClock`, `MembershipInstance`, `PushTracker`,
/// `AntiEntropy`, `Rendezvous` — so the simulator exercises the code the real node runs, with the
/// actors, sockets and files replaced by `SimEffect`s.
///
/// Each input (`start`, `onMessage`, `onTimer`, `onClientAlert`, `onFsyncDone`) takes the virtual
/// time and appends effects for the simulator to carry out. The log survives crashes (its durable
/// part); everything else is volatile and rebuilt by `start`, as recovery rebuilds it.
public struct SimNode {
    /// Position in the simulator's node list.
    public let index: Int
    /// The node id.
    public let id: NodeID
    /// Its gossip address.
    public let address: String
    /// Its region (alerts are decided among the nodes of the region they arrive in). The
    /// simulated quorum does not prefer a copy in another region.
    public let region: String
    /// Timing, limits and deliberate bugs.
    public let configuration: SimNodeConfiguration
    /// Gossip addresses of every other node (the seeds it joins through).
    let seeds: [String]
    /// The node's wall clock (clock-jump faults move it).
    public var clock = SimWallClock()
    /// Whether the process is up.
    public internal(set) var running = false
    /// Counts starts; timers and messages carry it so that a restarted node ignores the old ones.
    public internal(set) var life = 0
    /// The event log (its durable part survives crashes).
    public internal(set) var log = SimLog()

    // MARK: - Volatile state (rebuilt by `start`)

    /// Incident records by id (`IncidentDirectory.entries`).
    public internal(set) var records: [IncidentID: IncidentRecord] = [:]
    /// The incident each dedup key routes to (`IncidentDirectory.byKey`).
    var byKey: [String: IncidentID] = [:]
    /// Every incident of each key (`SummaryIndex.byKey`).
    var keyIncidents: [String: [IncidentID]] = [:]
    /// Incidents opened per year by this node (`IncidentDirectory.counters`).
    var counters: [Int: UInt64] = [:]
    /// Bucket and per-incident digests (`StateDigest`).
    public internal(set) var digest = SimDigestIndex()
    /// Who this process authors events as (event ids, repeat-counter origins): the node and its
    /// data directory, `node0/TAG` (`NodeID.author(node:directoryTag:)`, `EventSequencer.author`).
    public internal(set) var author: NodeID
    /// The data directory's incident-id tag and creation time (`NODE` file); nil before the first
    /// start and after a wipe.
    public internal(set) var dataDirectory: (tag: String, createdAt: Timestamp)?
    /// The sequencer's last event sequence number and clock.
    var seq: UInt64 = 0
    var hlc = HybridLogicalClock()
    /// Local events not yet pushed (`EventFeed`).
    var feed: [(UInt64, IncidentEvent)] = []
    var pushScheduled = false
    /// Whether the push loop is waiting for drained events to become durable (it drains no more
    /// until they are pushed).
    var pushWaiting = false
    /// Push bookkeeping (`ReplicationShell.State.tracker`).
    public internal(set) var tracker = PushTracker(inflightEventsMax: 1)
    /// Work waiting for the log to be durable (`EventLog.waitDurable`), in the order it began waiting.
    var durableWaits: [(lsns: ClosedRange<UInt64>, pending: SimPending)] = []
    /// Work waiting for a write quorum (`ReplicationShell.waiters`).
    var quorumWaits: [(lsns: ClosedRange<UInt64>, deadline: Int64, pending: SimPending)] = []
    /// Alerts forwarded to their deciding node and not answered yet (`ClusterShell.pending`).
    public internal(set) var forwards: [UInt64: SimAlert] = [:]
    var nextRequest: UInt64 = 1
    /// The SWIM instance (`MembershipShell.instance`).
    public internal(set) var membership: MembershipInstance
    var membershipTickToken: UInt64 = 0
    var replicationTickArmed = false
    var membershipTickAt: Int64 = .max
    var startedAt: Int64 = 0
    let policy = IncidentPolicy()
    let classifier = LearnedClassifier()

    /// A node that has never started, with an empty log.
    public init(index: Int, id: NodeID, address: String, seeds: [String], region: String = "local", configuration: SimNodeConfiguration) {
        self.index = index
        self.id = id
        self.address = address
        self.region = region
        self.seeds = seeds
        self.configuration = configuration
        author = id
        membership = MembershipInstance(myself: Member(node: id, address: address), configuration: configuration.membership, seed: 0)
    }

    /// Adds a trace line when tracing is on (the text is only built then).
    func note(_ text: @autoclosure () -> String, into out: inout [SimEffect]) {
        if configuration.trace { out.append(.note(text())) }
    }

    /// Wall-clock now, at virtual time `now`.
    func wall(_ now: Int64) -> Timestamp { clock.now(at: now) }

    // MARK: - Lifecycle

    /// Starts the process: recovers the records from the durable log (`NodeRecovery` +
    /// `IncidentDirectory.load`), creates a fresh membership instance with an incarnation above any
    /// earlier one (wall-clock ms, as `MembershipShell` does), joins through the seeds, and arms
    /// the periodic timers.
    public mutating func start(now: Int64, membershipSeed: UInt64, into out: inout [SimEffect]) {
        precondition(!running, "node \(id) started twice")
        running = true
        life += 1
        startedAt = now
        resetVolatileState()
        let incarnation = UInt64(max(1, wall(now).unixMillis))
        if dataDirectory == nil {
            dataDirectory = (IncidentID.tag(for: id, createdAt: wall(now)), wall(now))
        }
        author = configuration.bugs.contains(.authorPerNode) ? id : NodeID.author(node: id, directoryTag: dataDirectory!.tag)
        recover(into: &out)
        membership = MembershipInstance(
            myself: Member(node: id, address: address, region: region, state: .alive, incarnation: incarnation),
            configuration: configuration.membership, seed: membershipSeed)
        carryOut(membership.join(seeds: seeds, now: wall(now)), into: &out)
        refreshActiveMembers(now: now, into: &out)
        scheduleMembershipTick(now: now, into: &out)
        out.append(.timer(.antiEntropy, at: now + configuration.antiEntropyIntervalMillis))
        out.append(.timer(.mergeLoop, at: now + configuration.mergeIntervalMillis))
    }

    /// kill -9: the process stops; the log keeps its durable records plus the first `keptUnsynced`
    /// others. Volatile state is dropped at the next `start`.
    public mutating func crash(keptUnsynced: Int) {
        running = false
        log.crash(keptUnsynced: keptUnsynced)
        resetVolatileState()
    }

    /// The data directory is lost as well (the node restarts empty and catches up).
    public mutating func wipe() {
        running = false
        log.wipe()
        dataDirectory = nil
        resetVolatileState()
    }

    private mutating func resetVolatileState() {
        records = [:]
        byKey = [:]
        keyIncidents = [:]
        counters = [:]
        digest = SimDigestIndex()
        seq = 0
        hlc = HybridLogicalClock()
        feed = []
        pushScheduled = false
        pushWaiting = false
        // Each life numbers its batches apart (the node starts from a random id).
        tracker = PushTracker(inflightEventsMax: configuration.inflightEventsMax, firstBatch: UInt64(life + 1) << 32)
        durableWaits = []
        quorumWaits = []
        forwards = [:]
        nextRequest = 1
        membershipTickToken += 1
        membershipTickAt = .max
        replicationTickArmed = false
        activeMembers = []
    }

    /// `NodeRecovery.replay` over the whole log, then `IncidentDirectory.load` in creation order.
    private mutating func recover(into out: inout [SimEffect]) {
        var recovered: [IncidentID: IncidentRecord] = [:]
        var orphans: [IncidentEvent] = []
        var lastHLC = HLCTimestamp(raw: 0)
        for e in log.entries {
            if e.id.origin == author { seq = max(seq, e.id.seq) }
            if e.hlc > lastHLC { lastHLC = e.hlc }
            if recovered[e.incident] != nil {
                recovered[e.incident]!.apply(e)
            } else if case .opened = e.body {
                var r = IncidentRecord(opening: e)
                let waiting = orphans.filter { $0.incident == e.incident }
                orphans.removeAll { $0.incident == e.incident }
                for w in waiting { r.apply(w) }
                recovered[e.incident] = r
            } else {
                orphans.append(e)
            }
        }
        if !orphans.isEmpty {
            out.append(.violation("\(id) recovery ignored \(orphans.count) durable events without an opening (first \(orphans[0].id))"))
        }
        hlc = HybridLogicalClock(last: lastHLC)
        let ordered = recovered.values.sorted { a, b in
            let ka = (a.incident.createdAt.unixMillis, a.openingEvent.hlc.raw, a.openingEvent.id.seq)
            let kb = (b.incident.createdAt.unixMillis, b.openingEvent.hlc.raw, b.openingEvent.id.seq)
            if ka != kb { return ka < kb }
            if a.openingEvent.id.origin != b.openingEvent.id.origin { return a.openingEvent.id.origin < b.openingEvent.id.origin }
            return a.incident.id < b.incident.id
        }
        for r in ordered {
            let rid = r.incident.id
            records[rid] = r
            keyIncidents[r.incident.dedupKey, default: []].append(rid)
            byKey[r.incident.dedupKey] = rid
            noteCounter(rid)
            digest.set(rid, to: r.digest)
        }
    }

    // MARK: - Sequencer

    /// `EventSequencer.append`: a new local event with the next sequence number and a clock
    /// reading, logged and queued for push. Checks that the node's clock never goes backwards.
    mutating func appendLocal(
        incident: IncidentID, actor: String, body: IncidentEventBody, now: Int64, into out: inout [SimEffect]
    ) -> (IncidentEvent, UInt64) {
        let before = hlc.last
        let reading = hlc.tick(now: wall(now))
        if reading <= before {
            out.append(.violation("\(id) hybrid logical clock went backwards: \(reading) after \(before)"))
        }
        seq += 1
        let event = IncidentEvent(id: EventID(origin: author, seq: seq), hlc: reading, incident: incident, actor: actor, body: body)
        let lsn = log.append(event)
        feed.append((lsn, event))
        if log.beginSync() { out.append(.beginFsync) }
        if !pushScheduled {
            pushScheduled = true
            out.append(.timer(.pushDrain, at: now))
        }
        return (event, lsn)
    }

    /// `EventSequencer.appendReplicated`: logs another node's event; the clock observes it.
    mutating func appendReplicated(_ event: IncidentEvent, now: Int64, into out: inout [SimEffect]) -> UInt64 {
        hlc.observe(event.hlc, now: wall(now))
        let lsn = log.append(event)
        if log.beginSync() { out.append(.beginFsync) }
        return lsn
    }

    // MARK: - Records

    /// Runs a change on a record and keeps the digest index in step (`IncidentActor.changing`).
    @discardableResult
    mutating func change<T>(_ rid: IncidentID, _ body: (inout IncidentRecord) -> T) -> T {
        let result = body(&records[rid]!)
        digest.set(rid, to: records[rid]!.digest)
        return result
    }

    /// `IncidentDirectory.noteCounter`: ids this node handed out before (recovered or replicated
    /// back) are not handed out again.
    mutating func noteCounter(_ rid: IncidentID) {
        guard let p = IncidentID.parts(rid.text), p.tag == dataDirectory?.tag else { return }
        counters[p.year] = max(counters[p.year] ?? 0, p.counter)
    }

    /// The open incidents for a key, the merge survivor first (`SummaryIndex.openIncidents`).
    func openIncidents(forKey key: String) -> [IncidentRecord] {
        (keyIncidents[key] ?? []).compactMap { records[$0] }.filter { $0.incident.isOpen }.sorted {
            $0.incident.createdAt != $1.incident.createdAt
                ? $0.incident.createdAt < $1.incident.createdAt : $0.incident.id < $1.incident.id
        }
    }

    /// Keys with more than one open incident (`SummaryIndex.conflicts`), sorted.
    var conflictKeys: [String] {
        keyIncidents.keys.filter { key in
            (keyIncidents[key] ?? []).reduce(0) { $0 + ((records[$1]?.incident.isOpen ?? false) ? 1 : 0) } > 1
        }.sorted()
    }

    // MARK: - Membership

    /// Alive and suspect members other than this node (`MembershipShell.activeMembers`), kept
    /// current after every membership step.
    public private(set) var activeMembers: [NodeID] = []

    /// Re-reads the active members after a membership step; a change wakes the replication timer
    /// (which forgets peers that are gone).
    private mutating func refreshActiveMembers(now: Int64, into out: inout [SimEffect]) {
        let fresh = membership.members.filter { $0.state.isActive && $0.node != id }.map(\.node)
        guard fresh != activeMembers else { return }
        activeMembers = fresh
        armReplicationTick(now: now, into: &out)
    }

    /// Schedules the replication timer unless it is already scheduled. The real timer runs every
    /// 25 ms; while no batch waits for an ack and membership is still, its runs change nothing,
    /// so the simulator lets it sleep until a push or a membership change.
    mutating func armReplicationTick(now: Int64, into out: inout [SimEffect]) {
        guard !replicationTickArmed else { return }
        replicationTickArmed = true
        out.append(.timer(.replicationTick, at: now + configuration.replicationTickMillis))
    }

    /// The members ownership is computed over: active members and this node (`ClusterShell.owners`).
    public var owners: [NodeID] { activeMembers + [id] }

    /// The nodes deciding keys for alerts arriving here (`MembershipShell.deciders`): the active
    /// members of this node's region, and this node.
    var deciders: [NodeID] { Rendezvous.deciders(among: membership.members, myself: membership.myself) }

    mutating func onMembershipTick(token: UInt64, now: Int64, into out: inout [SimEffect]) {
        guard token == membershipTickToken else { return }
        membershipTickAt = .max
        carryOut(membership.onTick(now: wall(now)), into: &out)
        refreshActiveMembers(now: now, into: &out)
        scheduleMembershipTick(now: now, into: &out)
    }

    mutating func onMembership(_ bytes: [UInt8], from sender: String, now: Int64, into out: inout [SimEffect]) {
        let message: MembershipMessage
        do { message = try MembershipMessage(decoding: bytes) } catch {
            out.append(.violation("\(id) could not decode a membership message: \(error)"))
            return
        }
        carryOut(membership.onMessage(message, from: sender, now: wall(now)), into: &out)
        refreshActiveMembers(now: now, into: &out)
        scheduleMembershipTick(now: now, into: &out)
    }

    private func carryOut(_ directives: [MembershipInstance.Directive], into out: inout [SimEffect]) {
        for d in directives {
            switch d {
            case .send(let message, let to):
                var w = ByteWriter(capacity: 128)
                message.encode(into: &w)
                out.append(.sendToAddress(to, .membership(w.bytes)))
            case .memberChanged(let member, let previous):
                note("member \(member) (was \(previous.map { "\($0)" } ?? "new"))", into: &out)
            }
        }
    }

    /// The real shell ticks every 50 ms; ticks before the instance's next deadline do nothing, so
    /// the simulator only runs the first tick (on the node's 50 ms grid) at or after it.
    private mutating func scheduleMembershipTick(now: Int64, into out: inout [SimEffect]) {
        let period = configuration.membershipTickMillis
        var due = now + 1000
        if let deadline = membership.nextDeadline { due = min(due, clock.virtualTime(of: deadline)) }
        due = max(due, now + 1)
        let steps = (due - startedAt + period - 1) / period
        let at = startedAt + steps * period
        guard at < membershipTickAt else { return }
        membershipTickToken += 1
        membershipTickAt = at
        out.append(.timer(.membershipTick(token: membershipTickToken), at: at))
    }
}

/// Work a node finishes once its log is durable, and then once a quorum holds it.
public enum SimPending: Sendable {
    /// Answer a client (an alert this node took itself).
    case client(alert: Int, fact: SimAlertFact?)
    /// Answer a forwarded alert's sender (on the connection the request came in on).
    case forward(to: SimNode.Sender, request: UInt64, fact: SimAlertFact?)
    /// Acknowledge a pushed batch.
    case peerAck(peer: NodeID, batch: UInt64, senderLSN: UInt64)
    /// Send an anti-entropy summary (read before the wait, as `antiEntropyLoop` does).
    case summary([UInt64])
    /// Push events the push loop drained (`ReplicationShell.pushLoop`).
    case push([(UInt64, IncidentEvent)])
}
