import IncidentCore

// MARK: - SWIM membership
//
// SWIM (Das, Gupta, Motivala 2002) with the Lifeguard refinements (Dadgar et al. 2018), in the
// shape of hashicorp/memberlist and apple/swift-cluster-membership's SWIMInstance: a pure state
// machine that a shell drives with `join`, `onTick`, `onMessage` and `leave`, each taking `now`
// and returning directives (messages to send, member changes to act on).
//
// Failure detection. Every `probeInterval` the instance pings the next member of a round-robin
// order that is reshuffled each round. No ack within `probeTimeout` → it pings once more and asks
// `indirectProbes` random alive members to ping the target for it (`pingRequest`); they forward
// the target's ack, or send a `nack` if the target stays silent. No ack by the end of the interval
// → the target is `suspect`. A suspect that does not refute within `suspicionTimeout` is `dead`.
//
// Dissemination. Every change this instance makes or learns is queued and piggybacked on pings,
// acks and `pingRequest`s, at most `gossipPiggybackMax` per message, each about
// `retransmitMultiplier · ⌈log10(n + 1)⌉` times (fewest-sent first). While the queue is not
// empty, it is also pushed to `gossipFanout` random members every `gossipInterval` (memberlist's
// gossip loop), so a `dead` reaches everyone within a few hundred ms rather than a few probe rounds.
//
// Incarnations and refutation. Records about a node are ordered by (incarnation, state) with
// alive < suspect < dead < left at equal incarnation (`Member.supersedes`). Only the node raises
// its own incarnation: when it hears it is suspect, dead or left at its incarnation (or hears of
// a higher incarnation of itself), it jumps past that incarnation and gossips `alive`. A restarted
// process starts from an incarnation the shell passes (e.g. wall-clock ms), and in any case jumps
// past whatever the seeds tell it about its previous life.
//
// Departures from the papers, and additions:
// - Every message's updates start with the sender's own record; a receiver that holds a newer
//   record about the sender, or about any member in the updates, queues its own record again, so
//   the sender is corrected (and, if it is the subject, refutes). The record of a suspect or dead
//   destination is always added to messages sent to it. Together these let a partitioned member
//   learn it was declared dead and come back as soon as any message crosses.
// - Dead members are remembered for `deadRetention`, and one of them is pinged every
//   `reconnectInterval`: that is the message that crosses after a partition heals. Seeds that are
//   not alive members get a `join` every `seedRetryInterval`, for partitions longer than that.
// - Anti-entropy: every `syncInterval` a `join` to one random alive member pulls its whole member
//   list (memberlist's push-pull, pull half only; the other side pulls on its own schedule), so a
//   member that missed an update — piggybacking is probabilistic — catches up within about that.
// - Urgent news is not left to the gossip timer: a member this node suspects gets its `suspect`
//   record at once; any state change (this node's or learned) is gossiped at the next tick; and a
//   refuted suspicion or death is sent straight to every alive or suspect member, because each
//   of them runs its own suspicion timer and a probabilistic epidemic can miss one.
// - The direct ping is repeated once together with the indirect probes, which halves false
//   suspicions under packet loss in small clusters (where there are few helpers).
// - Lifeguard's local health multiplier is kept (a failed probe with missing nacks, or a
//   refutation, stretches this node's probe interval and timeout; a successful probe shrinks
//   them); its confirmation-driven suspicion timeout is not: the timeout is fixed, scaled by
//   log10(n) above 10 members. Every member that learns a suspicion runs its own timer.
// - One configuration applies to every peer (see `MembershipConfiguration`), whatever its region.
// - Unknown members are learned from any message, but only if alive or suspect: an unknown dead
//   or left member is ignored rather than kept as a tombstone.

/// The SWIM membership state machine of one node (see the protocol notes at the top of this file).
///
/// Pure: no clocks, IO or global randomness. Time arrives as `now`, randomness comes from a
/// seeded generator stored in the instance, and outputs are `Directive`s for the shell.
/// The shell calls `onTick(now:)` often (every 50–100 ms, or at `nextDeadline`), passes every
/// decoded message to `onMessage(_:from:now:)` with the sender's gossip address, sends the
/// `.send` directives, and reacts to `.memberChanged` (ownership, replication, `cluster.status`).
public struct MembershipInstance: Sendable {
    /// What the shell must do.
    public enum Directive: Sendable, Equatable {
        /// Send the message to a gossip address (`host:port`). Best effort: loss is tolerated.
        case send(MembershipMessage, to: String)
        /// A member was added (`previous == nil`), changed state, or changed address or region.
        /// Never reported for this node itself. Dead and left members are later forgotten
        /// silently (after `deadRetention`).
        case memberChanged(Member, previous: MemberState?)
    }

    /// The timing in use.
    public let configuration: MembershipConfiguration

    /// This node's own record (its state is `alive`, or `left` after `leave`).
    public internal(set) var myself: Member

    /// Every other member known, sorted by node id.
    var entries: [Entry] = []
    /// Member updates waiting to be piggybacked.
    var broadcasts: [Broadcast] = []
    /// Orders broadcasts by age (higher is newer).
    var broadcastCounter: UInt64 = 0
    /// The probe in flight, if any.
    var probe: Probe?
    /// This round's probe order and the position in it.
    var probeOrder: [NodeID] = []
    var probeIndex = 0
    /// Probes this node runs as a helper for others' `pingRequest`s.
    var indirectProbes: [IndirectProbe] = []
    /// The last sequence number used.
    var sequence: UInt64 = 0
    /// Lifeguard local health score, 0…`localHealthMax`.
    public internal(set) var localHealthScore = 0
    /// Seed addresses from `join`, without this node's own address.
    var seeds: [String] = []
    /// Whether a seed answered (or there were no seeds).
    public internal(set) var hasJoined = false
    /// Timers; nil until the first call that carries `now`.
    var nextProbeAt: Timestamp?
    var nextGossipAt: Timestamp?
    var nextReconnectAt: Timestamp?
    var nextSyncAt: Timestamp?
    var nextJoinAt: Timestamp?
    var nextSeedRetryAt: Timestamp?
    /// Set when this node itself suspected, declared dead or refuted: gossip at the next tick
    /// instead of waiting for `gossipInterval`.
    var gossipSoon = false
    /// The latest `now` received.
    var lastNow: Timestamp?
    /// The instance's random generator.
    var random: SeededRandom

    /// Creates the instance for this node.
    /// - Parameters:
    ///   - myself: this node's record: id, gossip address, region and start incarnation. A
    ///     restarted process should pass an incarnation above any it used before (wall-clock ms
    ///     is fine); the state is forced to `alive`.
    ///   - configuration: the timing; call `validate()` on it first.
    ///   - seed: seeds the random generator (probe order, helpers, gossip targets, probe phase).
    public init(myself: Member, configuration: MembershipConfiguration = .lan, seed: UInt64) {
        var me = myself
        me.state = .alive
        self.myself = me
        self.configuration = configuration
        self.random = SeededRandom(seed: seed)
    }

    // MARK: - Views

    /// Every member known, this node included, sorted by node id. Dead and left members stay
    /// listed for `deadRetention`.
    public var members: [Member] {
        var list = entries.map(\.member)
        let at = list.firstIndex { myself.node < $0.node } ?? list.count
        list.insert(myself, at: at)
        return list
    }

    /// The record held about `node` (this node's own for its id).
    public func member(_ node: NodeID) -> Member? {
        if node == myself.node { return myself }
        return index(of: node).map { entries[$0].member }
    }

    /// The earliest instant at which `onTick` has work to do, for shells that sleep until then
    /// rather than ticking at a fixed rate. `nil` before the first call carrying `now`.
    public var nextDeadline: Timestamp? {
        guard myself.state != .left else { return nil }
        var candidates: [Timestamp?] = [nextProbeAt, nextReconnectAt, nextSeedRetryAt, nextSyncAt]
        if let probe { candidates += [probe.indirectSent ? nil : probe.timeoutAt, probe.deadline] }
        if !broadcasts.isEmpty { candidates.append(gossipSoon ? lastNow : nextGossipAt) }
        if !hasJoined { candidates.append(nextJoinAt) }
        for p in indirectProbes { candidates += [p.nackSent ? nil : p.nackAt, p.expiresAt] }
        let suspicion = suspicionTimeout
        for e in entries {
            switch e.member.state {
            case .alive: break
            case .suspect: candidates.append(e.changedAt + suspicion)
            case .dead, .left: candidates.append(e.changedAt + configuration.deadRetention)
            }
        }
        return candidates.compactMap { $0 }.min()
    }

    // MARK: - Inputs

    /// Starts joining the cluster: sends `join(myself)` to every seed address, and again every
    /// `joinRetryInterval` until one answers with `joinReply`.
    /// - Parameters:
    ///   - seeds: gossip addresses of some members; this node's own address is ignored. Empty
    ///     for the first node of a new cluster.
    ///   - now: the current time.
    /// - Returns: the `join` messages to send.
    public mutating func join(seeds: [String], now: Timestamp) -> [Directive] {
        var directives: [Directive] = []
        guard myself.state != .left else { return directives }
        startTimers(now: now)
        var unique: [String] = []
        for seed in seeds where seed != myself.address && !unique.contains(seed) { unique.append(seed) }
        self.seeds = unique
        hasJoined = unique.isEmpty
        for seed in unique { directives.append(.send(.join(myself), to: seed)) }
        nextJoinAt = now + configuration.joinRetryInterval
        return directives
    }

    /// Advances timers: starts probes, escalates silent ones to indirect probes and suspicion,
    /// declares expired suspects dead, forgets old dead members, gossips, retries joins, pings a
    /// dead member for reconnection, and asks a random member for its member list (anti-entropy).
    /// - Parameter now: the current time (never earlier than in a previous call).
    /// - Returns: messages to send and member changes.
    public mutating func onTick(now: Timestamp) -> [Directive] {
        var directives: [Directive] = []
        guard myself.state != .left else { return directives }
        startTimers(now: now)
        runProbe(now: now, into: &directives)
        runIndirectProbes(now: now, into: &directives)
        sweepMembers(now: now, into: &directives)
        runGossip(now: now, into: &directives)
        runJoinRetries(now: now, into: &directives)
        runReconnect(now: now, into: &directives)
        runSync(now: now, into: &directives)
        return directives
    }

    /// Handles one message from another node.
    /// - Parameters:
    ///   - message: the decoded message.
    ///   - address: the sender's gossip address (where answers go).
    ///   - now: the current time.
    /// - Returns: answers to send and member changes. Nothing once this node has left.
    public mutating func onMessage(_ message: MembershipMessage, from address: String, now: Timestamp) -> [Directive] {
        var directives: [Directive] = []
        guard myself.state != .left else { return directives }
        startTimers(now: now)
        switch message {
        case .ping(let sequence, let updates):
            apply(updates, now: now, into: &directives)
            let sender = senderNode(address: address, updates: updates)
            directives.append(.send(.ack(sequence: sequence, updates: piggyback(for: sender)), to: address))
        case .ack(let sequence, let updates):
            apply(updates, now: now, into: &directives)
            onAck(sequence: sequence, into: &directives)
        case .pingRequest(let sequence, let target, let updates):
            apply(updates, now: now, into: &directives)
            apply([target], now: now, into: &directives)
            onPingRequest(sequence: sequence, target: target, from: address, now: now, into: &directives)
        case .nack(let sequence):
            if probe?.sequence == sequence { probe?.nacks += 1 }
        case .join(let member):
            apply([member], now: now, into: &directives)
            directives.append(.send(.joinReply(members: membersForReply()), to: member.address))
        case .joinReply(let members):
            apply(members, now: now, into: &directives)
            if !hasJoined, members.contains(where: { $0.node != myself.node }) {
                hasJoined = true
                // Announce ourselves too, rather than leaving it to the seed's gossip alone.
                enqueue(myself.node, fresh: true)
                gossipSoon = true
            }
        case .leave(var member):
            member.state = .left
            apply([member], now: now, into: &directives)
        case .gossip(let updates):
            apply(updates, now: now, into: &directives)
        }
        return directives
    }

    /// Leaves gracefully: marks this node `left` and tells every alive or suspect member. After
    /// this the instance ignores every input.
    /// - Parameter now: the current time.
    /// - Returns: one `leave` message per member.
    public mutating func leave(now: Timestamp) -> [Directive] {
        var directives: [Directive] = []
        guard myself.state != .left else { return directives }
        myself.state = .left
        for e in entries where e.member.state.isActive {
            directives.append(.send(.leave(myself), to: e.member.address))
        }
        probe = nil
        broadcasts.removeAll()
        indirectProbes.removeAll()
        return directives
    }

    // MARK: - Internals shared by the extensions

    /// A known member and when its record last changed (suspicion start, time of death).
    struct Entry: Sendable {
        var member: Member
        var changedAt: Timestamp
    }

    /// A queued update: which member, how often it was sent, and its age.
    struct Broadcast: Sendable {
        var node: NodeID
        var transmits: Int
        var order: UInt64
    }

    /// This node's probe in flight.
    struct Probe: Sendable {
        var target: NodeID
        var sequence: UInt64
        var timeoutAt: Timestamp
        var deadline: Timestamp
        var indirectSent = false
        var expectedNacks = 0
        var nacks = 0
    }

    /// A probe run for another node's `pingRequest`.
    struct IndirectProbe: Sendable {
        var sequence: UInt64
        var requesterAddress: String
        var requesterSequence: UInt64
        var nackAt: Timestamp
        var expiresAt: Timestamp
        var nackSent = false
    }

    /// Position of `node` in `entries`, by binary search.
    func index(of node: NodeID) -> Int? {
        let i = insertionIndex(of: node)
        return i < entries.count && entries[i].member.node == node ? i : nil
    }

    /// Where `node` is or would be inserted in `entries`.
    func insertionIndex(of node: NodeID) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].member.node < node { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Members that are alive or suspect, this node excluded.
    var activeCount: Int { entries.reduce(0) { $0 + ($1.member.state.isActive ? 1 : 0) } }

    /// The suspicion timeout for the current cluster size.
    var suspicionTimeout: Duration {
        let n = activeCount + 1
        guard n > 10 else { return configuration.suspicionTimeout }
        return configuration.suspicionTimeout * Self.log10(Double(n))
    }

    /// Next sequence number.
    mutating func nextSequence() -> UInt64 {
        sequence &+= 1
        return sequence
    }

    /// Arms the periodic timers on the first call that carries `now`; the first probe is at a
    /// random phase so that nodes started together do not probe in lockstep.
    mutating func startTimers(now: Timestamp) {
        lastNow = now
        guard nextProbeAt == nil else { return }
        let phase = Int64.random(in: 0..<max(1, configuration.probeInterval.wholeMilliseconds), using: &random)
        nextProbeAt = Timestamp(unixMillis: now.unixMillis + phase)
        nextGossipAt = now + configuration.gossipInterval
        nextReconnectAt = now + configuration.reconnectInterval
        nextSyncAt = now + configuration.syncInterval
        nextSeedRetryAt = now + configuration.seedRetryInterval
    }

    /// log10 without Foundation (for scaling timeouts by cluster size): x = m · 2^e, ln m by the
    /// atanh series, which converges fast for m in [1, 2).
    static func log10(_ x: Double) -> Double {
        guard x > 0 else { return 0 }
        let m = x.significand
        let z = (m - 1) / (m + 1)
        let z2 = z * z
        var term = z
        var sum = 0.0
        for k in stride(from: 1.0, through: 21.0, by: 2.0) {
            sum += term / k
            term *= z2
        }
        let ln = Double(x.exponent) * 0.693_147_180_559_945_3 + 2 * sum
        return ln / 2.302_585_092_994_046
    }
}
