import Foundation
import Testing

@testable import IncidentCore

@Suite("OnCall iCalendar export")
struct OnCallICalendarTests {
    private static let shifts = [
        Shift(person: "ann", start: ts("2026-03-02T14:00:00Z"), end: ts("2026-03-09T13:00:00Z"), source: "weekly"),
        Shift(person: "Zoë; \"the\" \\ boss, ops\nteam", start: ts("2026-03-09T13:00:00Z"), end: ts("2026-03-10T13:00:00Z"), source: "override"),
        Shift(
            person: String(repeating: "日本語", count: 20) + "👩🏽‍💻", start: ts("2026-03-10T13:00:00Z"),
            end: ts("2026-03-11T13:00:00Z"), source: "weekly"),
    ]

    private static func export(_ name: String = "payments-primary") -> String {
        ICalendar.export(calendarName: name, shifts: shifts, generatedAt: ts("2026-03-01T12:00:00Z"))
    }

    @Test("structure: CRLF lines, header, one VEVENT per shift, UTC times")
    func structure() {
        let ics = Self.export()
        #expect(ics.hasSuffix("END:VCALENDAR\r\n"))
        let bytes = Array(ics.utf8)
        for (i, b) in bytes.enumerated() where b == 10 { #expect(i > 0 && bytes[i - 1] == 13) }
        for (i, b) in bytes.enumerated() where b == 13 { #expect(i + 1 < bytes.count && bytes[i + 1] == 10) }
        let lines = Self.unfolded(ics)
        #expect(lines.prefix(3) == ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Aether//On-call schedule//EN"])
        #expect(lines.filter { $0 == "BEGIN:VEVENT" }.count == 3)
        #expect(lines.filter { $0 == "END:VEVENT" }.count == 3)
        #expect(lines.contains("DTSTART:20260302T140000Z"))
        #expect(lines.contains("DTEND:20260309T130000Z"))
        #expect(lines.filter { $0 == "DTSTAMP:20260301T120000Z" }.count == 3)
        #expect(lines.contains("SUMMARY:On call: ann"))
    }

    @Test("TEXT escaping of backslash, semicolon, comma and newline")
    func escaping() {
        let lines = Self.unfolded(Self.export("team, ops; night\\day"))
        #expect(lines.contains(#"SUMMARY:On call: Zoë\; "the" \\ boss\, ops\nteam"#))
        #expect(lines.contains(#"X-WR-CALNAME:team\, ops\; night\\day"#))
        #expect(ICalendar.escapeText("a\r\nb\rc\u{7}d") == #"a\nb\ncd"#)
    }

    @Test("folding: no line over 75 octets, folds keep UTF-8 whole, unfolding restores the text")
    func folding() {
        let ics = Self.export()
        var longest = 0
        for line in ics.split(separator: "\r\n", omittingEmptySubsequences: false) {
            longest = max(longest, line.utf8.count)
            #expect(line.utf8.count <= 75, "\(line)")
            // Each physical line is valid UTF-8 on its own: no sequence is split.
            #expect(String(validating: Array(line.utf8), as: UTF8.self) != nil)
        }
        #expect(longest > 70)  // the long summary really was folded
        let summary = Self.unfolded(ics).first { $0.hasPrefix("SUMMARY:On call: 日本語") }
        #expect(summary == "SUMMARY:On call: " + String(repeating: "日本語", count: 20) + "👩🏽‍💻")
        let folded = ICalendar.fold(String(repeating: "é", count: 100))  // 2-byte scalars
        #expect(folded.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 75 })
    }

    @Test("UIDs are deterministic and distinct")
    func uids() {
        let a = Self.unfolded(Self.export()).filter { $0.hasPrefix("UID:") }
        let b = Self.unfolded(Self.export()).filter { $0.hasPrefix("UID:") }
        #expect(a == b)
        #expect(Set(a).count == 3)
        let other = Self.unfolded(Self.export("another")).filter { $0.hasPrefix("UID:") }
        #expect(Set(other).isDisjoint(with: a))
    }

    @Test("an export of a real schedule is written to /tmp for an external parser")
    func writeSample() throws {
        let ny = try OnCallFixtures.zone("America/New_York")
        let schedule = Schedule(
            name: "payments-primary", timeZone: "America/New_York",
            layers: [
                ScheduleLayer(
                    name: "weekly", start: day("2026-03-02"), handoff: clock("09:00"), rotation: .weekly,
                    participants: ["alice", "bob", "Zoë, ops; night"])
            ])
        let calc = OnCallCalculator(schedule: schedule, zone: ny)
        let shifts = calc.shifts(from: ts("2026-03-02T00:00:00Z"), to: ts("2026-06-01T00:00:00Z"))
        let ics = ICalendar.export(calendarName: schedule.name, shifts: shifts + Self.shifts, generatedAt: ts("2026-03-01T12:00:00Z"))
        try Data(ics.utf8).write(to: URL(fileURLWithPath: "/tmp/aether-oncall-sample.ics"))
        #expect(Self.unfolded(ics).filter { $0 == "BEGIN:VEVENT" }.count == shifts.count + 3)
    }

    /// Content lines after RFC 5545 unfolding (CRLF followed by a space joins).
    static func unfolded(_ ics: String) -> [String] {
        var lines: [String] = []
        for physical in ics.split(separator: "\r\n", omittingEmptySubsequences: true) {
            if physical.hasPrefix(" "), !lines.isEmpty {
                lines[lines.count - 1] += physical.dropFirst()
            } else {
                lines.append(String(physical))
            }
        }
        return lines
    }
}
