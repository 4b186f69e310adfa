/// A day of the week, numbered as in ISO 8601 (Monday = 1 … Sunday = 7).
///
/// Schedules name days in restrictions (`"mon"`, `"Tuesday"`); ``init(parsing:)`` accepts the
/// three-letter or full English name in any case.
public enum Weekday: Int, CaseIterable, Comparable, Sendable, CustomStringConvertible {
    case monday = 1
    case tuesday, wednesday, thursday, friday, saturday, sunday

    /// Parses `"mon"` or `"monday"` (any case).
    /// - Throws: `DomainError.badRequest` naming the text and listing the accepted names.
    public init(parsing text: String) throws(DomainError) {
        let lower = text.lowercased()
        for day in Weekday.allCases where lower == day.shortName || lower == day.fullName {
            self = day
            return
        }
        throw .badRequest(
            "weekday '\(text)' is not valid; expected one of mon, tue, wed, thu, fri, sat, sun (or the full English name)")
    }

    /// The three-letter lowercase name (`"mon"`), used on the wire.
    public var shortName: String { String(fullName.prefix(3)) }

    /// The full lowercase name (`"monday"`).
    public var fullName: String {
        switch self {
        case .monday: "monday"
        case .tuesday: "tuesday"
        case .wednesday: "wednesday"
        case .thursday: "thursday"
        case .friday: "friday"
        case .saturday: "saturday"
        case .sunday: "sunday"
        }
    }

    /// The weekday of a day counted from 1970-01-01 (a Thursday).
    static func of(daysSinceEpoch days: Int) -> Weekday {
        // 1970-01-01 is ISO day 4; floored modulo keeps dates before 1970 right.
        let r = ((days + 3) % 7 + 7) % 7
        return Weekday(rawValue: r + 1)!
    }

    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { shortName }
}
