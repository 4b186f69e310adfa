import IncidentCluster
import IncidentCore

// MARK: - Replication: push, acks, quorum waits, anti-entropy
//
// Mirrors `ReplicationShell` (push loop, inbox, acker, anti-entropy and timer loops) and
// `IncidentDirectory.remoteTargets`/`mergeTargets`, as synchronous steps.

extension SimNode {
    /// Handles one message from another node.
    public mutating func onMessage(_ message: SimMessage, from sender: SimNode.Sender, now: Int64, into out: inout [SimEffect]) {
        switch message {
        case .membership(let bytes):
            onMembership(bytes, from: sender.address, now: now, into: &out)
        case .events(let batch, let lsn, let events):
            onEvents(batch: batch, senderLSN: lsn, events: events, from: sender, now: now, into: &out)
        case .eventsAck(let batch, let lsn):
            tracker.acknowledge(peer: sender.id, batch: batch, lsn: lsn)
            note("ack of batch \(batch) from \(sender.id): acked lsn \(tracker.peers[sender.id]?.acked ?? 0)", into: &out)
            completeQuorumWaits(now: now, into: &out)
        case .digestSummary(let theirs):
            onDigestSummary(theirs, from: sender, now: now, into: &out)
        case .bucketDigests(let buckets, let theirs):
            let ours = digest.digests(inBuckets: buckets)
            let (send, want) = AntiEntropy.plan(ours: ours, theirs: theirs)
            if !want.isEmpty { out.append(.reply(to: sender, .recordRequest(want))) }
            sendRecords(send, to: sender, into: &out)
        case .records(let list):
            merge(list, now: now, into: &out)
        case .recordRequest(let ids):
            sendRecords(ids, to: sender, into: &out)
        case .forward(let request, let alert):
            onForward(request: request, alert: alert, from: sender, now: now, into: &out)
        case .forwardResult(let request, let replicas, let fact):
            onForwardResult(request: request, replicas: replicas, fact: fact, now: now, into: &out)
        }
    }

    /// Who sent a message: node id, gossip address, and which life of the process (answers on
    /// the connection a message came in on are lost once that process has gone).
    public struct Sender: Sendable {
        /// The sending node.
        public var id: NodeID
        /// Its gossip address.
        public var address: String
        /// Its life (start count) when it sent the message.
        public var life: Int

        /// Creates a sender.
        public init(id: NodeID, address: String, life: Int) {
            self.id = id
            self.address = address
            self.life = life
        }
    }

    /// Runs a timer.
    public mutating func onTimer(_ timer: SimTimer, now: Int64, into out: inout [SimEffect]) {
        switch timer {
        case .membershipTick(let token):
            onMembershipTick(token: token, now: now, into: &out)
        case .pushDrain:
            pushScheduled = false
            drainFeed(now: now, into: &out)
        case .replicationTick:
            replicationTickArmed = false
            tracker.retain(Set(activeMembers))
            let due = tracker.due(now: wall(now), after: .milliseconds(configuration.resendAfterMillis))
            for (peer, b) in due.sorted(by: { ($0.0, $0.1.id) < ($1.0, $1.1.id) }) {
                out.append(.send(to: peer, .events(batch: b.id, lsn: b.lsn, events: b.events)))
            }
            if tracker.peers.values.contains(where: { $0.inflight.contains { !$0.acked } }) {
                armReplicationTick(now: now, into: &out)
            }
        case .quorumDeadline:
            expireQuorumWaits(now: now, into: &out)
        case .antiEntropy:
            guard !configuration.bugs.contains(.noAntiEntropy) else { return }
            // `antiEntropyLoop`: read the buckets, wait until the log is durable up to its last
            // record (the reader may count this node as a replica of everything the summary
            // describes), send, and only then sleep until the next round.
            let summary = SimPending.summary(digest.buckets)
            let last = log.nextLSN - 1
            if last <= log.durableLSN || configuration.bugs.contains(.summariesBeforeDurable) {
                afterDurableDone(summary, lsns: last...last, now: now, into: &out)
            } else {
                durableWaits.append((last...last, summary))
            }
        case .mergeLoop:
            onMergeLoop(now: now, into: &out)
        case .forwardTimeout(let request):
            onForwardTimeout(request: request, now: now, into: &out)
        }
    }

    // MARK: - Durability and quorum

    /// An fsync completed: finish the work waiting for it (in the order it began waiting), and
    /// start the next fsync if needed.
    public mutating func onFsyncDone(now: Int64, into out: inout [SimEffect]) {
        if log.completeSync(), log.beginSync() { out.append(.beginFsync) }
        let durable = log.durableLSN
        guard durableWaits.contains(where: { $0.lsns.upperBound <= durable }) else { return }
        let ready = durableWaits.filter { $0.lsns.upperBound <= durable }
        durableWaits.removeAll { $0.lsns.upperBound <= durable }
        for w in ready { afterDurableDone(w.pending, lsns: w.lsns, now: now, into: &out) }
    }

    /// Runs `pending` (for the records logged at `lsns`) once everything up to their last is
    /// durable here.
    mutating func afterDurable(_ lsns: ClosedRange<UInt64>, _ pending: SimPending, now: Int64, into out: inout [SimEffect]) {
        if lsns.upperBound <= log.durableLSN || configuration.bugs.contains(.ackBeforeDurable) {
            afterDurableDone(pending, lsns: lsns, now: now, into: &out)
        } else {
            durableWaits.append((lsns, pending))
        }
    }

    private mutating func afterDurableDone(_ pending: SimPending, lsns: ClosedRange<UInt64>, now: Int64, into out: inout [SimEffect]) {
        switch pending {
        case .peerAck:
            finish(pending, replicas: 1, into: &out)
        case .summary:
            finish(pending, replicas: 1, into: &out)
            out.append(.timer(.antiEntropy, at: now + configuration.antiEntropyIntervalMillis))
        case .push(let drained):
            push(drained, now: now, into: &out)
            pushWaiting = false
            drainFeed(now: now, into: &out)
        case .client, .forward:
            waitReplicas(lsns, pending, now: now, into: &out)
        }
    }

    /// `ReplicationShell.waitReplicas`: finish at once when the quorum is there or cannot form
    /// (fewer live members than needed), else when acks bring it or the quorum timeout passes.
    private mutating func waitReplicas(_ lsns: ClosedRange<UInt64>, _ pending: SimPending, now: Int64, into out: inout [SimEffect]) {
        let need = configuration.writeQuorum
        if need <= 1 || 1 + activeMembers.count < need
            || replicas(of: lsns) >= need
        {
            finish(pending, replicas: replicas(of: lsns), into: &out)
            return
        }
        let deadline = now + configuration.quorumTimeoutMillis
        quorumWaits.append((lsns, deadline, pending))
        out.append(.timer(.quorumDeadline, at: deadline))
    }

    private mutating func completeQuorumWaits(now: Int64, into out: inout [SimEffect]) {
        let need = configuration.writeQuorum
        var kept: [(lsns: ClosedRange<UInt64>, deadline: Int64, pending: SimPending)] = []
        for w in quorumWaits {
            if replicas(of: w.lsns) >= need {
                finish(w.pending, replicas: replicas(of: w.lsns), into: &out)
            } else {
                kept.append(w)
            }
        }
        quorumWaits = kept
    }

    private mutating func expireQuorumWaits(now: Int64, into out: inout [SimEffect]) {
        var kept: [(lsns: ClosedRange<UInt64>, deadline: Int64, pending: SimPending)] = []
        for w in quorumWaits {
            if w.deadline <= now {
                finish(w.pending, replicas: replicas(of: w.lsns), into: &out)
            } else {
                kept.append(w)
            }
        }
        quorumWaits = kept
    }

    /// Nodes holding durably every record of a write logged at `lsns`, this one included
    /// (`PushTracker.replicas`).
    func replicas(of lsns: ClosedRange<UInt64>) -> Int {
        tracker.replicas(of: lsns, myRegion: "local").count
    }

    /// Sends the answer `pending` was waiting to send.
    mutating func finish(_ pending: SimPending, replicas: Int, into out: inout [SimEffect]) {
        note("finish \(pending) replicas \(replicas)", into: &out)
        switch pending {
        case .client(let alert, let fact):
            out.append(.answerClient(alert: alert, replicas: replicas, fact: fact))
        case .forward(let to, let request, let fact):
            out.append(.reply(to: to, .forwardResult(request: request, replicas: replicas, fact: fact)))
        case .peerAck(let peer, let batch, let senderLSN):
            out.append(.send(to: peer, .eventsAck(batch: batch, lsn: senderLSN)))
        case .summary(let buckets):
            for peer in activeMembers { out.append(.send(to: peer, .digestSummary(buckets))) }
        case .push:
            break  // carried out by `afterDurableDone`
        }
    }

    // MARK: - Push

    /// `ReplicationShell.pushLoop`: drain the feed and wait until its last event is durable (only
    /// durable events leave the node), push, and drain again; the loop drains nothing while it waits.
    mutating func drainFeed(now: Int64, into out: inout [SimEffect]) {
        guard !pushWaiting, let last = feed.last?.0 else { return }
        let drained = feed
        feed = []
        if configuration.bugs.contains(.pushBeforeDurable) || last <= log.durableLSN {
            push(drained, now: now, into: &out)
        } else {
            pushWaiting = true
            durableWaits.append((last...last, .push(drained)))
        }
    }

    /// `ReplicationShell.push`: the drained events, in batches, to every active member (none when
    /// this node is alone).
    private mutating func push(_ drained: [(UInt64, IncidentEvent)], now: Int64, into out: inout [SimEffect]) {
        guard !activeMembers.isEmpty else { return }
        let targets = activeMembers.map { ($0, "local") }
        if configuration.bugs.contains(.freshPeersWithoutGap) {
            // The old tracker: a peer's entry starts without a gap, as if it held every earlier push.
            for (t, region) in targets where tracker.peers[t] == nil {
                tracker.confirmInSync(peer: t, region: region, lsn: tracker.pushedThrough)
            }
        }
        var start = 0
        while start < drained.count {
            let end = min(drained.count, start + configuration.batchEventsMax)
            let slice = drained[start..<end]
            let lsn = slice.last!.0
            let events = slice.map(\.1)
            let batch = tracker.push(events, lsn: lsn, to: targets, now: wall(now))
            for (t, _) in targets { out.append(.send(to: t, .events(batch: batch, lsn: lsn, events: events))) }
            note("push batch \(batch) lsn \(lsn) events \(events.map(\.id)) to \(targets.map(\.0))", into: &out)
            start = end
        }
        armReplicationTick(now: now, into: &out)
    }

    /// `ReplicationShell.applyRemote` + `IncidentDirectory.remoteTargets`: apply, log what is new,
    /// adopt incidents whose opening came along, ask for the records of the others; acknowledge
    /// once everything logged so far is durable.
    private mutating func onEvents(
        batch: UInt64, senderLSN: UInt64, events: [IncidentEvent], from peer: Sender, now: Int64, into out: inout [SimEffect]
    ) {
        var order: [IncidentID] = []
        var groups: [IncidentID: [IncidentEvent]] = [:]
        for e in events {
            if groups[e.incident] == nil { order.append(e.incident) }
            groups[e.incident, default: []].append(e)
        }
        var lsn: UInt64 = 0
        var missing: [IncidentID] = []
        for rid in order {
            let list = groups[rid]!
            if records[rid] == nil {
                guard let opening = list.first(where: { if case .opened = $0.body { true } else { false } }) else {
                    missing.append(rid)
                    continue
                }
                lsn = max(lsn, adopt(opening, now: now, into: &out))
            }
            for e in list where change(rid, { $0.apply(e) }) {
                lsn = appendReplicated(e, now: now, into: &out)
            }
        }
        let sender = peer.id
        if !missing.isEmpty { out.append(.reply(to: peer, .recordRequest(missing))) }
        // A batch with events of incidents this node does not know yet is not acknowledged: the
        // records are requested, and the sender's resend is applied once they are here.
        if !missing.isEmpty, !configuration.bugs.contains(.ackIncompleteBatches) { return }
        let wait = max(lsn, log.nextLSN - 1)
        note("events batch \(batch) from \(sender) \(events.map(\.id)): missing \(missing), ack after lsn \(wait)", into: &out)
        let pending = SimPending.peerAck(peer: sender, batch: batch, senderLSN: senderLSN)
        if wait > 0 {
            afterDurable(wait...wait, pending, now: now, into: &out)
        } else {
            finish(pending, replicas: 1, into: &out)
        }
    }

    // MARK: - Anti-entropy

    /// `ReplicationShell.compareSummary`: equal buckets mean the peer holds durably everything
    /// this node has logged (its summary was durable when sent, and a simulated step is atomic,
    /// so the digest is always settled): it is confirmed in sync at the last LSN logged, which
    /// covers the pushes it missed and closes a gap. Else send per-incident digests of the
    /// differing buckets.
    private mutating func onDigestSummary(_ theirs: [UInt64], from peer: Sender, now: Int64, into out: inout [SimEffect]) {
        let sender = peer.id
        let lsn = log.nextLSN - 1
        let ours = digest.buckets
        guard theirs.count == ours.count else { return }
        let differing = AntiEntropy.differingBuckets(ours: ours, theirs: theirs)
        if differing.isEmpty {
            tracker.confirmInSync(peer: sender, region: "local", lsn: lsn)
            // An entry for a peer that is not a member: the timer's `retain` drops it.
            if !activeMembers.contains(sender) { armReplicationTick(now: now, into: &out) }
            note("in sync with \(sender) at lsn \(lsn)", into: &out)
            return
        }
        out.append(.reply(to: peer, .bucketDigests(buckets: differing, digests: digest.digests(inBuckets: differing))))
    }

    private func sendRecords(_ ids: [IncidentID], to peer: Sender, into out: inout [SimEffect]) {
        var i = 0
        while i < ids.count {
            let chunk = ids[i..<min(ids.count, i + configuration.recordsPerMessage)]
            let list = chunk.compactMap { records[$0] }
            if !list.isEmpty { out.append(.reply(to: peer, .records(list))) }
            i += chunk.count
        }
    }

    /// `ReplicationShell.merge` + `IncidentDirectory.mergeTargets` + `IncidentActor.merge`: adopt
    /// unknown incidents, merge, log what changed (sorted, so a seed replays the same log).
    private mutating func merge(_ list: [IncidentRecord], now: Int64, into out: inout [SimEffect]) {
        for other in list {
            let rid = other.incident.id
            if records[rid] == nil { _ = adopt(other.openingEvent, now: now, into: &out) }
            let changed = change(rid) { $0.merge(other) }
            for e in changed.sorted(by: { $0.orderKey < $1.orderKey }) {
                _ = appendReplicated(e, now: now, into: &out)
            }
        }
    }
}
