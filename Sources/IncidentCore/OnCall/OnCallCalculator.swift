/// Answers who is on call for a ``Schedule`` in its zone: at an instant, or as shifts and gaps over
/// a range. Pure and cheap to create; the on-call shell builds one per schedule version.
///
/// Resolution at an instant: an override covering it, else the last layer with someone (see
/// ``Schedule``), else nobody. ``who(at:)`` computes each layer's turn arithmetically, so its cost does
/// not grow with the time since the layer started. ``shifts(from:to:)`` walks only the instants where
/// the answer may change — turn starts, restriction window edges and override edges — so a range
/// costs O(boundaries · layers), not O(minutes).
public struct OnCallCalculator: Sendable {
    /// The schedule (assumed validated; invalid ones give unspecified answers but never trap).
    public let schedule: Schedule
    /// The schedule's zone rules.
    public let zone: ZoneRules

    /// Who is on call and why, at one instant.
    struct Assignment: Equatable {
        var person: String
        var source: String
    }

    /// Creates a calculator.
    /// - Parameters:
    ///   - schedule: a validated schedule.
    ///   - zone: the rules for `schedule.timeZone` (the shell loads them; the names are not compared).
    public init(schedule: Schedule, zone: ZoneRules) {
        self.schedule = schedule
        self.zone = zone
    }

    /// The person on call at `instant`, or nil when nobody is.
    public func who(at instant: Timestamp) -> String? {
        assignment(at: instant)?.person
    }

    /// The person on call and the source (layer name or `override`) at `instant`.
    func assignment(at instant: Timestamp) -> Assignment? {
        // With overlapping overrides (an invalid schedule) the one starting last wins.
        var cover: ScheduleOverride? = nil
        for o in schedule.overrides where o.start <= instant && instant < o.end {
            if let current = cover, o.start < current.start { continue }
            cover = o
        }
        if let cover { return Assignment(person: cover.person, source: Shift.overrideSource) }
        let s = ZoneRules.floorSeconds(instant)
        for layer in schedule.layers.reversed() {
            if let person = layer.person(atSeconds: s, zone: zone) { return Assignment(person: person, source: layer.name) }
        }
        return nil
    }

    /// The final schedule's shifts overlapping [from, to), clipped to it, in time order.
    ///
    /// Shifts are maximal: adjacent stretches with the same person and source are merged.
    /// - Returns: an empty list when `to` is not after `from`.
    public func shifts(from: Timestamp, to: Timestamp) -> [Shift] {
        var shifts: [Shift] = []
        for segment in segments(from: from, to: to) {
            guard let who = segment.who else { continue }
            shifts.append(Shift(person: who.person, start: segment.start, end: segment.end, source: who.source))
        }
        return shifts
    }

    /// The maximal stretches in [from, to) with nobody on call, in time order.
    public func gaps(from: Timestamp, to: Timestamp) -> [OnCallGap] {
        var gaps: [OnCallGap] = []
        for segment in segments(from: from, to: to) where segment.who == nil {
            gaps.append(OnCallGap(start: segment.start, end: segment.end))
        }
        return gaps
    }

    // MARK: - Segments

    struct Segment {
        var start: Timestamp
        var end: Timestamp
        var who: Assignment?
    }

    /// [from, to) cut at every boundary, each piece with its assignment; neighbours with the same
    /// assignment merged.
    func segments(from: Timestamp, to: Timestamp) -> [Segment] {
        guard from < to else { return [] }
        let cuts = boundaries(from: from, to: to)
        var segments: [Segment] = []
        for (i, start) in cuts.enumerated() {
            let end = i + 1 < cuts.count ? cuts[i + 1] : to
            let who = assignment(at: start)
            if let last = segments.last, last.who == who {
                segments[segments.count - 1].end = end
            } else {
                segments.append(Segment(start: start, end: end, who: who))
            }
        }
        return segments
    }

    /// `from` and every instant in (from, to) where the answer may change, sorted and unique.
    func boundaries(from: Timestamp, to: Timestamp) -> [Timestamp] {
        let fromSeconds = ZoneRules.floorSeconds(from)
        let toSeconds = ZoneRules.floorSeconds(to) + 1
        var seconds: [Int64] = []
        for layer in schedule.layers {
            layer.appendBoundaries(fromSeconds: fromSeconds, toSeconds: toSeconds, zone: zone, into: &seconds)
        }
        var cuts = seconds.map { ZoneRules.timestamp(seconds: $0) }
        for o in schedule.overrides {
            cuts.append(o.start)
            cuts.append(o.end)
        }
        cuts.append(from)
        cuts.sort()
        var unique: [Timestamp] = []
        unique.reserveCapacity(cuts.count)
        for t in cuts where t >= from && t < to && t != unique.last { unique.append(t) }
        return unique
    }
}
