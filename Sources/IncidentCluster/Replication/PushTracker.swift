import IncidentCore

/// Which pushed batches each peer has acknowledged, which to send again, and how many nodes hold a
/// write — the bookkeeping of push replication, pure so the simulator runs the same code as the node.
///
/// A peer's `acked` LSN is advanced only over a contiguous prefix of acknowledged batches, so
/// `acked ≥ L` means the peer holds every pushed event up to L durably. Batches are re-sent until
/// acknowledged; past `inflightEventsMax` the oldest are forgotten (anti-entropy repairs that peer,
/// and `confirmInSync` advances it once its digests match).
public struct PushTracker: Sendable {
    /// One pushed batch.
    public struct Batch: Sendable {
        /// Batch number (per sender).
        public var id: UInt64
        /// Sender LSN of the batch's last event.
        public var lsn: UInt64
        /// The events.
        public var events: [IncidentEvent]
        /// Whether the peer acknowledged it.
        public var acked: Bool
        /// When it was last sent.
        public var sentAt: Timestamp
    }

    /// One peer's state.
    public struct Peer: Sendable {
        /// Everything up to this LSN is durable on the peer.
        public var acked: UInt64 = 0
        /// Batches not yet covered by `acked`, oldest first.
        public var inflight: [Batch] = []
        /// Events in `inflight`.
        public var inflightEvents = 0
        /// The peer's region (for region-aware quorums).
        public var region = ""
        /// Batches were forgotten (the peer fell too far behind): `acked` may not move past them
        /// until anti-entropy confirms the peer holds everything (`confirmInSync`).
        public var gap = false

        /// A peer with nothing pushed yet.
        public init(gap: Bool = false) { self.gap = gap }
    }

    /// Peers by node id.
    public private(set) var peers: [NodeID: Peer] = [:]
    private var nextBatch: UInt64 = 1
    /// Most events kept unacknowledged per peer.
    public let inflightEventsMax: Int

    /// Creates a tracker.
    public init(inflightEventsMax: Int) {
        self.inflightEventsMax = inflightEventsMax
    }

    /// Records a push of `events` (last LSN `lsn`) to `targets`; returns the batch id to send.
    /// Known peers that are not targets miss the batch: they get a gap.
    public mutating func push(_ events: [IncidentEvent], lsn: UInt64, to targets: [(NodeID, String)], now: Timestamp) -> UInt64 {
        let id = nextBatch
        nextBatch += 1
        for key in peers.keys where !targets.contains(where: { $0.0 == key }) { peers[key]!.gap = true }
        for (t, region) in targets {
            // A peer first seen now (new, or back after being forgotten) may lack any earlier
            // event: it starts with a gap that only anti-entropy closes.
            var p = peers[t] ?? Peer(gap: true)
            p.region = region
            p.inflight.append(Batch(id: id, lsn: lsn, events: events, acked: false, sentAt: now))
            p.inflightEvents += events.count
            while p.inflightEvents > inflightEventsMax, let first = p.inflight.first {
                p.inflightEvents -= first.events.count
                p.inflight.removeFirst()
                p.gap = true
            }
            peers[t] = p
        }
        return id
    }

    /// Events were logged but pushed to no one: every known peer gets a gap.
    public mutating func missedEvents() {
        for key in peers.keys { peers[key]!.gap = true }
    }

    /// A peer acknowledged a batch.
    public mutating func acknowledge(peer: NodeID, batch: UInt64) {
        guard var p = peers[peer] else { return }
        if let i = p.inflight.firstIndex(where: { $0.id == batch }) { p.inflight[i].acked = true }
        Self.advance(&p)
        peers[peer] = p
    }

    /// Moves `acked` over the acknowledged prefix of the in-flight batches (not past a gap).
    private static func advance(_ p: inout Peer) {
        while !p.gap, let first = p.inflight.first, first.acked {
            p.acked = max(p.acked, first.lsn)
            p.inflightEvents -= first.events.count
            p.inflight.removeFirst()
        }
    }

    /// The peer (in `region`) holds durably every event this node had logged up to `lsn` (its
    /// digests matched ours): whatever pushes it missed are covered, and a gap closes.
    public mutating func confirmInSync(peer: NodeID, region: String, lsn: UInt64) {
        var p = peers[peer] ?? Peer()
        guard p.acked < lsn || p.gap || peers[peer] == nil else { return }
        p.region = region
        p.gap = false
        p.acked = max(p.acked, lsn)
        p.inflight.removeAll { $0.lsn <= lsn }
        p.inflightEvents = p.inflight.reduce(0) { $0 + $1.events.count }
        Self.advance(&p)
        peers[peer] = p
    }

    /// Batches unacknowledged for longer than `after`, marked as sent now.
    public mutating func due(now: Timestamp, after: Duration) -> [(NodeID, Batch)] {
        var out: [(NodeID, Batch)] = []
        for (id, var p) in peers {
            var changed = false
            for i in p.inflight.indices where !p.inflight[i].acked && now - p.inflight[i].sentAt >= after {
                p.inflight[i].sentAt = now
                out.append((id, p.inflight[i]))
                changed = true
            }
            if changed { peers[id] = p }
        }
        return out
    }

    /// How many nodes (this one included) hold everything up to `lsn`, and whether one of them is
    /// in a region other than `myRegion`.
    public func replicas(of lsn: UInt64, myRegion: String) -> (count: Int, foreign: Bool) {
        var count = 1
        var foreign = false
        for p in peers.values where p.acked >= lsn {
            count += 1
            if p.region != myRegion { foreign = true }
        }
        return (count, foreign)
    }

    /// Whether a write at `lsn` has its quorum: `need` nodes, and — when a live peer in another
    /// region exists — one copy outside this region (SPEC: prefer a second copy in another region).
    public func hasQuorum(_ lsn: UInt64, need: Int, myRegion: String, foreignAvailable: Bool) -> Bool {
        let r = replicas(of: lsn, myRegion: myRegion)
        return r.count >= need && (need < 2 || !foreignAvailable || r.foreign)
    }

    /// Forgets a peer (it left or was declared dead): its batches are no longer kept or re-sent;
    /// when it comes back, anti-entropy brings it up to date.
    public mutating func remove(_ peer: NodeID) { peers[peer] = nil }

    /// Forgets every peer not in `alive`.
    public mutating func retain(_ alive: Set<NodeID>) {
        for id in peers.keys where !alive.contains(id) { peers[id] = nil }
    }
}
