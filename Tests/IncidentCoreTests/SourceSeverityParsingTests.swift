import Testing

@testable import IncidentCore

/// `SourceSeverity(parsing:)` reads ASCII without Unicode case mapping; it must answer exactly what
/// the case-mapping reading answers.
@Suite struct SourceSeverityParsingTests {
    /// The reading by Unicode case mapping, as it was before the ASCII path.
    static func reference(_ text: String) -> SourceSeverity? {
        let t = text.uppercased()
        if t.hasPrefix("SEV") {
            var digits = t.dropFirst(3)
            if digits.first == "-" { digits = digits.dropFirst() }
            if digits.count == 1, let n = Int(digits), let s = Severity(rawValue: n) { return .explicit(s) }
        }
        return MonitoringLevel(rawValue: text.lowercased()).map { .level($0) }
    }

    @Test func knownSpellings() {
        #expect(SourceSeverity(parsing: "SEV-0") == .explicit(.sev0))
        #expect(SourceSeverity(parsing: "sev4") == .explicit(.sev4))
        #expect(SourceSeverity(parsing: "Sev-2") == .explicit(.sev2))
        #expect(SourceSeverity(parsing: "SEV-5") == nil)
        #expect(SourceSeverity(parsing: "SEV--1") == nil)
        #expect(SourceSeverity(parsing: "WARNING") == .level(.warning))
        #expect(SourceSeverity(parsing: "Critical") == .level(.critical))
        #expect(SourceSeverity(parsing: "crit") == nil)
        #expect(SourceSeverity(parsing: "") == nil)
        // Unicode case mapping still applies beyond ASCII: ſ (long s) upper-cases to S.
        #expect(SourceSeverity(parsing: "\u{17F}ev-1") == .explicit(.sev1))
    }

    @Test func randomTextAgreesWithCaseMapping() {
        var rng = SeededRandom(seed: 7)
        let pieces = ["s", "e", "v", "S", "E", "V", "-", "0", "1", "4", "5", "9", "w", "a", "r", "n", "i", "g", "c", "t", "l", "o", "f",
                      "W", "R", "N", "I", "G", "\u{17F}", "\u{130}", "\u{212A}", "\r\n", " ", "warning", "critical", "info", "error", "sev-"]
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &rng)] }.joined()
            #expect(SourceSeverity(parsing: text) == Self.reference(text), "\(text.debugDescription)")
        }
    }
}
