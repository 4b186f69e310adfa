import IncidentCore

/// Timing and limits of the SWIM membership protocol (see `MembershipInstance`).
///
/// One configuration applies to every peer of an instance: a cluster whose members span regions
/// runs every node with `.wan` (or its own tuning), rather than mixing per-peer timings. The
/// expected failure-detection time is roughly
/// `probeInterval · (1…3) + probeInterval + suspicionTimeout + a few gossipInterval`:
/// the time until some member probes the crashed one, the failed probe, the suspicion, and the
/// spread of the `dead` update.
public struct MembershipConfiguration: Sendable, Equatable {
    /// One probe is started per interval (Lifeguard stretches it while the local node is unhealthy).
    /// A probe that has no ack by the end of its interval marks the target `suspect`.
    public var probeInterval: Duration = .milliseconds(300)
    /// How long to wait for a direct ack before asking `indirectProbes` helpers to probe (and
    /// pinging the target once more). Must be shorter than `probeInterval`.
    public var probeTimeout: Duration = .milliseconds(150)
    /// How many helpers (k) are asked to probe a silent target (`pingRequest`).
    public var indirectProbes = 3
    /// How long a member stays `suspect` without refuting before it is declared `dead`; multiplied
    /// by `log10(n)` once the cluster has more than 10 members.
    public var suspicionTimeout: Duration = .milliseconds(1200)
    /// Most member updates carried by one message (the sender's own record included).
    public var gossipPiggybackMax = 8
    /// Each update is sent about `retransmitMultiplier · ⌈log10(n + 1)⌉` times before it is dropped
    /// from the dissemination queue.
    public var retransmitMultiplier = 4
    /// How often pending updates are pushed to `gossipFanout` random members, in addition to the
    /// ones piggybacked on probes and acks; this is what spreads a `dead` within a few hundred ms.
    public var gossipInterval: Duration = .milliseconds(100)
    /// Members each gossip round is sent to.
    public var gossipFanout = 3
    /// Anti-entropy: this often, one random alive member is asked for its whole member list (a
    /// `join`, answered by `joinReply`), so a member that missed a piggybacked update (gossip is
    /// probabilistic) catches up within about this long. Costs one member list per interval.
    public var syncInterval: Duration = .seconds(1)
    /// Dead and left members are remembered this long (to reject stale updates and to let a
    /// partitioned member find its way back), then forgotten.
    public var deadRetention: Duration = .seconds(60)
    /// How often one remembered dead member is pinged, so that a healed partition merges again.
    public var reconnectInterval: Duration = .seconds(1)
    /// Until a seed answers, `join` is resent to every seed this often.
    public var joinRetryInterval: Duration = .seconds(1)
    /// After joining, seeds that are not alive members are sent `join` this often, so that groups
    /// that forgot each other (a partition longer than `deadRetention`) merge again.
    public var seedRetryInterval: Duration = .seconds(10)
    /// Upper bound of the Lifeguard local-health score: while this node misses acks and nacks, its
    /// probe interval and timeout are stretched up to `(1 + localHealthMax)` times.
    public var localHealthMax = 8
    /// Most `pingRequest`s this node serves at once as a helper; more are ignored.
    public var pendingIndirectProbesMax = 256
    /// Most members (this node included) the instance keeps; records of further unknown members
    /// are ignored, so a misbehaving peer cannot grow the list without bound.
    public var membersMax = 1024

    /// The LAN defaults (`.lan`).
    public init() {}

    /// Loopback and one data centre: a crashed node is dead on every other node within ~2–3 s
    /// (targets C3: p50 ≤ 2 s, p99 ≤ 3 s; the seeded simulation of 3 nodes gives p50 ≈ 1.7 s,
    /// p99 ≈ 2.2 s). Shorter than the 500/250/1500 ms of the first sketch, which gave p50 ≈ 2.2 s:
    /// the probe interval is what the first-probe wait and the failed probe scale with, while the
    /// suspicion timeout, which is what protects a slow member from a false death, stays at 1.2 s
    /// (a refutation takes ≤ 0.6 s even with 300 ms each way to the suspect).
    public static let lan = MembershipConfiguration()

    /// Members in several regions (RTT up to 150 ms): timeouts leave room for an indirect probe
    /// across two long links (≈ 4 × 75 ms), suspicion for a refutation to cross regions twice;
    /// detection p99 ≤ 8 s (target R2; the simulation of 5 nodes in 3 regions gives p50 ≈ 3.9 s,
    /// p99 ≈ 5.6 s).
    public static let wan: MembershipConfiguration = {
        var c = MembershipConfiguration()
        c.probeInterval = .milliseconds(800)
        c.probeTimeout = .milliseconds(400)
        c.suspicionTimeout = .milliseconds(2500)
        c.gossipInterval = .milliseconds(200)
        c.syncInterval = .seconds(3)
        c.deadRetention = .seconds(120)
        c.reconnectInterval = .seconds(2)
        c.joinRetryInterval = .seconds(2)
        c.seedRetryInterval = .seconds(20)
        return c
    }()

    /// Checks every field.
    /// - Throws: `MembershipConfigurationError` naming the first bad field, its value and what is expected.
    public func validate() throws(MembershipConfigurationError) {
        let durations: [(String, Duration)] = [
            ("probeInterval", probeInterval), ("probeTimeout", probeTimeout), ("suspicionTimeout", suspicionTimeout),
            ("gossipInterval", gossipInterval), ("syncInterval", syncInterval), ("deadRetention", deadRetention),
            ("reconnectInterval", reconnectInterval), ("joinRetryInterval", joinRetryInterval),
            ("seedRetryInterval", seedRetryInterval),
        ]
        for (field, value) in durations where value.wholeMilliseconds < 1 {
            throw MembershipConfigurationError(field: field, "\(field) \(value) is not valid; expected at least 1 ms")
        }
        guard probeTimeout < probeInterval else {
            throw MembershipConfigurationError(
                field: "probeTimeout",
                "probeTimeout \(probeTimeout) is not valid; expected less than probeInterval \(probeInterval), "
                    + "so indirect probes have time to answer")
        }
        guard suspicionTimeout >= probeInterval else {
            throw MembershipConfigurationError(
                field: "suspicionTimeout",
                "suspicionTimeout \(suspicionTimeout) is not valid; expected at least probeInterval \(probeInterval), "
                    + "so a suspected member has time to refute")
        }
        guard deadRetention >= suspicionTimeout else {
            throw MembershipConfigurationError(
                field: "deadRetention",
                "deadRetention \(deadRetention) is not valid; expected at least suspicionTimeout \(suspicionTimeout)")
        }
        let counts: [(String, Int, ClosedRange<Int>)] = [
            ("indirectProbes", indirectProbes, 1...16), ("gossipPiggybackMax", gossipPiggybackMax, 2...64),
            ("retransmitMultiplier", retransmitMultiplier, 1...32), ("gossipFanout", gossipFanout, 1...16),
            ("localHealthMax", localHealthMax, 0...32),
            ("pendingIndirectProbesMax", pendingIndirectProbesMax, 1...65536),
            ("membersMax", membersMax, 2...65536),
        ]
        for (field, value, range) in counts where !range.contains(value) {
            throw MembershipConfigurationError(
                field: field, "\(field) \(value) is not valid; expected \(range.lowerBound) to \(range.upperBound)")
        }
    }
}

/// A membership configuration value that cannot work.
public struct MembershipConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field at fault, e.g. `probeTimeout`.
    public var field: String
    /// One line naming the value and what was expected.
    public var message: String

    /// Creates an error.
    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { message }
}
