import IncidentCore

/// Gossip framing, one `ClusterMessage` per frame:
///
///     u32 length (of what follows) · u8 version (1) · u64 sequence · message bytes · [32-byte tag]
///
/// With a cluster key, the tag is HMAC-SHA256 over `receiver nonce (u64) · version · sequence ·
/// message`: the receiver's nonce (sent in its `hello`) binds a frame to one connection, and the
/// sequence must grow by one per frame, so a frame captured on one connection is rejected on any
/// other, and a replayed or reordered frame is rejected on its own. Frames before the peer's hello
/// (the hello itself) bind to nonce 0. Without a key there is no tag.
public struct FrameCodec: Sendable {
    /// Wire version.
    public static let version: UInt8 = 1
    /// Largest frame accepted (length field), bigger ones close the connection.
    public static let frameBytesMax = 32 << 20
    /// The HMAC, when the cluster has a key.
    public let key: HMACSHA256?

    /// Creates a codec; `key` nil means frames are not authenticated (loopback-only clusters).
    public init(key: HMACSHA256?) {
        self.key = key
    }

    var tagBytes: Int { key == nil ? 0 : HMACSHA256.tagByteCount }

    /// Encodes one frame.
    public func encode(_ message: ClusterMessage, sequence: UInt64, receiverNonce: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: 256)
        w.write(UInt32(0))  // length, patched below
        w.write(Self.version)
        w.write(sequence)
        message.encode(into: &w)
        if let key {
            var macInput = ByteWriter(capacity: w.bytes.count + 8)
            macInput.write(receiverNonce)
            macInput.bytes.append(contentsOf: w.bytes[4...])
            w.bytes.append(contentsOf: key.authenticate(macInput.bytes))
        }
        let length = UInt32(w.bytes.count - 4)
        withUnsafeBytes(of: length.littleEndian) { l in
            for i in 0..<4 { w.bytes[i] = l[i] }
        }
        return w.bytes
    }

    /// Why a frame was not accepted.
    public enum Rejection: Error, Equatable, Sendable {
        /// The stream is broken (bad length or version): close the connection.
        case malformed(String)
        /// The tag did not verify, or the sequence was not the next one: drop the frame, count it.
        case unauthenticated(String)
        /// The message inside did not decode: drop the frame, count it.
        case undecodable(String)
    }

    /// Decodes the frame at the start of `b`, if complete: returns the bytes it used and the
    /// message (or why it was rejected).
    public func decode(
        _ b: UnsafeRawBufferPointer, expectedSequence: UInt64, myNonce: UInt64
    ) -> (used: Int, result: Result<(sequence: UInt64, message: ClusterMessage), Rejection>)? {
        guard b.count >= 4 else { return nil }
        let length = Int(UInt32(littleEndian: b.loadUnaligned(as: UInt32.self)))
        guard length >= 9 + tagBytes + 1, length <= Self.frameBytesMax else {
            return (b.count, .failure(.malformed("frame length \(length) out of range")))
        }
        guard b.count >= 4 + length else { return nil }
        let used = 4 + length
        let version = b[4]
        guard version == Self.version else {
            return (used, .failure(.malformed("unsupported frame version \(version); expected \(Self.version)")))
        }
        let sequence = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 5, as: UInt64.self))
        let messageEnd = used - tagBytes
        if let key {
            var macInput = ByteWriter(capacity: messageEnd + 4)
            macInput.write(sequence == 1 ? 0 : myNonce)
            macInput.bytes.append(contentsOf: b[4..<messageEnd])
            let tag = UnsafeRawBufferPointer(rebasing: b[messageEnd..<used])
            let ok = macInput.bytes.withUnsafeBytes { key.isValid(tag, for: $0) }
            guard ok else { return (used, .failure(.unauthenticated("bad frame tag"))) }
        }
        guard sequence == expectedSequence else {
            return (used, .failure(.unauthenticated("frame sequence \(sequence), expected \(expectedSequence)")))
        }
        do {
            let m = try ClusterMessage(decoding: UnsafeRawBufferPointer(rebasing: b[13..<messageEnd]))
            return (used, .success((sequence, m)))
        } catch {
            return (used, .failure(.undecodable(error.description)))
        }
    }
}
