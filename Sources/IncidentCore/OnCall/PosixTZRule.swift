/// The POSIX `TZ` rule from a TZif footer (RFC 8536 §3.3), which gives local time after a zone
/// file's last transition: `EST5EDT,M3.2.0,M11.1.0`, `CET-1CEST,M3.5.0,M10.5.0/3`,
/// `<+1030>-10:30<+11>-11,M10.1.0,M4.1.0`.
///
/// Offsets are stored as seconds *east* of UTC (POSIX writes them west, so `EST5` is −18 000).
/// Transition times follow RFC 8536's extensions: they may be negative or exceed 24 hours
/// (−167…167), which moves the transition onto a neighbouring day.
struct PosixTZRule: Equatable, Sendable {
    /// When in a year a transition happens (the local date part).
    enum DateRule: Equatable, Sendable {
        /// `Jn`: day 1…365, never counting February 29.
        case julianNoLeap(Int)
        /// `n`: day 0…365, counting February 29.
        case zeroBased(Int)
        /// `Mm.w.d`: day `d` (0 = Sunday) of week `w` (1…5, 5 = last) of month `m`.
        case monthWeekDay(month: Int, week: Int, weekday: Int)
    }

    /// A transition: a date rule and a local time (seconds, may be negative or > 86 400).
    struct TransitionRule: Equatable, Sendable {
        var date: DateRule
        var timeSeconds: Int
    }

    /// Daylight saving part of a rule.
    struct DaylightRule: Equatable, Sendable {
        /// Seconds east of UTC while daylight time is in effect.
        var offsetSeconds: Int
        /// When daylight time starts (local standard time).
        var start: TransitionRule
        /// When daylight time ends (local daylight time).
        var end: TransitionRule
    }

    /// Seconds east of UTC for standard time.
    var standardOffsetSeconds: Int
    /// Nil when the zone has no daylight saving time.
    var daylight: DaylightRule?

    /// Seconds east of UTC at `seconds` since the epoch.
    func offsetSeconds(atUnixSeconds seconds: Int64) -> Int {
        guard let daylight else { return standardOffsetSeconds }
        let year = LocalDateTime(secondsSinceEpoch: seconds &+ Int64(standardOffsetSeconds)).date.year
        // The last transition at or before `seconds` among the neighbouring years decides; looking at
        // three years copes with transition times that spill into the next or previous year.
        var best: (at: Int64, dst: Bool)? = nil
        for y in (year - 1)...(year + 1) {
            for (at, dst) in transitions(in: y, daylight) where at <= seconds && (best == nil || at >= best!.at) {
                best = (at, dst)
            }
        }
        return best?.dst ?? false ? daylight.offsetSeconds : standardOffsetSeconds
    }

    /// The year's two transitions in UTC seconds: daylight time starting, then ending.
    private func transitions(in year: Int, _ daylight: DaylightRule) -> [(Int64, Bool)] {
        let start = Self.localSeconds(daylight.start, year: year) - Int64(standardOffsetSeconds)
        let end = Self.localSeconds(daylight.end, year: year) - Int64(daylight.offsetSeconds)
        // Sorted so that, at equal instants, the later-listed state wins consistently.
        return start <= end ? [(start, true), (end, false)] : [(end, false), (start, true)]
    }

    /// Local seconds (wall clock as if UTC) of a transition in `year`.
    static func localSeconds(_ rule: TransitionRule, year: Int) -> Int64 {
        Int64(day(rule.date, year: year)) * 86_400 + Int64(rule.timeSeconds)
    }

    /// Days since 1970-01-01 of the date a rule names in `year`.
    static func day(_ rule: DateRule, year: Int) -> Int {
        let jan1 = Timestamp.daysFromCivil(year: year, month: 1, day: 1)
        switch rule {
        case .zeroBased(let n):
            return jan1 + n
        case .julianNoLeap(let n):
            let leap = Timestamp.daysInMonth(year: year, month: 2) == 29
            return jan1 + n - 1 + (leap && n >= 60 ? 1 : 0)
        case .monthWeekDay(let month, let week, let weekday):
            let first = Timestamp.daysFromCivil(year: year, month: month, day: 1)
            let firstWeekday = ((first + 4) % 7 + 7) % 7  // 0 = Sunday; 1970-01-01 was a Thursday
            var day = first + (weekday - firstWeekday + 7) % 7 + (week - 1) * 7
            let length = Timestamp.daysInMonth(year: year, month: month)
            while day >= first + length { day -= 7 }
            return day
        }
    }
}
