import IncidentCore

/// Which pushed batches each peer has acknowledged, which to send again, and how many nodes hold a
/// write — the bookkeeping of push replication, pure so the simulator runs the same code as the node.
///
/// A peer's `acked` LSN is advanced only over a contiguous prefix of acknowledged batches, so
/// `acked ≥ L` means the peer holds durably every event *pushed to it* up to L. What it may lack
/// besides is its gap: events up to `gapThrough` that were not pushed to it (it was not a target
/// yet, or not alive, or the node pushed to no one) or were forgotten from its in-flight batches
/// (past `inflightEventsMax`). A peer holds a write whose events lie in `first...last` when
/// `acked ≥ last` and `gapThrough < first`; anti-entropy closes the gap (`confirmInSync`) once the
/// peer's digests match. Batches are re-sent until acknowledged.
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
        /// Events up to this LSN may be missing on the peer (0: none): it does not count as
        /// holding a write that begins at or below it until anti-entropy confirms it.
        public var gapThrough: UInt64 = 0

        /// A peer with nothing pushed yet, which may lack every event up to `gapThrough`.
        public init(gapThrough: UInt64 = 0) { self.gapThrough = gapThrough }

        /// Whether the peer holds durably every event in `lsns`.
        public func holds(_ lsns: ClosedRange<UInt64>) -> Bool {
            acked >= lsns.upperBound && gapThrough < lsns.lowerBound
        }
    }

    /// Peers by node id.
    public private(set) var peers: [NodeID: Peer] = [:]
    private var nextBatch: UInt64 = 1
    /// The highest LSN pushed, or logged while the node pushed to no one: a peer first seen by a
    /// later push may lack everything up to it.
    public private(set) var pushedThrough: UInt64 = 0
    /// Most events kept unacknowledged per peer.
    public let inflightEventsMax: Int

    /// Creates a tracker whose batch ids start at `firstBatch`. A restarted node must not reuse
    /// its previous life's ids: a peer's late acknowledgement of an old batch would count for a
    /// new one. The node starts from a random id; acknowledgements must also name the batch's LSN.
    public init(inflightEventsMax: Int, firstBatch: UInt64 = 1) {
        self.inflightEventsMax = inflightEventsMax
        nextBatch = max(1, firstBatch)
    }

    /// Records a push of `events` (last LSN `lsn`) to `targets`; returns the batch id to send.
    /// Known peers that are not targets miss the batch: their gap grows over it.
    public mutating func push(_ events: [IncidentEvent], lsn: UInt64, to targets: [(NodeID, String)], now: Timestamp) -> UInt64 {
        let id = nextBatch
        nextBatch += 1
        for key in peers.keys where !targets.contains(where: { $0.0 == key }) {
            peers[key]!.gapThrough = max(peers[key]!.gapThrough, lsn)
        }
        for (t, region) in targets {
            // A peer first seen now (new, or back after being forgotten) may lack every earlier
            // event: its gap covers them until anti-entropy closes it.
            var p = peers[t] ?? Peer(gapThrough: pushedThrough)
            p.region = region
            p.inflight.append(Batch(id: id, lsn: lsn, events: events, acked: false, sentAt: now))
            p.inflightEvents += events.count
            while p.inflightEvents > inflightEventsMax, let first = p.inflight.first {
                p.inflightEvents -= first.events.count
                p.inflight.removeFirst()
                p.gapThrough = max(p.gapThrough, first.lsn)
            }
            Self.advance(&p)
            peers[t] = p
        }
        pushedThrough = max(pushedThrough, lsn)
        return id
    }

    /// Events up to `lsn` were logged but pushed to no one: every peer, known or not, may lack them.
    public mutating func missedEvents(through lsn: UInt64) {
        for key in peers.keys { peers[key]!.gapThrough = max(peers[key]!.gapThrough, lsn) }
        pushedThrough = max(pushedThrough, lsn)
    }

    /// A peer acknowledged batch `batch` whose last event has LSN `lsn` (both as the push named
    /// them); an acknowledgement that matches no in-flight batch exactly is ignored.
    public mutating func acknowledge(peer: NodeID, batch: UInt64, lsn: UInt64) {
        guard var p = peers[peer] else { return }
        if let i = p.inflight.firstIndex(where: { $0.id == batch && $0.lsn == lsn }) { p.inflight[i].acked = true }
        Self.advance(&p)
        peers[peer] = p
    }

    /// Moves `acked` over the acknowledged prefix of the in-flight batches.
    private static func advance(_ p: inout Peer) {
        while let first = p.inflight.first, first.acked {
            p.acked = max(p.acked, first.lsn)
            p.inflightEvents -= first.events.count
            p.inflight.removeFirst()
        }
    }

    /// The peer (in `region`) holds durably every event this node had logged up to `lsn` (its
    /// digests matched ours): whatever pushes it missed up to `lsn` are covered, and a gap up to
    /// `lsn` closes.
    public mutating func confirmInSync(peer: NodeID, region: String, lsn: UInt64) {
        var p = peers[peer] ?? Peer(gapThrough: max(pushedThrough, lsn))
        guard p.acked < lsn || p.gapThrough > 0 || peers[peer] == nil else { return }
        p.region = region
        if p.gapThrough <= lsn { p.gapThrough = 0 }
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

    /// How many nodes (this one included) hold every event of a write logged at `lsns`, and
    /// whether one of them is in a region other than `myRegion`.
    public func replicas(of lsns: ClosedRange<UInt64>, myRegion: String) -> (count: Int, foreign: Bool) {
        var count = 1
        var foreign = false
        for p in peers.values where p.holds(lsns) {
            count += 1
            if p.region != myRegion { foreign = true }
        }
        return (count, foreign)
    }

    /// Whether a write logged at `lsns` has its quorum: `need` nodes, and — when a live peer in
    /// another region exists — one copy outside this region (SPEC: prefer a second copy in
    /// another region).
    public func hasQuorum(_ lsns: ClosedRange<UInt64>, need: Int, myRegion: String, foreignAvailable: Bool) -> Bool {
        quorum(lsns, need: need, myRegion: myRegion, foreignAvailable: foreignAvailable) != nil
    }

    /// The replica count of a write logged at `lsns` once it has its quorum (see `hasQuorum`),
    /// else nil: one pass over the peers for both questions.
    public func quorum(_ lsns: ClosedRange<UInt64>, need: Int, myRegion: String, foreignAvailable: Bool) -> Int? {
        let r = replicas(of: lsns, myRegion: myRegion)
        return r.count >= need && (need < 2 || !foreignAvailable || r.foreign) ? r.count : nil
    }

    /// Forgets every peer not in `alive`.
    public mutating func retain(_ alive: Set<NodeID>) {
        for id in peers.keys where !alive.contains(id) { peers[id] = nil }
    }
}
