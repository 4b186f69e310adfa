/// Eight-bytes-at-a-time scanning helpers ("SIMD within a register").
///
/// Each function returns a mask with the high bit set in bytes that need
/// attention. Spurious bits can only appear *above* a genuinely flagged byte
/// (borrow propagation), so the lowest set bit always marks the first byte of
/// interest and a zero mask means none.
enum SWAR {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Bytes that end or interrupt a JSON string's plain ASCII run:
    /// `"`, `\`, controls (< 0x20) and non-ASCII (>= 0x80).
    @inline(__always)
    static func stringSpecialMask(_ x: UInt64) -> UInt64 {
        escapeMask(x) | (x & highBits)
    }

    /// Bytes that must be escaped on output: `"`, `\` and controls (< 0x20).
    @inline(__always)
    static func escapeMask(_ x: UInt64) -> UInt64 {
        let control = (x &- ones &* 0x20) & ~x
        let q = x ^ (ones &* 0x22)
        let quote = (q &- ones) & ~q
        let b = x ^ (ones &* 0x5C)
        let backslash = (b &- ones) & ~b
        return (control | quote | backslash) & highBits
    }

    /// Index (0...7) of the first flagged byte in a non-zero mask, for little-endian loads.
    @inline(__always)
    static func firstFlagged(_ mask: UInt64) -> Int {
        mask.trailingZeroBitCount &>> 3
    }
}
