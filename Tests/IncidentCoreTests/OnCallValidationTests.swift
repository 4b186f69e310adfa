import Testing

@testable import IncidentCore

private let people: Set<String> = ["ann", "ben", "cat"]

private func valid() -> Schedule {
    Schedule(
        name: "payments-primary", timeZone: "America/New_York",
        layers: [
            ScheduleLayer(
                name: "weekly", start: day("2026-03-02"), handoff: clock("09:00"), rotation: .weekly,
                participants: ["ann", "ben"],
                restrictions: [Restriction(days: [.monday, .friday], start: clock("09:00"), end: clock("17:00"))])
        ],
        overrides: [ScheduleOverride(person: "cat", start: ts("2026-03-08T00:00:00Z"), end: ts("2026-03-09T00:00:00Z"))])
}

/// The validation message for `schedule` (records an issue when it passes).
private func rejection(_ schedule: Schedule, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    do {
        try schedule.validate(knownPeople: people)
        Issue.record("expected a validation error", sourceLocation: sourceLocation)
        return ""
    } catch {
        #expect(error.code == "bad_request", sourceLocation: sourceLocation)
        return error.message
    }
}

@Suite("OnCall schedule validation and local value types")
struct OnCallValidationTests {
    @Test("a valid schedule passes; overnight and 24:00 windows are allowed")
    func validSchedule() throws {
        try valid().validate(knownPeople: people)
        var s = valid()
        s.layers[0].restrictions = [
            Restriction(days: [.friday], start: clock("22:00"), end: clock("06:00")),
            Restriction(days: [.saturday], start: clock("00:00"), end: clock("24:00")),
        ]
        s.layers[0].rotation = .hours(8760)
        try s.validate(knownPeople: people)
    }

    @Test("each defect is named with its value")
    func defects() {
        var s = valid()
        s.name = ""
        #expect(rejection(s).contains("schedule name is empty"))

        s = valid()
        s.timeZone = "../../etc/passwd"
        #expect(rejection(s).contains("time zone '../../etc/passwd' is not an IANA id"))

        s = valid()
        s.layers = []
        #expect(rejection(s).contains("'payments-primary' has no layers"))

        s = valid()
        s.layers.append(s.layers[0])
        #expect(rejection(s).contains("layer name 'weekly' is used twice"))

        s = valid()
        s.layers[0].name = "override"
        #expect(rejection(s).contains("'override' is reserved"))

        s = valid()
        s.layers[0].name = ""
        #expect(rejection(s).contains("layers[0] has an empty name"))

        s = valid()
        s.layers[0].participants = []
        #expect(rejection(s).contains("layer 'weekly' has no participants"))

        s = valid()
        s.layers[0].participants = ["ann", "bob"]
        #expect(rejection(s).contains("participant 'bob' is not known"))

        s = valid()
        s.overrides[0].person = "dora"
        #expect(rejection(s).contains("person 'dora' is not known"))

        s = valid()
        s.overrides[0].end = s.overrides[0].start
        #expect(rejection(s).contains("end 2026-03-08T00:00:00Z is not after start 2026-03-08T00:00:00Z"))

        s = valid()
        s.overrides.append(ScheduleOverride(person: "ann", start: ts("2026-03-08T12:00:00Z"), end: ts("2026-03-10T00:00:00Z")))
        let overlap = rejection(s)
        #expect(overlap.contains("override for 'cat'") && overlap.contains("override for 'ann'") && overlap.contains("overlaps"))

        for n in [0, -1, 8761] {
            s = valid()
            s.layers[0].rotation = .hours(n)
            #expect(rejection(s).contains("rotation of \(n) hours is out of range; expected 1…8760"))
        }

        s = valid()
        s.layers[0].restrictions[0].end = clock("09:00")
        #expect(rejection(s).contains("end 09:00 equals start 09:00"))

        s = valid()
        s.layers[0].restrictions[0].days = []
        #expect(rejection(s).contains("restrictions[0] lists no days"))

        s = valid()
        s.layers[0].restrictions[0].start = .endOfDay
        #expect(rejection(s).contains("start 24:00 is not allowed"))

        s = valid()
        s.layers[0].handoff = .endOfDay
        #expect(rejection(s).contains("handoff 24:00 is not allowed"))
    }

    // MARK: - Local types

    @Test("times parse as HH:MM; 24:00 only where allowed", arguments: [
        ("00:00", true, "00:00"), ("09:05", true, "09:05"), ("23:59", true, "23:59"),
        ("24:00", false, "time '24:00' is out of range; expected 00:00 to 23:59"), ("24:00", true, "24:00"),
        ("24:01", true, "time '24:01' is out of range; expected 00:00 to 24:00"),
        ("9:00", false, "time '9:00' is not valid; expected HH:MM"), ("09:60", false, "out of range"),
        ("0900", false, "not valid"), ("", false, "not valid"), ("09:00:00", false, "not valid"), ("ab:cd", false, "not valid"),
    ] as [(String, Bool, String)])
    func times(text: String, allowEndOfDay: Bool, expected: String) {
        do {
            let t = try LocalTime(parsing: text, allowEndOfDay: allowEndOfDay)
            #expect(t.description == expected)
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test("dates parse as YYYY-MM-DD and do day arithmetic")
    func dates() throws {
        let d = try LocalDate(parsing: "2028-02-28")
        #expect(d.adding(days: 1).description == "2028-02-29")
        #expect(d.adding(days: 2).description == "2028-03-01")
        #expect(d.adding(days: -365 * 100).description == "1928-03-24")
        #expect(d.days(to: try LocalDate(parsing: "2029-02-28")) == 366)
        #expect(try LocalDate(parsing: "2026-03-02").weekday == .monday)
        #expect(try LocalDate(parsing: "1969-12-31").weekday == .wednesday)
        #expect(try LocalDate(parsing: "1600-03-01").weekday == .wednesday)
        for bad in ["2026-02-29", "2026-13-01", "2026-3-01", "26-03-01", "2026/03/01", "0000-01-01", "", "2026-03-01Z"] {
            #expect(throws: DomainError.badRequest(
                "date '\(bad)' is not valid; expected a calendar date YYYY-MM-DD, e.g. 2026-03-02")) {
                try LocalDate(parsing: bad)
            }
        }
    }

    @Test("weekdays parse short or long names in any case")
    func weekdays() throws {
        #expect(try Weekday(parsing: "mon") == .monday)
        #expect(try Weekday(parsing: "Tuesday") == .tuesday)
        #expect(try Weekday(parsing: "SUN") == .sunday)
        #expect(Weekday.allCases.map(\.shortName) == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
        for bad in ["mo", "mond", "funday", ""] {
            #expect(throws: DomainError.self) { try Weekday(parsing: bad) }
            do { _ = try Weekday(parsing: bad) } catch { #expect(error.message.contains("weekday '\(bad)' is not valid")) }
        }
    }
}
