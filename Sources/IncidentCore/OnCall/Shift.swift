/// A stretch of time one person is on call, as the final schedule resolves it.
///
/// Shifts from ``OnCallCalculator/shifts(from:to:)`` are maximal: consecutive turns of the same
/// person from the same source are one shift.
public struct Shift: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The ``Shift/source`` of a shift that comes from an override.
    public static let overrideSource = "override"

    /// Who is on call.
    public var person: String
    /// First instant of the shift.
    public var start: Timestamp
    /// First instant after the shift.
    public var end: Timestamp
    /// The layer name, or `override`.
    public var source: String

    /// Creates a shift.
    public init(person: String, start: Timestamp, end: Timestamp, source: String) {
        self.person = person
        self.start = start
        self.end = end
        self.source = source
    }

    /// How long the shift lasts.
    public var duration: Duration { end - start }

    public var description: String { "\(person) \(start)–\(end) (\(source))" }
}

/// A stretch of time when nobody is on call: a page would reach no one.
public struct OnCallGap: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// First instant with nobody.
    public var start: Timestamp
    /// First instant with someone again (or the end of the asked range).
    public var end: Timestamp

    /// Creates a gap.
    public init(start: Timestamp, end: Timestamp) {
        self.start = start
        self.end = end
    }

    /// How long the gap lasts.
    public var duration: Duration { end - start }

    public var description: String { "gap \(start)–\(end)" }
}
