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
    private let log: EventLog
    private let clock: any NodeClock
    private let state: Mutex<State>

    /// Creates a sequencer continuing after what recovery found.
    init(node: NodeID, log: EventLog, clock: any NodeClock, lastSeq: UInt64, lastHLC: HLCTimestamp) {
        self.node = node
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
            let event = IncidentEvent(id: EventID(origin: node, seq: s.seq + 1), hlc: hlc, incident: incident, actor: actor, body: body)
            s.buffer.bytes.removeAll(keepingCapacity: true)
            s.buffer.write(LogRecordKind.incidentEvent.rawValue)
            event.encode(into: &s.buffer)
            let appended: Result<UInt64, LogError> = s.buffer.bytes.withUnsafeBytes { b in
                Result { () throws(LogError) in try log.append(b) }
            }
            guard case .success(let lsn) = appended else { return appended.map { _ in (event, 0) } }
            s.seq += 1
            return .success((event, lsn))
        }
        return try outcome.get()
    }

    /// The log position, sequence and clock as one consistent reading (for snapshots).
    public func mark() -> (lsn: UInt64, seq: UInt64, hlc: HLCTimestamp) {
        state.withLock { s in (log.nextLSN - 1, s.seq, s.clock.last) }
    }

    /// Wall-clock now, from the node's clock.
    public var now: Timestamp { clock.now() }
}
