import IncidentCore
import IncidentStorage

/// The body of a node snapshot (inside `SnapshotFile`'s framing):
///
///     u8 version (3) · string node id · varint last seq · u64 last HLC · varint record count ·
///     (varint length · IncidentRecord binary)… · varint catalog event count · (IncidentEvent binary)…
///
/// Version 2 (no catalog events) is still read.
///
/// The sequence and clock are exactly those of the snapshot's LSN; the records may hold events
/// past it (they were read from live actors afterwards), which replay skips: applying an event is
/// idempotent per origin sequence.
struct NodeSnapshot {
    static let version: UInt8 = 3

    var node: NodeID
    var lastSeq: UInt64
    var lastHLC: HLCTimestamp
    var records: [IncidentRecord]
    var catalog: [IncidentEvent] = []

    /// Streams a snapshot: the header fields, then each record (live ones encoded here, passive ones
    /// as already-encoded bytes).
    static func write(
        to w: SnapshotFile.Writer, node: NodeID, lastSeq: UInt64, lastHLC: HLCTimestamp,
        live: [IncidentRecord], passive: [[UInt8]], catalog: [IncidentEvent]
    ) throws {
        var h = ByteWriter(capacity: 64)
        h.write(version)
        h.writeString(node.name)
        h.writeVarint(lastSeq)
        h.write(lastHLC.raw)
        h.writeVarint(UInt64(live.count + passive.count))
        try w.write(h.bytes)
        var rw = ByteWriter(capacity: 4096)
        for r in live {
            rw.bytes.removeAll(keepingCapacity: true)
            r.encode(into: &rw)
            var lw = ByteWriter(capacity: 8)
            lw.writeVarint(UInt64(rw.bytes.count))
            try w.write(lw.bytes)
            try w.write(rw.bytes)
        }
        for bytes in passive {
            var lw = ByteWriter(capacity: 8)
            lw.writeVarint(UInt64(bytes.count))
            try w.write(lw.bytes)
            try w.write(bytes)
        }
        var cw = ByteWriter(capacity: 256)
        cw.writeVarint(UInt64(catalog.count))
        for e in catalog { e.encode(into: &cw) }
        try w.write(cw.bytes)
    }

    /// Decodes a snapshot body.
    /// - Throws: `BinaryDecodingError` for malformed bytes.
    static func decode(_ body: [UInt8]) throws(BinaryDecodingError) -> NodeSnapshot {
        let result: Result<NodeSnapshot, BinaryDecodingError> = body.withUnsafeBytes { b in
            Result { () throws(BinaryDecodingError) -> NodeSnapshot in
                var r = ByteReader(b)
                let v = try r.readUInt8()
                guard v == 2 || v == version else {
                    throw BinaryDecodingError(offset: 0, message: "unsupported snapshot body version \(v); expected 2 or 3")
                }
                let node = NodeID(try r.readString())
                let seq = try r.readVarint()
                let hlc = HLCTimestamp(raw: try r.readUInt64())
                let n = try r.readCount(max: r.remaining, "record count")
                var records: [IncidentRecord] = []
                records.reserveCapacity(n)
                for _ in 0..<n {
                    let len = try r.readCount(max: r.remaining, "record length")
                    guard len <= r.remaining else {
                        throw BinaryDecodingError(offset: r.offset, message: "record length \(len) runs past the end")
                    }
                    var sub = ByteReader(UnsafeRawBufferPointer(rebasing: b[r.offset..<(r.offset + len)]))
                    let record = try IncidentRecord(from: &sub)
                    r.offset += len
                    records.append(record)
                }
                var catalog: [IncidentEvent] = []
                if v >= 3 {
                    let count = try r.readCount(max: r.remaining, "catalog event count")
                    for _ in 0..<count { catalog.append(try IncidentEvent(from: &r)) }
                }
                return NodeSnapshot(node: node, lastSeq: seq, lastHLC: hlc, records: records, catalog: catalog)
            }
        }
        return try result.get()
    }
}
