import AetherJSON
import IncidentCore
import Testing

@testable import AdminProtocol

/// Runs `body` and returns the AdminError it throws (recording an issue when it does not throw).
private func error<T>(
    _ body: () throws(AdminError) -> T, sourceLocation: SourceLocation = #_sourceLocation
) -> AdminError? {
    do {
        let v = try body()
        Issue.record("expected an AdminError, got \(v)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

private func reader(_ json: String, op: String = "incident.test") throws -> ArgReader {
    let v = try JSONParser.parse(json)
    return ArgReader(try #require(v.objectValue), op: op)
}

@Suite struct ArgReaderTests {
    @Test func onlyAcceptsListedKeys() throws {
        let r = try reader(#"{"id":"INC-2026-0001-ABC","sevrity":"SEV-1"}"#, op: "incident.severity")
        try r.only(["id", "sevrity"])
        let e = try #require(error { () throws(AdminError) in try r.only(["id", "severity", "reason"]) })
        #expect(e.code == .badRequest)
        #expect(e.message == "unknown argument 'sevrity' for incident.severity; expected id, severity, reason")
        let none = try #require(error { () throws(AdminError) in try r.only([]) })
        #expect(none.message.hasSuffix("expected none"))
    }

    @Test func requiredString() throws {
        let r = try reader(#"{"text":"hello","n":5,"z":null}"#, op: "incident.note")
        #expect(try r.string("text") == "hello")
        let missing = try #require(error { () throws(AdminError) in try r.string("message", hint: "the status update text") })
        #expect(missing.code == .badRequest)
        #expect(missing.message == "missing args.message for incident.note; expected the status update text")
        let noHint = try #require(error { () throws(AdminError) in try r.string("message") })
        #expect(noHint.message == "missing args.message for incident.note")
        let null = try #require(error { () throws(AdminError) in try r.string("z") })
        #expect(null.message.hasPrefix("missing args.z"))
        let wrong = try #require(error { () throws(AdminError) in try r.string("n", hint: "\"x\"") })
        #expect(wrong.message == "args.n is an integer; expected a string such as \"x\"")
    }

    @Test func optionalString() throws {
        let r = try reader(#"{"a":"x","b":null,"c":[1],"d":""}"#)
        #expect(try r.optionalString("a") == "x")
        #expect(try r.optionalString("b") == nil)
        #expect(try r.optionalString("absent") == nil)
        #expect(try r.optionalString("d") == "")
        let e = try #require(error { () throws(AdminError) in try r.optionalString("c") })
        #expect(e.message == "args.c is an array; expected a string")
    }

    @Test func optionalBool() throws {
        let r = try reader(#"{"t":true,"f":false,"n":null,"s":"true","i":1}"#)
        #expect(try r.optionalBool("t") == true)
        #expect(try r.optionalBool("f") == false)
        #expect(try r.optionalBool("n") == nil)
        #expect(try r.optionalBool("absent") == nil)
        let s = try #require(error { () throws(AdminError) in try r.optionalBool("s") })
        #expect(s.message == "args.s is a string; expected true or false")
        let i = try #require(error { () throws(AdminError) in try r.optionalBool("i") })
        #expect(i.message == "args.i is an integer; expected true or false")
    }

    @Test func optionalInt() throws {
        let r = try reader(#"{"a":10,"b":2.0,"c":2.5,"d":"10","e":0,"f":101,"g":null,"h":1e300}"#)
        #expect(try r.optionalInt("a", range: 1...100) == 10)
        #expect(try r.optionalInt("b", range: 1...100) == 2)
        #expect(try r.optionalInt("g", range: 1...100) == nil)
        #expect(try r.optionalInt("absent", range: 1...100) == nil)
        let frac = try #require(error { () throws(AdminError) in try r.optionalInt("c", range: 1...100) })
        #expect(frac.message == "args.c is a number; expected an integer")
        let str = try #require(error { () throws(AdminError) in try r.optionalInt("d", range: 1...100) })
        #expect(str.message == "args.d is a string; expected an integer")
        let low = try #require(error { () throws(AdminError) in try r.optionalInt("e", range: 1...100) })
        #expect(low.message == "args.e 0 is out of range; expected 1…100")
        let high = try #require(error { () throws(AdminError) in try r.optionalInt("f", range: 1...100) })
        #expect(high.message == "args.f 101 is out of range; expected 1…100")
        let huge = try #require(error { () throws(AdminError) in try r.optionalInt("h", range: 1...100) })
        #expect(huge.message == "args.h is a number; expected an integer")
    }

    @Test func optionalStrings() throws {
        let r = try reader(#"{"ok":["slack","log"],"empty":[],"n":null,"s":"slack","mixed":["slack",3]}"#)
        #expect(try r.optionalStrings("ok") == ["slack", "log"])
        #expect(try r.optionalStrings("empty") == [])
        #expect(try r.optionalStrings("n") == nil)
        #expect(try r.optionalStrings("absent") == nil)
        let s = try #require(error { () throws(AdminError) in try r.optionalStrings("s") })
        #expect(s.message == "args.s is a string; expected a list of strings")
        let m = try #require(error { () throws(AdminError) in try r.optionalStrings("mixed") })
        #expect(m.message == "args.mixed[1] is an integer; expected a string")
    }

    @Test func optionalTimestamp() throws {
        let r = try reader(#"{"since":"2026-11-27T18:00:00Z","bad":"yesterday","num":5}"#, op: "metrics.get")
        #expect(try r.optionalTimestamp("since") == Timestamp(rfc3339: "2026-11-27T18:00:00Z"))
        #expect(try r.optionalTimestamp("until") == nil)
        let bad = try #require(error { () throws(AdminError) in try r.optionalTimestamp("bad") })
        #expect(bad.code == .badRequest)
        #expect(bad.message == "args.bad 'yesterday' is not an RFC 3339 time; expected e.g. 2026-11-27T18:00:00Z")
        let num = try #require(error { () throws(AdminError) in try r.optionalTimestamp("num") })
        #expect(num.message.hasPrefix("args.num is an integer; expected a string such as"))
    }

    @Test func incidentID() throws {
        let r = try reader(#"{"id":"inc-2026-0042-k7q","bad":"INC-42","num":42}"#, op: "incident.get")
        #expect(try r.incidentID().text == "INC-2026-0042-K7Q")
        let bad = try #require(error { () throws(AdminError) in try r.incidentID("bad") })
        #expect(bad.code == .badRequest)
        #expect(bad.message.contains("incident id 'INC-42' is not valid"))
        let num = try #require(error { () throws(AdminError) in try r.incidentID("num") })
        #expect(num.message.hasPrefix("args.num is an integer; expected a string such as an incident id"))
        let missing = try #require(error { () throws(AdminError) in try r.incidentID("absent") })
        #expect(missing.message.hasPrefix("missing args.absent for incident.get"))
    }

    @Test func parsedValues() throws {
        let r = try reader(#"{"severity":"sev-1","bad":"SEV-9"}"#, op: "incident.severity")
        let invalid: (String) -> String = { Severity.invalidMessage($0, allowMonitoringLevels: false) }
        #expect(try r.parsed("severity", Severity.parseExplicit, invalid: invalid, hint: "SEV-0 … SEV-4") == .sev1)
        #expect(try r.optionalParsed("severity", Severity.parseExplicit, invalid: invalid) == .sev1)
        #expect(try r.optionalParsed("absent", Severity.parseExplicit, invalid: invalid) == nil)
        let bad = try #require(error { () throws(AdminError) in try r.parsed("bad", Severity.parseExplicit, invalid: invalid, hint: "SEV-0 … SEV-4") })
        #expect(bad.message == "severity 'SEV-9' is not valid; expected one of SEV-0, SEV-1, SEV-2, SEV-3, SEV-4")
        let obad = try #require(error { () throws(AdminError) in try r.optionalParsed("bad", Severity.parseExplicit, invalid: invalid) })
        #expect(obad == bad)
        let missing = try #require(error { () throws(AdminError) in try r.parsed("absent", Severity.parseExplicit, invalid: invalid, hint: "SEV-0 … SEV-4") })
        #expect(missing.message == "missing args.absent for incident.severity; expected SEV-0 … SEV-4")
    }
}
