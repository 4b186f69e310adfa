/// Cold-path error construction for ``Parser``; kept out of line so the hot loops stay small.
extension Parser {
    /// The input bytes `from..<to` as text (only called on ASCII ranges).
    func text(_ from: Int, _ to: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(start: base + from, count: max(0, min(to, end) - from)), as: UTF8.self)
    }

    /// End of the run of ASCII letters/digits starting at `from` (capped for display).
    func wordEnd(_ from: Int) -> Int {
        var i = from
        while i < end && i - from < 24 {
            let c = byte(i) | 0x20
            guard (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (byte(i) >= ASCII.zero && byte(i) <= UInt8(ascii: "9")) else { break }
            i += 1
        }
        return i
    }

    @inline(never)
    func unexpectedValueStart(_ c: UInt8, afterOpenBracket: Bool) -> JSONError {
        let expected = afterOpenBracket ? "a value or ']'" : "a value"
        let lower = c | 0x20
        if lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z") {
            return JSONError(offset: pos, message: "invalid literal '\(text(pos, wordEnd(pos)))' at offset \(pos); expected \(expected)")
        }
        return .unexpected(c, at: pos, expected: expected)
    }

    @inline(never)
    func invalidLiteral(_ literal: StaticString) -> JSONError {
        let expected = "'\(literal)'"
        let available = end - pos
        if available < literal.utf8CodeUnitCount {
            var isPrefix = true
            for k in 0..<available where byte(pos + k) != literal.utf8Start[k] { isPrefix = false }
            if isPrefix { return .unexpectedEnd(at: end, expected: expected) }
        }
        return JSONError(offset: pos, message: "invalid literal '\(text(pos, wordEnd(pos)))' at offset \(pos); expected \(expected)")
    }

    @inline(never)
    func duplicateKey(_ key: String, at offset: Int) -> JSONError {
        JSONError(offset: offset, message: "duplicate key '\(key)' at offset \(offset)")
    }

    @inline(never)
    func invalidNumber(start: Int, upTo i: Int, expected: String) -> JSONError {
        JSONError(offset: start, message: "invalid number '\(text(start, i))' at offset \(start); expected \(expected)")
    }

    @inline(never)
    func controlCharacter(at i: Int) -> JSONError {
        JSONError(offset: i, message: "control character \(JSONError.hex(byte(i))) in string at offset \(i)")
    }

    @inline(never)
    func unterminatedString(startingAt quote: Int) -> JSONError {
        .unexpectedEnd(at: end, expected: "'\"' to close the string starting at offset \(quote)")
    }

    @inline(never)
    func invalidUTF8(at i: Int, _ reason: String) -> JSONError {
        JSONError(offset: i, message: "invalid UTF-8 byte \(JSONError.hex(byte(i))) at offset \(i)\(reason.isEmpty ? "" : " (\(reason))")")
    }

    @inline(never)
    func invalidEscape(at i: Int) -> JSONError {
        // `i` is the backslash; `i + 1` exists.
        let c = byte(i + 1)
        if c >= 0x21 && c <= 0x7E {
            return JSONError(offset: i, message: "invalid escape '\\\(String(UnicodeScalar(c)))' at offset \(i)")
        }
        return JSONError(offset: i, message: "invalid escape: byte \(JSONError.hex(c)) after '\\' at offset \(i)")
    }

    @inline(never)
    func invalidUnicodeEscape(at i: Int) -> JSONError {
        var j = i + 2
        while j < end && j < i + 6 && byte(j) >= 0x21 && byte(j) <= 0x7E && byte(j) != ASCII.quote { j += 1 }
        return JSONError(offset: i, message: "invalid escape '\(text(i, j))' at offset \(i); expected 4 hex digits after '\\u'")
    }

    @inline(never)
    func loneSurrogate(_ unit: UInt16, at i: Int, detail: String = "") -> JSONError {
        JSONError(offset: i, message: "lone surrogate \\u\(JSONParserHex.four(unit)) at offset \(i)\(detail)")
    }
}

/// Formatting helper for `\uXXXX` in messages.
enum JSONParserHex {
    static func four(_ unit: UInt16) -> String {
        let hi = JSONError.hex(UInt8(unit >> 8))
        let lo = JSONError.hex(UInt8(unit & 0xFF))
        return String(hi.dropFirst(2)) + String(lo.dropFirst(2))
    }
}
