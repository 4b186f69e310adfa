import IncidentCore

/// Everything nodes say to each other over gossip connections.
///
/// Binary, inside a `Frame`: a one-byte type, then the fields (IncidentCore's `ByteWriter`
/// encoding). Every list is bounded, and decoding hostile bytes throws instead of trapping.
public enum ClusterMessage: Sendable {
    /// First frame on a connection: who is speaking, and the nonce frames sent *to* it must bind to.
    case hello(Hello)
    /// A membership (SWIM) message, encoded by the membership module.
    case membership([UInt8])
    /// New events pushed to a peer; `lsn` is the sender's log position after the last of them.
    case events(batch: UInt64, lsn: UInt64, events: [IncidentEvent])
    /// The peer holds the batch durably.
    case eventsAck(batch: UInt64, lsn: UInt64)
    /// Anti-entropy round: the sender's digest of each of the 256 incident buckets.
    case digestSummary([UInt64])
    /// The sender's per-incident digests in the buckets that differed (all of them, so an
    /// incident missing from the list is one the sender does not hold).
    case bucketDigests(buckets: [UInt16], digests: [IncidentDigest])
    /// Whole incident records to merge.
    case records([IncidentRecord])
    /// Please send these incidents' records.
    case recordRequest([IncidentID])
    /// Alerts forwarded to the node deciding their dedup keys (the keys' owner within the region).
    case forward(request: UInt64, alerts: [Alert])
    /// The deciding node's answer: one result per forwarded alert, and on how many nodes they are durable.
    case forwardResult(request: UInt64, replicas: Int, results: [ForwardedResult])
    /// Every catalog change the sender holds (anti-entropy for the catalog record, which is small:
    /// sent whole when its digest differs).
    case catalog([IncidentEvent])

    /// Limits on list lengths inside one message.
    public static let eventsMax = 100_000
    /// Most records per `records` message.
    public static let recordsMax = 10_000
    /// Most digests per `bucketDigests` message.
    public static let digestsMax = 1_000_000

    /// The hello fields.
    public struct Hello: Sendable, Equatable {
        /// Sender's node id.
        public var node: NodeID
        /// Sender's region.
        public var region: String
        /// Sender's gossip address (where it listens).
        public var gossip: String
        /// The nonce the receiver must bind its frames to (replay protection).
        public var nonce: UInt64

        /// Creates a hello.
        public init(node: NodeID, region: String, gossip: String, nonce: UInt64) {
            self.node = node
            self.region = region
            self.gossip = gossip
            self.nonce = nonce
        }
    }

    /// One incident's digest.
    public struct IncidentDigest: Sendable, Equatable {
        /// The incident.
        public var id: IncidentID
        /// Its record digest.
        public var digest: UInt64

        /// Creates a digest entry.
        public init(id: IncidentID, digest: UInt64) {
            self.id = id
            self.digest = digest
        }
    }

    /// The outcome of one forwarded alert.
    public struct ForwardedResult: Sendable, Equatable {
        /// The incident it went to, if any.
        public var incident: IncidentID?
        /// Whether it opened the incident.
        public var created: Bool

        /// Creates a result.
        public init(incident: IncidentID?, created: Bool) {
            self.incident = incident
            self.created = created
        }
    }

    /// Short name for logs and counters.
    public var name: String {
        switch self {
        case .hello: "hello"
        case .membership: "membership"
        case .events: "events"
        case .eventsAck: "events_ack"
        case .digestSummary: "digest_summary"
        case .bucketDigests: "bucket_digests"
        case .records: "records"
        case .recordRequest: "record_request"
        case .forward: "forward"
        case .forwardResult: "forward_result"
        case .catalog: "catalog"
        }
    }
}

// MARK: - Binary

extension ClusterMessage {
    /// Appends the message's encoding (type byte first).
    public func encode(into w: inout ByteWriter) {
        switch self {
        case .hello(let h):
            w.write(UInt8(1))
            w.writeString(h.node.name)
            w.writeString(h.region)
            w.writeString(h.gossip)
            w.write(h.nonce)
        case .membership(let bytes):
            w.write(UInt8(2))
            w.writeVarint(UInt64(bytes.count))
            w.bytes.append(contentsOf: bytes)
        case .events(let batch, let lsn, let events):
            w.write(UInt8(3))
            w.writeVarint(batch)
            w.writeVarint(lsn)
            w.writeVarint(UInt64(events.count))
            for e in events { e.encode(into: &w) }
        case .eventsAck(let batch, let lsn):
            w.write(UInt8(4))
            w.writeVarint(batch)
            w.writeVarint(lsn)
        case .digestSummary(let buckets):
            w.write(UInt8(5))
            w.writeVarint(UInt64(buckets.count))
            for b in buckets { w.write(b) }
        case .bucketDigests(let buckets, let list):
            w.write(UInt8(6))
            w.writeVarint(UInt64(buckets.count))
            for b in buckets { w.writeVarint(UInt64(b)) }
            w.writeVarint(UInt64(list.count))
            for d in list {
                w.writeString(d.id.text)
                w.write(d.digest)
            }
        case .records(let records):
            w.write(UInt8(7))
            w.writeVarint(UInt64(records.count))
            for r in records { r.encode(into: &w) }
        case .recordRequest(let ids):
            w.write(UInt8(8))
            w.writeStrings(ids.map(\.text))
        case .forward(let request, let alerts):
            w.write(UInt8(9))
            w.writeVarint(request)
            w.writeVarint(UInt64(alerts.count))
            for a in alerts { a.encode(into: &w) }
        case .forwardResult(let request, let replicas, let results):
            w.write(UInt8(10))
            w.writeVarint(request)
            w.writeVarint(UInt64(max(0, replicas)))
            w.writeVarint(UInt64(results.count))
            for r in results {
                w.writeBool(r.incident != nil)
                if let i = r.incident { w.writeString(i.text) }
                w.writeBool(r.created)
            }
        case .catalog(let events):
            w.write(UInt8(11))
            w.writeVarint(UInt64(events.count))
            for e in events { e.encode(into: &w) }
        }
    }

    /// Decodes a message that must fill `bytes` exactly.
    /// - Throws: `BinaryDecodingError` for anything malformed.
    public init(decoding bytes: UnsafeRawBufferPointer) throws(BinaryDecodingError) {
        var r = ByteReader(bytes)
        let type = try r.readUInt8()
        switch type {
        case 1:
            let node = try r.readString()
            guard NodeID.isValid(node) else { throw BinaryDecodingError(offset: 1, message: "invalid node id in hello") }
            self = .hello(Hello(node: NodeID(node), region: try r.readString(), gossip: try r.readString(), nonce: try r.readUInt64()))
        case 2:
            let n = try r.readCount(max: r.remaining, "membership length")
            guard n <= r.remaining else { throw BinaryDecodingError(offset: r.offset, message: "truncated membership message") }
            self = .membership(Array(UnsafeRawBufferPointer(rebasing: bytes[r.offset..<(r.offset + n)])))
            r.offset += n
        case 3:
            let batch = try r.readVarint()
            let lsn = try r.readVarint()
            let n = try r.readCount(max: min(Self.eventsMax, r.remaining), "event count")
            var events: [IncidentEvent] = []
            events.reserveCapacity(n)
            for _ in 0..<n { events.append(try IncidentEvent(from: &r)) }
            self = .events(batch: batch, lsn: lsn, events: events)
        case 4:
            self = .eventsAck(batch: try r.readVarint(), lsn: try r.readVarint())
        case 5:
            let n = try r.readCount(max: min(4096, r.remaining / 8), "bucket count")
            var list: [UInt64] = []
            list.reserveCapacity(n)
            for _ in 0..<n { list.append(try r.readUInt64()) }
            self = .digestSummary(list)
        case 6:
            let bn = try r.readCount(max: min(65_536, r.remaining), "bucket count")
            var buckets: [UInt16] = []
            for _ in 0..<bn { buckets.append(UInt16(truncatingIfNeeded: try r.readCount(max: 65_535, "bucket"))) }
            let n = try r.readCount(max: min(Self.digestsMax, r.remaining), "digest count")
            var list: [IncidentDigest] = []
            list.reserveCapacity(n)
            for _ in 0..<n { list.append(IncidentDigest(id: IncidentID(try r.readString()), digest: try r.readUInt64())) }
            self = .bucketDigests(buckets: buckets, digests: list)
        case 7:
            let n = try r.readCount(max: min(Self.recordsMax, r.remaining), "record count")
            var list: [IncidentRecord] = []
            list.reserveCapacity(n)
            for _ in 0..<n { list.append(try IncidentRecord(from: &r)) }
            self = .records(list)
        case 8:
            self = .recordRequest(try r.readStrings(max: Self.recordsMax).map { IncidentID($0) })
        case 9:
            let request = try r.readVarint()
            let n = try r.readCount(max: min(10_000, r.remaining), "alert count")
            var alerts: [Alert] = []
            for _ in 0..<n { alerts.append(try Alert(from: &r)) }
            self = .forward(request: request, alerts: alerts)
        case 10:
            let request = try r.readVarint()
            let replicas = try r.readCount(max: 64, "replicas")
            let n = try r.readCount(max: min(10_000, r.remaining), "result count")
            var results: [ForwardedResult] = []
            for _ in 0..<n {
                let id: IncidentID? = try r.readBool() ? IncidentID(try r.readString()) : nil
                results.append(ForwardedResult(incident: id, created: try r.readBool()))
            }
            self = .forwardResult(request: request, replicas: replicas, results: results)
        case 11:
            let n = try r.readCount(max: min(Self.eventsMax, r.remaining), "catalog event count")
            var events: [IncidentEvent] = []
            events.reserveCapacity(n)
            for _ in 0..<n {
                let e = try IncidentEvent(from: &r)
                guard e.incident == .catalog, case .catalogChanged = e.body else {
                    throw BinaryDecodingError(offset: r.offset, message: "catalog message holds a non-catalog event \(e.id)")
                }
                events.append(e)
            }
            self = .catalog(events)
        default:
            throw BinaryDecodingError(offset: 0, message: "unknown cluster message type \(type)")
        }
        guard r.remaining == 0 else {
            throw BinaryDecodingError(offset: r.offset, message: "\(r.remaining) unexpected bytes after \(self.name)")
        }
    }
}
