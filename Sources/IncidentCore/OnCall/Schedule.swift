/// An on-call schedule (SPEC "Schedules"): who answers pages, in one time zone, as ordered
/// rotation layers with optional restrictions, plus one-off overrides on top.
///
/// Resolution at an instant (``OnCallCalculator``):
/// 1. an override covering the instant wins;
/// 2. otherwise the *last* layer that has someone at the instant (started, and inside one of its
///    restriction windows if it has any) — later layers sit on top of earlier ones;
/// 3. otherwise nobody is on call (a gap).
///
/// Call ``validate(knownPeople:)`` before use; the calculator tolerates invalid schedules (it
/// never traps) but their answers are unspecified.
public struct Schedule: Equatable, Sendable {
    /// A unique name, e.g. `payments-primary`.
    public var name: String
    /// IANA time zone id (`America/New_York`); wall-clock fields of layers are in this zone.
    public var timeZone: String
    /// Layers, lowest first; where they overlap the later one wins.
    public var layers: [ScheduleLayer]
    /// One-off replacements, on top of every layer; they must not overlap each other.
    public var overrides: [ScheduleOverride]

    /// Creates a schedule.
    public init(name: String, timeZone: String, layers: [ScheduleLayer], overrides: [ScheduleOverride] = []) {
        self.name = name
        self.timeZone = timeZone
        self.layers = layers
        self.overrides = overrides
    }
}

/// How long each turn of a rotation lasts.
public enum Rotation: Equatable, Sendable, CustomStringConvertible {
    /// A new turn every day at the handoff time (local wall clock, so it stays put across DST).
    case daily
    /// A new turn every seven days at the handoff time (local wall clock).
    case weekly
    /// A new turn every N hours of absolute time (1…8760), counted from the first handoff.
    case hours(Int)

    /// The allowed range for ``hours(_:)``: one hour to one (non-leap) year.
    public static let hoursRange = 1...8760

    public var description: String {
        switch self {
        case .daily: "daily"
        case .weekly: "weekly"
        case .hours(let n): "every \(n) hours"
        }
    }
}

/// One rotation: ordered participants taking turns, optionally limited to restriction windows.
///
/// Turn k (k = 0, 1, …) goes to `participants[k mod n]`. For daily and weekly rotations turn k starts
/// at the local wall-clock time (`start` + k or 7k days, `handoff`), resolved by
/// ``ZoneRules/instant(of:)``; for ``Rotation/hours(_:)`` it starts k·N hours after the first handoff.
/// Before the first handoff the layer has nobody.
public struct ScheduleLayer: Equatable, Sendable {
    /// Unique within the schedule; shifts name it as their source.
    public var name: String
    /// The local date of the first handoff.
    public var start: LocalDate
    /// The local time of handoffs (not `24:00`).
    public var handoff: LocalTime
    /// Turn length.
    public var rotation: Rotation
    /// Person names in turn order.
    public var participants: [String]
    /// When the layer applies; empty means always.
    public var restrictions: [Restriction]

    /// Creates a layer.
    public init(
        name: String, start: LocalDate, handoff: LocalTime, rotation: Rotation, participants: [String],
        restrictions: [Restriction] = []
    ) {
        self.name = name
        self.start = start
        self.handoff = handoff
        self.rotation = rotation
        self.participants = participants
        self.restrictions = restrictions
    }
}

/// A weekly window during which a layer applies, in the schedule's zone, e.g. weekdays 09:00–17:00.
///
/// The window opens on each listed day at `start`. If `end` is after `start` it closes the same day
/// (`24:00` = midnight at the end of the day). If `end` is before `start` the window is *overnight*:
/// it closes at `end` on the next day and belongs to the day it starts (`fri 22:00–06:00` covers
/// Friday night into Saturday morning). `end == start` is invalid: write `00:00`–`24:00` for a whole day.
public struct Restriction: Equatable, Sendable {
    /// The days on which a window opens.
    public var days: [Weekday]
    /// Opening time (not `24:00`).
    public var start: LocalTime
    /// Closing time; may be `24:00`; before `start` for an overnight window.
    public var end: LocalTime

    /// Creates a restriction.
    public init(days: [Weekday], start: LocalTime, end: LocalTime) {
        self.days = days
        self.start = start
        self.end = end
    }

    /// Whether the window runs past midnight into the next day.
    public var isOvernight: Bool { end < start }
}

/// A one-off replacement: `person` is on call for [start, end), whatever the layers say.
public struct ScheduleOverride: Equatable, Sendable {
    /// Who is on call instead.
    public var person: String
    /// First instant covered.
    public var start: Timestamp
    /// First instant no longer covered; after `start`.
    public var end: Timestamp

    /// Creates an override.
    public init(person: String, start: Timestamp, end: Timestamp) {
        self.person = person
        self.start = start
        self.end = end
    }
}
