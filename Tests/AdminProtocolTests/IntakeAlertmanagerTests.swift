import AetherJSON
import IncidentCore
import Testing

@testable import AdminProtocol

private func decodeAM(_ json: String) throws(AdminError) -> [Alert] {
    try AlertmanagerWebhook.decode(Array(json.utf8))
}

/// The bad_request message for a webhook body (records an issue when it decodes).
private func amRejection(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    do {
        let alerts = try decodeAM(json)
        Issue.record("expected a rejection, got \(alerts)", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.code == .badRequest, sourceLocation: sourceLocation)
        return error.message
    }
}

/// One alert entry of a notification.
private func entry(
    status: String, labels: String, annotations: String, startsAt: String, endsAt: String = "0001-01-01T00:00:00Z",
    fingerprint: String
) -> String {
    #"{"status":"\#(status)","labels":{\#(labels)},"annotations":{\#(annotations)},"startsAt":"\#(startsAt)","endsAt":"\#(endsAt)","generatorURL":"http://prometheus.example.com:9090/graph?g0.expr=up+%3D%3D+0\u0026g0.tab=1","fingerprint":"\#(fingerprint)"}"#
}

private func notification(status: String, alerts: [String], commonLabels: String) -> String {
    #"""
    {"receiver":"aether","status":"\#(status)","alerts":[\#(alerts.joined(separator: ","))],
     "groupLabels":{"alertname":"PaymentsDown"},"commonLabels":{\#(commonLabels)},"commonAnnotations":{},
     "externalURL":"http://alertmanager.example.com:9093","version":"4",
     "groupKey":"{}/{team=\"payments\"}:{alertname=\"PaymentsDown\"}","truncatedAlerts":0}
    """#
}

private let labelsA = #""alertname":"PaymentsDown","instance":"10.0.0.1:8080","job":"payments-api","service":"payment-service","severity":"critical","team":"payments""#
private let labelsB = #""alertname":"PaymentsDown","instance":"10.0.0.2:8080","job":"payments-api","severity":"SEV-1","team":"payments""#
private let labelsC = #""alertname":"PaymentsDown","instance":"10.0.0.3:8080","job":"payments-api","severity":"page","team":"payments""#
private let annotationsA = #""summary":"Payments API down on 10.0.0.1","description":"up == 0 for 5m","runbook_url":"https://runbooks.example.com/payments-down""#

private func firingGroup(_ status: String = "firing") -> [String] {
    let resolved = status == "resolved"
    let ends = resolved ? "2026-11-27T18:30:00.123456789Z" : "0001-01-01T00:00:00Z"
    return [
        entry(status: status, labels: labelsA, annotations: annotationsA, startsAt: "2026-11-27T18:00:00.5+01:00",
              endsAt: ends, fingerprint: "a1b2c3d4e5f60718"),
        entry(status: status, labels: labelsB, annotations: "", startsAt: "2026-11-27T17:00:05Z", endsAt: ends,
              fingerprint: "0f1e2d3c4b5a6978"),
        entry(status: status, labels: labelsC, annotations: #""description":"third""#, startsAt: "2026-11-27T17:00:10Z",
              endsAt: ends, fingerprint: "1234567890abcdef"),
    ]
}

private let common = #""alertname":"PaymentsDown","job":"payments-api","team":"payments""#

@Suite struct IntakeAlertmanagerTests {
    @Test func firingGroupThenTheSameGroupResolved() throws {
        let firing = try decodeAM(notification(status: "firing", alerts: firingGroup(), commonLabels: common))
        #expect(firing.count == 3)
        let a = firing[0]
        #expect(a.dedupKey == "a1b2c3d4e5f60718")
        #expect(a.title == "Payments API down on 10.0.0.1")
        #expect(a.description == "up == 0 for 5m")
        #expect(a.source == "alertmanager")
        #expect(a.service == "payment-service")
        #expect(a.component == "10.0.0.1:8080")
        #expect(a.severity == .level(.critical))
        #expect(a.action == .trigger)
        #expect(a.labels == [
            "alertname": "PaymentsDown", "instance": "10.0.0.1:8080", "job": "payments-api",
            "service": "payment-service", "severity": "critical", "team": "payments",
        ])
        #expect(a.links == [
            Alert.Link(href: "http://prometheus.example.com:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1", text: "generator"),
            Alert.Link(href: "https://runbooks.example.com/payments-down", text: "runbook"),
        ])
        #expect(a.timestamp?.rfc3339 == "2026-11-27T17:00:00.500Z")
        // No summary: the alertname is the title; no service label: the job is the service.
        #expect(firing[1].title == "PaymentsDown" && firing[1].description == "")
        #expect(firing[1].service == "payments-api" && firing[1].severity == .explicit(.sev1))
        #expect(firing[2].severity == nil && firing[2].description == "third")  // "page" is not a severity
        #expect(firing.allSatisfy { $0.action == .trigger })

        let resolved = try decodeAM(notification(status: "resolved", alerts: firingGroup("resolved"), commonLabels: common))
        #expect(resolved.map(\.dedupKey) == firing.map(\.dedupKey))
        #expect(resolved.allSatisfy { $0.action == .resolve })
        #expect(resolved.allSatisfy { $0.timestamp?.rfc3339 == "2026-11-27T18:30:00.123Z" })
        for (f, r) in zip(firing, resolved) {
            var sameButAction = r
            sameButAction.action = .trigger
            sameButAction.timestamp = f.timestamp
            #expect(sameButAction == f)
        }
    }

    @Test func repeatedNotificationsMapToIdenticalAlerts() throws {
        let first = try decodeAM(notification(status: "firing", alerts: firingGroup(), commonLabels: common))
        let again = try decodeAM(notification(status: "firing", alerts: firingGroup(), commonLabels: common))
        #expect(first == again)
        // The group changes (one alert left, another joined, different common labels): alert A is unchanged.
        let newcomer = entry(
            status: "firing", labels: #""alertname":"PaymentsDown","instance":"10.0.0.9:8080","team":"payments""#,
            annotations: "", startsAt: "2026-11-27T18:20:00Z", fingerprint: "ffffffffffffffff")
        let later = try decodeAM(notification(
            status: "firing", alerts: [newcomer, firingGroup()[0]], commonLabels: #""alertname":"PaymentsDown","team":"payments""#))
        #expect(later[1] == first[0])
        #expect(later[0].service == "" && later[0].component == "10.0.0.9:8080")
    }

    @Test func anAlertWithoutStatusTakesTheNotifications() throws {
        let json = #"{"version":"4","status":"resolved","alerts":[{"labels":{"alertname":"X"},"fingerprint":"f"}]}"#
        #expect(try decodeAM(json)[0].action == .resolve)
        #expect(amRejection(#"{"version":"4","alerts":[{"labels":{"alertname":"X"}}]}"#)
            == "alerts[0].status is missing; expected firing or resolved")
    }

    @Test func missingFingerprintIsTheLabelFingerprint() throws {
        let one = try decodeAM(#"{"version":"4","alerts":[{"status":"firing","labels":{"b":"2","alertname":"X","a":"1"}}]}"#)
        let two = try decodeAM(#"{"version":"4","alerts":[{"status":"resolved","labels":{"a":"1","alertname":"X","b":"2"},"fingerprint":""}]}"#)
        #expect(one[0].dedupKey == IntakeText.labelFingerprint(["a": "1", "b": "2", "alertname": "X"]))
        #expect(one[0].dedupKey == two[0].dedupKey)
        #expect(one[0].dedupKey?.utf8.count == 16)
        // Prometheus's own fingerprint test vectors (prometheus/common model: 14695981039346656037, 5799056148416392346).
        #expect(IntakeText.labelFingerprint([:]) == "cbf29ce484222325")
        #expect(IntakeText.labelFingerprint(["name": "garland, briggs", "fear": "love is not enough"]) == "507a62d79ee76c9a")
        #expect(IntakeText.labelFingerprint(["a": "1"]) != IntakeText.labelFingerprint(["a1": ""]))
    }

    @Test func blankTextIsUnicodeWhitespaceOnly() {
        for blank in ["", " ", "\t\n\r \u{0B}\u{0C}", "\u{00A0}", " \u{2028}\u{3000} ", "\r\n"] {
            #expect(blank.isBlank, "\(Array(blank.unicodeScalars))")
        }
        for text in ["x", "  x ", "\t-", "\u{00A0}x", "é", " \u{200B}", "\u{3000}日本"] {
            #expect(!text.isBlank, "\(Array(text.unicodeScalars))")
            #expect(text.isBlank == text.allSatisfy(\.isWhitespace))
        }
    }

    @Test func samplePayloadFromTheDocs() throws {
        // The v4 sample shipped with the alertmanager-webhook-types crate (docs.rs), as Alertmanager sends it.
        let json = #"""
            {"receiver":"sms","status":"firing",
             "alerts":[{"status":"firing",
               "labels":{"alertname":"ProbeFailure","instance":"https://server.example.org","job":"http_checks","monitor":"master","severity":"critical"},
               "annotations":{"description":"Instance https://server.example.org has been down for over 5m. Job: http_checks","summary":"BlackBox Probe Failure: https://server.example.org"},
               "startsAt":"2023-02-06T13:08:45.828Z","endsAt":"0001-01-01T00:00:00Z",
               "generatorURL":"http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0\\u0026g0.tab=1",
               "fingerprint":"1a30ba71cca2921f"}],
             "groupLabels":{"alertname":"ProbeFailure"},
             "commonLabels":{"alertname":"ProbeFailure","instance":"https://server.example.org","job":"http_checks","monitor":"master","severity":"critical"},
             "commonAnnotations":{"description":"Instance https://server.example.org has been down for over 5m. Job: http_checks","summary":"BlackBox Probe Failure: https://server.example.org"},
             "externalURL":"http://prometheus.example.org:9093","version":"4",
             "groupKey":"{}/{severity=\"critical\"}:{alertname=\"ProbeFailure\"}","truncatedAlerts":0}
            """#
        let alerts = try decodeAM(json)
        #expect(alerts.count == 1)
        let a = alerts[0]
        #expect(a.dedupKey == "1a30ba71cca2921f")
        #expect(a.title == "BlackBox Probe Failure: https://server.example.org")
        #expect(a.service == "http_checks" && a.component == "https://server.example.org")
        #expect(a.severity == .level(.critical) && a.action == .trigger)
        #expect(a.timestamp?.rfc3339 == "2023-02-06T13:08:45.828Z")
        #expect(a.links.count == 1 && a.links[0].text == "generator")

        // The older docs example: no fingerprint, nanosecond times with an offset, no summary.
        let gist = #"""
            {"receiver":"webhook","status":"firing","alerts":[{"status":"firing",
               "labels":{"alertname":"Test","dc":"eu-west-1","instance":"localhost:9090","job":"prometheus24"},
               "annotations":{"description":"some description"},
               "startsAt":"2018-08-03T09:52:26.739266876+02:00","endsAt":"0001-01-01T00:00:00Z",
               "generatorURL":"http://example.com:9090/graph?g0.expr=go_memstats_alloc_bytes+%3E+0\u0026g0.tab=1"}],
             "groupLabels":{"alertname":"Test","job":"prometheus24"},"commonLabels":{"alertname":"Test"},
             "commonAnnotations":{"description":"some description"},"externalURL":"http://example.com:9093",
             "version":"4","groupKey":"{}:{alertname=\"Test\", job=\"prometheus24\"}"}
            """#
        let b = try decodeAM(gist)[0]
        #expect(b.title == "Test" && b.description == "some description" && b.service == "prometheus24")
        #expect(b.timestamp?.rfc3339 == "2018-08-03T07:52:26.739Z")
        #expect(b.dedupKey == IntakeText.labelFingerprint(b.labels))
    }

    @Test func versionMismatch() {
        #expect(amRejection(#"{"version":"3","alerts":[]}"#) == "version '3' is not supported; expected '4'")
        #expect(amRejection(#"{"version":4,"alerts":[]}"#) == "version is an integer; expected the string '4'")
        #expect(amRejection(#"{"alerts":[]}"#) == "version is missing; expected '4'")
    }

    @Test func typeErrorsNameThePath() {
        func body(_ alerts: String) -> String { #"{"version":"4","status":"firing","alerts":\#(alerts)}"# }
        let ok = #"{"status":"firing","labels":{"alertname":"X"},"fingerprint":"f"}"#
        #expect(amRejection("[]") == "body is an array; expected a JSON object")
        #expect(amRejection("null") == "body is null; expected a JSON object")
        #expect(amRejection(#"{"version":"4""#) == "body is not valid JSON: unexpected end of input at offset 14; expected ',' or '}'")
        #expect(amRejection(body("{}")) == "alerts is an object; expected a list of alerts")
        #expect(amRejection(#"{"version":"4"}"#) == "alerts is missing; expected a list of alerts")
        #expect(amRejection(body("[\(ok),\"x\"]")) == "alerts[1] is a string; expected an object")
        #expect(amRejection(body("[\(ok),\(ok),\(ok),{\"labels\":\"x\"}]")) == "alerts[3].labels is a string; expected an object")
        #expect(amRejection(body(#"[{"labels":{"alertname":"X","severity":2}}]"#))
            == "alerts[0].labels.severity is an integer; expected a string")
        #expect(amRejection(body(#"[{"labels":{"alertname":"X"},"annotations":{"summary":["s"]}}]"#))
            == "alerts[0].annotations.summary is an array; expected a string")
        #expect(amRejection(body(#"[{"labels":{"alertname":"X"},"fingerprint":7}]"#))
            == "alerts[0].fingerprint is an integer; expected a string")
        #expect(amRejection(body(#"[{"labels":{"alertname":"X"},"generatorURL":{}}]"#))
            == "alerts[0].generatorURL is an object; expected a string")
        #expect(amRejection(body(#"[{"status":"pending","labels":{"alertname":"X"}}]"#))
            == "alerts[0].status 'pending' is not valid; expected firing or resolved")
        #expect(amRejection(#"{"version":"4","status":"ok","alerts":[]}"#) == "status 'ok' is not valid; expected firing or resolved")
        #expect(amRejection(body(#"[{"labels":{"alertname":"X"},"startsAt":"yesterday"}]"#))
            == "alerts[0].startsAt 'yesterday' is not an RFC 3339 time; expected e.g. 2026-11-27T18:00:00Z")
        #expect(amRejection(body(#"[{"labels":{"alertname":"X"},"endsAt":5}]"#))
            == "alerts[0].endsAt is an integer; expected a string")
        #expect(amRejection(body(#"[{"labels":{"job":"x"},"annotations":{"summary":""}}]"#))
            == "alerts[0] has neither annotations.summary nor labels.alertname; expected one of them for the title")
        let longService = String(repeating: "s", count: 129)
        #expect(amRejection(body(#"[{"labels":{"alertname":"X","service":"\#(longService)"}}]"#))
            == "alerts[0]: service '\(String(repeating: "s", count: 40))…' is 129 bytes; expected at most 128")
    }

    @Test func emptyAlertsAndLongText() throws {
        #expect(try decodeAM(#"{"version":"4","alerts":[]}"#).isEmpty)
        let summary = String(repeating: "x", count: 600)
        let description = String(repeating: "d", count: 20_000)
        let url = "http://g/" + String(repeating: "u", count: 1100)
        let a = try decodeAM(#"""
            {"version":"4","alerts":[{"status":"firing","labels":{"alertname":"X"},"generatorURL":"\#(url)",
              "annotations":{"summary":"\#(summary)","description":"\#(description)"}}]}
            """#)[0]
        #expect(a.title.utf8.count <= 512 && a.title.hasSuffix("…"))
        #expect(a.description.utf8.count <= 16_384 && a.description.hasPrefix(summary + "\n\nddd"))
        #expect(a.links.isEmpty)  // the generated URL is over the limit and left out
    }
}
