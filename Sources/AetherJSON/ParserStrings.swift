/// String scanning, UTF-8 validation and escape decoding for ``Parser``.
extension Parser {
    /// Parses a string; `pos` is at the opening quote.
    ///
    /// Fast path: a string without escapes is validated in place and created
    /// directly from the input slice.
    @inline(__always)
    mutating func parseString() throws(JSONError) -> String {
        let quote = pos
        let start = pos + 1
        var i = start
        while i < end {
            if i + 8 <= end {
                let mask = SWAR.stringSpecialMask(base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                if mask == 0 {
                    i += 8
                    continue
                }
                i += SWAR.firstFlagged(mask)
            }
            let c = byte(i)
            if c >= 0x20 && c < 0x80 && c != ASCII.quote && c != ASCII.backslash {
                i += 1
                continue
            }
            if c == ASCII.quote {
                pos = i + 1
                return String(decoding: UnsafeRawBufferPointer(start: base + start, count: i - start), as: UTF8.self)
            }
            if c == ASCII.backslash { return try parseEscapedString(quote: quote, firstEscape: i) }
            if c < 0x20 { throw controlCharacter(at: i) }
            i = try validateUTF8Sequence(at: i)
        }
        throw unterminatedString(startingAt: quote)
    }

    /// Validates the multi-byte UTF-8 sequence whose lead byte (>= 0x80) is at `i`;
    /// returns the index after it.
    @inline(__always)
    func validateUTF8Sequence(at i: Int) throws(JSONError) -> Int {
        let c0 = byte(i)
        if c0 < 0xC2 {
            throw invalidUTF8(at: i, c0 < 0xC0 ? "unexpected continuation byte" : "overlong encoding")
        }
        guard i + 1 < end, byte(i + 1) & 0xC0 == 0x80 else { throw invalidUTF8(at: i, "truncated sequence") }
        if c0 < 0xE0 { return i + 2 }
        let c1 = byte(i + 1)
        if c0 < 0xF0 {
            if c0 == 0xE0 && c1 < 0xA0 { throw invalidUTF8(at: i, "overlong encoding") }
            if c0 == 0xED && c1 >= 0xA0 { throw invalidUTF8(at: i, "UTF-8 encoded surrogate") }
            guard i + 2 < end, byte(i + 2) & 0xC0 == 0x80 else { throw invalidUTF8(at: i, "truncated sequence") }
            return i + 3
        }
        if c0 < 0xF5 {
            if c0 == 0xF0 && c1 < 0x90 { throw invalidUTF8(at: i, "overlong encoding") }
            if c0 == 0xF4 && c1 >= 0x90 { throw invalidUTF8(at: i, "code point above U+10FFFF") }
            guard i + 3 < end, byte(i + 2) & 0xC0 == 0x80, byte(i + 3) & 0xC0 == 0x80 else {
                throw invalidUTF8(at: i, "truncated sequence")
            }
            return i + 4
        }
        throw invalidUTF8(at: i, c0 < 0xF8 ? "code point above U+10FFFF" : "")
    }

    /// Slow path for strings with escapes: decodes into `scratch`.
    mutating func parseEscapedString(quote: Int, firstEscape: Int) throws(JSONError) -> String {
        scratch.removeAll(keepingCapacity: true)
        var runStart = quote + 1
        var i = firstEscape
        while i < end {
            if i + 8 <= end {
                let mask = SWAR.stringSpecialMask(base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                if mask == 0 {
                    i += 8
                    continue
                }
                i += SWAR.firstFlagged(mask)
            }
            let c = byte(i)
            if c >= 0x20 && c < 0x80 && c != ASCII.quote && c != ASCII.backslash {
                i += 1
                continue
            }
            if c == ASCII.quote || c == ASCII.backslash {
                if runStart < i {
                    scratch.append(contentsOf: UnsafeRawBufferPointer(start: base + runStart, count: i - runStart))
                }
                if c == ASCII.quote {
                    pos = i + 1
                    return String(decoding: scratch, as: UTF8.self)
                }
                guard i + 1 < end else { throw unterminatedString(startingAt: quote) }
                switch byte(i + 1) {
                case ASCII.quote: scratch.append(ASCII.quote)
                case ASCII.backslash: scratch.append(ASCII.backslash)
                case ASCII.slash: scratch.append(ASCII.slash)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    i = try parseUnicodeEscape(at: i, quote: quote)
                    runStart = i
                    continue
                default:
                    throw invalidEscape(at: i)
                }
                i += 2
                runStart = i
                continue
            }
            if c < 0x20 { throw controlCharacter(at: i) }
            i = try validateUTF8Sequence(at: i)
        }
        throw unterminatedString(startingAt: quote)
    }

    /// Value of four hex digits at `j..<j+4`, or `nil` if out of bounds or not hex.
    @inline(__always)
    func hex4(at j: Int) -> UInt16? {
        guard j + 4 <= end else { return nil }
        var v: UInt16 = 0
        for k in 0..<4 {
            let c = byte(j + k)
            let d: UInt8
            switch c {
            case ASCII.zero...UInt8(ascii: "9"): d = c &- ASCII.zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c &- UInt8(ascii: "A") &+ 10
            default: return nil
            }
            v = v << 4 | UInt16(d)
        }
        return v
    }

    /// Error for a malformed `\u` escape at `i`: end of input if the digits so far are hex, else invalid.
    func unicodeEscapeError(at i: Int, quote: Int) -> JSONError {
        var j = i + 2
        while j < end && j < i + 6 {
            let c = byte(j) | 0x20
            guard (c >= ASCII.zero && c <= UInt8(ascii: "9")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f")) else {
                return invalidUnicodeEscape(at: i)
            }
            j += 1
        }
        return j == end ? unterminatedString(startingAt: quote) : invalidUnicodeEscape(at: i)
    }

    /// Decodes `\uXXXX` (and a following low surrogate) at `i` into `scratch`; returns the next index.
    mutating func parseUnicodeEscape(at i: Int, quote: Int) throws(JSONError) -> Int {
        guard let unit = hex4(at: i + 2) else { throw unicodeEscapeError(at: i, quote: quote) }
        var scalar = UInt32(unit)
        var next = i + 6
        if unit >= 0xD800 && unit <= 0xDBFF {
            guard next + 1 < end, byte(next) == ASCII.backslash, byte(next + 1) == UInt8(ascii: "u") else {
                if next >= end || (next + 1 == end && byte(next) == ASCII.backslash) {
                    throw unterminatedString(startingAt: quote)
                }
                throw loneSurrogate(unit, at: i)
            }
            guard let low = hex4(at: next + 2) else { throw unicodeEscapeError(at: next, quote: quote) }
            guard low >= 0xDC00 && low <= 0xDFFF else {
                throw loneSurrogate(unit, at: i, detail: "; expected a low surrogate \\uDC00-\\uDFFF at offset \(next)")
            }
            scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            next += 6
        } else if unit >= 0xDC00 && unit <= 0xDFFF {
            throw loneSurrogate(unit, at: i)
        }
        appendUTF8(scalar)
        return next
    }

    /// Appends the UTF-8 encoding of a valid scalar value to `scratch`.
    @inline(__always)
    mutating func appendUTF8(_ v: UInt32) {
        if v < 0x80 {
            scratch.append(UInt8(v))
        } else if v < 0x800 {
            scratch.append(UInt8(0xC0 | (v >> 6)))
            scratch.append(UInt8(0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            scratch.append(UInt8(0xE0 | (v >> 12)))
            scratch.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (v & 0x3F)))
        } else {
            scratch.append(UInt8(0xF0 | (v >> 18)))
            scratch.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}
