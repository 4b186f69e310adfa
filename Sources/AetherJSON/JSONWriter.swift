/// Internal staging writer for ``JSONSerializer``: bytes go into a fixed
/// (usually stack-allocated) buffer that is flushed into `out` when full and at
/// the end, so the hot path is a bounds check and a store.
struct JSONWriter: ~Copyable {
    var out: [UInt8]
    let buffer: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var count = 0
    /// Object members with this key and a `null` value are written with this value instead.
    var nullFill: (key: String, value: JSONValue)?

    init(out: consuming [UInt8], buffer: UnsafeMutableBufferPointer<UInt8>) {
        self.out = out
        self.buffer = buffer.baseAddress!
        self.capacity = buffer.count
    }

    /// Runs `body` with a writer that appends to `out`.
    @inline(__always)
    static func with(_ out: inout [UInt8], _ body: (inout JSONWriter) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { buffer in
            // Move `out` into the writer (no second reference), so appends never copy the buffer.
            var writer = JSONWriter(out: [], buffer: buffer)
            swap(&writer.out, &out)
            body(&writer)
            writer.flush()
            swap(&writer.out, &out)
        }
    }

    @inline(never)
    mutating func flush() {
        if count > 0 { out.append(contentsOf: UnsafeBufferPointer(start: buffer, count: count)) }
        count = 0
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        if count == capacity { flush() }
        buffer[count] = b
        count += 1
    }

    @inline(__always)
    mutating func bytes(_ p: UnsafePointer<UInt8>, _ n: Int) {
        if n > capacity - count {
            flush()
            if n > capacity {
                out.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
                return
            }
        }
        if n <= 16 {
            for k in 0..<n { buffer[count + k] = p[k] }
        } else {
            (buffer + count).update(from: p, count: n)
        }
        count += n
    }

    @inline(__always)
    mutating func literal(_ s: StaticString) {
        bytes(s.utf8Start, s.utf8CodeUnitCount)
    }

    mutating func value(_ value: JSONValue) {
        switch value {
        case .null: literal("null")
        case .bool(let b): literal(b ? "true" : "false")
        case .int(let i): int(i)
        case .double(let d): double(d)
        case .string(let s): string(s)
        case .array(let elements):
            byte(ASCII.openBracket)
            var first = true
            for element in elements {
                if !first { byte(ASCII.comma) }
                first = false
                self.value(element)
            }
            byte(ASCII.closeBracket)
        case .object(let object):
            byte(ASCII.openBrace)
            var first = true
            for entry in object.entries {
                if !first { byte(ASCII.comma) }
                first = false
                string(entry.key)
                byte(ASCII.colon)
                if case .null = entry.value, let fill = nullFill, entry.key == fill.key {
                    self.value(fill.value)
                } else {
                    self.value(entry.value)
                }
            }
            byte(ASCII.closeBrace)
        }
    }

    mutating func int(_ value: Int64) {
        if count > capacity - 20 { flush() }
        if value < 0 {
            buffer[count] = ASCII.minus
            count += 1
        }
        var magnitude = value.magnitude
        var digits = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        var i = count + digits
        count = i
        repeat {
            i -= 1
            let (q, r) = magnitude.quotientAndRemainder(dividingBy: 10)
            buffer[i] = ASCII.zero &+ UInt8(truncatingIfNeeded: r)
            magnitude = q
        } while magnitude != 0
    }

    mutating func double(_ value: Double) {
        guard value.isFinite else {
            literal("null")
            return
        }
        if value.magnitude <= 9_007_199_254_740_992, Double(Int64(value)) == value {
            if value == 0 && value.sign == .minus { byte(ASCII.minus) }
            int(Int64(value))
            byte(ASCII.dot)
            byte(ASCII.zero)
            return
        }
        // Swift's shortest round-trip text ("0.1", "1e-05", "1.5e+300") is valid JSON for finite values.
        var text = value.description
        text.withUTF8 { bytes($0.baseAddress!, $0.count) }
    }

    mutating func string(_ s: String) {
        byte(ASCII.quote)
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { escaped($0) }
        if done == nil {
            var copy = s
            copy.withUTF8 { escaped($0) }
        }
        byte(ASCII.quote)
    }

    /// Appends `source` with JSON string escaping (no quotes).
    mutating func escaped(_ source: UnsafeBufferPointer<UInt8>) {
        guard let p = source.baseAddress else { return }
        let n = source.count
        var runStart = 0
        var i = 0
        while i < n {
            if i + 8 <= n {
                let mask = SWAR.escapeMask(UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
                if mask == 0 {
                    i += 8
                    continue
                }
                i += SWAR.firstFlagged(mask)
            } else {
                let c = p[i]
                if c >= 0x20 && c != ASCII.quote && c != ASCII.backslash {
                    i += 1
                    continue
                }
            }
            if runStart < i { bytes(p + runStart, i - runStart) }
            escape(p[i])
            i += 1
            runStart = i
        }
        if runStart < n { bytes(p + runStart, n - runStart) }
    }

    mutating func escape(_ c: UInt8) {
        if count > capacity - 6 { flush() }
        buffer[count] = ASCII.backslash
        let short: UInt8
        switch c {
        case ASCII.quote: short = ASCII.quote
        case ASCII.backslash: short = ASCII.backslash
        case 0x0A: short = UInt8(ascii: "n")
        case 0x0D: short = UInt8(ascii: "r")
        case 0x09: short = UInt8(ascii: "t")
        case 0x08: short = UInt8(ascii: "b")
        case 0x0C: short = UInt8(ascii: "f")
        default:
            let hexDigits: StaticString = "0123456789abcdef"
            buffer[count + 1] = UInt8(ascii: "u")
            buffer[count + 2] = ASCII.zero
            buffer[count + 3] = ASCII.zero
            buffer[count + 4] = hexDigits.utf8Start[Int(c >> 4)]
            buffer[count + 5] = hexDigits.utf8Start[Int(c & 0xF)]
            count += 6
            return
        }
        buffer[count + 1] = short
        count += 2
    }
}
