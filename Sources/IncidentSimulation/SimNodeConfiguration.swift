import IncidentCluster
import IncidentCore

/// A deliberate defect a simulated node can be built with, to prove the checkers notice when a
/// promise is broken (a checker that never fails proves nothing).
public enum SimBug: String, Sendable, CaseIterable {
    /// No anti-entropy rounds: whatever a push missed is never repaired.
    case noAntiEntropy
    /// Pushed batches are acknowledged on receipt, and owners answer clients, before the log is
    /// durable — so a crash can lose acknowledged writes.
    case ackBeforeDurable
    /// Owners never merge duplicate open incidents.
    case noDuplicateMerge
    /// A batch is acknowledged even when some of its events belong to an incident the receiver
    /// does not hold (it only asks for the record): the node's behaviour before the simulator
    /// showed that such acks count writes as replicated that are not.
    case ackIncompleteBatches
    /// Events are pushed as soon as they are logged, before the local fsync (the node before
    /// commit 9fef134). A crash then loses events its peers hold, and the restarted node (same
    /// data directory, counters recovered from its log) hands out the same event sequence numbers
    /// and incident ids again, for other events and incidents.
    case pushBeforeDurable
    /// Anti-entropy digest summaries are sent at once, not after the log is durable up to the
    /// state they describe (the node before 9fef134). A receiver whose digests match confirms the
    /// sender in sync (`PushTracker.confirmInSync`) and counts it as a replica of writes a crash
    /// can still take from it.
    case summariesBeforeDurable
    /// A peer first seen by a push (not joined yet when earlier writes were pushed, or forgotten by
    /// `retain` while it was dead, with its unacknowledged batches) starts without a gap (the
    /// `PushTracker` before 9fef134): it counts as holding every earlier write, which it may
    /// never have received.
    case freshPeersWithoutGap
    /// Events are authored by the node alone, not by the node and its data directory (the node
    /// before 9fef134). A node whose data directory was lost restarts its event sequence and its
    /// repeat counters under the same origin; if it then re-learns an incident from a peer that
    /// missed its latest repeat count, it counts on from the stale value, and the grow-only merge
    /// (max per origin and window) swallows the alerts counted twice.
    case authorPerNode
}

/// Timing and limits of a simulated node: the defaults of the real node's configuration
/// (`ReplicationConfiguration`, `ClusterShell`, `MembershipShell`), in virtual milliseconds.
public struct SimNodeConfiguration: Sendable, Equatable {
    /// `write_quorum`: nodes that must hold a write before it is answered.
    public var writeQuorum = 2
    /// How long a write waits for its quorum.
    public var quorumTimeoutMillis: Int64 = 1000
    /// How long a forwarded alert waits for its owner (the real node: quorum timeout + 500 ms).
    public var forwardTimeoutMillis: Int64 = 1500
    /// Anti-entropy round interval (the next round's wait starts once a round's summary is sent).
    public var antiEntropyIntervalMillis: Int64 = 1000
    /// Unacknowledged pushes are sent again after this long.
    public var resendAfterMillis: Int64 = 1000
    /// How often the replication timer runs (resends, forgetting dead peers).
    public var replicationTickMillis: Int64 = 25
    /// How often the owner looks for duplicate open incidents to merge.
    public var mergeIntervalMillis: Int64 = 250
    /// The membership shell's tick period.
    public var membershipTickMillis: Int64 = 50
    /// Most events per push batch.
    public var batchEventsMax = 5000
    /// Most records per `records` message.
    public var recordsPerMessage = 500
    /// Most unacknowledged events kept per peer.
    public var inflightEventsMax = 200_000
    /// Membership timing (the real default is `.lan`).
    public var membership = MembershipConfiguration.lan
    /// Deliberate defects (empty: the node as written).
    public var bugs: Set<SimBug> = []
    /// Whether the node reports what it does as `.note` effects (for replaying one seed).
    public var trace = false

    /// The defaults.
    public init() {}
}

/// What one step of a simulated node asks the simulator to do. Nodes never touch the network,
/// the clock or each other; they return these, and the simulator carries them out in order.
public enum SimEffect: Sendable {
    /// Send a message to a node.
    case send(to: NodeID, SimMessage)
    /// Answer on the connection a message came in on: lost if the sender has restarted since.
    case reply(to: SimNode.Sender, SimMessage)
    /// Send a message to a gossip address (membership answers go to addresses).
    case sendToAddress(String, SimMessage)
    /// Run `timer` on this node at virtual time `at` (ignored if the node has restarted since).
    case timer(SimTimer, at: Int64)
    /// Start an fsync of everything appended so far; the simulator picks how long it takes.
    case beginFsync
    /// Answer the client that sent alert `alert`: durable on `replicas` nodes.
    case answerClient(alert: Int, replicas: Int, fact: SimAlertFact?)
    /// The node took (ingested) workload alert `alert` — oracle bookkeeping, not behaviour.
    case ingested(alert: Int)
    /// A broken invariant noticed inside the node.
    case violation(String)
    /// A line for the trace (only when `SimNodeConfiguration.trace` is on).
    case note(String)
}

/// The timers of a simulated node.
public enum SimTimer: Sendable, Equatable {
    /// The membership shell's tick (`token` drops superseded ones).
    case membershipTick(token: UInt64)
    /// Drain the event feed into a push.
    case pushDrain
    /// Resend unacknowledged pushes.
    case replicationTick
    /// Quorum waits whose deadline has come.
    case quorumDeadline
    /// An anti-entropy round.
    case antiEntropy
    /// Merge duplicate open incidents of owned keys.
    case mergeLoop
    /// A forwarded alert's owner did not answer in time.
    case forwardTimeout(request: UInt64)
}
