import Testing

@testable import IncidentCore

private let weekdays: [Weekday] = [.monday, .tuesday, .wednesday, .thursday, .friday]

private func layer(
    _ name: String, start: String, handoff: String, _ rotation: Rotation, _ people: [String],
    restrictions: [Restriction] = []
) -> ScheduleLayer {
    ScheduleLayer(
        name: name, start: day(start), handoff: clock(handoff), rotation: rotation, participants: people,
        restrictions: restrictions)
}

private func calculator(_ zone: ZoneRules, _ layers: [ScheduleLayer], overrides: [ScheduleOverride] = []) -> OnCallCalculator {
    OnCallCalculator(schedule: Schedule(name: "s", timeZone: zone.name, layers: layers, overrides: overrides), zone: zone)
}

@Suite("OnCall calculator: handoffs across DST, layers, restrictions, overrides, gaps")
struct OnCallCalculatorTests {
    // MARK: - DST handoffs

    @Test(
        "a daily handoff on a DST day follows RFC 5545 (gap: offset before; repeat: first occurrence)",
        arguments: [
            ("America/New_York", "02:30", "2026-03-08", "2026-03-08T07:30:00Z"),  // 03:30 EDT
            ("America/New_York", "01:30", "2026-11-01", "2026-11-01T05:30:00Z"),  // first 01:30 (EDT)
            ("Europe/Berlin", "02:30", "2026-03-29", "2026-03-29T01:30:00Z"),  // 03:30 CEST
            ("Europe/Berlin", "02:30", "2026-10-25", "2026-10-25T00:30:00Z"),  // first 02:30 (CEST)
            ("Australia/Lord_Howe", "02:15", "2026-10-04", "2026-10-03T15:45:00Z"),  // 02:45 +11
            ("Australia/Lord_Howe", "01:45", "2026-04-05", "2026-04-04T14:45:00Z"),  // first 01:45 (+11)
        ] as [(String, String, String, String)])
    func dstHandoff(zone id: String, handoff: String, date: String, expected: String) throws {
        let zone = try OnCallFixtures.zone(id)
        let start = day(date).adding(days: -3)
        let calc = calculator(zone, [layer("daily", start: start.description, handoff: handoff, .daily, ["ann", "ben"])])
        let handoffAt = ts(expected)
        // ann has turn 0 (3 days before), so on the DST day (turn 3) ben takes over from ann.
        #expect(calc.who(at: handoffAt - .milliseconds(1)) == "ann")
        #expect(calc.who(at: handoffAt) == "ben")
        let shifts = calc.shifts(from: handoffAt - .hours(30), to: handoffAt + .hours(30))
        #expect(shifts.contains { $0.start == handoffAt && $0.person == "ben" && $0.source == "daily" })
        // The previous and next handoffs are at the same wall-clock time.
        for s in shifts where s.start > shifts[0].start {
            let wall = zone.localDateTime(at: s.start)
            #expect(wall.time == clock(handoff) || s.start == handoffAt, "\(s)")
        }
    }

    @Test("weekly handoff stays at 09:00 local: 167 h across spring forward, 169 h across fall back")
    func weeklyAcrossDST() throws {
        let ny = try OnCallFixtures.zone("America/New_York")
        let calc = calculator(ny, [layer("weekly", start: "2026-01-05", handoff: "09:00", .weekly, ["ann", "ben", "cat"])])
        let shifts = calc.shifts(from: ts("2026-01-05T14:00:00Z"), to: ts("2027-01-04T14:00:00Z"))
        #expect(shifts.count == 52)
        for s in shifts {
            #expect(ny.localDateTime(at: s.start).time == clock("09:00"))
            #expect(ny.localDateTime(at: s.start).date.weekday == .monday)
            switch s.start {
            case ts("2026-03-02T14:00:00Z"): #expect(s.duration == .hours(167))
            case ts("2026-10-26T13:00:00Z"): #expect(s.duration == .hours(169))
            default: #expect(s.duration == .hours(168), "\(s)")
            }
        }
        #expect(shifts.map(\.person).prefix(4) == ["ann", "ben", "cat", "ann"])
    }

    @Test("a 12-hour custom rotation is exactly 12 h of absolute time across DST")
    func hoursRotation() throws {
        let ny = try OnCallFixtures.zone("America/New_York")
        let calc = calculator(ny, [layer("half", start: "2026-03-07", handoff: "20:00", .hours(12), ["ann", "ben"])])
        let shifts = calc.shifts(from: ts("2026-03-08T01:00:00Z"), to: ts("2026-03-20T01:00:00Z"))
        #expect(shifts.count == 24)
        for (i, s) in shifts.enumerated() {
            #expect(s.duration == .hours(12))
            #expect(s.person == (i % 2 == 0 ? "ann" : "ben"))
        }
        // 20:00 EST = 01:00Z; after spring forward the handoffs drift to 21:00 EDT and 09:00 EDT.
        #expect(ny.localDateTime(at: shifts[2].start).time == clock("21:00"))
    }

    @Test("before the first handoff a layer has nobody")
    func beforeStart() {
        let calc = calculator(.utc, [layer("l", start: "2026-03-02", handoff: "09:00", .daily, ["ann"])])
        #expect(calc.who(at: ts("2026-03-02T08:59:59.999Z")) == nil)
        #expect(calc.who(at: ts("2026-03-02T09:00:00Z")) == "ann")
        #expect(calc.gaps(from: ts("2026-03-01T00:00:00Z"), to: ts("2026-03-03T00:00:00Z")) == [
            OnCallGap(start: ts("2026-03-01T00:00:00Z"), end: ts("2026-03-02T09:00:00Z"))
        ])
        #expect(calc.who(at: Timestamp(unixMillis: .min)) == nil)
        #expect(calc.who(at: Timestamp(unixMillis: .max)) == "ann")
    }

    @Test("who(at:) far from the start is arithmetic (weekly turn index in 2090)")
    func farFuture() {
        let people = ["a", "b", "c", "d", "e"]
        let calc = calculator(.utc, [layer("w", start: "2026-03-02", handoff: "09:00", .weekly, people)])
        let t = ts("2090-06-15T12:00:00Z")
        let turns = day("2026-03-02").days(to: day("2090-06-15")) / 7
        #expect(calc.who(at: t) == people[turns % people.count])
    }

    // MARK: - Restrictions

    @Test("weekdays 09:00–17:00 only: gaps on nights and weekends")
    func businessHours() throws {
        let berlin = try OnCallFixtures.zone("Europe/Berlin")
        let r = Restriction(days: weekdays, start: clock("09:00"), end: clock("17:00"))
        let calc = calculator(berlin, [layer("biz", start: "2026-01-05", handoff: "09:00", .weekly, ["ann", "ben"], restrictions: [r])])
        let from = ts("2026-03-23T00:00:00Z")  // Monday; DST starts Sunday 29th
        let to = ts("2026-04-06T00:00:00Z")
        let shifts = calc.shifts(from: from, to: to)
        #expect(shifts.count == 10)
        for s in shifts {
            #expect(s.duration == .hours(8))
            #expect(berlin.localDateTime(at: s.start).time == clock("09:00"))
            #expect(berlin.localDateTime(at: s.end).time == clock("17:00"))
        }
        let gaps = calc.gaps(from: from, to: to)
        #expect(gaps.count == 11)  // before Monday 09:00, four nights, the weekend, four nights, the tail
        #expect(gaps[5] == OnCallGap(start: ts("2026-03-27T16:00:00Z"), end: ts("2026-03-30T07:00:00Z")))
        #expect(calc.who(at: ts("2026-03-28T12:00:00Z")) == nil)  // Saturday noon
        #expect(calc.who(at: ts("2026-03-24T10:00:00Z")) != nil)
    }

    @Test("an overnight window belongs to the day it starts")
    func overnight() throws {
        let ny = try OnCallFixtures.zone("America/New_York")
        let r = Restriction(days: [.friday], start: clock("22:00"), end: clock("06:00"))
        let calc = calculator(ny, [layer("night", start: "2026-01-02", handoff: "22:00", .weekly, ["owl"], restrictions: [r])])
        #expect(calc.who(at: ts("2026-03-07T03:00:00Z")) == "owl")  // Friday 22:00 EST
        #expect(calc.who(at: ts("2026-03-07T08:00:00Z")) == "owl")  // Saturday 03:00
        #expect(calc.who(at: ts("2026-03-07T11:00:00Z")) == nil)  // Saturday 06:00
        #expect(calc.who(at: ts("2026-03-06T04:00:00Z")) == nil)  // Thursday 23:00
        let shifts = calc.shifts(from: ts("2026-03-01T00:00:00Z"), to: ts("2026-03-15T00:00:00Z"))
        #expect(shifts == [
            Shift(person: "owl", start: ts("2026-03-07T03:00:00Z"), end: ts("2026-03-07T11:00:00Z"), source: "night"),
            Shift(person: "owl", start: ts("2026-03-14T02:00:00Z"), end: ts("2026-03-14T10:00:00Z"), source: "night"),
        ])
    }

    @Test("a window may end at 24:00 and windows of two restrictions join")
    func endOfDay() {
        let rs = [
            Restriction(days: [.saturday], start: clock("00:00"), end: clock("24:00")),
            Restriction(days: [.sunday], start: clock("00:00"), end: clock("12:00")),
        ]
        let calc = calculator(.utc, [layer("wknd", start: "2026-01-03", handoff: "00:00", .daily, ["sam"], restrictions: rs)])
        #expect(calc.shifts(from: ts("2026-03-02T00:00:00Z"), to: ts("2026-03-09T00:00:00Z")) == [
            Shift(person: "sam", start: ts("2026-03-07T00:00:00Z"), end: ts("2026-03-08T12:00:00Z"), source: "wknd")
        ])
    }

    // MARK: - Layers and overrides

    @Test("the final layer wins where it has someone; elsewhere earlier layers show through")
    func layering() {
        let r = Restriction(days: weekdays, start: clock("09:00"), end: clock("17:00"))
        let calc = calculator(
            .utc,
            [
                layer("base", start: "2026-03-02", handoff: "09:00", .weekly, ["ann", "ben"]),
                layer("day", start: "2026-03-02", handoff: "09:00", .daily, ["cat", "dan"], restrictions: [r]),
            ])
        #expect(calc.assignment(at: ts("2026-03-03T10:00:00Z")) == .init(person: "dan", source: "day"))
        #expect(calc.assignment(at: ts("2026-03-03T20:00:00Z")) == .init(person: "ann", source: "base"))
        #expect(calc.assignment(at: ts("2026-03-07T10:00:00Z")) == .init(person: "ann", source: "base"))  // Saturday
        #expect(calc.assignment(at: ts("2026-03-09T10:00:00Z")) == .init(person: "dan", source: "day"))
        let shifts = calc.shifts(from: ts("2026-03-02T00:00:00Z"), to: ts("2026-03-04T00:00:00Z"))
        #expect(shifts == [
            Shift(person: "cat", start: ts("2026-03-02T09:00:00Z"), end: ts("2026-03-02T17:00:00Z"), source: "day"),
            Shift(person: "ann", start: ts("2026-03-02T17:00:00Z"), end: ts("2026-03-03T09:00:00Z"), source: "base"),
            Shift(person: "dan", start: ts("2026-03-03T09:00:00Z"), end: ts("2026-03-03T17:00:00Z"), source: "day"),
            Shift(person: "ann", start: ts("2026-03-03T17:00:00Z"), end: ts("2026-03-04T00:00:00Z"), source: "base"),
        ])
        #expect(calc.gaps(from: ts("2026-03-02T00:00:00Z"), to: ts("2026-03-04T00:00:00Z")) == [
            OnCallGap(start: ts("2026-03-02T00:00:00Z"), end: ts("2026-03-02T09:00:00Z"))
        ])
    }

    @Test("overrides sit on top of every layer")
    func overrides() {
        let o = ScheduleOverride(person: "zoe", start: ts("2026-03-03T12:00:00Z"), end: ts("2026-03-04T12:00:00Z"))
        let calc = calculator(.utc, [layer("base", start: "2026-03-02", handoff: "09:00", .daily, ["ann", "ben"])], overrides: [o])
        #expect(calc.shifts(from: ts("2026-03-03T00:00:00Z"), to: ts("2026-03-05T00:00:00Z")) == [
            Shift(person: "ann", start: ts("2026-03-03T00:00:00Z"), end: ts("2026-03-03T09:00:00Z"), source: "base"),
            Shift(person: "ben", start: ts("2026-03-03T09:00:00Z"), end: ts("2026-03-03T12:00:00Z"), source: "base"),
            Shift(person: "zoe", start: ts("2026-03-03T12:00:00Z"), end: ts("2026-03-04T12:00:00Z"), source: "override"),
            Shift(person: "ann", start: ts("2026-03-04T12:00:00Z"), end: ts("2026-03-05T00:00:00Z"), source: "base"),
        ])
        // An override fills a gap as well (before the layer starts).
        let early = ScheduleOverride(person: "zoe", start: ts("2026-03-01T00:00:00Z"), end: ts("2026-03-01T06:00:00Z"))
        let calc2 = calculator(.utc, [layer("base", start: "2026-03-02", handoff: "09:00", .daily, ["ann"])], overrides: [early])
        #expect(calc2.who(at: ts("2026-03-01T05:59:59Z")) == "zoe")
        #expect(calc2.who(at: ts("2026-03-01T06:00:00Z")) == nil)
    }

    @Test("shifts merge consecutive turns of the same person and clip to the range")
    func mergeAndClip() {
        let calc = calculator(.utc, [layer("solo", start: "2026-03-02", handoff: "09:00", .daily, ["ann"])])
        #expect(calc.shifts(from: ts("2026-03-05T10:30:00.250Z"), to: ts("2026-03-20T00:00:00Z")) == [
            Shift(person: "ann", start: ts("2026-03-05T10:30:00.250Z"), end: ts("2026-03-20T00:00:00Z"), source: "solo")
        ])
        #expect(calc.shifts(from: ts("2026-03-05T00:00:00Z"), to: ts("2026-03-05T00:00:00Z")).isEmpty)
        #expect(calc.shifts(from: ts("2026-03-06T00:00:00Z"), to: ts("2026-03-05T00:00:00Z")).isEmpty)
        #expect(calc.gaps(from: ts("2026-03-06T00:00:00Z"), to: ts("2026-03-05T00:00:00Z")).isEmpty)
        // Same person, different source: not merged.
        let o = ScheduleOverride(person: "ann", start: ts("2026-03-06T00:00:00Z"), end: ts("2026-03-07T00:00:00Z"))
        let calc2 = calculator(.utc, [layer("solo", start: "2026-03-02", handoff: "09:00", .daily, ["ann"])], overrides: [o])
        #expect(calc2.shifts(from: ts("2026-03-05T00:00:00Z"), to: ts("2026-03-08T00:00:00Z")).map(\.source) == [
            "solo", "override", "solo",
        ])
    }

    // MARK: - Consistency and cost

    /// Three layers (weekly base, daily business hours, overnight 12 h rotation) and overrides.
    private static func busySchedule(_ zone: ZoneRules) -> OnCallCalculator {
        let biz = Restriction(days: weekdays, start: clock("09:00"), end: clock("17:00"))
        let nights = Restriction(days: [.friday, .saturday], start: clock("22:00"), end: clock("02:30"))
        return calculator(
            zone,
            [
                layer("base", start: "2026-01-05", handoff: "09:00", .weekly, ["ann", "ben", "cat"]),
                layer("biz", start: "2026-02-01", handoff: "02:30", .daily, ["dan", "eve"], restrictions: [biz]),
                layer("night", start: "2026-03-01", handoff: "01:45", .hours(12), ["fay", "gus", "hal"], restrictions: [nights]),
            ],
            overrides: [
                ScheduleOverride(person: "zoe", start: ts("2026-03-08T05:00:00Z"), end: ts("2026-03-08T09:00:00Z")),
                ScheduleOverride(person: "ann", start: ts("2026-04-04T15:00:00Z"), end: ts("2026-04-05T15:00:00Z")),
            ])
    }

    @Test("who(at:) agrees with shifts and gaps at random instants", arguments: [
        "America/New_York", "Europe/Berlin", "Australia/Lord_Howe",
    ])
    func whoMatchesShifts(zone id: String) throws {
        let calc = Self.busySchedule(try OnCallFixtures.zone(id))
        let from = ts("2025-12-20T00:00:00Z")
        let to = ts("2026-12-20T00:00:00Z")
        let shifts = calc.shifts(from: from, to: to)
        let gaps = calc.gaps(from: from, to: to)
        // Shifts and gaps tile [from, to) with no overlap, and neighbours differ.
        let pieces = (shifts.map { ($0.start, $0.end) } + gaps.map { ($0.start, $0.end) }).sorted { $0.0 < $1.0 }
        #expect(pieces.first?.0 == from)
        #expect(pieces.last?.1 == to)
        for (a, b) in zip(pieces, pieces.dropFirst()) { #expect(a.1 == b.0) }
        for (a, b) in zip(shifts, shifts.dropFirst()) where a.end == b.start {
            #expect(a.person != b.person || a.source != b.source)
        }
        var rng = SeededRandom(seed: 99)
        for _ in 0..<4000 {
            let t = Timestamp(unixMillis: Int64.random(in: from.unixMillis..<to.unixMillis, using: &rng))
            let shift = shifts.first { $0.start <= t && t < $0.end }
            #expect(calc.who(at: t) == shift?.person, "\(id) at \(t)")
            #expect(calc.assignment(at: t)?.source == shift?.source, "\(id) at \(t)")
        }
        // The boundaries themselves, and just before them.
        for s in shifts {
            #expect(calc.who(at: s.start) == s.person)
            #expect(calc.who(at: s.end - .milliseconds(1)) == s.person)
        }
    }

    @Test("90 days of a three-layer schedule is fast")
    func cost() throws {
        let calc = Self.busySchedule(try OnCallFixtures.zone("America/New_York"))
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<10 {
                _ = calc.shifts(from: ts("2026-02-01T00:00:00Z"), to: ts("2026-05-02T00:00:00Z"))
            }
        }
        #expect(elapsed < .seconds(2), "10 × 90 days took \(elapsed)")
    }

    @Test("invalid schedules give answers without trapping")
    func invalidSchedules() {
        let calc = calculator(
            .utc,
            [
                layer("empty", start: "2026-03-02", handoff: "09:00", .daily, []),
                layer("zero", start: "2026-03-02", handoff: "09:00", .hours(0), ["ann"]),
                layer("negative", start: "2026-03-02", handoff: "09:00", .hours(-5), ["ann"]),
            ],
            overrides: [
                ScheduleOverride(person: "x", start: ts("2026-03-03T00:00:00Z"), end: ts("2026-03-05T00:00:00Z")),
                ScheduleOverride(person: "y", start: ts("2026-03-04T00:00:00Z"), end: ts("2026-03-04T06:00:00Z")),
                ScheduleOverride(person: "z", start: ts("2026-03-06T00:00:00Z"), end: ts("2026-03-05T00:00:00Z")),
            ])
        #expect(calc.who(at: ts("2026-03-02T12:00:00Z")) == nil)
        #expect(calc.who(at: ts("2026-03-04T03:00:00Z")) == "y")  // overlapping: the later start wins
        #expect(calc.who(at: ts("2026-03-04T07:00:00Z")) == "x")
        _ = calc.shifts(from: ts("2026-03-01T00:00:00Z"), to: ts("2026-03-10T00:00:00Z"))
    }
}
