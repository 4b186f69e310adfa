// MARK: - Binary encoding of a whole incident record (snapshots, passivated incidents).
//
//   varint event count · events (IncidentEvent binary, in fold order) · varint counter count ·
//   (string origin · signed window · varint count · first ts · last ts · string event origin ·
//    varint event seq · u64 event hlc)… · varint repeat event count

extension IncidentRecord {
    /// Appends the record's encoding.
    public func encode(into w: inout ByteWriter) {
        let list = events
        w.writeVarint(UInt64(list.count))
        for e in list { e.encode(into: &w) }
        w.writeVarint(UInt64(repeatCounters.count))
        for (k, c) in repeatCounters.sorted(by: { ($0.key.window, $0.key.origin) < ($1.key.window, $1.key.origin) }) {
            w.writeString(k.origin.name)
            w.writeSigned(k.window)
            w.writeVarint(UInt64(c.count))
            w.writeTimestamp(c.firstAt)
            w.writeTimestamp(c.lastAt)
            w.writeString(c.event.origin.name)
            w.writeVarint(c.event.seq)
            w.write(c.hlc.raw)
        }
        w.writeVarint(UInt64(repeatEventCount))
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
        for (a, b) in zip(events, events.dropFirst()) where !(a.orderKey < b.orderKey) {
            throw BinaryDecodingError(offset: start, message: "events of \(events[0].incident) are not in order at \(b.id)")
        }
        let counterCount = try r.readCount(max: r.remaining, "repeat counter count")
        var counters: [RepeatKey: RepeatCounter] = [:]
        for _ in 0..<counterCount {
            let origin = NodeID(try r.readString())
            let window = try r.readSigned()
            let count = try r.readCount(max: Int(UInt32.max), "repeat count")
            let first = try r.readTimestamp()
            let last = try r.readTimestamp()
            let event = EventID(origin: NodeID(try r.readString()), seq: try r.readVarint())
            counters[RepeatKey(origin: origin, window: window)] = RepeatCounter(
                count: count, firstAt: first, lastAt: last, event: event, hlc: HLCTimestamp(raw: try r.readUInt64()))
        }
        let repeats = try r.readCount(max: Int(Int32.max), "repeat event count")
        self.init(events: events, repeatCounters: counters, repeatEventCount: repeats)
    }
}
