// MARK: - Binary encoding of a whole incident record (snapshots, passivated incidents).
//
//   varint event count · events (IncidentEvent binary) · varint bucket count ·
//   (signed bucket index · varint count · first ts · last ts)… · varint repeat event count ·
//   varint origin count · (string origin · varint seq)…

extension IncidentRecord {
    /// Appends the record's encoding.
    public func encode(into w: inout ByteWriter) {
        w.writeVarint(UInt64(events.count))
        for e in events { e.encode(into: &w) }
        w.writeVarint(UInt64(repeatBuckets.count))
        for (index, b) in repeatBuckets.sorted(by: { $0.key < $1.key }) {
            w.writeSigned(index)
            w.writeVarint(UInt64(b.count))
            w.writeTimestamp(b.firstAt)
            w.writeTimestamp(b.lastAt)
        }
        w.writeVarint(UInt64(repeatEventCount))
        w.writeVarint(UInt64(appliedSeq.count))
        for a in appliedSeq {
            w.writeString(a.origin.name)
            w.writeVarint(a.seq)
        }
    }

    /// Decodes a record.
    /// - Throws: `BinaryDecodingError` for malformed bytes, including a record that does not start
    ///   with an `opened` event or holds events of another incident.
    public init(from r: inout ByteReader) throws(BinaryDecodingError) {
        let start = r.offset
        let n = try r.readCount(max: r.remaining, "event count")
        guard n >= 1 else { throw BinaryDecodingError(offset: start, message: "incident record without events") }
        var events: [IncidentEvent] = []
        events.reserveCapacity(n)
        for _ in 0..<n { events.append(try IncidentEvent(from: &r)) }
        guard case .opened = events[0].body else {
            throw BinaryDecodingError(offset: start, message: "incident record does not start with an opened event")
        }
        for e in events where e.incident != events[0].incident {
            throw BinaryDecodingError(offset: start, message: "event \(e.id) of \(e.incident) inside \(events[0].incident)")
        }
        let bucketCount = try r.readCount(max: r.remaining, "bucket count")
        var buckets: [Int64: RepeatBucket] = [:]
        for _ in 0..<bucketCount {
            let index = try r.readSigned()
            let count = try r.readCount(max: Int(Int32.max), "repeat count")
            buckets[index] = RepeatBucket(count: count, firstAt: try r.readTimestamp(), lastAt: try r.readTimestamp())
        }
        let repeats = try r.readCount(max: Int(Int32.max), "repeat event count")
        let originCount = try r.readCount(max: r.remaining, "origin count")
        var applied: [OriginSeq] = []
        for _ in 0..<originCount { applied.append(OriginSeq(origin: NodeID(try r.readString()), seq: try r.readVarint())) }
        self.init(events: events, repeatBuckets: buckets, repeatEventCount: repeats, appliedSeq: applied)
    }
}
