import IncidentCore
import Testing

@testable import IncidentCluster

/// The push bookkeeping: when a peer counts as holding a write.
@Suite struct PushTrackerTests {
    let a = NodeID("a")
    let b = NodeID("b")
    let t0 = Timestamp(unixSeconds: 1_772_442_000)

    /// `n` note events (content is irrelevant to the tracker; only the count matters).
    func events(_ n: Int, from seq: UInt64 = 1) -> [IncidentEvent] {
        (0..<n).map { i in
            IncidentEvent(
                id: EventID(origin: NodeID("me/K7Q"), seq: seq + UInt64(i)), hlc: HLCTimestamp(raw: seq + UInt64(i)),
                incident: IncidentID(year: 2026, counter: 1, tag: "K7Q"), actor: "x", body: .note("n"))
        }
    }

    @Test func aPeerFirstSeenByAPushHoldsOnlyWhatWasPushedToIt() {
        var t = PushTracker(inflightEventsMax: 1000)
        // Writes 1…10 were pushed before `a` was a push target: its acknowledged batches make it a
        // replica of later writes at once, of the earlier ones only once anti-entropy confirms it.
        _ = t.push(events(10), lsn: 10, to: [(b, "eu")], now: t0)
        let batch = t.push(events(1, from: 11), lsn: 11, to: [(a, "eu"), (b, "eu")], now: t0)
        t.ack(a, batch)
        #expect(t.replicas(of: 5...5, myRegion: "eu").count == 1)
        #expect(t.replicas(of: 11...11, myRegion: "eu").count == 2)
        #expect(t.replicas(of: 10...11, myRegion: "eu").count == 1, "a write reaching back into the gap")
        t.confirmInSync(peer: a, region: "eu", lsn: 10)
        #expect(t.replicas(of: 5...5, myRegion: "eu").count == 2)
        #expect(t.replicas(of: 10...11, myRegion: "eu").count == 2)
    }

    @Test func underSteadyWritesPeersCountWithoutEverBeingConfirmed() {
        // Anti-entropy never sees equal digests while writes keep coming: the quorum must form
        // from acknowledgements alone, from the first push on.
        var t = PushTracker(inflightEventsMax: 1000)
        for n in UInt64(1)...50 {
            let batch = t.push(events(1, from: n), lsn: n, to: [(a, "eu"), (b, "eu")], now: t0)
            t.ack(a, batch)
            if n > 1 { t.ack(b, batch - 1) }
            #expect(t.replicas(of: n...n, myRegion: "eu").count == 2, "write \(n)")
            #expect(t.hasQuorum(n...n, need: 2, myRegion: "eu", foreignAvailable: false))
        }
    }

    @Test func confirmingAnUnknownPeerStartsItInSync() {
        var t = PushTracker(inflightEventsMax: 1000)
        t.confirmInSync(peer: a, region: "us", lsn: 10)
        #expect(t.replicas(of: 10...10, myRegion: "eu") == (2, true))
        // later pushes to it count as soon as they are acknowledged
        let batch = t.push(events(2, from: 11), lsn: 12, to: [(a, "us")], now: t0)
        #expect(t.replicas(of: 12...12, myRegion: "eu").count == 1)
        t.ack(a, batch)
        #expect(t.replicas(of: 12...12, myRegion: "eu").count == 2)
    }

    @Test func acknowledgementsAdvanceOnlyOverAContiguousPrefix() {
        var t = PushTracker(inflightEventsMax: 1000)
        t.confirmInSync(peer: a, region: "eu", lsn: 0)
        let first = t.push(events(1, from: 1), lsn: 1, to: [(a, "eu")], now: t0)
        let second = t.push(events(1, from: 2), lsn: 2, to: [(a, "eu")], now: t0)
        t.ack(a, second)
        #expect(t.replicas(of: 2...2, myRegion: "eu").count == 1)
        t.ack(a, first)
        #expect(t.replicas(of: 2...2, myRegion: "eu").count == 2)
    }

    @Test func overflowOpensAGapThatOnlyConfirmationCloses() {
        var t = PushTracker(inflightEventsMax: 3)
        t.confirmInSync(peer: a, region: "eu", lsn: 0)
        _ = t.push(events(2, from: 1), lsn: 2, to: [(a, "eu")], now: t0)
        let later = t.push(events(2, from: 3), lsn: 4, to: [(a, "eu")], now: t0)  // drops the first batch
        #expect(t.peers[a]?.gapThrough == 2)
        t.ack(a, later)
        #expect(t.replicas(of: 1...2, myRegion: "eu").count == 1, "events 1-2 were never acknowledged")
        #expect(t.replicas(of: 3...4, myRegion: "eu").count == 2)
        t.confirmInSync(peer: a, region: "eu", lsn: 4)
        #expect(t.replicas(of: 1...4, myRegion: "eu").count == 2)
        #expect(t.peers[a]?.inflight.isEmpty == true)
    }

    @Test func aForgottenPeerComesBackWithAGap() {
        var t = PushTracker(inflightEventsMax: 1000)
        t.confirmInSync(peer: a, region: "eu", lsn: 0)
        t.confirmInSync(peer: b, region: "eu", lsn: 0)
        _ = t.push(events(1, from: 1), lsn: 1, to: [(a, "eu"), (b, "eu")], now: t0)
        t.retain([b])  // `a` was declared dead with batch 1 unacknowledged
        let batch = t.push(events(1, from: 2), lsn: 2, to: [(a, "eu"), (b, "eu")], now: t0)
        t.ack(a, batch)
        #expect(t.replicas(of: 1...1, myRegion: "eu").count == 1)
        #expect(t.replicas(of: 1...2, myRegion: "eu").count == 1)
        #expect(t.replicas(of: 2...2, myRegion: "eu").count == 2)
    }

    @Test func quorumPrefersACopyInAnotherRegionWhenOneIsAlive() {
        var t = PushTracker(inflightEventsMax: 1000)
        t.confirmInSync(peer: a, region: "eu", lsn: 5)
        #expect(!t.hasQuorum(5...5, need: 2, myRegion: "eu", foreignAvailable: true))
        #expect(t.hasQuorum(5...5, need: 2, myRegion: "eu", foreignAvailable: false))
        t.confirmInSync(peer: b, region: "us", lsn: 5)
        #expect(t.hasQuorum(5...5, need: 2, myRegion: "eu", foreignAvailable: true))
    }

    @Test func aLateAckOfAPreviousLifesBatchCountsForNothing() {
        // The node restarted: its new tracker must not take the peer's ack of the old batch 1
        // (LSN 1) for a new batch.
        var t = PushTracker(inflightEventsMax: 1000, firstBatch: 1)
        t.confirmInSync(peer: a, region: "eu", lsn: 1)
        let batch = t.push(events(1, from: 2), lsn: 2, to: [(a, "eu")], now: t0)
        t.acknowledge(peer: a, batch: batch, lsn: 1)  // same id, another life's LSN
        #expect(t.replicas(of: 2...2, myRegion: "eu").count == 1)
        t.acknowledge(peer: a, batch: batch, lsn: 2)
        #expect(t.replicas(of: 2...2, myRegion: "eu").count == 2)
        var nextLife = PushTracker(inflightEventsMax: 1000, firstBatch: 1 << 32)
        #expect(nextLife.push(events(1), lsn: 3, to: [(a, "eu")], now: t0) == 1 << 32)
    }

    @Test func dueBatchesAreResentOnceAfterTheInterval() {
        var t = PushTracker(inflightEventsMax: 1000)
        let batch = t.push(events(1), lsn: 1, to: [(a, "eu")], now: t0)
        #expect(t.due(now: t0 + .milliseconds(500), after: .seconds(1)).isEmpty)
        let due = t.due(now: t0 + .seconds(1), after: .seconds(1))
        #expect(due.map(\.1.id) == [batch])
        #expect(t.due(now: t0 + .milliseconds(1500), after: .seconds(1)).isEmpty)
    }

    @Test func aKnownPeerLeftOutOfAPushGetsAGap() {
        var t = PushTracker(inflightEventsMax: 1000)
        t.confirmInSync(peer: a, region: "eu", lsn: 0)
        t.confirmInSync(peer: b, region: "eu", lsn: 0)
        _ = t.push(events(1, from: 1), lsn: 1, to: [(b, "eu")], now: t0)  // `a` was briefly not alive
        let batch = t.push(events(1, from: 2), lsn: 2, to: [(a, "eu"), (b, "eu")], now: t0)
        t.ack(a, batch)
        #expect(t.replicas(of: 1...2, myRegion: "eu").count == 1, "a lacks event 1")
        #expect(t.replicas(of: 2...2, myRegion: "eu").count == 2)
    }

    @Test func eventsPushedToNoOneGapEveryPeer() {
        var t = PushTracker(inflightEventsMax: 1000)
        t.confirmInSync(peer: a, region: "eu", lsn: 0)
        t.missedEvents(through: 1)
        let batch = t.push(events(1, from: 2), lsn: 2, to: [(a, "eu"), (b, "eu")], now: t0)
        t.ack(a, batch)
        t.ack(b, batch)
        #expect(t.replicas(of: 1...2, myRegion: "eu").count == 1, "neither holds event 1")
        #expect(t.replicas(of: 2...2, myRegion: "eu").count == 3)
        t.confirmInSync(peer: a, region: "eu", lsn: 2)
        #expect(t.replicas(of: 1...2, myRegion: "eu").count == 2)
    }
}

extension PushTracker {
    /// Acknowledges `batch` as the peer would: naming the LSN the push gave it.
    mutating func ack(_ peer: NodeID, _ batch: UInt64) {
        let lsn = peers[peer]?.inflight.first { $0.id == batch }?.lsn ?? 0
        acknowledge(peer: peer, batch: batch, lsn: lsn)
    }
}
