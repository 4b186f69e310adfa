import AetherJSON
import IncidentCore
import Testing

@testable import AdminProtocol

private let exampleJSON = #"""
    {"name": "payments-primary", "time_zone": "America/New_York",
     "layers": [{"name": "weekly", "start": "2026-03-02", "handoff": "09:00", "rotation": "weekly",
                 "participants": ["alice", "bob"],
                 "restrictions": [{"days": ["mon","tue","wed","thu","FRIDAY"], "start": "09:00", "end": "17:00"}]},
                {"name": "nights", "start": "2026-03-01", "handoff": "22:00", "rotation": {"hours": 12},
                 "participants": ["carol"],
                 "restrictions": [{"days": ["sat"], "start": "22:00", "end": "06:00"},
                                  {"days": ["sun"], "start": "00:00", "end": "24:00"}]},
                {"name": "daily", "start": "2026-03-01", "handoff": "02:30", "rotation": "daily", "participants": ["bob"]}],
     "overrides": [{"person": "carol", "start": "2026-03-08T00:00:00Z", "end": "2026-03-09T00:00:00Z"}]}
    """#

private func decode(_ text: String) throws -> Schedule {
    let o = try #require(try JSONParser.parse(Array(text.utf8)).objectValue)
    return try Schedule(json: o, path: "args.schedule")
}

/// The bad_request message for a schedule document with one field replaced.
private func rejection(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    do {
        let s = try decode(text)
        Issue.record("expected a rejection, got \(s)", sourceLocation: sourceLocation)
    } catch let error as AdminError {
        #expect(error.code == .badRequest, sourceLocation: sourceLocation)
        return error.message
    } catch {
        Issue.record("test JSON does not parse: \(error)", sourceLocation: sourceLocation)
    }
    return ""
}

@Suite("OnCall schedule JSON")
struct OnCallScheduleJSONTests {
    @Test("the documented example decodes")
    func documentedExample() throws {
        let s = try decode(exampleJSON)
        #expect(s.name == "payments-primary")
        #expect(s.timeZone == "America/New_York")
        #expect(s.layers.map(\.name) == ["weekly", "nights", "daily"])
        #expect(s.layers[0].restrictions[0].days == [.monday, .tuesday, .wednesday, .thursday, .friday])
        #expect(s.layers[1].rotation == .hours(12))
        #expect(s.layers[1].restrictions[0].isOvernight)
        #expect(s.layers[1].restrictions[1].end == .endOfDay)
        #expect(s.layers[2].restrictions.isEmpty)
        #expect(s.overrides == [
            ScheduleOverride(person: "carol", start: Timestamp(rfc3339: "2026-03-08T00:00:00Z")!,
                end: Timestamp(rfc3339: "2026-03-09T00:00:00Z")!)
        ])
        try s.validate(knownPeople: ["alice", "bob", "carol"])
    }

    @Test("render → parse round-trips, also through text")
    func roundTrip() throws {
        let s = try decode(exampleJSON)
        let rendered = try #require(s.json.objectValue)
        #expect(try Schedule(json: rendered, path: "") == s)
        #expect(try decode(s.json.jsonString) == s)
        let minimal = try decode(#"{"name":"m","time_zone":"UTC","layers":[]}"#)
        #expect(minimal.overrides.isEmpty && minimal.layers.isEmpty)
        #expect(try decode(minimal.json.jsonString) == minimal)
    }

    @Test("errors name the field path and what was expected", arguments: [
        (#"{"name":"m","time_zone":"UTC","layers":[],"owner":"x"}"#,
         "args.schedule has unknown field 'owner'; expected name, time_zone, layers, overrides"),
        (#"{"time_zone":"UTC","layers":[]}"#, "args.schedule.name is missing; expected a schedule name string"),
        (#"{"name":7,"time_zone":"UTC","layers":[]}"#, "args.schedule.name is an integer; expected a schedule name string"),
        (#"{"name":"m","time_zone":"UTC","layers":{}}"#, "args.schedule.layers is an object; expected a list of layer objects"),
        (#"{"name":"m","time_zone":"UTC","layers":["x"]}"#, "args.schedule.layers[0] is a string; expected an object"),
        (#"{"name":"m","time_zone":"UTC","layers":[{"name":"l","start":"2026-03-02","handoff":9,"rotation":"daily","participants":[]}]}"#,
         #"args.schedule.layers[0].handoff is an integer; expected "HH:MM""#),
        (#"{"name":"m","time_zone":"UTC","layers":[{"name":"l","start":"2026-03-02","handoff":9.5,"rotation":"daily","participants":[]}]}"#,
         #"args.schedule.layers[0].handoff is a number; expected "HH:MM""#),
        (#"{"name":"m","time_zone":"UTC","layers":[{"name":"l","start":"2026-03-02","handoff":"25:00","rotation":"daily","participants":[]}]}"#,
         "args.schedule.layers[0].handoff: time '25:00' is out of range; expected 00:00 to 23:59"),
        (#"{"name":"m","time_zone":"UTC","layers":[{"name":"l","start":"2026-03-02","handoff":"24:00","rotation":"daily","participants":[]}]}"#,
         "args.schedule.layers[0].handoff: time '24:00' is out of range"),
        (#"{"name":"m","time_zone":"UTC","layers":[{"name":"l","start":"2026-02-30","handoff":"09:00","rotation":"daily","participants":[]}]}"#,
         "args.schedule.layers[0].start: date '2026-02-30' is not valid"),
        (#"{"name":"m","time_zone":"UTC","layers":[{"name":"l","start":"2026-03-02","handoff":"09:00","rotation":"monthly","participants":[]}]}"#,
         #"args.schedule.layers[0].rotation 'monthly' is not valid; expected "daily", "weekly" or {"hours": N}"#),
        (#"{"name":"m","time_zone":"UTC","layers":[{"name":"l","start":"2026-03-02","handoff":"09:00","rotation":{"hours":0},"participants":[]}]}"#,
         "args.schedule.layers[0].rotation.hours 0 is out of range; expected 1…8760"),
        (#"{"name":"m","time_zone":"UTC","layers":[{"name":"l","start":"2026-03-02","handoff":"09:00","rotation":{"hours":"12"},"participants":[]}]}"#,
         "args.schedule.layers[0].rotation.hours is a string; expected an integer number of hours 1…8760"),
        (#"{"name":"m","time_zone":"UTC","layers":[{"name":"l","start":"2026-03-02","handoff":"09:00","rotation":{"days":2},"participants":[]}]}"#,
         "args.schedule.layers[0].rotation has unknown field 'days'; expected hours"),
        (#"{"name":"m","time_zone":"UTC","layers":[{"name":"l","start":"2026-03-02","handoff":"09:00","rotation":"daily","participants":["a",1]}]}"#,
         "args.schedule.layers[0].participants[1] is an integer; expected a string"),
        (#"{"name":"m","time_zone":"UTC","layers":[{"name":"l","start":"2026-03-02","handoff":"09:00","rotation":"daily","participants":[],"color":"red"}]}"#,
         "args.schedule.layers[0] has unknown field 'color'; expected name, start, handoff, rotation, participants, restrictions"),
        (#"{"name":"m","time_zone":"UTC","layers":[{"name":"l","start":"2026-03-02","handoff":"09:00","rotation":"daily","participants":[],"restrictions":[{"days":["mon","xyz"],"start":"09:00","end":"17:00"}]}]}"#,
         "args.schedule.layers[0].restrictions[0].days[1]: weekday 'xyz' is not valid"),
        (#"{"name":"m","time_zone":"UTC","layers":[{"name":"l","start":"2026-03-02","handoff":"09:00","rotation":"daily","participants":[],"restrictions":[{"days":["mon"],"start":"09:00"}]}]}"#,
         #"args.schedule.layers[0].restrictions[0].end is missing; expected "HH:MM" (24:00 allowed)"#),
        (#"{"name":"m","time_zone":"UTC","layers":[],"overrides":[{"person":"c","start":"2026-03-08","end":"2026-03-09T00:00:00Z"}]}"#,
         "args.schedule.overrides[0].start '2026-03-08' is not an RFC 3339 time"),
        (#"{"name":"m","time_zone":"UTC","layers":[],"overrides":[{"person":"c","start":"2026-03-08T00:00:00Z","end":"2026-03-09T00:00:00Z","why":"x"}]}"#,
         "args.schedule.overrides[0] has unknown field 'why'; expected person, start, end"),
        (#"{"name":"m","time_zone":"UTC","layers":[],"overrides":{}}"#,
         "args.schedule.overrides is an object; expected a list of override objects"),
    ] as [(String, String)])
    func errors(json: String, expected: String) {
        let message = rejection(json)
        #expect(message.hasPrefix(expected), "\(message)")
    }
}
