// MARK: - RFC 3339 formatting and parsing (UTC), without Foundation.

/// A calendar date and time of day in UTC, used to format and parse `Timestamp`s.
public struct CivilDateTime: Equatable, Sendable {
    /// Full year, e.g. 2026.
    public var year: Int
    /// 1...12
    public var month: Int
    /// 1...31
    public var day: Int
    /// 0...23
    public var hour: Int
    /// 0...59
    public var minute: Int
    /// 0...59
    public var second: Int
    /// 0...999
    public var millisecond: Int
}

extension Timestamp {
    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date for days since 1970-01-01.
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The UTC calendar fields of this instant.
    public var civil: CivilDateTime {
        let ms = unixMillis
        var days = Int(ms / 86_400_000)
        var rem = Int(ms % 86_400_000)
        if rem < 0 {
            rem += 86_400_000
            days -= 1
        }
        let (y, m, d) = Self.civilFromDays(days)
        return CivilDateTime(
            year: y, month: m, day: d, hour: rem / 3_600_000, minute: rem / 60_000 % 60,
            second: rem / 1000 % 60, millisecond: rem % 1000)
    }

    /// Creates an instant from UTC calendar fields.
    public init(civil c: CivilDateTime) {
        let days = Int64(Self.daysFromCivil(year: c.year, month: c.month, day: c.day))
        let secs = days * 86_400 + Int64(c.hour * 3600 + c.minute * 60 + c.second)
        self.init(unixMillis: secs * 1000 + Int64(c.millisecond))
    }

    /// The UTC year of this instant (used in incident ids).
    public var year: Int { civil.year }

    /// RFC 3339 in UTC; milliseconds are printed only when non-zero.
    public var rfc3339: String {
        let c = civil
        var s = pad(c.year, 4) + "-" + pad(c.month, 2) + "-" + pad(c.day, 2)
        s += "T" + pad(c.hour, 2) + ":" + pad(c.minute, 2) + ":" + pad(c.second, 2)
        if c.millisecond != 0 { s += "." + pad(c.millisecond, 3) }
        return s + "Z"
    }

    /// Parses RFC 3339 (`2026-11-27T18:41:00Z`, fractional seconds and `±hh:mm` offsets allowed).
    /// Returns nil for anything else; callers turn that into an error naming the value.
    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                let c = b[i]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard b.count >= 20, let y = num(0, 4), b[4] == 45, let mo = num(5, 2), b[7] == 45,
            let d = num(8, 2), b[10] == 84 || b[10] == 116 || b[10] == 32, let h = num(11, 2), b[13] == 58,
            let mi = num(14, 2), b[16] == 58, let s = num(17, 2)
        else { return nil }
        guard (1...12).contains(mo), d >= 1, d <= Self.daysInMonth(year: y, month: mo), h < 24, mi < 60, s < 61
        else { return nil }
        var i = 19
        var ms = 0
        if i < b.count, b[i] == 46 {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 3 { ms = ms * 10 + Int(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            if digits < 3 { for _ in digits..<3 { ms *= 10 } }
        }
        guard i < b.count else { return nil }
        var offsetMinutes = 0
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45 {
            guard let oh = num(i + 1, 2), b.count > i + 3, b[i + 3] == 58, let om = num(i + 4, 2), oh < 24, om < 60
            else { return nil }
            offsetMinutes = (oh * 60 + om) * (b[i] == 45 ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let base = Timestamp(
            civil: CivilDateTime(year: y, month: mo, day: d, hour: h, minute: mi, second: min(s, 59), millisecond: ms))
        self.init(unixMillis: base.unixMillis - Int64(offsetMinutes) * 60_000)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

private func pad(_ value: Int, _ width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
