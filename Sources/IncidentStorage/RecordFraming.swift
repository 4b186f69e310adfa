/// The framing of log records and segment headers. See Docs/wal-format.md.
///
///     segment header (20 bytes): "AETHLOG1" · u64 first LSN · u32 CRC-32C of the previous 16 bytes
///     record:                    u32 payload length · u32 CRC-32C of (length bytes ‖ payload) · payload
///
/// All integers little-endian. Payloads are 1 byte … `recordBytesMax`.
public enum RecordFraming {
    /// Segment magic.
    public static let magic: [UInt8] = Array("AETHLOG1".utf8)
    /// Size of a segment header.
    public static let segmentHeaderBytes = 20
    /// Size of a record header.
    public static let recordHeaderBytes = 8
    /// Largest payload accepted (bigger lengths are treated as damage).
    public static let recordBytesMax = 8 << 20

    /// Appends one framed record.
    public static func appendRecord(_ payload: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        precondition(payload.count > 0 && payload.count <= recordBytesMax, "record of \(payload.count) bytes")
        let len = UInt32(payload.count).littleEndian
        var crc: UInt32 = 0
        withUnsafeBytes(of: len) { crc = CRC32C.checksum($0) }
        crc = CRC32C.checksum(payload, continuing: crc)
        withUnsafeBytes(of: len) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: crc.littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: payload)
    }

    /// A segment header for a segment whose first record has `firstLSN`.
    public static func segmentHeader(firstLSN: UInt64) -> [UInt8] {
        var h = magic
        withUnsafeBytes(of: firstLSN.littleEndian) { h.append(contentsOf: $0) }
        let crc = CRC32C.checksum(h)
        withUnsafeBytes(of: crc.littleEndian) { h.append(contentsOf: $0) }
        return h
    }

    /// Parses a segment header; nil when it is not one.
    public static func parseSegmentHeader(_ b: UnsafeRawBufferPointer) -> UInt64? {
        guard b.count >= segmentHeaderBytes, Array(b[0..<8]) == magic else { return nil }
        let lsn = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let crc = UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<16])) == crc else { return nil }
        return lsn
    }

    /// How a scan of a segment ended.
    public enum ScanEnd: Equatable, Sendable {
        /// Every byte belonged to a valid record.
        case clean
        /// The bytes from `offset` on are an incomplete or damaged tail with no valid record after
        /// it: what an interrupted write leaves behind.
        case torn(offset: Int)
        /// A damaged record at `offset` is followed by valid records: real corruption.
        case corrupt(offset: Int, reason: String)
    }

    /// Checks whether a valid record starts at `offset`; returns its payload length or the reason not.
    static func validRecord(at offset: Int, in b: UnsafeRawBufferPointer) -> Result<Int, ScanFailure> {
        let remaining = b.count - offset
        guard remaining >= recordHeaderBytes else { return .failure(.init("incomplete record header")) }
        let len = Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        guard len >= 1, len <= recordBytesMax else { return .failure(.init("record length \(len) out of range")) }
        guard len <= remaining - recordHeaderBytes else {
            return .failure(.init("record length \(len) runs past the end of the file"))
        }
        let stored = UInt32(littleEndian: b.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
        var crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[offset..<(offset + 4)]))
        crc = CRC32C.checksum(
            UnsafeRawBufferPointer(rebasing: b[(offset + 8)..<(offset + 8 + len)]), continuing: crc)
        guard crc == stored else { return .failure(.init("checksum mismatch")) }
        return .success(len)
    }

    struct ScanFailure: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// Visits every valid record from `offset` and says how the scan ended.
    ///
    /// When a record fails, the rest of the buffer is searched for any valid record: if one exists
    /// the damage is corruption; if none does it is a torn tail.
    public static func scan(
        _ b: UnsafeRawBufferPointer, from start: Int, visit: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows -> ScanEnd {
        var offset = start
        while offset < b.count {
            switch validRecord(at: offset, in: b) {
            case .success(let len):
                try visit(UnsafeRawBufferPointer(rebasing: b[(offset + 8)..<(offset + 8 + len)]))
                offset += 8 + len
            case .failure(let failure):
                // A zero-filled header is never written (lengths are ≥ 1): it is a page the
                // interrupted write never reached, so it and what follows are an unsynced tail.
                if b.count - offset >= recordHeaderBytes, (0..<recordHeaderBytes).allSatisfy({ b[offset + $0] == 0 }) {
                    return .torn(offset: offset)
                }
                var probe = offset + 1
                while probe + recordHeaderBytes < b.count {
                    if case .success = validRecord(at: probe, in: b) {
                        return .corrupt(offset: offset, reason: failure.reason)
                    }
                    probe += 1
                }
                return .torn(offset: offset)
            }
        }
        return .clean
    }
}
