import Testing

@testable import IncidentCore

@Suite("Alert validation against AlertLimits")
struct AlertValidationTests {
    /// One invalid alert and the field name its error must mention.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var alert: Alert
        var field: String
        var testDescription: String { name }
    }

    static func text(_ bytes: Int) -> String { String(repeating: "x", count: bytes) }

    static let limits = AlertLimits()

    static let invalid: [Case] = [
        Case(name: "empty title on trigger", alert: Alert(title: ""), field: "title"),
        Case(name: "empty title without dedup key", alert: Alert(title: "", action: .resolve), field: "title"),
        Case(name: "title too long", alert: Alert(title: text(513)), field: "title"),
        Case(name: "title too long in bytes", alert: Alert(title: String(repeating: "é", count: 257)), field: "title"),
        Case(name: "empty dedup key", alert: Alert(title: "t", dedupKey: ""), field: "dedup_key"),
        Case(name: "dedup key too long", alert: Alert(title: "t", dedupKey: text(257)), field: "dedup_key"),
        Case(name: "description too long", alert: Alert(title: "t", description: text(16_385)), field: "description"),
        Case(name: "source too long", alert: Alert(title: "t", dedupKey: "k", source: text(129)), field: "source"),
        Case(name: "service too long", alert: Alert(title: "t", dedupKey: "k", service: text(129)), field: "service"),
        Case(name: "component too long", alert: Alert(title: "t", component: text(129)), field: "component"),
        Case(
            name: "derived dedup key too long",
            alert: Alert(title: text(512), source: "prometheus", service: "payment-service"), field: "dedup_key"),
        Case(
            name: "too many labels",
            alert: Alert(title: "t", labels: Dictionary(uniqueKeysWithValues: (0..<65).map { ("k\($0)", "v") })),
            field: "labels"),
        Case(name: "empty label name", alert: Alert(title: "t", labels: ["": "v"]), field: "label name"),
        Case(name: "label name too long", alert: Alert(title: "t", labels: [text(129): "v"]), field: "label name"),
        Case(name: "label value too long", alert: Alert(title: "t", labels: ["env": text(1025)]), field: "label 'env'"),
        Case(name: "pct below 0", alert: Alert(title: "t", affectedUsersPct: -0.1), field: "affected_users_pct"),
        Case(name: "pct above 100", alert: Alert(title: "t", affectedUsersPct: 100.01), field: "affected_users_pct"),
        Case(name: "pct NaN", alert: Alert(title: "t", affectedUsersPct: .nan), field: "affected_users_pct"),
        Case(name: "pct infinite", alert: Alert(title: "t", affectedUsersPct: .infinity), field: "affected_users_pct"),
        Case(
            name: "too many affected services",
            alert: Alert(title: "t", affectedServices: (0..<65).map { "s\($0)" }), field: "affected_services"),
        Case(name: "empty affected service", alert: Alert(title: "t", affectedServices: ["a", ""]), field: "affected_services entry"),
        Case(
            name: "affected service too long", alert: Alert(title: "t", affectedServices: [text(129)]),
            field: "affected_services entry"),
        Case(
            name: "too many links", alert: Alert(title: "t", links: (0..<17).map { Alert.Link(href: "https://x/\($0)") }),
            field: "links"),
        Case(name: "empty link href", alert: Alert(title: "t", links: [Alert.Link(href: "")]), field: "link href"),
        Case(name: "link href too long", alert: Alert(title: "t", links: [Alert.Link(href: text(1025))]), field: "link href"),
        Case(
            name: "link text too long", alert: Alert(title: "t", links: [Alert.Link(href: "https://x", text: text(129))]),
            field: "link text"),
    ]

    @Test("each limit is a bad request naming the field", arguments: invalid)
    func invalidAlert(c: Case) {
        let error = domainError { try c.alert.validate() }
        guard case .badRequest(let message) = error else {
            Issue.record("\(c.name): expected bad_request, got \(String(describing: error))")
            return
        }
        #expect(message.hasPrefix(c.field) || message.contains(c.field), "\(c.name): \(message)")
        #expect(error?.code == "bad_request")
        #expect(error?.description == "bad_request: \(message)")
    }

    @Test("long values are shortened in messages")
    func longValuesShortened() {
        let error = domainError { try Alert(title: Self.text(600)).validate() }
        let message = error?.message ?? ""
        #expect(message.contains("600 bytes"))
        #expect(message.contains("…"))
        #expect(message.utf8.count < 200)
    }

    static let valid: [(String, Alert)] = [
        ("minimal", Alert(title: "t")),
        ("title at the limit", Alert(title: text(512), dedupKey: "k")),
        ("empty title on resolve with dedup key", Alert(title: "", dedupKey: "k", action: .resolve)),
        ("empty title on acknowledge with dedup key", Alert(title: "", dedupKey: "k", action: .acknowledge)),
        ("dedup key at the limit", Alert(title: "t", dedupKey: text(256))),
        ("names at the limit", Alert(title: "t", dedupKey: "k", source: text(128), service: text(128), component: text(128))),
        ("64 labels", Alert(title: "t", labels: Dictionary(uniqueKeysWithValues: (0..<64).map { ("k\($0)", text(1024)) }))),
        ("empty label value", Alert(title: "t", labels: ["env": ""])),
        ("pct 0", Alert(title: "t", affectedUsersPct: 0)),
        ("pct 100", Alert(title: "t", affectedUsersPct: 100)),
        ("64 affected services", Alert(title: "t", affectedServices: (0..<64).map { "s\($0)" })),
        ("16 links", Alert(title: "t", links: (0..<16).map { Alert.Link(href: "https://x/\($0)", text: text(128)) })),
        (
            "a full alert",
            Alert(
                title: "DB pool exhausted", description: "d", source: "prometheus", service: "payment-service",
                component: "db-pool", severity: .explicit(.sev1), labels: ["env": "prod"], affectedUsersPct: 42.5,
                affectedServices: ["checkout"], links: [Alert.Link(href: "https://runbook", text: "runbook")],
                timestamp: Fixture.t0)
        ),
    ]

    @Test("alerts within every limit are accepted", arguments: valid)
    func validAlert(name: String, alert: Alert) {
        #expect(domainError { try alert.validate() } == nil, "\(name)")
    }

    @Test("custom limits are honoured")
    func customLimits() {
        var limits = AlertLimits()
        limits.titleBytesMax = 5
        limits.linksMax = 0
        #expect(domainError { try Alert(title: "12345").validate(limits: limits) } == nil)
        #expect(domainError { try Alert(title: "123456").validate(limits: limits) }?.message.contains("title") == true)
        let withLink = Alert(title: "t", links: [Alert.Link(href: "https://x")])
        #expect(domainError { try withLink.validate(limits: limits) }?.message.contains("links") == true)
    }

    @Test("the derived dedup key is source|service|title; an explicit key wins")
    func derivedDedupKey() {
        #expect(Alert(title: "DB down", source: "prometheus", service: "payments").effectiveDedupKey == "prometheus|payments|DB down")
        #expect(Alert(title: "DB down").effectiveDedupKey == "||DB down")
        #expect(Alert(title: "DB down", dedupKey: "db-1", source: "p", service: "s").effectiveDedupKey == "db-1")
        #expect(Alert(title: "DB down", dedupKey: "", source: "p").effectiveDedupKey == "")
    }

    @Test("an opening records the derived key, sorted labels, and the earlier of source time and arrival")
    func openingFromAlert() {
        let alert = Alert(
            title: "DB down", source: "prometheus", service: "payments", labels: ["z": "1", "a": "2"],
            timestamp: Fixture.t0 + .seconds(30))
        let triage = Triage.assess(alert, criticality: .medium, classifier: LearnedClassifier())
        let o = IncidentOpening(alert: alert, triage: triage, receivedAt: Fixture.t0)
        #expect(o.dedupKey == "prometheus|payments|DB down")
        #expect(o.labels.map(\.name) == ["a", "z"])
        #expect(o.detectedAt == Fixture.t0)  // a source clock ahead of ours is not trusted
        let earlier = IncidentOpening(
            alert: Alert(title: "x", timestamp: Fixture.t0 - .seconds(5)), triage: triage, receivedAt: Fixture.t0)
        #expect(earlier.detectedAt == Fixture.t0 - .seconds(5))
        #expect(o.alert.effectiveDedupKey == alert.effectiveDedupKey)
    }
}
