import IncidentCluster
import IncidentCore
import IncidentStorage
import PosixIO
import Synchronization

/// Settings of replication and anti-entropy.
public struct ReplicationConfiguration: Sendable, Equatable {
    /// How long a write waits for its quorum before answering with fewer replicas (SPEC §7.3).
    public var quorumTimeout: Duration = .seconds(1)
    /// Anti-entropy round interval per peer.
    public var antiEntropyInterval: Duration = .seconds(1)
    /// Unacknowledged pushes are sent again after this long.
    public var resendAfter: Duration = .seconds(1)
    /// Most events in one push.
    public var batchEventsMax = 5000
    /// Most events kept unacknowledged per peer; beyond it the oldest are dropped and anti-entropy
    /// repairs the peer.
    public var inflightEventsMax = 200_000
    /// Most records per `records` message.
    public var recordsPerMessage = 500

    /// The defaults.
    public init() {}
}

/// Replicates incident events between nodes (SPEC §7.2–7.4):
///
/// - **push**: every event this node creates is sent to every peer in batches; a peer applies the
///   batch, makes it durable, and acknowledges it. Unacknowledged batches are re-sent. A write waits
///   (`waitReplicas`) until `write_quorum` nodes hold it durably, or the quorum timeout passes.
/// - **anti-entropy**: every round, each peer gets the digest of each of 256 incident buckets;
///   differing buckets are narrowed to incidents, and those incidents' records are exchanged both
///   ways and merged. At steady state a round costs 2 KiB per peer.
///
/// Received messages arrive on transport reader threads and are queued: pushed batches to one lane
/// per sender (applied in order, each acknowledged from the log's writer thread as soon as its fsync
/// is done), everything else to one inbox task. So a slow peer never blocks the transport, and one
/// peer's large batch never holds up another peer's small one.
final class ReplicationShell: Sendable {
    struct Waiter {
        /// Where the write's events were logged.
        let lsns: ClosedRange<UInt64>
        let need: Int
        let deadline: UInt64
        let continuation: CheckedContinuation<Int, Never>
    }

    struct State {
        var tracker: PushTracker
        var waiters: [Waiter] = []
        var stats = Stats()
        /// The bucket the next anti-entropy answer starts listing from.
        var bucketRotation = 0
        /// The peers alive at the timer's last look (a peer new here gets a summary at once).
        var alivePeers: Set<NodeID> = []
    }

    /// Counters for cluster.status.
    struct Stats {
        var pushedEvents: UInt64 = 0
        var receivedEvents: UInt64 = 0
        var recordsSent: UInt64 = 0
        var recordsMerged: UInt64 = 0
        var antiEntropyRounds: UInt64 = 0
        var antiEntropySummaries: UInt64 = 0
        var antiEntropyBytes: UInt64 = 0
    }

    enum Inbound: Sendable {
        case message(ClusterMessage, from: NodeID?, connection: PeerConnection)
    }

    let node: NodeID
    let region: String
    let transport: ClusterTransport
    let directory: IncidentDirectory
    let catalog: CatalogStore
    let log: EventLog
    let digest: StateDigest
    let feed: EventFeed
    let configuration: ReplicationConfiguration
    let logger: Logger
    /// The peers to replicate to, by node id (from membership: alive members).
    let members: @Sendable () -> [NodeID]
    private let state: Mutex<State>
    private let clock: any NodeClock
    private let inbox: AsyncStream<Inbound>
    private let inboxContinuation: AsyncStream<Inbound>.Continuation
    /// Pushed batches, one lane per sender: a peer's batches are applied in order, different
    /// peers' side by side — a peer's small batch never waits behind another's large one.
    private let lanes = Mutex<[NodeID: AsyncStream<Inbound>.Continuation]>([:])
    private let newLanes: AsyncStream<AsyncStream<Inbound>>
    private let newLanesContinuation: AsyncStream<AsyncStream<Inbound>>.Continuation
    /// What a lane acknowledges once durable: the sender, its batch and LSN, and the local LSN to wait for.
    typealias Ack = (peer: NodeID, batch: UInt64, senderLSN: UInt64, durable: UInt64)
    /// Membership messages are handed here.
    let onMembership: @Sendable ([UInt8], PeerConnection) -> Void


    init(
        node: NodeID, region: String, transport: ClusterTransport, directory: IncidentDirectory, catalog: CatalogStore,
        log: EventLog, digest: StateDigest, feed: EventFeed, configuration: ReplicationConfiguration, clock: any NodeClock, logger: Logger,
        members: @escaping @Sendable () -> [NodeID], onMembership: @escaping @Sendable ([UInt8], PeerConnection) -> Void
    ) {
        self.node = node
        self.region = region
        self.clock = clock
        // Batch ids start at random so a restarted node never takes a late ack of its previous life's batch for a new one.
        state = Mutex(State(tracker: PushTracker(inflightEventsMax: configuration.inflightEventsMax, firstBatch: UInt64.random(in: 1...(1 << 62)))))
        self.transport = transport
        self.directory = directory
        self.catalog = catalog
        self.log = log
        self.digest = digest
        self.feed = feed
        self.configuration = configuration
        self.logger = logger
        self.members = members
        self.onMembership = onMembership
        (inbox, inboxContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(4096))
        (newLanes, newLanesContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Called by the transport on a reader thread: membership goes straight on, the rest is queued.
    func received(_ m: ClusterMessage, on c: PeerConnection) {
        switch m {
        case .hello:
            return
        case .membership(let bytes):
            onMembership(bytes, c)
        case .eventsAck(let batch, let lsn):
            if let peer = c.peer?.node { acknowledged(peer: peer, batch: batch, lsn: lsn) }
        case .events where c.peer != nil:
            let peer = c.peer!.node
            let (lane, fresh) = lanes.withLock { l -> (AsyncStream<Inbound>.Continuation, AsyncStream<Inbound>?) in
                if let lane = l[peer] { return (lane, nil) }
                let (stream, lane) = AsyncStream.makeStream(of: Inbound.self, bufferingPolicy: .bufferingNewest(4096))
                l[peer] = lane
                return (lane, stream)
            }
            if let fresh { newLanesContinuation.yield(fresh) }
            lane.yield(.message(m, from: peer, connection: c))
        default:
            inboxContinuation.yield(.message(m, from: c.peer?.node, connection: c))
        }
    }

    /// Runs the pusher, inbox, acker, anti-entropy and timeout loops until cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.pushLoop() }
            group.addTask { await self.inboxLoop() }
            group.addTask { await self.laneLoop() }
            group.addTask { await self.antiEntropyLoop() }
            group.addTask { await self.timerLoop() }
        }
    }

    /// Stops the loops' streams.
    func stop() {
        inboxContinuation.finish()
        newLanesContinuation.finish()
        for lane in lanes.withLock({ Array($0.values) }) { lane.finish() }
        feed.finish()
        let waiters = state.withLock { s in
            let w = s.waiters
            s.waiters = []
            return w
        }
        for w in waiters { w.continuation.resume(returning: 1) }
    }

    // MARK: - Quorum

    /// Waits until `need` nodes (this one included) hold durably every event of a write logged at
    /// `lsns` — one of them in another region when an alive member there exists — or the quorum
    /// timeout passes; returns how many do.
    func waitReplicas(lsns: ClosedRange<UInt64>, need: Int) async -> Int {
        let foreign = foreignAvailable()
        // No waiting for a quorum that cannot form: with fewer live members than `need`, answer
        // now with what holds the write (a cut-off node keeps taking alerts at full speed).
        if need <= 1 || 1 + members().filter({ $0 != node }).count < need {
            return state.withLock { $0.tracker.replicas(of: lsns, myRegion: region).count }
        }
        let deadline = monotonicNanos() + UInt64(configuration.quorumTimeout.wholeMilliseconds) * 1_000_000
        return await withCheckedContinuation { c in
            let ready: Int? = state.withLock { s in
                if let count = s.tracker.quorum(lsns, need: need, myRegion: region, foreignAvailable: foreign) { return count }
                s.waiters.append(Waiter(lsns: lsns, need: need, deadline: deadline, continuation: c))
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    /// Whether some live member is in another region.
    private func foreignAvailable() -> Bool {
        members().contains { transport.region(of: $0).map { $0 != region } ?? false }
    }

    private func acknowledged(peer: NodeID, batch: UInt64, lsn: UInt64) {
        let foreign = foreignAvailable()
        var ready: [(CheckedContinuation<Int, Never>, Int)] = []
        state.withLock { s in
            s.tracker.acknowledge(peer: peer, batch: batch, lsn: lsn)
            s.waiters.removeAll { w in
                guard let count = s.tracker.quorum(w.lsns, need: w.need, myRegion: region, foreignAvailable: foreign) else { return false }
                ready.append((w.continuation, count))
                return true
            }
        }
        for (c, n) in ready { c.resume(returning: n) }
    }

    private func timerLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(25))
            let now = monotonicNanos()
            let wallNow = clock.now()
            var expired: [(CheckedContinuation<Int, Never>, Int)] = []
            let alive = Set(members())
            let peers = alive.subtracting([node])
            feed.setEnabled(!peers.isEmpty)
            let arrived = state.withLock { s in
                defer { s.alivePeers = peers }
                return peers.subtracting(s.alivePeers)
            }
            // A peer that just joined, came back or was healed from a partition compares digests
            // now instead of at the next round: convergence after a heal starts at once.
            if !arrived.isEmpty { Task { await self.sendSummary(to: Array(arrived)) } }
            let resend: [(NodeID, PushTracker.Batch)] = state.withLock { s in
                s.tracker.retain(alive)
                s.waiters.removeAll { w in
                    guard w.deadline <= now else { return false }
                    expired.append((w.continuation, s.tracker.replicas(of: w.lsns, myRegion: region).count))
                    return true
                }
                return s.tracker.due(now: wallNow, after: configuration.resendAfter)
            }
            for (c, n) in expired { c.resume(returning: n) }
            for (peer, b) in resend { transport.send(.events(batch: b.id, lsn: b.lsn, events: b.events), to: peer) }
        }
    }

    // MARK: - Push

    private func pushLoop() async {
        for await _ in feed.wakeups {
            while true {
                let (drained, missedThrough) = feed.drain()
                // Events were logged while there was no one to push to: every peer may lack them.
                if missedThrough > 0 { state.withLock { $0.tracker.missedEvents(through: missedThrough) } }
                if drained.isEmpty { break }
                // Only durable events leave the node: a peer must never hold an event that a crash
                // could take from this node, which would then hand out its sequence number again.
                do { try await log.waitDurable(drained.last!.0) } catch { return }
                var start = 0
                while start < drained.count {
                    let end = min(drained.count, start + configuration.batchEventsMax)
                    push(Array(drained[start..<end]))
                    start = end
                }
            }
        }
    }

    private func push(_ items: [(UInt64, IncidentEvent)]) {
        let peers = members().filter { $0 != node }
        let lsn = items.last!.0
        let events = items.map(\.1)
        let targets = peers.map { ($0, transport.region(of: $0) ?? region) }
        let now = clock.now()
        let batch: UInt64 = state.withLock { s in
            s.stats.pushedEvents += UInt64(events.count)
            return s.tracker.push(events, lsn: lsn, to: targets, now: now)
        }
        for (t, _) in targets { transport.send(.events(batch: batch, lsn: lsn, events: events), to: t) }
    }

    // MARK: - Inbox

    private func inboxLoop() async {
        for await item in inbox { _ = await handle(item) }
    }

    /// Runs each sender's lane of pushed batches.
    private func laneLoop() async {
        await withDiscardingTaskGroup { group in
            for await lane in newLanes {
                group.addTask { await self.runLane(lane) }
            }
        }
    }

    /// One sender's lane: applies its batches in order; each is acknowledged once what it needs is
    /// durable (`acknowledgeWhenDurable`), while the lane goes on with the next.
    private func runLane(_ lane: AsyncStream<Inbound>) async {
        for await item in lane {
            if let ack = await handle(item) { acknowledgeWhenDurable(ack) }
        }
    }

    /// Handles one received message (from the inbox or a sender's lane); for a pushed batch that
    /// was applied whole, returns what to acknowledge.
    private func handle(_ item: Inbound) async -> Ack? {
        guard case .message(let m, let from, let conn) = item else { return nil }
        switch m {
        case .events(let batch, let lsn, let events):
            // One pushed batch, one group commit: the acknowledgement waits for all of it.
            let (local, complete) = await log.burst { await applyRemote(events, from: from, connection: conn) }
            // A batch with events of incidents this node does not know yet is not acknowledged:
            // the records are requested, and the sender's resend is applied once they are here.
            guard complete, let from else { return nil }
            // Events of the batch already held were logged by whoever applied them first, inside
            // the same incident actor step: everything logged by now covers them.
            return (from, batch, lsn, max(local, log.nextLSN - 1))
        case .digestSummary(let theirs):
            compareSummary(theirs, connection: conn)
        case .bucketDigests(let buckets, let theirs):
            await compareDigests(buckets: buckets, theirs: theirs, connection: conn)
        case .records(let records):
            await log.burst { await merge(records) }
        case .recordRequest(let ids):
            await sendRecords(ids, connection: conn)
        case .catalog(let events):
            do { _ = try catalog.applyRemote(events) } catch {
                logger.warn("could not apply catalog changes", metadata: ["error": "\(error)"])
            }
        default:
            break
        }
        return nil
    }

    private func applyRemote(_ all: [IncidentEvent], from: NodeID?, connection: PeerConnection) async -> (UInt64, Bool) {
        var lsn: UInt64 = 0
        var complete = true
        var events = all
        if events.contains(where: { $0.incident == .catalog }) {
            do { lsn = try catalog.applyRemote(events.filter { $0.incident == .catalog }) } catch {
                logger.warn("could not apply catalog changes", metadata: ["error": "\(error)"])
                complete = false
            }
            events.removeAll { $0.incident == .catalog }
        }
        do {
            let (targets, missing, l) = try await directory.remoteTargets(events)
            lsn = max(lsn, l)
            for (a, list) in targets {
                do { lsn = max(lsn, try await a.applyRemote(list)) } catch .moved {
                    // passivated meanwhile: look it up again once
                    if let again = try? await directory.actor(for: a.id) { lsn = max(lsn, (try? await again.applyRemote(list)) ?? 0) }
                }
            }
            if !missing.isEmpty {
                connection.send(.recordRequest(missing))
                complete = false
            }
        } catch {
            logger.warn("could not apply replicated events", metadata: ["error": "\(error)"])
            complete = false
        }
        state.withLock { $0.stats.receivedEvents += UInt64(all.count) }
        return (lsn, complete)
    }

    /// Sends an acknowledgement once its events are durable here — from the log's writer thread,
    /// right after the fsync, so no task has to wake up for it. Acknowledgements of one lane may
    /// overtake each other; the sender's `PushTracker` takes them in any order.
    private func acknowledgeWhenDurable(_ ack: Ack) {
        let send: EventLog.DurableCallback = { [transport] failure in
            guard failure == nil else { return }  // never ack what is not durable
            transport.send(.eventsAck(batch: ack.batch, lsn: ack.senderLSN), to: ack.peer)
        }
        if ack.durable > 0 { log.whenDurable(ack.durable, send) } else { send(nil) }
    }

    // MARK: - Anti-entropy

    private func antiEntropyLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.antiEntropyInterval)
            await sendSummary(to: members().filter { $0 != node })
            state.withLock { $0.stats.antiEntropyRounds += 1 }
        }
    }

    /// Sends this node's bucket digests to `peers` (one anti-entropy summary each).
    private func sendSummary(to peers: [NodeID]) async {
        let summary = digest.buckets
        // The summary promises its reader that this node holds it durably (the reader may count
        // this node as a replica of everything it describes), so it waits for the log first.
        do { try await log.waitDurable(log.nextLSN - 1) } catch { return }
        for peer in peers { transport.send(.digestSummary(summary), to: peer) }
        state.withLock {
            $0.stats.antiEntropySummaries += UInt64(peers.count)
            $0.stats.antiEntropyBytes += UInt64(peers.count * (summary.count * 8 + 16))
        }
    }

    private func compareSummary(_ theirs: [UInt64], connection: PeerConnection) {
        // Read in this order: with no change in flight after `lsn` was read, every event logged up
        // to `lsn` is in `ours`.
        let lsn = log.nextLSN - 1
        let settled = digest.settled
        let ours = digest.buckets
        guard theirs.count == ours.count else { return }
        let differing = AntiEntropy.differingBuckets(ours: ours, theirs: theirs)
        if differing.isEmpty {
            // The peer holds durably everything we held at `lsn`: whatever pushes it missed are covered.
            if settled, let peer = connection.peer?.node {
                let peerRegion = transport.region(of: peer) ?? region
                state.withLock { $0.tracker.confirmInSync(peer: peer, region: peerRegion, lsn: lsn) }
            }
            return
        }
        // A bounded share of the differing buckets, continuing where the last round stopped.
        let rotation = state.withLock { $0.bucketRotation }
        let listed = AntiEntropy.bucketsToList(differing: differing, counts: digest.counts(ofBuckets: differing), rotation: rotation)
        state.withLock { $0.bucketRotation = ((listed.last ?? 0) + 1) % StateDigest.bucketCount }
        let list = digest.digests(inBuckets: listed).map { ClusterMessage.IncidentDigest(id: $0.0, digest: $0.1) }
        connection.send(.bucketDigests(buckets: listed.map { UInt16($0) }, digests: list))
        state.withLock { $0.stats.antiEntropyBytes += UInt64(list.count * 32 + listed.count * 2) }
    }

    private func compareDigests(buckets: [UInt16], theirs: [ClusterMessage.IncidentDigest], connection: PeerConnection) async {
        let ours = digest.digests(inBuckets: Set(buckets.map(Int.init)))
        var (send, want) = AntiEntropy.plan(ours: ours, theirs: theirs.map { ($0.id, $0.digest) })
        let busy = connection.peer.map { peer in state.withLock { ($0.tracker.peers[peer.node]?.inflightEvents ?? 0) > 0 } } ?? false
        let cap = busy ? AntiEntropy.repairsPerBusyRound : AntiEntropy.repairsPerRound
        send = Array(send.prefix(cap))
        want = Array(want.prefix(cap))
        if !want.isEmpty {
            for chunk in stride(from: 0, to: want.count, by: 10_000) {
                connection.send(.recordRequest(Array(want[chunk..<min(want.count, chunk + 10_000)])))
            }
        }
        await sendRecords(send, connection: connection)
    }

    private func sendRecords(_ all: [IncidentID], connection: PeerConnection) async {
        var ids = all
        if let c = ids.firstIndex(of: .catalog) {
            ids.remove(at: c)
            connection.send(.catalog(catalog.events))
        }
        var i = 0
        while i < ids.count {
            let chunk = Array(ids[i..<min(ids.count, i + configuration.recordsPerMessage)])
            let records = await directory.records(chunk)
            if !records.isEmpty { connection.send(.records(records)) }
            state.withLock { $0.stats.recordsSent += UInt64(records.count) }
            i += chunk.count
        }
    }

    private func merge(_ records: [IncidentRecord]) async {
        do {
            let (targets, _) = try await directory.mergeTargets(records)
            for (a, r) in targets {
                do { _ = try await a.merge(r) } catch .moved {
                    if let again = try? await directory.actor(for: a.id) { _ = try? await again.merge(r) }
                }
            }
        } catch {
            logger.warn("could not merge replicated records", metadata: ["error": "\(error)"])
        }
        state.withLock { $0.stats.recordsMerged += UInt64(records.count) }
    }

    // MARK: - Status

    /// Per-peer replication lag (local LSN minus acknowledged LSN) and counters.
    func status() -> (peers: [(NodeID, acked: UInt64, lag: UInt64, inflightEvents: Int)], stats: Stats) {
        let local = log.nextLSN - 1
        return state.withLock { s in
            (s.tracker.peers.sorted { $0.key < $1.key }.map { ($0.key, $0.value.acked, local - min(local, $0.value.acked), $0.value.inflightEvents) }, s.stats)
        }
    }
}
