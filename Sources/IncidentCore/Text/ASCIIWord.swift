/// A short ASCII text in lower case, for matching keywords without Unicode case mapping (which
/// gives the same answer for ASCII, at many times the cost). Nil for non-ASCII text or text over 8
/// bytes (no keyword matched this way is longer).
struct ASCIIWord: Equatable {
    /// The bytes, `A`–`Z` mapped to `a`–`z`, the first in the lowest byte.
    private var packed: UInt64 = 0
    /// The text's length in bytes.
    private(set) var count = 0

    init?(_ text: String) {
        var text = text
        guard let word = text.withUTF8({ bytes -> ASCIIWord? in
            guard bytes.count <= 8 else { return nil }
            var w = ASCIIWord(count: bytes.count)
            for (i, c) in bytes.enumerated() {
                guard c < 0x80 else { return nil }
                w.packed |= UInt64(c >= 0x41 && c <= 0x5A ? c + 0x20 : c) << (8 * i)
            }
            return w
        }) else { return nil }
        self = word
    }

    private init(count: Int) { self.count = count }

    subscript(i: Int) -> UInt8 { UInt8(truncatingIfNeeded: packed >> (8 * i)) }
}
