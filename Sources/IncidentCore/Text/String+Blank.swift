extension String {
    /// `true` for an empty or whitespace-only string (Unicode's whitespace). Decides from the
    /// UTF-8 bytes while they are ASCII — a visible ASCII character is never part of a whitespace
    /// character — and asks `Character.isWhitespace` only from the first non-ASCII byte on.
    public var isBlank: Bool {
        for byte in utf8 {
            switch byte {
            case 0x09...0x0D, 0x20: continue
            case ..<0x80: return false
            default: return allSatisfy(\.isWhitespace)
            }
        }
        return true
    }
}
