/// A hybrid logical clock reading (Kulkarni et al. 2014): physical milliseconds in the high 48 bits,
/// a logical counter in the low 16 bits.
///
/// Readings are totally ordered by their raw value; together with the origin node they give every
/// event a position in one order that all nodes agree on, whatever order events arrive in.
public struct HLCTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// `wallMillis << 16 | logical`.
    public var raw: UInt64

    /// Creates a reading from its packed representation.
    public init(raw: UInt64) {
        self.raw = raw
    }

    /// Creates a reading from its two parts.
    public init(wallMillis: UInt64, logical: UInt16) {
        self.raw = wallMillis << 16 | UInt64(logical)
    }

    /// The physical part, milliseconds since the Unix epoch.
    public var wallMillis: UInt64 { raw >> 16 }
    /// The logical counter that orders events within one millisecond.
    public var logical: UInt16 { UInt16(truncatingIfNeeded: raw) }
    /// The physical part as a `Timestamp`.
    public var timestamp: Timestamp { Timestamp(unixMillis: Int64(wallMillis)) }

    public static func < (lhs: HLCTimestamp, rhs: HLCTimestamp) -> Bool { lhs.raw < rhs.raw }

    public var description: String { "\(wallMillis).\(logical)" }
}

/// The clock state of one node: monotonic across local events and received remote readings.
///
/// Pure: the wall time is passed in. If the wall clock steps backwards the clock keeps counting
/// logically from its last reading, so local order never goes backwards.
public struct HybridLogicalClock: Sendable {
    /// The last reading handed out or observed.
    public private(set) var last: HLCTimestamp

    /// Creates a clock that will never hand out a reading at or below `last`.
    public init(last: HLCTimestamp = HLCTimestamp(raw: 0)) {
        self.last = last
    }

    /// A new reading for a local event at wall time `now`, strictly greater than every earlier one.
    public mutating func tick(now: Timestamp) -> HLCTimestamp {
        let wall = UInt64(max(0, now.unixMillis))
        if wall > last.wallMillis {
            last = HLCTimestamp(wallMillis: wall, logical: 0)
        } else {
            last = HLCTimestamp(raw: last.raw + 1)  // logical overflow carries into the millisecond
        }
        return last
    }

    /// Merges a reading received from another node so later local readings order after it.
    public mutating func observe(_ remote: HLCTimestamp, now: Timestamp) {
        if remote > last { last = remote }
        _ = tick(now: now)
    }
}
