import AetherJSON
import IncidentCore
import Testing

@testable import AdminProtocol

private func object(_ json: String) throws -> JSONObject {
    try #require(try JSONParser.parse(json).objectValue)
}

private func decode(_ json: String, path: String = "args") throws -> Alert {
    try Alert(json: try object(json), path: path)
}

/// The bad_request message for an alert object (records an issue when it decodes).
private func rejection(_ json: String, path: String = "args", sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    let o: JSONObject
    do { o = try object(json) } catch {
        Issue.record("test JSON does not parse: \(error)", sourceLocation: sourceLocation)
        return nil
    }
    do {
        let a = try Alert(json: o, path: path)
        Issue.record("expected a rejection, got \(a)", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.code == .badRequest, sourceLocation: sourceLocation)
        return error.message
    }
}

@Suite struct AlertJSONTests {
    @Test func minimalAlert() throws {
        let a = try decode(#"{"title":"High error rate"}"#)
        #expect(a == Alert(title: "High error rate"))
        #expect(a.action == .trigger)
        #expect(a.effectiveDedupKey == "||High error rate")
    }

    @Test func everyField() throws {
        let a = try decode(
            #"""
            {"dedup_key":"payments-5xx","title":"HighErrorRate","description":"5xx above 5%","source":"prometheus",
             "service":"payment-service","component":"api","severity":"critical","action":"trigger",
             "labels":{"env":"prod","team":"payments"},"affected_users_pct":42.5,"affected_services":["checkout","cart"],
             "links":["https://runbooks/x",{"href":"https://grafana/d/1","text":"dashboard"},{"href":"https://y"}],
             "timestamp":"2026-11-27T18:00:00.250Z"}
            """#)
        #expect(a.dedupKey == "payments-5xx")
        #expect(a.title == "HighErrorRate")
        #expect(a.description == "5xx above 5%")
        #expect(a.source == "prometheus")
        #expect(a.service == "payment-service")
        #expect(a.component == "api")
        #expect(a.severity == .level(.critical))
        #expect(a.action == .trigger)
        #expect(a.labels == ["env": "prod", "team": "payments"])
        #expect(a.affectedUsersPct == 42.5)
        #expect(a.affectedServices == ["checkout", "cart"])
        #expect(a.links == [
            Alert.Link(href: "https://runbooks/x"), Alert.Link(href: "https://grafana/d/1", text: "dashboard"),
            Alert.Link(href: "https://y"),
        ])
        #expect(a.timestamp == Timestamp(rfc3339: "2026-11-27T18:00:00.250Z"))
        #expect(a.timestamp?.unixMillis.isMultiple(of: 1000) == false)
    }

    @Test func nullsCountAsAbsent() throws {
        let a = try decode(
            #"{"title":"t","dedup_key":null,"description":null,"severity":null,"action":null,"labels":null,"affected_users_pct":null,"affected_services":null,"links":null,"timestamp":null}"#)
        #expect(a == Alert(title: "t"))
    }

    @Test(arguments: [("SEV-0", SourceSeverity.explicit(.sev0)), ("sev-2", .explicit(.sev2)), ("SEV4", .explicit(.sev4)), ("critical", .level(.critical)), ("ERROR", .level(.error)), ("warning", .level(.warning)), ("info", .level(.info))])
    func severities(text: String, expected: SourceSeverity) throws {
        #expect(try decode(#"{"title":"t","severity":"\#(text)"}"#).severity == expected)
    }

    @Test func actions() throws {
        #expect(try decode(#"{"title":"t","action":"acknowledge"}"#).action == .acknowledge)
        #expect(try decode(#"{"dedup_key":"k","action":"resolve"}"#).action == .resolve)
        #expect(try decode(#"{"dedup_key":"k","title":"","action":"resolve"}"#).title == "")
    }

    @Test(arguments: ["dedup_key", "title", "description", "source", "service", "component", "severity", "action", "timestamp"])
    func stringFieldsRejectOtherTypes(field: String) throws {
        for (value, type) in [("5", "an integer"), ("true", "a boolean"), ("[\"x\"]", "an array"), ("{}", "an object"), ("1.5", "a number")] {
            let base = field == "title" ? #"{"dedup_key":"k""# : #"{"title":"t""#
            let m = try #require(rejection(base + #","\#(field)":\#(value)}"#, path: "args.alerts[3]"))
            #expect(m == "args.alerts[3]: \(field) is \(type); expected a string")
        }
    }

    @Test func unknownField() throws {
        let m = try #require(rejection(#"{"title":"t","sevrity":"SEV-1"}"#))
        #expect(m.hasPrefix("args: unknown alert field 'sevrity'; expected one of dedup_key, title,"))
    }

    @Test func unknownFieldComesBeforeBadValuesAndNonASCIINamesAreUnknown() throws {
        // The one-pass decoding keeps the old order: an unknown field is reported before a
        // mistyped known one, wherever it stands.
        let late = try #require(rejection(#"{"title":5,"severity":true,"colour":"red"}"#))
        #expect(late.hasPrefix("args: unknown alert field 'colour'"), "\(late)")
        let accented = try #require(rejection(#"{"title":"t","tı́tle":"x"}"#))
        #expect(accented.hasPrefix("args: unknown alert field 'tı́tle'"), "\(accented)")
    }

    @Test func badSeverity() throws {
        let m = try #require(rejection(#"{"title":"t","severity":"SEV-7"}"#))
        #expect(m == "args: severity 'SEV-7' is not valid; expected one of SEV-0, SEV-1, SEV-2, SEV-3, SEV-4, critical, error, warning, info")
        #expect(rejection(#"{"title":"t","severity":"high"}"#)?.contains("severity 'high' is not valid") == true)
    }

    @Test func badAction() throws {
        let m = try #require(rejection(#"{"title":"t","action":"close"}"#))
        #expect(m == "args: action 'close' is not valid; expected trigger, acknowledge or resolve")
    }

    @Test func badTimestamp() throws {
        let m = try #require(rejection(#"{"title":"t","timestamp":"2026-13-01T00:00:00Z"}"#))
        #expect(m == "args: timestamp '2026-13-01T00:00:00Z' is not an RFC 3339 time; expected e.g. 2026-11-27T18:00:00Z")
        #expect(rejection(#"{"title":"t","timestamp":"yesterday"}"#)?.contains("timestamp 'yesterday' is not an RFC 3339 time") == true)
    }

    @Test func labels() throws {
        let m = try #require(rejection(#"{"title":"t","labels":{"env":"prod","replicas":3}}"#))
        #expect(m == "args: labels.replicas is an integer; expected a string")
        let n = try #require(rejection(#"{"title":"t","labels":{"env":null}}"#))
        #expect(n == "args: labels.env is null; expected a string")
        let list = try #require(rejection(#"{"title":"t","labels":["env"]}"#))
        #expect(list == "args: labels is an array; expected an object of strings")
        #expect(try decode(#"{"title":"t","labels":{}}"#).labels == [:])
    }

    @Test func affectedUsersPct() throws {
        #expect(try decode(#"{"title":"t","affected_users_pct":0}"#).affectedUsersPct == 0)
        #expect(try decode(#"{"title":"t","affected_users_pct":100}"#).affectedUsersPct == 100)
        let s = try #require(rejection(#"{"title":"t","affected_users_pct":"50"}"#))
        #expect(s == "args: affected_users_pct is a string; expected a number 0-100")
        let high = try #require(rejection(#"{"title":"t","affected_users_pct":150}"#))
        #expect(high.hasPrefix("args: affected_users_pct 150"))
        #expect(high.contains("out of range"))
        #expect(rejection(#"{"title":"t","affected_users_pct":-1}"#)?.contains("out of range") == true)
    }

    @Test func affectedServices() throws {
        let s = try #require(rejection(#"{"title":"t","affected_services":"checkout"}"#))
        #expect(s == "args: affected_services is a string; expected a list of strings")
        let item = try #require(rejection(#"{"title":"t","affected_services":["a",2]}"#))
        #expect(item == "args: affected_services[1] is an integer; expected a string")
        #expect(rejection(#"{"title":"t","affected_services":[""]}"#)?.contains("affected_services entry is empty") == true)
    }

    @Test func links() throws {
        let a = try decode(#"{"title":"t","links":["https://a",{"href":"https://b","text":"B"}]}"#)
        #expect(a.links == [Alert.Link(href: "https://a"), Alert.Link(href: "https://b", text: "B")])
        let notList = try #require(rejection(#"{"title":"t","links":"https://a"}"#))
        #expect(notList == "args: links is a string; expected a list")
        let num = try #require(rejection(#"{"title":"t","links":["https://a",7]}"#))
        #expect(num == "args: links[1] is an integer; expected a URL string or {href, text}")
        let noHref = try #require(rejection(#"{"title":"t","links":[{"text":"x"}]}"#))
        #expect(noHref == "args: links[0].href is missing; expected a URL string")
        let numHref = try #require(rejection(#"{"title":"t","links":[{"href":5}]}"#))
        #expect(numHref.hasPrefix("args: links[0].href"))
        #expect(rejection(#"{"title":"t","links":[""]}"#)?.contains("link href is empty") == true)
    }

    @Test func validationRunsWithThePath() throws {
        let empty = try #require(rejection(#"{"title":""}"#, path: "args.alerts[0]"))
        #expect(empty == "args.alerts[0]: title is empty; expected 1 to 512 bytes")
        let missing = try #require(rejection(#"{"source":"prometheus"}"#))
        #expect(missing == "args: title is empty; expected 1 to 512 bytes")
        let long = try #require(rejection(#"{"title":"\#(String(repeating: "x", count: 513))"}"#))
        #expect(long.contains("is 513 bytes; expected at most 512"))
        var limits = AlertLimits()
        limits.titleBytesMax = 4
        #expect(throws: AdminError.self) { try Alert(json: try object(#"{"title":"12345"}"#), path: "args", limits: limits) }
    }

    @Test func jsonRoundTrip() throws {
        let full = Alert(
            title: "Disk full on db-1", dedupKey: "disk-db-1", description: "98% used", source: "prometheus",
            service: "orders-db", component: "primary", severity: .explicit(.sev1), action: .trigger,
            labels: ["host": "db-1", "env": "prod"], affectedUsersPct: 12.5, affectedServices: ["orders", "billing"],
            links: [Alert.Link(href: "https://runbook/disk", text: "runbook"), Alert.Link(href: "https://g/d")],
            timestamp: Timestamp(unixMillis: 1_795_000_000_123))
        let variants = [
            full,
            Alert(title: "minimal"),
            Alert(title: "", dedupKey: "k", action: .resolve),
            Alert(title: "ack", severity: .level(.warning), action: .acknowledge, timestamp: Timestamp(unixMillis: 1_795_000_000_000)),
            Alert(title: "zero", affectedUsersPct: 0),
        ]
        for a in variants {
            let back = try Alert(json: a.json, path: "args")
            #expect(back == a)
            // Through the serializer and parser too.
            let text = JSONValue.object(a.json).jsonString
            #expect(try decode(text) == a)
        }
        // Fields left at their defaults are omitted.
        #expect(Alert(title: "minimal").json.keys == ["title"])
    }
}
