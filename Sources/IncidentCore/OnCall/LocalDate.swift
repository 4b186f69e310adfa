/// A calendar date with no time zone (proleptic Gregorian), e.g. the day a rotation layer starts.
///
/// Arithmetic goes through days since 1970-01-01 (`Timestamp.daysFromCivil`), so adding days
/// and taking differences are exact across months, leap years and centuries.
public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Full year, e.g. 2026.
    public let year: Int
    /// 1...12
    public let month: Int
    /// 1...31 (valid for the month).
    public let day: Int

    /// Creates a date; the fields must name a real date (a programmer error otherwise).
    public init(year: Int, month: Int, day: Int) {
        precondition(
            (1...12).contains(month) && day >= 1 && day <= Timestamp.daysInMonth(year: year, month: month),
            "LocalDate(year: \(year), month: \(month), day: \(day)) is not a calendar date")
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `daysSinceEpoch` days after 1970-01-01 (negative: before).
    public init(daysSinceEpoch days: Int) {
        let (y, m, d) = Timestamp.civilFromDays(days)
        self.year = y
        self.month = m
        self.day = d
    }

    /// Parses `YYYY-MM-DD` (years 0001–9999).
    /// - Throws: `DomainError.badRequest` naming the text.
    public init(parsing text: String) throws(DomainError) {
        let b = Array(text.utf8)
        func digits(_ from: Int, _ count: Int) -> Int? {
            var v = 0
            for i in from..<(from + count) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard b.count == 10, b[4] == 45, b[7] == 45, let y = digits(0, 4), let m = digits(5, 2), let d = digits(8, 2),
            y >= 1, (1...12).contains(m), d >= 1, d <= Timestamp.daysInMonth(year: y, month: m)
        else {
            throw .badRequest("date '\(text)' is not valid; expected a calendar date YYYY-MM-DD, e.g. 2026-03-02")
        }
        self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int { Timestamp.daysFromCivil(year: year, month: month, day: day) }

    /// The date `days` days later (earlier when negative).
    public func adding(days: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// Whole days from `self` to `other` (positive when `other` is later).
    public func days(to other: LocalDate) -> Int { other.daysSinceEpoch - daysSinceEpoch }

    /// The day of the week.
    public var weekday: Weekday { Weekday.of(daysSinceEpoch: daysSinceEpoch) }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        zeroPadded(year, 4) + "-" + zeroPadded(month, 2) + "-" + zeroPadded(day, 2)
    }
}

/// `value` in decimal with at least `width` digits (a leading minus sign for negatives).
func zeroPadded(_ value: Int, _ width: Int) -> String {
    let digits = String(value.magnitude)
    let padded = digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    return value < 0 ? "-" + padded : padded
}
