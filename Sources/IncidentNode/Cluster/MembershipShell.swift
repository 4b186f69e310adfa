import IncidentCluster
import IncidentCore
import PosixIO
import Synchronization

/// Drives the pure `MembershipInstance` (SWIM with Lifeguard suspicion) over the gossip transport:
/// ticks every 50 ms, hands it every membership message, sends what it asks, and keeps the alive
/// member list that replication and ownership read.
///
/// The instance lives behind a `Mutex` (its inputs are short, synchronous steps), so messages are
/// handled right on the transport reader thread without an actor hop.
final class MembershipShell: Sendable {
    private let instance: Mutex<MembershipInstance>
    private let transport: ClusterTransport
    private let clock: any NodeClock
    private let seeds: [String]
    private let logger: Logger
    private let leaving = Mutex(false)

    init(
        node: NodeID, region: String, address: String, configuration: MembershipConfiguration, seeds: [String],
        transport: ClusterTransport, clock: any NodeClock, logger: Logger
    ) {
        // A restarted node comes back with an incarnation above anything it had before.
        let incarnation = UInt64(max(1, clock.now().unixMillis))
        let me = Member(node: node, address: address, region: region, state: .alive, incarnation: incarnation)
        instance = Mutex(MembershipInstance(myself: me, configuration: configuration, seed: ClusterShell.randomSeed()))
        self.transport = transport
        self.clock = clock
        self.seeds = seeds
        self.logger = logger
    }

    /// Alive and suspect members other than this node (suspects still get writes; they may be alive).
    var activeMembers: [NodeID] {
        instance.withLock { i in i.members.filter { $0.state.isActive && $0.node != i.myself.node }.map(\.node) }
    }

    /// The nodes deciding dedup keys for alerts arriving here: alive and suspect members of this
    /// node's region, and this node.
    var deciders: [NodeID] { instance.withLock { Rendezvous.deciders(among: $0.members, myself: $0.myself) } }

    /// Every member, this node included.
    var members: [Member] { instance.withLock { $0.members } }

    /// This node's record.
    var myself: Member { instance.withLock { $0.myself } }

    /// Joins through the seeds, then ticks until cancelled.
    func run() async {
        let now = clock.now()
        let first = instance.withLock { $0.join(seeds: seeds, now: now) }
        carryOut(first)
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            if leaving.withLock({ $0 }) { break }
            let t = clock.now()
            carryOut(instance.withLock { $0.onTick(now: t) })
        }
    }

    /// A membership message arrived (transport reader thread).
    func received(_ bytes: [UInt8], from connection: PeerConnection) {
        guard !leaving.withLock({ $0 }) else { return }
        let message: MembershipMessage
        do { message = try MembershipMessage(decoding: bytes) } catch {
            logger.debug("undecodable membership message", metadata: ["error": "\(error)"])
            return
        }
        let from = connection.peer?.gossip ?? connection.address
        let t = clock.now()
        carryOut(instance.withLock { $0.onMessage(message, from: from, now: t) })
    }

    /// Announces a graceful leave to every member.
    func leave() {
        let t = clock.now()
        let directives = instance.withLock { $0.leave(now: t) }
        carryOut(directives)
        leaving.withLock { $0 = true }
    }

    private func carryOut(_ directives: [MembershipInstance.Directive]) {
        for d in directives {
            switch d {
            case .send(let message, let address):
                var w = ByteWriter(capacity: 128)
                message.encode(into: &w)
                transport.send(.membership(w.bytes), toAddress: address)
            case .memberChanged(let member, let previous):
                transport.learn(node: member.node, address: member.address)
                if member.state != previous {
                    let level: Logger.Level = member.state == .dead ? .warn : .info
                    let meta = [
                        "member": member.node.name, "state": "\(member.state)", "previous": previous.map { "\($0)" } ?? "new",
                        "incarnation": "\(member.incarnation)",
                    ]
                    if level == .warn { logger.warn("member state changed", metadata: meta) } else { logger.info("member state changed", metadata: meta) }
                }
            }
        }
    }
}
