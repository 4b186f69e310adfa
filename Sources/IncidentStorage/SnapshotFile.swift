/// Snapshot files: the folded state of the node as of a log position, so restart reads one file plus
/// the log's tail instead of every record ever written, and old segments can be deleted.
///
///     "AETHSNP1" · u32 version (1) · u64 LSN covered · body … · u32 CRC-32C of everything before it
///
/// The body is opaque here (the node encodes it). A snapshot is written to `snapshot.tmp`, synced,
/// renamed to `snapshot-<LSN>.snap` and the directory synced, so a crash leaves either the old or the
/// new snapshot, never half of one. Older snapshots are deleted once the new one is durable.
public enum SnapshotFile {
    static let magic: [UInt8] = Array("AETHSNP1".utf8)
    static let version: UInt32 = 1
    static let headerBytes = 20

    /// The file name for a snapshot covering `lsn`.
    public static func name(_ lsn: UInt64) -> String {
        let digits = String(lsn)
        return "snapshot-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".snap"
    }

    /// Streams a snapshot body into the file.
    public final class Writer {
        let handle: any LogFileHandle
        var buffer: [UInt8] = []
        var offset = 0
        var crc: UInt32 = 0
        /// Bytes written, header included.
        public private(set) var bytesWritten = 0

        init(handle: any LogFileHandle) {
            self.handle = handle
            buffer.reserveCapacity(1 << 20)
        }

        /// Appends body bytes.
        public func write(_ bytes: [UInt8]) throws {
            buffer.append(contentsOf: bytes)
            if buffer.count >= 1 << 20 { try flush() }
        }

        func flush() throws {
            guard !buffer.isEmpty else { return }
            try buffer.withUnsafeBytes { b in
                crc = CRC32C.checksum(b, continuing: crc)
                try handle.write(b, at: offset)
            }
            offset += buffer.count
            bytesWritten = offset
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// Writes a snapshot covering `lsn` durably; `body` streams the content. Returns bytes written.
    public static func write(fs: any LogFileSystem, lsn: UInt64, body: (Writer) throws -> Void) throws -> Int {
        let tmp = "snapshot.tmp"
        let handle = try fs.open(tmp, create: true)
        try handle.truncate(to: 0)
        let w = Writer(handle: handle)
        var header = magic
        withUnsafeBytes(of: version.littleEndian) { header.append(contentsOf: $0) }
        withUnsafeBytes(of: lsn.littleEndian) { header.append(contentsOf: $0) }
        try w.write(header)
        try body(w)
        try w.flush()
        let trailer = withUnsafeBytes(of: w.crc.littleEndian) { Array($0) }
        try trailer.withUnsafeBytes { try handle.write($0, at: w.offset) }
        try handle.sync()
        let final = name(lsn)
        try fs.rename(tmp, to: final)
        try fs.syncDirectory()
        for old in try fs.list() where old.hasPrefix("snapshot-") && old.hasSuffix(".snap") && old < final {
            try fs.remove(old)
        }
        try fs.syncDirectory()
        return w.offset + 4
    }

    /// The newest snapshot: its LSN and body, or nil when there is none.
    /// - Throws: `LogError.corrupt` when the newest snapshot fails its checksum.
    public static func readLatest(fs: any LogFileSystem) throws -> (lsn: UInt64, body: [UInt8])? {
        guard let latest = try fs.list().filter({ $0.hasPrefix("snapshot-") && $0.hasSuffix(".snap") }).last else {
            return nil
        }
        let bytes = try fs.read(latest)
        guard bytes.count >= headerBytes + 4, Array(bytes[0..<8]) == magic else {
            throw LogError.corrupt(file: latest, offset: 0, reason: "not a snapshot file")
        }
        let parsed: (UInt32, UInt64, UInt32, UInt32) = bytes.withUnsafeBytes { b in
            (
                UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
                UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 12, as: UInt64.self)),
                UInt32(littleEndian: b.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self)),
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<(bytes.count - 4)]))
            )
        }
        guard parsed.0 == version else {
            throw LogError.corrupt(file: latest, offset: 8, reason: "unsupported snapshot version \(parsed.0)")
        }
        guard parsed.2 == parsed.3 else {
            throw LogError.corrupt(file: latest, offset: bytes.count - 4, reason: "snapshot checksum mismatch")
        }
        return (parsed.1, Array(bytes[headerBytes..<(bytes.count - 4)]))
    }
}
