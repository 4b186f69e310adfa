import IncidentCluster
import IncidentCore

/// One alert of the simulated workload, as a client sends it to some node.
public struct SimAlert: Sendable {
    /// Position in the workload (0-based); identifies the alert in reports.
    public var number: Int
    /// Its dedup key.
    public var key: String
    /// The alert itself (a trigger, or now and then a source acknowledge).
    public var alert: Alert

    /// Creates a workload alert.
    public init(number: Int, key: String, alert: Alert) {
        self.number = number
        self.key = key
        self.alert = alert
    }

    /// Whether it is a trigger (the only action that counts towards an incident's alerts).
    public var isTrigger: Bool { alert.action == .trigger }
}

/// What taking one trigger did, as the simulator's oracle records it: the node that took it, the
/// incident, and the event that carries it — the `opened` event, or the cumulative repeat count
/// of the taking node's counter. Not part of what nodes tell each other; it rides along with
/// answers so the checkers know what an acknowledgement promised.
public struct SimAlertFact: Sendable, Equatable, CustomStringConvertible {
    /// The event that makes the alert count.
    public enum Effect: Sendable, Equatable {
        /// The alert opened the incident with this event.
        case opened(EventOrderKey)
        /// The alert raised a repeat counter to `count`.
        case repeated(SimCounterKey, count: Int)
    }

    /// The node that took the alert.
    public var node: NodeID
    /// The incident it went to.
    public var incident: IncidentID
    /// The event that carries it.
    public var effect: Effect

    /// Creates a fact.
    public init(node: NodeID, incident: IncidentID, effect: Effect) {
        self.node = node
        self.incident = incident
        self.effect = effect
    }

    public var description: String {
        switch effect {
        case .opened(let k): "opened \(incident) by \(k.id)@\(k.hlc)"
        case .repeated(let k, let count): "repeat \(k) count \(count)"
        }
    }
}

/// A message between simulated nodes: the same conversations as `ClusterMessage` over the real
/// transport (membership frames, pushed event batches and their acks, anti-entropy, forwarding).
public enum SimMessage: Sendable {
    /// A membership message in its wire encoding.
    case membership([UInt8])
    /// Pushed events created by the sender; `lsn` is the sender's LSN of the last one.
    case events(batch: UInt64, lsn: UInt64, events: [IncidentEvent])
    /// The batch is durable on the receiver.
    case eventsAck(batch: UInt64, lsn: UInt64)
    /// Anti-entropy step 1: the sender's 256 bucket digests.
    case digestSummary([UInt64])
    /// Anti-entropy step 2: the sender's per-incident digests in the buckets that differ.
    case bucketDigests(buckets: [Int], digests: [(IncidentID, UInt64)])
    /// Whole incident records, to merge.
    case records([IncidentRecord])
    /// Asks for whole records.
    case recordRequest([IncidentID])
    /// An alert for a key the receiver owns.
    case forward(request: UInt64, alert: SimAlert)
    /// The deciding node's answer: how many nodes hold the alert durably (0: the owner failed), plus the
    /// oracle's fact.
    case forwardResult(request: UInt64, replicas: Int, fact: SimAlertFact?)

    /// The message after a trip through the binary codecs the real transport uses for its
    /// payloads (events, records, membership), so codec mistakes show up as divergence.
    public var throughWire: SimMessage {
        switch self {
        case .events(let batch, let lsn, let events):
            return .events(batch: batch, lsn: lsn, events: events.map(Self.roundTrip))
        case .records(let records):
            return .records(records.map(Self.roundTrip))
        default:
            return self
        }
    }

    static func roundTrip(_ e: IncidentEvent) -> IncidentEvent {
        let bytes = e.encoded
        do {
            return try bytes.withUnsafeBytes { (b) throws(BinaryDecodingError) -> IncidentEvent in try IncidentEvent(decoding: b) }
        } catch {
            preconditionFailure("event \(e.id) does not survive its binary encoding: \(error)")
        }
    }

    static func roundTrip(_ r: IncidentRecord) -> IncidentRecord {
        var w = ByteWriter(capacity: 256)
        r.encode(into: &w)
        do {
            return try w.bytes.withUnsafeBytes { (b) throws(BinaryDecodingError) -> IncidentRecord in
                var reader = ByteReader(b)
                return try IncidentRecord(from: &reader)
            }
        } catch {
            preconditionFailure("record \(r.incident.id) does not survive its binary encoding: \(error)")
        }
    }

    /// A short name for traces.
    public var kind: String {
        switch self {
        case .membership: "membership"
        case .events: "events"
        case .eventsAck: "eventsAck"
        case .digestSummary: "digestSummary"
        case .bucketDigests: "bucketDigests"
        case .records: "records"
        case .recordRequest: "recordRequest"
        case .forward: "forward"
        case .forwardResult: "forwardResult"
        }
    }
}
