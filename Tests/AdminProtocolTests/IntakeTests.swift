import AetherJSON
import IncidentCore
import Testing

@testable import AdminProtocol

/// Decodes a PagerDuty event; the generated key is `generated-1`, `generated-2`, … and counted.
private final class KeyMaker: @unchecked Sendable {
    var calls = 0
    func make() -> String {
        calls += 1
        return "generated-\(calls)"
    }
}

private func decodePD(_ json: String, keys: KeyMaker = KeyMaker()) -> Result<PagerDutyEvents.Accepted, PagerDutyEvents.Rejection> {
    PagerDutyEvents.decode(Array(json.utf8), generateKey: keys.make)
}

private func accepted(_ json: String, keys: KeyMaker = KeyMaker(), sourceLocation: SourceLocation = #_sourceLocation) throws
    -> PagerDutyEvents.Accepted
{
    switch decodePD(json, keys: keys) {
    case .success(let a):
        #expect(throws: Never.self, sourceLocation: sourceLocation) { try a.alert.validate() }
        return a
    case .failure(let r):
        Issue.record("rejected: \(r.errors)", sourceLocation: sourceLocation)
        throw r
    }
}

/// The `errors` of a rejection; checks the 400 body carries exactly them.
private func pdErrors(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
    switch decodePD(json) {
    case .success(let a):
        Issue.record("expected a rejection, got \(a)", sourceLocation: sourceLocation)
        return []
    case .failure(let r):
        let expected: JSONValue = [
            "status": "invalid event", "message": "Event object is invalid", "errors": .array(r.errors.map { .string($0) }),
        ]
        #expect(r.body == expected, sourceLocation: sourceLocation)
        return r.errors
    }
}

private let trigger = #"{"routing_key":"rk-payments","event_action":"trigger","payload":{"summary":"Disk full on db-1","source":"db-1.example.com","severity":"critical"}}"#

@Suite struct IntakePagerDutyTests {
    @Test func fullTriggerMapsEveryField() throws {
        let keys = KeyMaker()
        let a = try accepted(
            #"""
            {"routing_key":"rk-payments","event_action":"trigger","dedup_key":"db-1/disk",
             "payload":{"summary":"Disk 95% full on db-1","source":"db-1.example.com","severity":"warning",
               "timestamp":"2026-11-27T18:41:00.315+0000","component":"postgres","group":"prod-db","class":"disk",
               "custom_details":{"mount":"/var/lib/pg","used pct":95,"owner":{"team":"storage","oncall":true}}},
             "images":[{"src":"https://img.example.com/disk.png","href":"https://grafana.example.com/d/1","alt":"graph"}],
             "links":[{"href":"https://runbooks.example.com/disk","text":"runbook"},{"href":"https://grafana.example.com/d/1"}],
             "client":"Example Monitor","client_url":"https://monitor.example.com/checks/7","unknown_field":1}
            """#, keys: keys)
        #expect(keys.calls == 0)
        #expect(a.routingKey == "rk-payments")
        #expect(a.dedupKey == "db-1/disk")
        var expected = Alert(title: "Disk 95% full on db-1", dedupKey: "db-1/disk")
        expected.description = #"{"mount":"/var/lib/pg","used pct":95,"owner":{"team":"storage","oncall":true}}"#
        expected.source = "db-1.example.com"
        expected.component = "postgres"
        expected.severity = .level(.warning)
        expected.labels = ["group": "prod-db", "class": "disk", "mount": "/var/lib/pg", "owner.team": "storage"]
        expected.links = [
            Alert.Link(href: "https://runbooks.example.com/disk", text: "runbook"),
            Alert.Link(href: "https://grafana.example.com/d/1"),
            Alert.Link(href: "https://monitor.example.com/checks/7", text: "Example Monitor"),
        ]
        expected.timestamp = Timestamp(rfc3339: "2026-11-27T18:41:00.315Z")
        #expect(a.alert == expected)
        #expect(a.alert.service == "")  // the caller maps the routing key
    }

    @Test func triggerWithoutDedupKeyGetsTheGeneratedOne() throws {
        let keys = KeyMaker()
        let a = try accepted(trigger, keys: keys)
        #expect(keys.calls == 1)
        #expect(a.dedupKey == "generated-1")
        #expect(a.alert.dedupKey == "generated-1")
        #expect(a.alert.action == .trigger)
        #expect(a.alert.title == "Disk full on db-1")
        #expect(a.alert.source == "db-1.example.com")
        #expect(a.alert.severity == .level(.critical))
        #expect(a.alert.description == "" && a.alert.labels.isEmpty && a.alert.links.isEmpty && a.alert.timestamp == nil)
        #expect(PagerDutyEvents.successBody(dedupKey: a.dedupKey).jsonString
            == #"{"status":"success","message":"Event processed","dedup_key":"generated-1"}"#)
    }

    @Test(arguments: [#""dedup_key":"","#, #""dedup_key":"   ","#, #""dedup_key":null,"#])
    func blankDedupKeyOnTriggerIsGenerated(field: String) throws {
        let keys = KeyMaker()
        let a = try accepted("{" + field + trigger.dropFirst(), keys: keys)
        #expect(a.dedupKey == "generated-1" && keys.calls == 1)
    }

    @Test func rejectedEventsNeverGenerateAKey() {
        let keys = KeyMaker()
        _ = decodePD(#"{"routing_key":"rk","event_action":"trigger","payload":{}}"#, keys: keys)
        #expect(keys.calls == 0)
    }

    @Test(arguments: [("acknowledge", Alert.Action.acknowledge), ("resolve", .resolve)])
    func acknowledgeAndResolve(text: String, action: Alert.Action) throws {
        let keys = KeyMaker()
        let a = try accepted(#"{"routing_key":"rk","dedup_key":"db-1/disk","event_action":"\#(text)"}"#, keys: keys)
        #expect(a.alert == Alert(title: "", dedupKey: "db-1/disk", action: action))
        #expect(a.dedupKey == "db-1/disk" && a.routingKey == "rk" && keys.calls == 0)
        // Their payload is ignored, as PagerDuty does, even when it would be invalid for a trigger.
        let b = try accepted(#"{"routing_key":"rk","dedup_key":"k","event_action":"\#(text)","payload":"x"}"#)
        #expect(b.alert == Alert(title: "", dedupKey: "k", action: action))
        #expect(pdErrors(#"{"routing_key":"rk","event_action":"\#(text)"}"#) == ["'dedup_key' is missing or blank"])
        #expect(pdErrors(#"{"routing_key":"rk","dedup_key":" ","event_action":"\#(text)"}"#) == ["'dedup_key' is missing or blank"])
    }

    @Test(arguments: MonitoringLevel.allCases)
    func everySeverity(level: MonitoringLevel) throws {
        let json = trigger.replacing(#""critical""#, with: "\"\(level.rawValue)\"")
        #expect(try accepted(json).alert.severity == .level(level))
    }

    @Test(arguments: ["CRITICAL", "Warning", "SEV-1", "fatal", ""])
    func invalidSeverity(text: String) {
        let json = trigger.replacing(#""critical""#, with: "\"\(text)\"")
        #expect(pdErrors(json) == [
            text.isEmpty
                ? "'payload.severity' is missing or blank"
                : "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')",
        ])
    }

    @Test func customDetails() throws {
        let nested = try accepted(
            trigger.replacing(
                #""severity":"critical""#,
                with: #""severity":"critical","group":"g","custom_details":{"group":"ignored","a":{"b":{"c":"deep"},"n":null},"list":["x"],"e":""}"#))
        #expect(nested.alert.labels == ["group": "g", "a.b.c": "deep", "e": ""])
        #expect(nested.alert.description == #"{"group":"ignored","a":{"b":{"c":"deep"},"n":null},"list":["x"],"e":""}"#)

        let text = try accepted(trigger.replacing(
            #""severity":"critical""#, with: #""severity":"critical","custom_details":"free text\nline 2""#))
        #expect(text.alert.description == "free text\nline 2" && text.alert.labels.isEmpty)

        // At most `labelsMax` labels; the rest stays in the description only.
        let many = (0..<100).map { #""k\#($0)":"v""# }.joined(separator: ",")
        let big = try accepted(trigger.replacing(
            #""severity":"critical""#, with: #""severity":"critical","custom_details":{\#(many)}"#))
        #expect(big.alert.labels.count == AlertLimits().labelsMax)
        #expect(big.alert.labels["k0"] == "v" && big.alert.labels["k64"] == nil)
        #expect(big.alert.description.contains(#""k99":"v""#))
    }

    @Test func linksAndClientURL() throws {
        let links = (0..<16).map { #"{"href":"https://e.com/\#($0)"}"# }.joined(separator: ",")
        let full = try accepted(trigger.replacing(
            #""event_action""#, with: #""links":[\#(links)],"client_url":"https://client","event_action""#))
        #expect(full.alert.links.count == 16)  // no room left for client_url
        #expect(full.alert.links.last == Alert.Link(href: "https://e.com/15"))
        let longText = String(repeating: "t", count: 300)
        let one = try accepted(trigger.replacing(
            #""event_action""#, with: #""links":[{"href":"https://e.com","text":"\#(longText)"}],"event_action""#))
        #expect(one.alert.links[0].text.utf8.count <= AlertLimits().nameBytesMax && one.alert.links[0].text.hasSuffix("…"))
        #expect(pdErrors(trigger.replacing(
            #""event_action""#,
            with: #""links":[1,{"text":"x"},{"href":"https://e.com","text":2},{"href":""}],"event_action""#)) == [
            "'links[0]' is an integer; expected an object",
            "'links[1].href' is missing or blank",
            "'links[2].text' is an integer; expected a string",
            "'links[3].href' is missing or blank",
        ])
        let seventeen = (0..<17).map { #"{"href":"https://e.com/\#($0)"}"# }.joined(separator: ",")
        #expect(pdErrors(trigger.replacing(#""event_action""#, with: #""links":[\#(seventeen)],"event_action""#))
            == ["'links' has 17 entries (maximum is 16)"])
    }

    @Test func timestamps() throws {
        for (text, expected) in [
            ("2026-11-27T18:41:00Z", "2026-11-27T18:41:00Z"), ("2026-11-27T20:41:00+02:00", "2026-11-27T18:41:00Z"),
            ("2026-11-27T18:41:00.5-0130", "2026-11-27T20:11:00.500Z"),
        ] {
            let a = try accepted(trigger.replacing(
                #""severity""#, with: #""timestamp":"\#(text)","severity""#))
            #expect(a.alert.timestamp?.rfc3339 == expected)
        }
        for bad in ["yesterday", "2026-11-27", "2026-13-01T00:00:00Z", "2026-11-27T18:41:00+2"] {
            #expect(pdErrors(trigger.replacing(#""severity""#, with: #""timestamp":"\#(bad)","severity""#)) == [
                "'payload.timestamp' is invalid (expected an ISO 8601 date-time such as 2015-07-17T08:42:58.315+0000)",
            ])
        }
    }

    @Test func longSummaryIsShortenedIntoTheTitleAndKeptInTheDescription() throws {
        let summary = String(repeating: "é", count: 1024)  // 1,024 characters, 2,048 bytes: PagerDuty's limit
        let a = try accepted(trigger.replacing("Disk full on db-1", with: summary)
            .replacing(#""severity""#, with: #""custom_details":{"k":"v"},"severity""#))
        #expect(a.alert.title.utf8.count <= AlertLimits().titleBytesMax && a.alert.title.hasSuffix("…"))
        #expect(a.alert.description == summary + "\n\n" + #"{"k":"v"}"#)
        #expect(pdErrors(trigger.replacing("Disk full on db-1", with: summary + "x"))
            == ["'payload.summary' is too long (maximum is 1024 characters)"])
    }

    @Test func invalidJSONAndNonObjects() {
        #expect(pdErrors(#"{"routing_key":"#) == [
            "Event is not valid JSON: unexpected end of input at offset 15; expected a value",
        ])
        #expect(pdErrors("") == ["Event is not valid JSON: unexpected end of input at offset 0; expected a value"])
        #expect(pdErrors("[1]") == ["Event is an array; expected a JSON object"])
        #expect(pdErrors(#""trigger""#) == ["Event is a string; expected a JSON object"])
        #expect(pdErrors("null") == ["Event is null; expected a JSON object"])
    }

    @Test func missingFields() {
        #expect(pdErrors("{}") == ["'routing_key' is missing or blank", "'event_action' is missing or blank"])
        #expect(pdErrors(#"{"routing_key":" ","event_action":"trigger"}"#)
            == ["'routing_key' is missing or blank", "'payload' is missing or blank"])
        #expect(pdErrors(#"{"routing_key":"rk","event_action":"trigger","payload":{}}"#) == [
            "'payload.summary' is missing or blank", "'payload.source' is missing or blank",
            "'payload.severity' is missing or blank",
        ])
        #expect(pdErrors(#"{"routing_key":"rk","event_action":"trigger","payload":[]}"#)
            == ["'payload' is an array; expected an object"])
        #expect(pdErrors(#"{"routing_key":"rk","event_action":"Trigger"}"#)
            == ["'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')"])
    }

    @Test func everyProblemAtOnceWithTheExactBody() {
        let longKey = String(repeating: "k", count: 256)
        let longSummary = String(repeating: "s", count: 1025)
        let json = #"""
            {"routing_key":5,"event_action":"fire","dedup_key":"\#(longKey)",
             "payload":{"summary":"\#(longSummary)","source":"","severity":"fatal","timestamp":"yesterday",
               "component":12,"group":true,"class":[],"custom_details":[1]},
             "links":"x","images":[{},{"src":3}],"client":false,"client_url":3}
            """#
        let expected = [
            "'routing_key' is an integer; expected a string",
            "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')",
            "'dedup_key' is too long (maximum is 255 characters)",
            "'payload.summary' is too long (maximum is 1024 characters)",
            "'payload.source' is missing or blank",
            "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')",
            "'payload.timestamp' is invalid (expected an ISO 8601 date-time such as 2015-07-17T08:42:58.315+0000)",
            "'payload.component' is an integer; expected a string",
            "'payload.group' is a boolean; expected a string",
            "'payload.class' is an array; expected a string",
            "'payload.custom_details' is an array; expected an object",
            "'links' is a string; expected an array",
            "'images[0].src' is missing or blank",
            "'client' is a boolean; expected a string",
            "'client_url' is an integer; expected a string",
        ]
        #expect(pdErrors(json) == expected)
        guard case .failure(let r) = decodePD(json) else { return }
        let body = "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\",\"errors\":["
            + expected.map { "\"" + $0 + "\"" }.joined(separator: ",") + "]}"
        #expect(r.body.jsonString == body)
    }

    @Test func aetherLimitsAreCheckedToo() {
        let longName = String(repeating: "h", count: 129)
        #expect(pdErrors(trigger.replacing("db-1.example.com", with: longName))
            == ["'payload.source' is too long (maximum is 128 bytes)"])
        #expect(pdErrors(trigger.replacing(
            #""severity""#, with: #""component":"\#(longName)","group":"\#(String(repeating: "g", count: 1025))","severity""#)) == [
            "'payload.component' is too long (maximum is 128 bytes)", "'payload.group' is too long (maximum is 1024 bytes)",
        ])
        // 200 characters is within PagerDuty's 255 but 400 bytes is over Aether's 256.
        let wide = String(repeating: "é", count: 200)
        #expect(pdErrors(#"{"routing_key":"rk","event_action":"resolve","dedup_key":"\#(wide)"}"#)
            == ["'dedup_key' is too long (maximum is 256 bytes)"])
        #expect(pdErrors(trigger.replacing(
            #""event_action""#, with: #""images":[{"src":"https://i"},"img",{}],"event_action""#))
            == ["'images[1]' is a string; expected an object"])
    }

    @Test func aGeneratedKeyThatIsNotAValidAlertKeyIsRejected() {
        let r = PagerDutyEvents.decode(Array(trigger.utf8), generateKey: { "" })
        guard case .failure(let rejection) = r else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.errors == ["dedup_key is empty; expected 1 to 256 bytes"])
    }
}
