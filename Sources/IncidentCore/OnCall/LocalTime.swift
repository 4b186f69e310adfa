/// A wall-clock time of day with no date or zone, e.g. a handoff at 09:00.
///
/// `24:00` (the end of a day) exists only where a caller allows it: a restriction window may end
/// at 24:00, a handoff or window start may not.
public struct LocalTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// 0...23, or 24 for the end of the day (then minute and second are 0).
    public let hour: Int
    /// 0...59
    public let minute: Int
    /// 0...59
    public let second: Int

    /// Creates a time; the fields must be in range (a programmer error otherwise).
    public init(hour: Int, minute: Int, second: Int = 0) {
        precondition(
            ((0...23).contains(hour) && (0...59).contains(minute) && (0...59).contains(second))
                || (hour == 24 && minute == 0 && second == 0),
            "LocalTime(hour: \(hour), minute: \(minute), second: \(second)) is out of range")
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// Midnight at the start of a day.
    public static let midnight = LocalTime(hour: 0, minute: 0)
    /// Midnight at the end of a day (`24:00`).
    public static let endOfDay = LocalTime(hour: 24, minute: 0)

    /// Parses `HH:MM` (24-hour clock, two digits each).
    /// - Parameter allowEndOfDay: whether `24:00` is accepted (restriction window ends only).
    /// - Throws: `DomainError.badRequest` naming the text and the accepted range.
    public init(parsing text: String, allowEndOfDay: Bool = false) throws(DomainError) {
        let b = Array(text.utf8)
        let range = allowEndOfDay ? "00:00 to 24:00" : "00:00 to 23:59"
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        guard b.count == 5, b[2] == 58, isDigit(b[0]), isDigit(b[1]), isDigit(b[3]), isDigit(b[4]) else {
            throw .badRequest("time '\(text)' is not valid; expected HH:MM on a 24-hour clock (\(range)), e.g. 09:00")
        }
        let h = Int(b[0] - 48) * 10 + Int(b[1] - 48)
        let m = Int(b[3] - 48) * 10 + Int(b[4] - 48)
        if h == 24, m == 0, allowEndOfDay {
            self = .endOfDay
            return
        }
        guard h < 24, m < 60 else {
            throw .badRequest("time '\(text)' is out of range; expected \(range)")
        }
        self.init(hour: h, minute: m)
    }

    /// Seconds since the start of the day (86 400 for `24:00`).
    public var secondsSinceMidnight: Int { hour * 3600 + minute * 60 + second }

    public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool {
        lhs.secondsSinceMidnight < rhs.secondsSinceMidnight
    }

    /// `HH:MM`, or `HH:MM:SS` when the seconds are not zero.
    public var description: String {
        let hm = zeroPadded(hour, 2) + ":" + zeroPadded(minute, 2)
        return second == 0 ? hm : hm + ":" + zeroPadded(second, 2)
    }
}
