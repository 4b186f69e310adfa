/// Number parsing for ``Parser``.
extension Parser {
    /// Exactly representable powers of ten for the fast double path.
    static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Parses a number; `pos` is at `-` or a digit.
    ///
    /// Integers that fit `Int64` become `.int`; anything else becomes `.double`.
    mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = pos
        var i = pos
        let negative = byte(i) == ASCII.minus
        if negative { i += 1 }
        guard i < end, byte(i) &- ASCII.zero < 10 else {
            throw invalidNumber(start: start, upTo: i, expected: "a digit after '-'")
        }
        var mantissa: UInt64 = 0
        var digitCount: Int
        if byte(i) == ASCII.zero {
            i += 1
            if i < end && byte(i) &- ASCII.zero < 10 {
                var j = i
                while j < end && byte(j) &- ASCII.zero < 10 { j += 1 }
                throw JSONError(offset: start, message: "number '\(text(start, j))' at offset \(start) has a leading zero")
            }
            digitCount = 1
        } else {
            let intStart = i
            while i < end {
                let d = byte(i) &- ASCII.zero
                if d >= 10 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                i += 1
            }
            digitCount = i - intStart
        }
        var isInteger = true
        var exponent = 0
        if i < end && byte(i) == ASCII.dot {
            isInteger = false
            i += 1
            let fractionStart = i
            while i < end {
                let d = byte(i) &- ASCII.zero
                if d >= 10 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                i += 1
            }
            if i == fractionStart { throw invalidNumber(start: start, upTo: i, expected: "a digit after '.'") }
            exponent = fractionStart - i
            digitCount += i - fractionStart
        }
        if i < end && byte(i) | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            i += 1
            var exponentNegative = false
            if i < end && (byte(i) == ASCII.minus || byte(i) == ASCII.plus) {
                exponentNegative = byte(i) == ASCII.minus
                i += 1
            }
            let exponentStart = i
            var e = 0
            while i < end {
                let d = byte(i) &- ASCII.zero
                if d >= 10 { break }
                if e < 1_000_000 { e = e * 10 + Int(d) }
                i += 1
            }
            if i == exponentStart { throw invalidNumber(start: start, upTo: i, expected: "a digit in the exponent") }
            exponent += exponentNegative ? -e : e
        }
        pos = i
        if isInteger {
            if digitCount <= 18 {
                let v = Int64(bitPattern: mantissa)
                return .int(negative ? -v : v)
            }
            if digitCount == 19 {
                if negative && mantissa <= UInt64(1) << 63 {
                    return .int(Int64(bitPattern: 0 &- mantissa))
                }
                if !negative && mantissa <= UInt64(Int64.max) {
                    return .int(Int64(mantissa))
                }
            }
        }
        // Clinger's fast path: exact mantissa and exact power of ten give a correctly rounded result.
        if digitCount <= 19 && mantissa <= UInt64(1) << 53 && exponent >= -22 && exponent <= 22 {
            var d = Double(mantissa)
            if exponent < 0 { d /= Self.powersOfTen[-exponent] } else { d *= Self.powersOfTen[exponent] }
            return .double(negative ? -d : d)
        }
        return .double(try slowDouble(start: start, end: i))
    }

    /// Correctly rounded conversion of a validated number text via the standard library.
    @inline(never)
    func slowDouble(start: Int, end stop: Int) throws(JSONError) -> Double {
        let literal = text(start, stop)
        guard let d = Double(literal), d.isFinite else {
            throw JSONError(offset: start, message: "number '\(literal)' at offset \(start) is out of range")
        }
        return d
    }
}
