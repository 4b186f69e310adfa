/// A date and wall-clock time in some (unnamed) time zone, e.g. "2026-03-08 02:30 in New York".
///
/// It becomes an instant only through a zone: ``ZoneRules/instant(of:)`` resolves times that are
/// skipped or repeated by daylight-saving changes (RFC 5545 rules).
public struct LocalDateTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The calendar date.
    public var date: LocalDate
    /// The time of day (`24:00` means midnight at the start of the next date).
    public var time: LocalTime

    /// Creates a local date-time.
    public init(date: LocalDate, time: LocalTime) {
        self.date = date
        self.time = time
    }

    /// Seconds since 1970-01-01T00:00 as if this wall-clock time were UTC.
    var secondsSinceEpoch: Int64 {
        Int64(date.daysSinceEpoch) * 86_400 + Int64(time.secondsSinceMidnight)
    }

    /// The local date-time for seconds counted as if the wall clock were UTC.
    init(secondsSinceEpoch s: Int64) {
        let days = s >= 0 ? s / 86_400 : -((-s + 86_399) / 86_400)
        let rem = Int(s - days * 86_400)
        date = LocalDate(daysSinceEpoch: Int(days))
        time = LocalTime(hour: rem / 3600, minute: rem / 60 % 60, second: rem % 60)
    }

    public static func < (lhs: LocalDateTime, rhs: LocalDateTime) -> Bool {
        lhs.secondsSinceEpoch < rhs.secondsSinceEpoch
    }

    /// `YYYY-MM-DDTHH:MM[:SS]`.
    public var description: String { "\(date)T\(time)" }
}
