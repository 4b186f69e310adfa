/// A wall-clock instant with millisecond precision, as milliseconds since the Unix epoch (UTC).
///
/// The domain never reads a clock: every instant arrives as a `Timestamp` value from the shell,
/// so tests and the simulator can drive time explicitly.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var unixMillis: Int64

    /// Creates an instant from milliseconds since the Unix epoch.
    public init(unixMillis: Int64) {
        self.unixMillis = unixMillis
    }

    /// Creates an instant from whole seconds since the Unix epoch.
    public init(unixSeconds: Int64) {
        self.unixMillis = unixSeconds * 1000
    }

    /// The epoch itself; used as "never" in places where an optional would be awkward.
    public static let epoch = Timestamp(unixMillis: 0)

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.unixMillis < rhs.unixMillis
    }

    /// The instant `duration` after `lhs` (millisecond precision).
    public static func + (lhs: Timestamp, rhs: Duration) -> Timestamp {
        Timestamp(unixMillis: lhs.unixMillis + rhs.wholeMilliseconds)
    }

    /// The instant `duration` before `lhs` (millisecond precision).
    public static func - (lhs: Timestamp, rhs: Duration) -> Timestamp {
        Timestamp(unixMillis: lhs.unixMillis - rhs.wholeMilliseconds)
    }

    /// The signed duration from `rhs` to `lhs`.
    public static func - (lhs: Timestamp, rhs: Timestamp) -> Duration {
        .milliseconds(lhs.unixMillis - rhs.unixMillis)
    }

    /// RFC 3339 UTC with millisecond precision, e.g. `2026-11-27T18:41:00.123Z`.
    public var description: String { rfc3339 }
}

extension Duration {
    /// The duration truncated to whole milliseconds.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The duration in seconds as a `Double`, for reporting (`mtta_s`).
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
