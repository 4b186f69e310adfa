import Testing

@testable import IncidentCore

@Suite("Severity scoring: impact, urgency and the severity thresholds")
struct SeverityScoringTests {
    // MARK: - Severity from scores (SPEC §3)

    @Test(
        "severity thresholds",
        arguments: [
            (9, 9, Severity.sev0), (10, 10, .sev0), (10, 9, .sev0), (9, 10, .sev0),
            (9, 8, .sev1), (8, 9, .sev1), (7, 0, .sev1), (0, 7, .sev1), (10, 0, .sev1), (0, 10, .sev1),
            (6, 6, .sev2), (5, 0, .sev2), (0, 5, .sev2), (6, 4, .sev2),
            (4, 4, .sev3), (3, 0, .sev3), (0, 3, .sev3), (4, 2, .sev3),
            (2, 2, .sev4), (0, 0, .sev4), (2, 0, .sev4), (0, 2, .sev4),
        ])
    func severityFromScores(impact: Int, urgency: Int, expected: Severity) {
        #expect(SeverityScoring.severity(impact: impact, urgency: urgency) == expected)
    }

    // MARK: - Impact

    @Test(
        "impact from affected users (medium criticality, no services)",
        arguments: [
            (Double?.some(100), 10), (90, 10), (89.99, 8), (50, 8), (49.99, 7), (25, 7), (24.99, 5), (10, 5),
            (9.99, 3), (1, 3), (0.99, 2), (0.5, 2), (0.001, 2), (0, 0), (nil, 0), (-5, 0), (.nan, 0),
        ] as [(Double?, Int)])
    func impactFromUsers(pct: Double?, expected: Int) {
        #expect(SeverityScoring.impact(affectedUsersPct: pct, affectedServiceCount: 0, criticality: .medium) == expected)
    }

    @Test(
        "impact from affected service count (medium criticality, no users)",
        arguments: [(0, 0), (1, 2), (2, 4), (3, 6), (4, 6), (5, 8), (6, 8), (100, 8)])
    func impactFromServices(count: Int, expected: Int) {
        #expect(SeverityScoring.impact(affectedUsersPct: nil, affectedServiceCount: count, criticality: .medium) == expected)
    }

    @Test("impact takes the larger of the users and services scores")
    func impactTakesMax() {
        // users 10% → 5, 3 services → 6
        #expect(SeverityScoring.impact(affectedUsersPct: 10, affectedServiceCount: 3, criticality: .medium) == 6)
        // users 50% → 8, 2 services → 4
        #expect(SeverityScoring.impact(affectedUsersPct: 50, affectedServiceCount: 2, criticality: .medium) == 8)
    }

    @Test(
        "criticality adjusts impact and the result is clamped to 0...10",
        arguments: [
            // 50% users → 8 before adjustment
            (Double?.some(50), 0, ServiceCriticality.critical, 10), (50, 0, .high, 9), (50, 0, .medium, 8),
            (50, 0, .low, 7),
            // 100% users → 10; +2 clamps to 10
            (100, 0, .critical, 10), (100, 6, .high, 10),
            // nothing → 0; −1 clamps to 0
            (nil, 0, .low, 0), (0, 0, .low, 0),
            // 0.5% → 2; low → 1
            (0.5, 0, .low, 1),
            // 1 service → 2; critical → 4
            (nil, 1, .critical, 4),
        ] as [(Double?, Int, ServiceCriticality, Int)])
    func criticalityAdjustment(pct: Double?, services: Int, criticality: ServiceCriticality, expected: Int) {
        #expect(
            SeverityScoring.impact(affectedUsersPct: pct, affectedServiceCount: services, criticality: criticality)
                == expected)
    }

    // MARK: - Urgency

    /// The symptom table of the scoring rules, written out independently.
    static let symptomWords: [(String, Int)] = [
        ("outage", 9), ("down", 9), ("unavailable", 9), ("unreachable", 9), ("crash", 9), ("crashed", 9),
        ("dead", 9), ("breach", 9), ("corruption", 9),
        ("failing", 7), ("failed", 7), ("failure", 7), ("timeout", 7), ("exhausted", 7), ("critical", 7),
        ("error", 6), ("exception", 6), ("5xx", 6),
        ("degraded", 5), ("slow", 5), ("latency", 5), ("saturation", 5), ("saturated", 5),
        ("warning", 3), ("capacity", 3), ("deprecated", 3), ("deprecation", 3), ("approaching", 3),
        ("hello", 2), ("cpu", 2),
    ]

    @Test("each symptom word scores its urgency", arguments: symptomWords)
    func symptomWord(word: String, expected: Int) {
        #expect(SeverityScoring.urgency(tokens: [word], level: nil, timeSensitive: false) == expected)
    }

    @Test("no words at all is the base urgency 2")
    func noWords() {
        #expect(SeverityScoring.urgency(tokens: [], level: nil, timeSensitive: false) == 2)
    }

    @Test("the strongest symptom wins")
    func strongestSymptom() {
        #expect(SeverityScoring.urgency(tokens: ["slow", "warning", "outage", "error"], level: nil, timeSensitive: false) == 9)
        #expect(SeverityScoring.urgency(tokens: ["slow", "warning"], level: nil, timeSensitive: false) == 5)
    }

    @Test(
        "monitoring level feeds urgency",
        arguments: [
            (MonitoringLevel?.some(.critical), 9), (.error, 6), (.warning, 3),
            (.info, 2),  // max(base 2, info 1)
            (nil, 2),
        ] as [(MonitoringLevel?, Int)])
    func monitoringLevel(level: MonitoringLevel?, expected: Int) {
        #expect(SeverityScoring.urgency(tokens: ["something"], level: level, timeSensitive: false) == expected)
    }

    @Test("urgency takes the larger of symptom and level")
    func symptomVersusLevel() {
        #expect(SeverityScoring.urgency(tokens: ["slow"], level: .critical, timeSensitive: false) == 9)
        #expect(SeverityScoring.urgency(tokens: ["outage"], level: .info, timeSensitive: false) == 9)
        #expect(SeverityScoring.urgency(tokens: ["timeout"], level: .error, timeSensitive: false) == 7)
    }

    @Test("time_sensitive adds one and the result is clamped to 10")
    func timeSensitive() {
        #expect(SeverityScoring.urgency(tokens: ["slow"], level: nil, timeSensitive: true) == 6)
        #expect(SeverityScoring.urgency(tokens: [], level: .info, timeSensitive: true) == 3)
        #expect(SeverityScoring.urgency(tokens: ["outage"], level: .critical, timeSensitive: true) == 10)
        #expect(SeverityScoring.urgency(tokens: ["outage"], level: nil, timeSensitive: true) == 10)
    }

    // MARK: - Parsing severities

    @Test(
        "explicit severities that parse",
        arguments: [
            ("SEV-0", Severity.sev0), ("sev-1", .sev1), ("Sev-2", .sev2), ("SEV3", .sev3), ("sev4", .sev4),
            ("sEv-4", .sev4),
        ])
    func parseExplicitAccepted(text: String, expected: Severity) {
        #expect(Severity.parseExplicit(text) == expected)
    }

    @Test(
        "explicit severities that are rejected",
        arguments: [
            "SEV-5", "SEV-9", "SEV--1", "SEV-", "SEV", "SEV-10", "SEV-01", "SEV 1", " SEV-1", "SEV-1 ", "SEV_1",
            "SEVERITY-1", "S1", "P1", "", "critical", "1", "SEV-+1", "SEV+1", "SEV-x",
        ])
    func parseExplicitRejected(text: String) {
        #expect(Severity.parseExplicit(text) == nil)
    }

    @Test(
        "source severities: SEV-n or a monitoring level",
        arguments: [
            ("SEV-1", SourceSeverity?.some(.explicit(.sev1))), ("sev0", .explicit(.sev0)),
            ("critical", .level(.critical)), ("Error", .level(.error)), ("WARNING", .level(.warning)),
            ("info", .level(.info)), ("fatal", nil), ("", nil), ("sev-7", nil), ("warn", nil),
        ] as [(String, SourceSeverity?)])
    func sourceSeverity(text: String, expected: SourceSeverity?) {
        #expect(SourceSeverity(parsing: text) == expected)
    }

    @Test("severity helpers: description, raised, isMajor, order")
    func severityHelpers() {
        #expect(Severity.allCases.map(\.description) == ["SEV-0", "SEV-1", "SEV-2", "SEV-3", "SEV-4"])
        #expect(Severity.allCases.map(\.raised) == [.sev0, .sev0, .sev1, .sev2, .sev3])
        #expect(Severity.allCases.filter(\.isMajor) == [.sev0, .sev1])
        #expect(Severity.sev0 < .sev4)
        #expect(Severity.allCases.sorted() == Severity.allCases)
    }

    @Test("invalid severity messages name the value and the choices")
    func invalidMessage() {
        let strict = Severity.invalidMessage("SEV-9", allowMonitoringLevels: false)
        #expect(strict.contains("'SEV-9'") && strict.contains("SEV-4") && !strict.contains("critical"))
        let loose = Severity.invalidMessage("bad", allowMonitoringLevels: true)
        #expect(loose.contains("'bad'") && loose.contains("critical") && loose.contains("info"))
    }
}
