// MARK: - SHA-256 (FIPS 180-4 §6.2)
//
// Our own implementation so gossip frames can be authenticated (HMAC-SHA256, SPEC §7.8) without a
// third-party package. It is written for throughput on every frame: whole 64-byte blocks are
// compressed straight from the caller's buffer, the message schedule lives in a stack
// allocation, and nothing allocates per byte or per block. Only `finalize()` allocates (the
// 32-byte result); `HMACSHA256` uses the internal `finalize(into:)` to avoid even that.

/// An incremental SHA-256 hasher (FIPS 180-4).
///
/// Feed bytes with `update(_:)` in as many pieces as convenient, then call `finalize()` once for
/// the 32-byte digest. The value is a plain struct: copying it forks the hash state, which is how
/// `HMACSHA256` reuses its precomputed key states.
public struct SHA256: Sendable {
    /// Bytes in a digest.
    public static let digestByteCount = 32
    /// Bytes in one compression block.
    public static let blockByteCount = 64

    /// The eight chaining words H0…H7.
    var state: Words

    /// Pending input (fewer than 64 bytes), as raw storage for one block.
    var block: Block

    /// Bytes held in `block`.
    var blockCount: Int

    /// Total message bytes absorbed so far (the length field is in bits, modulo 2^64).
    var messageByteCount: UInt64

    /// A hasher with the FIPS 180-4 initial hash value.
    public init() {
        state = Words(
            0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19)
        block = Block()
        blockCount = 0
        messageByteCount = 0
    }

    /// Absorbs `bytes`.
    /// - Parameter bytes: the next part of the message; any length, including zero.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var input = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        messageByteCount &+= UInt64(remaining)
        if blockCount > 0 {
            let take = min(remaining, Self.blockByteCount - blockCount)
            let offset = blockCount
            withUnsafeMutableBytes(of: &block) { storage in
                (storage.baseAddress! + offset).copyMemory(from: input, byteCount: take)
            }
            blockCount += take
            input += take
            remaining -= take
            guard blockCount == Self.blockByteCount else { return }
            compressPendingBlock()
        }
        let wholeBlocks = remaining / Self.blockByteCount
        if wholeBlocks > 0 {
            Self.compress(&state, blocks: input, count: wholeBlocks)
            input += wholeBlocks * Self.blockByteCount
            remaining -= wholeBlocks * Self.blockByteCount
        }
        if remaining > 0 {
            withUnsafeMutableBytes(of: &block) { storage in
                storage.baseAddress!.copyMemory(from: input, byteCount: remaining)
            }
            blockCount = remaining
        }
    }

    /// Absorbs the bytes of an array.
    /// - Parameter bytes: the next part of the message.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Pads the message, returns its 32-byte digest, and resets the hasher to a fresh state.
    /// - Returns: the digest, big-endian words H0…H7.
    public mutating func finalize() -> [UInt8] {
        var digest = Digest()
        withUnsafeMutableBytes(of: &digest) { finalize(into: $0.baseAddress!) }
        return withUnsafeBytes(of: digest) { Array($0) }
    }

    /// The digest of a whole message in one call.
    /// - Parameter bytes: the message.
    /// - Returns: its 32-byte SHA-256 digest.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of a whole message in one call.
    /// - Parameter bytes: the message.
    /// - Returns: its 32-byte SHA-256 digest.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    // MARK: - Internals

    /// Pads, writes the 32-byte digest to `output`, and resets the hasher.
    mutating func finalize(into output: UnsafeMutableRawPointer) {
        let bitLength = messageByteCount &* 8
        // 0x80, zeros up to 56 mod 64, then the 64-bit big-endian bit length.
        var padding = (Block(), Block())  // up to two blocks
        let padLength = blockCount < 56 ? 56 - blockCount : 120 - blockCount
        withUnsafeMutableBytes(of: &padding) { p in
            p[0] = 0x80
            // The rest of `padding` is zero already.
            p.storeBytes(of: bitLength.bigEndian, toByteOffset: padLength, as: UInt64.self)
            update(UnsafeRawBufferPointer(rebasing: p[0..<(padLength + 8)]))
        }
        precondition(blockCount == 0, "SHA-256 padding left \(blockCount) bytes pending")
        let words = state
        output.storeBytes(of: words.a.bigEndian, toByteOffset: 0, as: UInt32.self)
        output.storeBytes(of: words.b.bigEndian, toByteOffset: 4, as: UInt32.self)
        output.storeBytes(of: words.c.bigEndian, toByteOffset: 8, as: UInt32.self)
        output.storeBytes(of: words.d.bigEndian, toByteOffset: 12, as: UInt32.self)
        output.storeBytes(of: words.e.bigEndian, toByteOffset: 16, as: UInt32.self)
        output.storeBytes(of: words.f.bigEndian, toByteOffset: 20, as: UInt32.self)
        output.storeBytes(of: words.g.bigEndian, toByteOffset: 24, as: UInt32.self)
        output.storeBytes(of: words.h.bigEndian, toByteOffset: 28, as: UInt32.self)
        self = SHA256()
    }

    /// Compresses the full pending block.
    mutating func compressPendingBlock() {
        var pending = block
        withUnsafeBytes(of: &pending) { Self.compress(&state, blocks: $0.baseAddress!, count: 1) }
        blockCount = 0
    }

    /// The SHA-256 compression function over `count` consecutive 64-byte blocks.
    static func compress(_ state: inout Words, blocks: UnsafeRawPointer, count: Int) {
        roundConstants.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                var s = state
                for blockIndex in 0..<count {
                    let input = blocks + blockIndex &* blockByteCount
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: input.loadUnaligned(fromByteOffset: t &* 4, as: UInt32.self))
                    }
                    for t in 16..<64 {
                        let x = w[t &- 15]
                        let y = w[t &- 2]
                        let sigma0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3)
                        let sigma1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >> 10)
                        w[t] = w[t &- 16] &+ sigma0 &+ w[t &- 7] &+ sigma1
                    }
                    var a = s.a
                    var b = s.b
                    var c = s.c
                    var d = s.d
                    var e = s.e
                    var f = s.f
                    var g = s.g
                    var h = s.h
                    for t in 0..<64 {
                        let bigSigma1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                        let choose = (e & f) ^ (~e & g)
                        let t1 = h &+ bigSigma1 &+ choose &+ k[t] &+ w[t]
                        let bigSigma0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                        let majority = (a & b) ^ (a & c) ^ (b & c)
                        let t2 = bigSigma0 &+ majority
                        h = g
                        g = f
                        f = e
                        e = d &+ t1
                        d = c
                        c = b
                        b = a
                        a = t1 &+ t2
                    }
                    s.a &+= a
                    s.b &+= b
                    s.c &+= c
                    s.d &+= d
                    s.e &+= e
                    s.f &+= f
                    s.g &+= g
                    s.h &+= h
                }
                state = s
            }
        }
    }

    @inline(__always) static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x >> n) | (x << (32 &- n))
    }

    /// The eight working/chaining words.
    struct Words: Sendable {
        var a, b, c, d, e, f, g, h: UInt32

        init(
            _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: UInt32
        ) {
            (self.a, self.b, self.c, self.d, self.e, self.f, self.g, self.h) = (a, b, c, d, e, f, g, h)
        }
    }

    /// 64 bytes of inline storage (one block), zero-initialised.
    struct Block: Sendable {
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0)
        init() {}
    }

    /// 32 bytes of inline storage (one digest), zero-initialised.
    struct Digest: Sendable {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        init() {}
    }

    /// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the
    /// first 64 primes.
    static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}
