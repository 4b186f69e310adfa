/// ASCII constants used by the parser and serializer.
enum ASCII {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let slash = UInt8(ascii: "/")
    static let comma = UInt8(ascii: ",")
    static let colon = UInt8(ascii: ":")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let lf = UInt8(ascii: "\n")
    static let cr = UInt8(ascii: "\r")
}

/// Iterative parser state over a borrowed byte buffer.
///
/// Containers under construction are tracked in `frames`; their elements are
/// accumulated on the shared `values`/`entries` stacks and moved into an
/// exactly sized array when the container closes. An object member's entry is
/// pushed (with a `null` placeholder value) as soon as its key is read.
struct Parser: ~Copyable {
    /// An open array or object.
    struct Frame {
        var isObject: Bool
        /// Start of this container's elements in `values` or `entries`/`keySpans`.
        var start: Int
        /// Key index, built once the object grows past `JSONObject.indexThreshold`.
        var keyIndex: [JSONKey: Int]? = nil
    }

    /// Where a key's bytes are in the input (`start == -1` if it had escapes) and its decoded length.
    struct KeySpan {
        var start: Int
        var count: Int
    }

    let base: UnsafeRawPointer
    let end: Int
    let maxDepth: Int
    var pos = 0
    var frames = MoveStack<Frame>(capacity: 8)
    var values = MoveStack<JSONValue>(capacity: 16)
    var entries = MoveStack<JSONObject.Entry>(capacity: 32)
    /// Parallel to `entries`: for fast byte-wise duplicate detection.
    var keySpans = MoveStack<KeySpan>(capacity: 32)
    /// Reusable buffer for strings containing escapes.
    var scratch: [UInt8] = []

    init(base: UnsafeRawPointer, count: Int, maxDepth: Int) {
        self.base = base
        self.end = count
        self.maxDepth = maxDepth
    }

    @inline(__always)
    func byte(_ i: Int) -> UInt8 { base.load(fromByteOffset: i, as: UInt8.self) }

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < end {
            let c = byte(pos)
            if c > ASCII.space || (c != ASCII.space && c != ASCII.lf && c != ASCII.cr && c != ASCII.tab) { return }
            pos += 1
        }
    }

    /// Parses the whole input as one value followed only by whitespace.
    mutating func parseDocument() throws(JSONError) -> JSONValue {
        var afterOpenBracket = false
        var value: JSONValue
        parsing: while true {
            skipWhitespace()
            guard pos < end else {
                throw .unexpectedEnd(at: pos, expected: afterOpenBracket ? "a value or ']'" : "a value")
            }
            let c = byte(pos)
            switch c {
            case ASCII.quote:
                value = .string(try parseString())
            case ASCII.openBrace:
                try checkDepth()
                pos += 1
                skipWhitespace()
                if pos < end && byte(pos) == ASCII.closeBrace {
                    pos += 1
                    value = .object(JSONObject())
                } else {
                    frames.push(Frame(isObject: true, start: entries.count))
                    try parseMemberKey(first: true)
                    afterOpenBracket = false
                    continue parsing
                }
            case ASCII.openBracket:
                try checkDepth()
                pos += 1
                skipWhitespace()
                if pos < end && byte(pos) == ASCII.closeBracket {
                    pos += 1
                    value = .array([])
                } else {
                    frames.push(Frame(isObject: false, start: values.count))
                    afterOpenBracket = true
                    continue parsing
                }
            case ASCII.minus, ASCII.zero...UInt8(ascii: "9"):
                value = try parseNumber()
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            default:
                throw unexpectedValueStart(c, afterOpenBracket: afterOpenBracket)
            }

            // A value is complete: attach it to the open containers, closing as many as possible.
            while !frames.isEmpty {
                let top = frames.base + (frames.count - 1)
                skipWhitespace()
                if top.pointee.isObject {
                    entries.base[entries.count - 1].value = value
                    guard pos < end else { throw .unexpectedEnd(at: pos, expected: "',' or '}'") }
                    let d = byte(pos)
                    if d == ASCII.comma {
                        pos += 1
                        skipWhitespace()
                        try parseMemberKey(first: false)
                        afterOpenBracket = false
                        continue parsing
                    }
                    guard d == ASCII.closeBrace else { throw .unexpected(d, at: pos, expected: "',' or '}'") }
                    pos += 1
                    let frame = frames.popLast()
                    keySpans.truncate(to: frame.start)
                    value = .object(JSONObject(uncheckedEntries: entries.popArray(from: frame.start), index: frame.keyIndex))
                } else {
                    values.push(value)
                    guard pos < end else { throw .unexpectedEnd(at: pos, expected: "',' or ']'") }
                    let d = byte(pos)
                    if d == ASCII.comma {
                        pos += 1
                        afterOpenBracket = false
                        continue parsing
                    }
                    guard d == ASCII.closeBracket else { throw .unexpected(d, at: pos, expected: "',' or ']'") }
                    pos += 1
                    let frame = frames.popLast()
                    value = .array(values.popArray(from: frame.start))
                }
            }
            break parsing
        }
        skipWhitespace()
        if pos < end {
            throw JSONError(offset: pos, message: "trailing data after JSON value at offset \(pos)")
        }
        return value
    }

    @inline(__always)
    func checkDepth() throws(JSONError) {
        if frames.count >= maxDepth {
            throw JSONError(offset: pos, message: "nesting deeper than \(maxDepth) levels at offset \(pos)")
        }
    }

    /// Parses `"key"` and `:` for the innermost object and pushes its entry; `pos` is at the key's first byte.
    mutating func parseMemberKey(first: Bool) throws(JSONError) {
        guard pos < end else {
            throw .unexpectedEnd(at: pos, expected: first ? "a string key or '}'" : "a string key")
        }
        let c = byte(pos)
        guard c == ASCII.quote else {
            throw .unexpected(c, at: pos, expected: first ? "a string key or '}'" : "a string key")
        }
        let keyOffset = pos
        let key = try parseString()
        try registerKey(key, at: keyOffset)
        skipWhitespace()
        guard pos < end else { throw .unexpectedEnd(at: pos, expected: "':'") }
        let d = byte(pos)
        guard d == ASCII.colon else { throw .unexpected(d, at: pos, expected: "':'") }
        pos += 1
    }

    /// Rejects a duplicate key in the innermost object, then pushes the member's entry.
    /// `pos` is just past the key's closing quote.
    @inline(__always)
    mutating func registerKey(_ key: String, at offset: Int) throws(JSONError) {
        let frame = frames.base + (frames.count - 1)
        let start = frame.pointee.start
        let existing = entries.count - start
        let rawStart = offset + 1
        let length = key.utf8.count
        // Escapes always shrink the text, so equal lengths mean the key is the raw input slice.
        let span = KeySpan(start: length == pos - 1 - rawStart ? rawStart : -1, count: length)
        if existing < JSONObject.indexThreshold {
            var j = start
            while j < entries.count {
                let other = keySpans.base[j]
                if other.count == length {
                    if other.start >= 0 && span.start >= 0 {
                        if bytesEqual(other.start, rawStart, length) { throw duplicateKey(key, at: offset) }
                    } else if jsonKeysEqual(entries.base[j].key, key) {
                        throw duplicateKey(key, at: offset)
                    }
                }
                j += 1
            }
        } else {
            if frame.pointee.keyIndex == nil {
                var index = [JSONKey: Int](minimumCapacity: existing * 2)
                for j in start..<entries.count { index[JSONKey(entries.base[j].key)] = j - start }
                frame.pointee.keyIndex = index
            }
            if frame.pointee.keyIndex!.updateValue(existing, forKey: JSONKey(key)) != nil {
                throw duplicateKey(key, at: offset)
            }
        }
        keySpans.push(span)
        entries.push(JSONObject.Entry(key: key, value: .null))
    }

    /// Compares `count` input bytes at `a` and `b`.
    @inline(__always)
    func bytesEqual(_ a: Int, _ b: Int, _ count: Int) -> Bool {
        var k = 0
        while k + 8 <= count {
            if base.loadUnaligned(fromByteOffset: a + k, as: UInt64.self)
                != base.loadUnaligned(fromByteOffset: b + k, as: UInt64.self) { return false }
            k += 8
        }
        while k < count {
            if byte(a + k) != byte(b + k) { return false }
            k += 1
        }
        return true
    }

    /// Matches a `true`/`false`/`null` literal at `pos`.
    @inline(__always)
    mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let n = literal.utf8CodeUnitCount
        let lit = literal.utf8Start
        var i = 1
        while i < n {
            guard pos + i < end, byte(pos + i) == lit[i] else { throw invalidLiteral(literal) }
            i += 1
        }
        pos += n
    }
}
