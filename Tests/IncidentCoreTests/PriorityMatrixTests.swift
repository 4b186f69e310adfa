import Testing

@testable import IncidentCore

@Suite("ITIL priority matrix and the severity floor")
struct PriorityMatrixTests {
    @Test(
        "all nine cells of the impact × urgency matrix",
        arguments: [
            (ITILLevel.high, ITILLevel.high, Priority.p1), (.high, .medium, .p2), (.high, .low, .p3),
            (.medium, .high, .p2), (.medium, .medium, .p3), (.medium, .low, .p4),
            (.low, .high, .p3), (.low, .medium, .p4), (.low, .low, .p5),
        ])
    func matrixCell(impact: ITILLevel, urgency: ITILLevel, expected: Priority) {
        #expect(PriorityMatrix.priority(impact: impact, urgency: urgency) == expected)
    }

    @Test(
        "level boundaries: ≥7 high, ≥4 medium, else low",
        arguments: [
            (10, ITILLevel.high), (7, .high), (6, .medium), (5, .medium), (4, .medium), (3, .low), (1, .low), (0, .low),
            (-1, .low),
        ])
    func levelFromScore(score: Int, expected: ITILLevel) {
        #expect(ITILLevel(score: score) == expected)
    }

    @Test(
        "scores map through the levels when the severity floor does not bind",
        arguments: [
            // impact, urgency, severity (SEV-4 floor is P5, so never binds) → matrix cell
            (10, 10, Priority.p1), (7, 4, .p2), (4, 7, .p2), (6, 6, .p3), (7, 3, .p3), (3, 7, .p3),
            (4, 3, .p4), (3, 4, .p4), (3, 3, .p5), (0, 0, .p5),
        ])
    func scoresThroughMatrix(impact: Int, urgency: Int, expected: Priority) {
        #expect(PriorityMatrix.priority(impactScore: impact, urgencyScore: urgency, severity: .sev4) == expected)
    }

    @Test(
        "an explicit severity sets a floor on the priority",
        arguments: [
            // low scores (matrix P5) are raised to the severity's floor
            (Severity.sev0, Priority.p1), (.sev1, .p2), (.sev2, .p3), (.sev3, .p4), (.sev4, .p5),
        ])
    func severityFloorWithLowScores(severity: Severity, expected: Priority) {
        #expect(PriorityMatrix.priority(impactScore: 0, urgencyScore: 0, severity: severity) == expected)
    }

    @Test("the floor never lowers a priority the matrix gives")
    func floorNeverLowers() {
        // high × high is P1 whatever the severity
        for s in Severity.allCases {
            #expect(PriorityMatrix.priority(impactScore: 9, urgencyScore: 9, severity: s) == .p1)
        }
        // medium × medium (P3) with SEV-3 (floor P4) stays P3; with SEV-1 (floor P2) becomes P2
        #expect(PriorityMatrix.priority(impactScore: 5, urgencyScore: 5, severity: .sev3) == .p3)
        #expect(PriorityMatrix.priority(impactScore: 5, urgencyScore: 5, severity: .sev1) == .p2)
    }

    @Test("explicit SEV-0 through triage is P1 even with low scores")
    func explicitSev0TriageIsP1() {
        let alert = Alert(title: "informational heads-up", severity: .explicit(.sev0))
        let t = Triage.assess(alert, criticality: .medium, classifier: LearnedClassifier())
        #expect(t.impact == 0)
        #expect(t.urgency == 2)
        #expect(t.severity == .sev0)
        #expect(t.severityExplicit)
        #expect(t.priority == .p1)
    }

    @Test(
        "priority parsing and description",
        arguments: [("P1", Priority?.some(.p1)), ("p5", .p5), ("P3", .p3), ("P0", nil), ("P6", nil), ("P", nil), ("P12", nil), ("1", nil), ("", nil)]
            as [(String, Priority?)])
    func priorityParsing(text: String, expected: Priority?) {
        #expect(Priority(parsing: text) == expected)
        if let expected { #expect(expected.description == text.uppercased()) }
    }

    @Test("P1 orders before P5")
    func priorityOrder() {
        #expect(Priority.p1 < .p5)
        #expect(Priority.allCases.sorted() == [.p1, .p2, .p3, .p4, .p5])
    }
}
