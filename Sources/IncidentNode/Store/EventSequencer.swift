import IncidentCore
import IncidentStorage
import Synchronization

/// Turns event bodies into events and appends them to the log, in one critical section: it owns the
/// node's hybrid logical clock and its event sequence number.
///
/// Holding one lock across "assign seq + HLC, encode, append" makes local log order, sequence order
/// and HLC order the same, which recovery and replication rely on.
public final class EventSequencer: Sendable {
    struct State {
        var clock: HybridLogicalClock
        var seq: UInt64
        var buffer: ByteWriter
    }

    /// This node.
    public let node: NodeID
    /// The author of the events it creates (the node and its data directory, see `EventID`).
    public let author: NodeID
    private let log: EventLog
    private let clock: any NodeClock
    private let state: Mutex<State>
    /// Where locally created events go for replication (nil on a single node).
    let feed: EventFeed?

    /// Creates a sequencer continuing after what recovery found.
    init(node: NodeID, author: NodeID, log: EventLog, clock: any NodeClock, lastSeq: UInt64, lastHLC: HLCTimestamp, feed: EventFeed?) {
        self.feed = feed
        self.node = node
        self.author = author
        self.log = log
        self.clock = clock
        state = Mutex(State(clock: HybridLogicalClock(last: lastHLC), seq: lastSeq, buffer: ByteWriter(capacity: 512)))
    }

    /// Creates, logs and returns one event; the LSN says when it is durable (`EventLog.waitDurable`).
    /// - Throws: `LogError` when the log has failed or is closed.
    public func append(incident: IncidentID, actor: String, body: IncidentEventBody) throws(LogError) -> (IncidentEvent, UInt64) {
        let now = clock.now()
        let outcome: Result<(IncidentEvent, UInt64), LogError> = state.withLock { s in
            let hlc = s.clock.tick(now: now)
            let event = IncidentEvent(id: EventID(origin: author, seq: s.seq + 1), hlc: hlc, incident: incident, actor: actor, body: body)
            let appended = Self.log(event, buffer: &s.buffer, to: log)
            guard case .success(let lsn) = appended else { return appended.map { _ in (event, 0) } }
            s.seq += 1
            feed?.publish(event, lsn: lsn)
            return .success((event, lsn))
        }
        return try outcome.get()
    }

    /// Logs an event another node created (replication): no new id, the clock observes its reading.
    /// - Throws: `LogError` when the log has failed or is closed.
    public func appendReplicated(_ event: IncidentEvent) throws(LogError) -> UInt64 {
        let now = clock.now()
        let outcome: Result<UInt64, LogError> = state.withLock { s in
            s.clock.observe(event.hlc, now: now)
            return Self.log(event, buffer: &s.buffer, to: log)
        }
        return try outcome.get()
    }

    /// Logs an event this node wrote under a deterministic id (an escalation step, which any owner
    /// writes identically): the clock observes its reading and the event goes out to peers.
    /// - Throws: `LogError` when the log has failed or is closed.
    public func appendAuthored(_ event: IncidentEvent) throws(LogError) -> UInt64 {
        let now = clock.now()
        let outcome: Result<UInt64, LogError> = state.withLock { s in
            s.clock.observe(event.hlc, now: now)
            let appended = Self.log(event, buffer: &s.buffer, to: log)
            if case .success(let lsn) = appended { feed?.publish(event, lsn: lsn) }
            return appended
        }
        return try outcome.get()
    }

    /// Encodes `event` as a log record (kind byte, then the event) in `buffer` and appends it.
    private static func log(_ event: IncidentEvent, buffer: inout ByteWriter, to log: EventLog) -> Result<UInt64, LogError> {
        buffer.bytes.removeAll(keepingCapacity: true)
        buffer.write(LogRecordKind.incidentEvent.rawValue)
        event.encode(into: &buffer)
        return buffer.bytes.withUnsafeBytes { b in Result { () throws(LogError) in try log.append(b) } }
    }

    /// The log position, sequence and clock as one consistent reading (for snapshots).
    public func mark() -> (lsn: UInt64, seq: UInt64, hlc: HLCTimestamp) {
        state.withLock { s in (log.nextLSN - 1, s.seq, s.clock.last) }
    }

    /// Wall-clock now, from the node's clock.
    public var now: Timestamp { clock.now() }
}

/// Locally created events waiting to be pushed to peers, in log order. Appended to inside the
/// sequencer's critical section (so the order is the log's), drained by the replication shell.
///
/// While the node has no peer the feed is off and only notes that it missed events: a lone node
/// pays nothing for replication, and the peers that appear later start with a gap that
/// anti-entropy closes (see `PushTracker`).
public final class EventFeed: Sendable {
    struct Queue {
        var events: [(UInt64, IncidentEvent)] = []
        var waiting = true
        var enabled = false
        /// The highest LSN of an event left out while the feed was off (0: none).
        var missedThrough: UInt64 = 0
    }

    private let queue = Mutex(Queue())
    private let signal: AsyncStream<Void>.Continuation
    /// Wakes the replication shell when events arrive.
    let wakeups: AsyncStream<Void>

    /// An empty feed, off until `setEnabled(true)`.
    public init() {
        (wakeups, signal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func publish(_ e: IncidentEvent, lsn: UInt64) {
        let wake = queue.withLock { q in
            guard q.enabled else {
                let first = q.missedThrough == 0
                q.missedThrough = max(q.missedThrough, lsn)
                guard first else { return false }
                defer { q.waiting = false }
                return q.waiting
            }
            q.events.append((lsn, e))
            defer { q.waiting = false }
            return q.waiting
        }
        if wake { signal.yield() }
    }

    /// Whether the feed is on: events made here are pushed to peers.
    var isEnabled: Bool { queue.withLock { $0.enabled } }

    /// Turns the feed on (there are peers to push to) or off.
    func setEnabled(_ on: Bool) {
        queue.withLock { $0.enabled = on }
    }

    /// Takes everything queued, and the highest LSN of an event left out while the feed was off
    /// (0: none); the next publish wakes the shell.
    func drain() -> (events: [(UInt64, IncidentEvent)], missedThrough: UInt64) {
        queue.withLock { q in
            let out = (q.events, q.missedThrough)
            q.events.removeAll(keepingCapacity: true)
            q.missedThrough = 0
            q.waiting = true
            return out
        }
    }

    /// Ends the wake-up stream.
    func finish() { signal.finish() }
}
