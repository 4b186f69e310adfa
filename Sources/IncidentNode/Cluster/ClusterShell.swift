import IncidentCluster
import IncidentCore
import IncidentStorage
import PosixIO
import Synchronization

/// The node's cluster side: the gossip transport, replication and anti-entropy, and (with the
/// membership instance) who is alive. One per node; a node with no peers still listens so others
/// can join it.
final class ClusterShell: Sendable {
    let node: NodeID
    let configuration: NodeConfiguration
    let transport: ClusterTransport
    let replication: ReplicationShell
    let faults: FaultTable
    let logger: Logger
    let membership: MembershipShell

    /// Binds the gossip address.
    /// - Throws: `SystemError` when it cannot be bound, `ConfigurationError` for a bad key file.
    init(
        configuration: NodeConfiguration, directory: IncidentDirectory, service: IncidentService, log: EventLog,
        digest: StateDigest, feed: EventFeed, clock: any NodeClock, logger: Logger
    ) throws {
        self.node = configuration.nodeID
        self.configuration = configuration
        self.logger = logger
        faults = FaultTable(enabled: configuration.faultInjection)
        var tc = TransportConfiguration(node: configuration.nodeID, region: configuration.region, listen: configuration.gossip)
        if let path = configuration.clusterKeyFile { tc.key = try Self.readKey(path) }
        let box = ReplicationBox()
        transport = try ClusterTransport(configuration: tc, faults: faults, nonceSeed: Self.randomSeed()) { m, c in
            box.cluster?.received(m, on: c)
        }
        let membership = MembershipShell(
            node: configuration.nodeID, region: configuration.region, address: transport.advertisedAddress,
            configuration: configuration.membership, seeds: configuration.peers.map(\.description), transport: transport,
            clock: clock, logger: logger)
        self.membership = membership
        replication = ReplicationShell(
            node: configuration.nodeID, region: configuration.region, transport: transport, directory: directory,
            catalog: service.catalog, log: log,
            digest: digest, feed: feed, configuration: configuration.replication, clock: clock, logger: logger,
            members: { membership.activeMembers },
            onMembership: { bytes, c in membership.received(bytes, from: c) })
        self.service = service
        self.log = log
        (forwards, forwardsContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        box.cluster = self
        service.router.set(self)
    }

    let service: IncidentService
    let log: EventLog
    /// A forward waiting for the deciding node's answer, until `deadline` (monotonic ns).
    private struct PendingForward {
        var continuation: CheckedContinuation<(Int, [IncidentService.ForwardedAnswer])?, Never>
        var deadline: UInt64
    }
    private let pending = Mutex<(next: UInt64, waiting: [UInt64: PendingForward])>((1, [:]))
    private let forwards: AsyncStream<(UInt64, [Alert], PeerConnection)>
    private let forwardsContinuation: AsyncStream<(UInt64, [Alert], PeerConnection)>.Continuation

    /// Transport handler (reader thread): forwarding here, everything else to replication.
    func received(_ m: ClusterMessage, on c: PeerConnection) {
        switch m {
        case .forward(let request, let alerts):
            forwardsContinuation.yield((request, alerts, c))
        case .forwardResult(let request, let replicas, let results):
            let waiter = pending.withLock { $0.waiting.removeValue(forKey: request) }
            waiter?.continuation.resume(returning: (replicas, results.map { IncidentService.ForwardedAnswer(incident: $0.incident, created: $0.created) }))
        default:
            replication.received(m, on: c)
        }
    }

    // MARK: - Ownership and forwarding

    /// Alive members and this node, for ownership.
    var owners: [NodeID] { membership.activeMembers + [node] }

    /// Takes forwarded alerts as the node deciding their keys: ingests them here, waits for
    /// durability and quorum, answers. Up to 64 requests at once.
    private func forwardLoop() async {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await (request, alerts, connection) in forwards {
                if running >= 64 {
                    await group.next()
                    running -= 1
                }
                running += 1
                // More than a few alerts are bulk work: off the pool, at a lower CPU priority.
                let bulk = alerts.count > IncidentService.urgentAlerts ? BulkExecutor.shared : nil
                group.addTask(executorPreference: bulk) { await self.handleForward(request, alerts, connection) }
            }
        }
    }

    private func handleForward(_ request: UInt64, _ alerts: [Alert], _ connection: PeerConnection) async {
        guard alerts.allSatisfy({ (try? $0.validate()) != nil }) else {
            connection.send(.forwardResult(request: request, replicas: 0, results: []))
            return
        }
        do {
            let first = log.nextLSN  // every event of this write is logged at or after it
            let (results, lsn) = try await service.ingest(alerts, actor: "", forward: false)
            var replicas = 1
            if lsn > 0 {
                try await log.waitDurable(lsn)
                replicas = await replication.waitReplicas(lsns: min(first, lsn)...lsn, need: configuration.effectiveWriteQuorum)
            }
            connection.send(
                .forwardResult(
                    request: request, replicas: replicas,
                    results: results.map { ClusterMessage.ForwardedResult(incident: $0.incidentID, created: $0.created) }))
        } catch {
            connection.send(.forwardResult(request: request, replicas: 0, results: []))
        }
    }

    /// Merges duplicate open incidents of the keys this node owns (duplicates come from partitions,
    /// and from the same key arriving in two regions at once). The survivor is
    /// `Rendezvous.mergeWinner`: the incident this node (the owner) opened itself, which it paged
    /// first, when there is one. Until the merge the escalation supervisor holds the key's steps.
    private func mergeLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            let members = owners
            for key in service.index.conflicts where Rendezvous.owner(of: key, among: members) == node {
                var open = service.index.openIncidents(forKey: key)
                guard open.count > 1, let w = Rendezvous.mergeWinner(of: key, openedBy: open.map(\.origin.authorNode)) else { continue }
                let winner = open.remove(at: w)
                for loser in open {
                    let actor = "node:\(node)"
                    _ = try? await service.command(loser.id, .mergeInto(winner.id), actor: actor)
                    _ = try? await service.command(winner.id, .absorb(loser.id, alerts: loser.alertCount), actor: actor)
                    logger.info("merged duplicate incident", metadata: ["loser": loser.id.text, "winner": winner.id.text])
                }
            }
        }
    }

    /// Reads a cluster key: at least 16 bytes (whitespace around it is ignored).
    static func readKey(_ path: String) throws -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try PosixFile(path: path, create: false, readOnly: true).readAll() } catch {
            throw ConfigurationError("cannot read --cluster-key-file '\(path)': \(error.reason)")
        }
        var key = bytes[...]
        while let f = key.first, f == 32 || f == 10 || f == 13 || f == 9 { key = key.dropFirst() }
        while let l = key.last, l == 32 || l == 10 || l == 13 || l == 9 { key = key.dropLast() }
        guard key.count >= 16 else {
            throw ConfigurationError("--cluster-key-file '\(path)' holds \(key.count) bytes; expected a key of at least 16 bytes")
        }
        return Array(key)
    }

    /// 64 random bits from the kernel (`SystemRandomNumberGenerator`): frame nonces must not
    /// repeat across restarts.
    static func randomSeed() -> UInt64 { UInt64.random(in: .min ... .max) }

    /// The address the gossip listener is bound to.
    var gossipAddress: SocketAddress { transport.address }

    /// Runs until cancelled: replication loops, and dialling the configured peers until they answer.
    func run() async {
        transport.start()
        await withDiscardingTaskGroup { group in
            group.addTask { await self.replication.run() }
            group.addTask { await self.membership.run() }
            group.addTask { await self.forwardLoop() }
            group.addTask { await self.mergeLoop() }
            group.addTask { await self.forwardTimeoutLoop() }
        }
    }

    /// Answers nil to forwards whose owner did not answer by their deadline (the caller then takes
    /// the alerts itself). One sweep every 100 ms rather than a timer per forward.
    private func forwardTimeoutLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
            let now = monotonicNanos()
            let expired = pending.withLock { p -> [PendingForward] in
                let late = p.waiting.filter { $0.value.deadline <= now }
                for id in late.keys { p.waiting.removeValue(forKey: id) }
                return Array(late.values)
            }
            for w in expired { w.continuation.resume(returning: nil) }
        }
    }

    /// Leaves the cluster gracefully, then closes every connection and ends the loops.
    func stop() async {
        let tell = !membership.activeMembers.isEmpty
        membership.leave()
        if tell { try? await Task.sleep(for: .milliseconds(100)) }  // let the leave announcements go out
        replication.stop()
        forwardsContinuation.finish()
        let waiting = pending.withLock { p in
            defer { p.waiting = [:] }
            return Array(p.waiting.values)
        }
        for w in waiting { w.continuation.resume(returning: nil) }
        transport.stop()
    }

    /// Waits until `need` nodes hold every event of a write logged at `lsns`; returns how many do.
    func waitReplicas(lsns: ClosedRange<UInt64>, need: Int) async -> Int {
        await replication.waitReplicas(lsns: lsns, need: need)
    }

    /// Members as `cluster.status` shows them.
    func members() -> [(node: NodeID, address: String, region: String, state: String, incarnation: UInt64)] {
        membership.members.map { ($0.node, $0.address, $0.region, "\($0.state)", $0.incarnation) }
    }
}

/// Lets the transport's handler reach the cluster shell created after it.
private final class ReplicationBox: @unchecked Sendable {
    // @unchecked: `cluster` is set once, before the transport starts delivering messages.
    weak var cluster: ClusterShell?
}

extension ClusterShell: AlertRouter {
    func deciders() -> [NodeID] { membership.deciders }

    func replicates() -> Bool { replication.feed.isEnabled }

    /// The node that owns a dedup key now.
    func owner(of key: String) -> NodeID? {
        Rendezvous.owner(of: key, among: owners)
    }

    func forward(_ alerts: [Alert], to owner: NodeID) async -> (replicas: Int, results: [IncidentService.ForwardedAnswer])? {
        let request = pending.withLock { p in
            defer { p.next += 1 }
            return p.next
        }
        let timeout = configuration.replication.quorumTimeout + .milliseconds(500)
        let deadline = monotonicNanos() + UInt64(timeout.wholeMilliseconds) * 1_000_000
        let answer: (Int, [IncidentService.ForwardedAnswer])? = await withCheckedContinuation { c in
            pending.withLock { $0.waiting[request] = PendingForward(continuation: c, deadline: deadline) }
            // Ends with the deciding node's answer, or `forwardTimeoutLoop` past the deadline.
            guard transport.send(.forward(request: request, alerts: alerts), to: owner) else {
                let w = pending.withLock { $0.waiting.removeValue(forKey: request) }
                w?.continuation.resume(returning: nil)
                return
            }
        }
        guard let answer, answer.0 > 0 else { return nil }
        return answer
    }
}
