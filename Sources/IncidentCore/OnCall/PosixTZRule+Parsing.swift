// MARK: - Parsing a POSIX TZ string (POSIX.1-2017 §8.3 with RFC 8536 §3.3.1 extensions)

extension PosixTZRule {
    /// Parses a footer TZ string. Returns nil for an empty string (no rule).
    /// - Throws: `DomainError.badRequest` saying what is wrong and where.
    init?(parsing text: String) throws(DomainError) {
        if text.isEmpty { return nil }
        var p = TZStringParser(bytes: Array(text.utf8), text: text)
        try p.name()
        let std = -(try p.offset(maxHours: 24))
        var daylight: DaylightRule? = nil
        if !p.atEnd {
            try p.name()
            var dst = std + 3600
            if !p.atEnd && p.peek != UInt8(ascii: ",") { dst = -(try p.offset(maxHours: 24)) }
            // POSIX leaves a missing rule to the implementation; like tzcode, use the US rule.
            var start = TransitionRule(date: .monthWeekDay(month: 3, week: 2, weekday: 0), timeSeconds: 7200)
            var end = TransitionRule(date: .monthWeekDay(month: 11, week: 1, weekday: 0), timeSeconds: 7200)
            if !p.atEnd {
                try p.expect(UInt8(ascii: ","))
                start = try p.transition()
                try p.expect(UInt8(ascii: ","))
                end = try p.transition()
            }
            daylight = DaylightRule(offsetSeconds: dst, start: start, end: end)
        }
        guard p.atEnd else { throw p.error("unexpected text") }
        self.init(standardOffsetSeconds: std, daylight: daylight)
    }
}

/// A cursor over a TZ string; every read checks bounds.
private struct TZStringParser {
    let bytes: [UInt8]
    let text: String
    var index = 0

    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8? { atEnd ? nil : bytes[index] }

    func error(_ what: String) -> DomainError {
        .badRequest("TZ string '\(text)' is not valid: \(what) at character \(index + 1)")
    }

    mutating func expect(_ c: UInt8) throws(DomainError) {
        guard peek == c else { throw error("expected '\(Character(Unicode.Scalar(c)))'") }
        index += 1
    }

    /// A zone abbreviation: three or more letters, or `<…>` of letters, digits, `+` and `-`.
    mutating func name() throws(DomainError) {
        let start = index
        if peek == UInt8(ascii: "<") {
            index += 1
            while let c = peek, c != UInt8(ascii: ">") {
                guard isAlnum(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") else {
                    throw error("bad character in a quoted zone name")
                }
                index += 1
            }
            guard peek == UInt8(ascii: ">") else { throw error("unterminated '<' in a zone name") }
            index += 1
            guard index - start >= 5 else { throw error("zone name shorter than three characters") }
        } else {
            while let c = peek, isAlpha(c) { index += 1 }
            guard index - start >= 3 else { throw error("expected a zone name of three or more letters") }
        }
    }

    /// `[+|-]hh[:mm[:ss]]` in seconds (positive west of UTC, as POSIX writes offsets).
    mutating func offset(maxHours: Int) throws(DomainError) -> Int {
        var sign = 1
        if peek == UInt8(ascii: "+") {
            index += 1
        } else if peek == UInt8(ascii: "-") {
            sign = -1
            index += 1
        }
        let hours = try number(maxDigits: 3, max: maxHours, what: "hours")
        var seconds = hours * 3600
        if peek == UInt8(ascii: ":") {
            index += 1
            seconds += try number(maxDigits: 2, max: 59, what: "minutes") * 60
            if peek == UInt8(ascii: ":") {
                index += 1
                seconds += try number(maxDigits: 2, max: 59, what: "seconds")
            }
        }
        return sign * seconds
    }

    /// A date rule and optional `/time` (default 02:00; −167…167 hours as RFC 8536 allows).
    mutating func transition() throws(DomainError) -> PosixTZRule.TransitionRule {
        let date: PosixTZRule.DateRule
        if peek == UInt8(ascii: "M") {
            index += 1
            let m = try number(maxDigits: 2, max: 12, what: "month")
            try expect(UInt8(ascii: "."))
            let w = try number(maxDigits: 1, max: 5, what: "week")
            try expect(UInt8(ascii: "."))
            let d = try number(maxDigits: 1, max: 6, what: "weekday")
            guard m >= 1, w >= 1 else { throw error("month and week start at 1") }
            date = .monthWeekDay(month: m, week: w, weekday: d)
        } else if peek == UInt8(ascii: "J") {
            index += 1
            let n = try number(maxDigits: 3, max: 365, what: "Julian day")
            guard n >= 1 else { throw error("Julian day starts at 1") }
            date = .julianNoLeap(n)
        } else {
            date = .zeroBased(try number(maxDigits: 3, max: 365, what: "day of year"))
        }
        var time = 7200
        if peek == UInt8(ascii: "/") {
            index += 1
            time = try offset(maxHours: 167)
        }
        return PosixTZRule.TransitionRule(date: date, timeSeconds: time)
    }

    /// One to `maxDigits` decimal digits, at most `max`.
    mutating func number(maxDigits: Int, max: Int, what: String) throws(DomainError) -> Int {
        var value = 0
        var count = 0
        while let c = peek, c >= 48, c <= 57 {
            guard count < maxDigits else { throw error("too many digits in \(what)") }
            value = value * 10 + Int(c - 48)
            count += 1
            index += 1
        }
        guard count > 0 else { throw error("expected \(what)") }
        guard value <= max else { throw error("\(what) \(value) is over \(max)") }
        return value
    }

    private func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= 97 && (c | 0x20) <= 122 }
    private func isAlnum(_ c: UInt8) -> Bool { isAlpha(c) || (c >= 48 && c <= 57) }
}
