// MARK: - HMAC-SHA256 (RFC 2104, test vectors RFC 4231)
//
// HMAC(K, m) = H((K' ⊕ opad) ‖ H((K' ⊕ ipad) ‖ m)), where K' is the key zero-padded to one block
// (keys longer than a block are hashed first). Both padded-key blocks are absorbed once, in
// `init`, and the resulting hash states are copied for every message: each MAC then costs the
// message's blocks plus two compressions, instead of four.

/// HMAC-SHA256 with a fixed key, for authenticating gossip frames (SPEC §7.8).
///
/// Create one per cluster key and reuse it: `init` does the key-dependent work once. The value is
/// immutable and `Sendable`, so one instance can serve every connection.
public struct HMACSHA256: Sendable {
    /// Bytes in a tag.
    public static let tagByteCount = SHA256.digestByteCount

    /// SHA-256 state after absorbing `K' ⊕ ipad`.
    private let innerState: SHA256
    /// SHA-256 state after absorbing `K' ⊕ opad`.
    private let outerState: SHA256

    /// Prepares the padded key states.
    /// - Parameter key: the secret key, any length (RFC 2104 recommends at least 32 bytes);
    ///   keys longer than 64 bytes are replaced by their SHA-256 digest, as the RFC requires.
    public init(key: [UInt8]) {
        let blockSize = SHA256.blockByteCount
        var normalizedKey = key.count > blockSize ? SHA256.hash(key) : key
        normalizedKey.append(contentsOf: repeatElement(0, count: blockSize - normalizedKey.count))
        var inner = SHA256()
        var outer = SHA256()
        var padded = [UInt8](repeating: 0, count: blockSize)
        for i in 0..<blockSize { padded[i] = normalizedKey[i] ^ 0x36 }
        inner.update(padded)
        for i in 0..<blockSize { padded[i] = normalizedKey[i] ^ 0x5c }
        outer.update(padded)
        innerState = inner
        outerState = outer
    }

    /// The 32-byte tag of `message`.
    /// - Parameter message: the bytes to authenticate.
    /// - Returns: HMAC-SHA256(key, message).
    public func authenticate(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        var tag = SHA256.Digest()
        withUnsafeMutableBytes(of: &tag) { computeTag(message, into: $0.baseAddress!) }
        return withUnsafeBytes(of: tag) { Array($0) }
    }

    /// The 32-byte tag of `message`.
    /// - Parameter message: the bytes to authenticate.
    /// - Returns: HMAC-SHA256(key, message).
    public func authenticate(_ message: [UInt8]) -> [UInt8] {
        message.withUnsafeBytes { authenticate($0) }
    }

    /// Whether `tag` is the full 32-byte tag of `message`, compared in constant time.
    ///
    /// The comparison always touches all 32 bytes, so its timing does not reveal how many leading
    /// bytes of a forged tag were right. A tag of any other length (truncated tags included) is
    /// rejected; lengths are not secret.
    /// - Parameters:
    ///   - tag: the tag received with the message.
    ///   - message: the bytes it claims to authenticate.
    /// - Returns: `true` only for the exact tag.
    public func isValid(_ tag: UnsafeRawBufferPointer, for message: UnsafeRawBufferPointer) -> Bool {
        guard tag.count == Self.tagByteCount else { return false }
        var expected = SHA256.Digest()
        return withUnsafeMutableBytes(of: &expected) { expectedBytes in
            computeTag(message, into: expectedBytes.baseAddress!)
            return Self.constantTimeEquals(UnsafeRawBufferPointer(expectedBytes), tag)
        }
    }

    /// Whether `tag` is the full 32-byte tag of `message` (constant-time; see the pointer overload).
    /// - Parameters:
    ///   - tag: the tag received with the message.
    ///   - message: the bytes it claims to authenticate.
    /// - Returns: `true` only for the exact tag.
    public func isValid(_ tag: [UInt8], for message: [UInt8]) -> Bool {
        tag.withUnsafeBytes { t in message.withUnsafeBytes { m in isValid(t, for: m) } }
    }

    /// Compares two byte strings without an early exit: the time depends only on the lengths.
    /// - Returns: `true` when both have the same length and the same bytes.
    public static func constantTimeEquals(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<lhs.count { difference |= lhs[i] ^ rhs[i] }
        return difference == 0
    }

    // MARK: - Internals

    /// Writes the 32-byte tag of `message` to `output` without allocating.
    private func computeTag(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawPointer) {
        var inner = innerState
        inner.update(message)
        var innerDigest = SHA256.Digest()
        withUnsafeMutableBytes(of: &innerDigest) { inner.finalize(into: $0.baseAddress!) }
        var outer = outerState
        withUnsafeBytes(of: innerDigest) { outer.update($0) }
        outer.finalize(into: output)
    }
}
