import AetherJSON
import IncidentCore

/// The JSON form of an on-call ``Schedule`` (admin protocol and configuration files):
///
/// ```json
/// {"name": "payments-primary", "time_zone": "America/New_York",
///  "layers": [{"name": "weekly", "start": "2026-03-02", "handoff": "09:00",
///              "rotation": "weekly",
///              "participants": ["alice", "bob"],
///              "restrictions": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}]}],
///  "overrides": [{"person": "carol", "start": "2026-03-08T00:00:00Z", "end": "2026-03-09T00:00:00Z"}]}
/// ```
///
/// - `rotation` is `"daily"`, `"weekly"` or `{"hours": N}` (N in 1…8760).
/// - `start` of a layer is a local date `YYYY-MM-DD`; `handoff` and restriction times are `HH:MM`
///   in the schedule's zone; a restriction `end` may be `"24:00"`, or earlier than `start` for an
///   overnight window. `days` take `mon`…`sun` or full names, any case.
/// - `restrictions` and `overrides` may be omitted (empty); override times are RFC 3339.
/// - Unknown fields are errors. Decoding checks shapes and formats only; call
///   ``Schedule/validate(knownPeople:)`` for people, overlaps and ranges that need context.
extension Schedule {
    /// The top-level fields.
    public static let jsonFields = ["name", "time_zone", "layers", "overrides"]
    /// The fields of a layer object.
    public static let layerJSONFields = ["name", "start", "handoff", "rotation", "participants", "restrictions"]
    /// The fields of a restriction object.
    public static let restrictionJSONFields = ["days", "start", "end"]
    /// The fields of an override object.
    public static let overrideJSONFields = ["person", "start", "end"]

    /// Decodes a schedule from its JSON object.
    /// - Parameter path: where the object is, for messages (`args.schedule`; empty for a whole document).
    /// - Throws: `AdminError(.badRequest)` naming the field path, its value or type, and what was expected.
    public init(json o: JSONObject, path: String) throws(AdminError) {
        let r = JSONFieldReader(object: o, path: path)
        try r.only(Self.jsonFields, what: "schedule")
        let name = try r.string("name", expected: "a schedule name string")
        let zone = try r.string("time_zone", expected: "an IANA time zone id such as \"America/New_York\"")
        var layers: [ScheduleLayer] = []
        for layer in try r.objects("layers", expected: "a list of layer objects") {
            layers.append(try Self.layer(layer))
        }
        var overrides: [ScheduleOverride] = []
        for item in try r.objects("overrides", expected: "a list of override objects", optional: true) {
            try item.only(Self.overrideJSONFields, what: "override")
            let person = try item.string("person", expected: "a person name string")
            let start = try Self.timestamp(item, "start")
            let end = try Self.timestamp(item, "end")
            overrides.append(ScheduleOverride(person: person, start: start, end: end))
        }
        self.init(name: name, timeZone: zone, layers: layers, overrides: overrides)
    }

    /// The schedule as JSON (every field present; `restrictions` and `overrides` may be empty lists).
    public var json: JSONValue {
        var o = JSONObject()
        o["name"] = .string(name)
        o["time_zone"] = .string(timeZone)
        o["layers"] = .array(layers.map(Self.json(layer:)))
        o["overrides"] = .array(
            overrides.map {
                .object(["person": .string($0.person), "start": .string($0.start.rfc3339), "end": .string($0.end.rfc3339)])
            })
        return .object(o)
    }

    // MARK: - Pieces

    private static func layer(_ r: JSONFieldReader) throws(AdminError) -> ScheduleLayer {
        try r.only(layerJSONFields, what: "layer")
        let name = try r.string("name", expected: "a layer name string")
        let start = try r.parsed("start", expected: "a date \"YYYY-MM-DD\"") { s throws(DomainError) in
            try LocalDate(parsing: s)
        }
        let handoff = try r.parsed("handoff", expected: "\"HH:MM\"") { s throws(DomainError) in try LocalTime(parsing: s) }
        let rotation = try Self.rotation(r)
        let participants = try r.strings("participants", expected: "a list of person names")
        var restrictions: [Restriction] = []
        for item in try r.objects("restrictions", expected: "a list of restriction objects", optional: true) {
            try item.only(restrictionJSONFields, what: "restriction")
            var days: [Weekday] = []
            for (i, text) in try item.strings("days", expected: "a list of weekdays such as [\"mon\", \"tue\"]").enumerated() {
                do { days.append(try Weekday(parsing: text)) } catch {
                    throw item.error("\(item.path("days"))[\(i)]: \(error.message)")
                }
            }
            let start = try item.parsed("start", expected: "\"HH:MM\"") { s throws(DomainError) in
                try LocalTime(parsing: s)
            }
            let end = try item.parsed("end", expected: "\"HH:MM\" (24:00 allowed)") { s throws(DomainError) in
                try LocalTime(parsing: s, allowEndOfDay: true)
            }
            restrictions.append(Restriction(days: days, start: start, end: end))
        }
        return ScheduleLayer(
            name: name, start: start, handoff: handoff, rotation: rotation, participants: participants,
            restrictions: restrictions)
    }

    private static func rotation(_ r: JSONFieldReader) throws(AdminError) -> Rotation {
        let expected = "\"daily\", \"weekly\" or {\"hours\": N}"
        let v = try r.required("rotation", expected: expected)
        switch v {
        case .string("daily"): return .daily
        case .string("weekly"): return .weekly
        case .string(let s): throw r.error("\(r.path("rotation")) '\(s)' is not valid; expected \(expected)")
        case .object(let o):
            let h = JSONFieldReader(object: o, path: r.path("rotation"))
            try h.only(["hours"], what: "rotation")
            let hv = try h.required("hours", expected: "an integer number of hours 1…8760")
            guard let n64 = hv.intValue else {
                throw h.mistyped(h.path("hours"), hv, expected: "an integer number of hours 1…8760")
            }
            guard n64 >= Int64(Rotation.hoursRange.lowerBound), n64 <= Int64(Rotation.hoursRange.upperBound) else {
                throw h.error("\(h.path("hours")) \(n64) is out of range; expected 1…8760")
            }
            return .hours(Int(n64))
        default: throw r.mistyped(r.path("rotation"), v, expected: expected)
        }
    }

    private static func timestamp(_ r: JSONFieldReader, _ key: String) throws(AdminError) -> Timestamp {
        let s = try r.string(key, expected: "an RFC 3339 time such as \"2026-03-08T00:00:00Z\"")
        guard let t = Timestamp(rfc3339: s) else {
            throw r.error("\(r.path(key)) '\(s)' is not an RFC 3339 time; expected e.g. 2026-03-08T00:00:00Z")
        }
        return t
    }

    private static func json(layer l: ScheduleLayer) -> JSONValue {
        var o = JSONObject()
        o["name"] = .string(l.name)
        o["start"] = .string(l.start.description)
        o["handoff"] = .string(l.handoff.description)
        switch l.rotation {
        case .daily: o["rotation"] = "daily"
        case .weekly: o["rotation"] = "weekly"
        case .hours(let n): o["rotation"] = .object(["hours": .int(Int64(n))])
        }
        o["participants"] = .array(l.participants.map { .string($0) })
        o["restrictions"] = .array(
            l.restrictions.map {
                .object([
                    "days": .array($0.days.map { .string($0.shortName) }), "start": .string($0.start.description),
                    "end": .string($0.end.description),
                ])
            })
        return .object(o)
    }
}
