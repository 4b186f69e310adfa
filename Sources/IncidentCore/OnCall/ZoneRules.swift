/// A time zone's UTC offsets over all of time, read from a TZif file (RFC 8536).
///
/// Offsets come from the file's transitions; after the last transition the POSIX TZ footer rule
/// (`EST5EDT,M3.2.0,M11.1.0`) continues them forever, so 2090 is answered as well as 2026. Before
/// the first transition the zone's first local time type applies (RFC 8536 §3.2).
///
/// The value is pure data: the shell reads `/usr/share/zoneinfo/<id>` and hands the bytes to
/// ``init(name:tzif:)``. Instants are resolved to whole seconds (offsets never have milliseconds).
public struct ZoneRules: Sendable, CustomStringConvertible {
    /// The zone's IANA id (`America/New_York`), for messages.
    public let name: String
    private let contents: TZifContents

    /// Reads a zone from the bytes of a TZif file (versions 1–4).
    /// - Parameters:
    ///   - name: the IANA id, used in messages.
    ///   - tzif: the whole file.
    /// - Throws: `DomainError.badRequest` saying what is malformed and at which byte; hostile
    ///   input (truncated, flipped, oversized counts) throws and never traps.
    public init(name: String, tzif: [UInt8]) throws(DomainError) {
        var parser = TZifParser(bytes: tzif, name: name)
        self.name = name
        self.contents = try parser.parse()
    }

    /// Coordinated Universal Time: offset zero, always.
    public static let utc = ZoneRules(name: "UTC", contents: TZifContents())

    init(name: String, contents: TZifContents) {
        self.name = name
        self.contents = contents
    }

    public var description: String { name }

    // MARK: - Offsets

    /// Seconds east of UTC in effect at `instant` (New York in July: −14 400).
    public func offsetSeconds(at instant: Timestamp) -> Int {
        offsetSeconds(atUnixSeconds: Self.floorSeconds(instant))
    }

    func offsetSeconds(atUnixSeconds s: Int64) -> Int {
        let times = contents.transitions
        guard let last = times.last, s >= times[0] else {
            // Before the first transition, or a zone without transitions (then the rule, if any, is all there is).
            if times.isEmpty, let rule = contents.rule { return rule.offsetSeconds(atUnixSeconds: s) }
            return contents.initialOffset
        }
        if s >= last, let rule = contents.rule { return rule.offsetSeconds(atUnixSeconds: s) }
        // The last transition at or before s.
        var low = 0
        var high = times.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if times[mid] <= s { low = mid } else { high = mid - 1 }
        }
        return contents.offsets[low]
    }

    // MARK: - Local time

    /// The wall-clock date and time at `instant` in this zone (to the second, rounded down).
    public func localDateTime(at instant: Timestamp) -> LocalDateTime {
        let s = Self.floorSeconds(instant)
        return LocalDateTime(secondsSinceEpoch: s + Int64(offsetSeconds(atUnixSeconds: s)))
    }

    /// The local date at `instant` in this zone.
    public func localDate(at instant: Timestamp) -> LocalDate { localDateTime(at: instant).date }

    /// The instant a wall-clock time names in this zone, with the rules of RFC 5545 §3.3.5:
    ///
    /// - a time skipped by a spring-forward gap is read with the offset in effect *before* the gap
    ///   (02:30 on the US spring-forward day is 03:30 EDT);
    /// - a time repeated by a fall-back overlap means its *first* occurrence (the daylight one).
    ///
    /// The offsets before and after are probed a day either side of the wall-clock time, which finds
    /// the transition as long as zones do not change offset twice within a day (none do today).
    public func instant(of local: LocalDateTime) -> Timestamp {
        Self.timestamp(seconds: instantSeconds(of: local.secondsSinceEpoch))
    }

    func instantSeconds(of wall: Int64) -> Int64 {
        let before = offsetSeconds(atUnixSeconds: wall - 86_400)
        let after = offsetSeconds(atUnixSeconds: wall + 86_400)
        let early = wall - Int64(before)
        let late = wall - Int64(after)
        let earlyFits = offsetSeconds(atUnixSeconds: early) == before
        let lateFits = offsetSeconds(atUnixSeconds: late) == after
        switch (earlyFits, lateFits) {
        case (true, true): return min(early, late)  // repeated: the first occurrence
        case (true, false): return early
        case (false, true): return late
        case (false, false): return early  // skipped: the offset before the gap
        }
    }

    // MARK: - Helpers

    /// Whole seconds since the epoch, rounded towards the past.
    static func floorSeconds(_ t: Timestamp) -> Int64 {
        let ms = t.unixMillis
        return ms >= 0 ? ms / 1000 : -((-(ms + 1)) / 1000) - 1
    }

    /// The instant at whole seconds, saturating at the ends of `Timestamp`'s range.
    static func timestamp(seconds s: Int64) -> Timestamp {
        let (ms, overflow) = s.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return Timestamp(unixMillis: s < 0 ? .min : .max) }
        return Timestamp(unixMillis: ms)
    }
}
