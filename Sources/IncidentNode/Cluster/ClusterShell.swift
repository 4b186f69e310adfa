import IncidentCluster
import IncidentCore
import IncidentStorage
import PosixIO
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

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
        configuration: NodeConfiguration, directory: IncidentDirectory, log: EventLog, digest: StateDigest, feed: EventFeed,
        clock: any NodeClock, logger: Logger
    ) throws {
        self.node = configuration.nodeID
        self.configuration = configuration
        self.logger = logger
        faults = FaultTable(enabled: configuration.faultInjection)
        var tc = TransportConfiguration(node: configuration.nodeID, region: configuration.region, listen: configuration.gossip)
        if let path = configuration.clusterKeyFile { tc.key = try Self.readKey(path) }
        let box = ReplicationBox()
        transport = try ClusterTransport(configuration: tc, faults: faults, nonceSeed: Self.randomSeed()) { m, c in
            box.shell?.received(m, on: c)
        }
        let membership = MembershipShell(
            node: configuration.nodeID, region: configuration.region, address: transport.advertisedAddress,
            configuration: configuration.membership, seeds: configuration.peers.map(\.description), transport: transport,
            clock: clock, logger: logger)
        self.membership = membership
        replication = ReplicationShell(
            node: configuration.nodeID, transport: transport, directory: directory, log: log, digest: digest, feed: feed,
            configuration: configuration.replication, logger: logger,
            members: { membership.activeMembers },
            onMembership: { bytes, c in membership.received(bytes, from: c) })
        box.shell = replication
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

    /// 64 random bits from the kernel (frame nonces must not repeat across restarts).
    static func randomSeed() -> UInt64 {
        var v: UInt64 = 0
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = read(fd, &v, 8)
            Glibc.close(fd)
        }
        return v ^ UInt64(bitPattern: wallClockMillis()) &* 0x9E37_79B9_7F4A_7C15
    }

    /// The address the gossip listener is bound to.
    var gossipAddress: SocketAddress { transport.address }

    /// Runs until cancelled: replication loops, and dialling the configured peers until they answer.
    func run() async {
        transport.start()
        await withDiscardingTaskGroup { group in
            group.addTask { await self.replication.run() }
            group.addTask { await self.membership.run() }
        }
    }

    /// Leaves the cluster gracefully, then closes every connection and ends the loops.
    func stop() async {
        membership.leave()
        try? await Task.sleep(for: .milliseconds(100))  // let the leave announcements go out
        replication.stop()
        transport.stop()
    }

    /// Waits until `need` nodes hold everything up to `lsn`; returns how many do.
    func waitReplicas(lsn: UInt64, need: Int) async -> Int {
        await replication.waitReplicas(lsn: lsn, need: need)
    }

    /// Members as `cluster.status` shows them.
    func members() -> [(node: NodeID, address: String, region: String, state: String, incarnation: UInt64)] {
        membership.members.map { ($0.node, $0.address, $0.region, "\($0.state)", $0.incarnation) }
    }
}

/// Lets the transport's handler reach the replication shell created after it.
private final class ReplicationBox: @unchecked Sendable {
    // @unchecked: `shell` is set once, before the transport starts delivering messages.
    var shell: ReplicationShell?
}
