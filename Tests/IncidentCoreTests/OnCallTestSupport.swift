import Foundation
import Testing

@testable import IncidentCore

/// Test helpers for the OnCall suites. Tests may use Foundation to read zone files; the module
/// under test may not.
enum OnCallFixtures {
    /// The bytes of `/usr/share/zoneinfo/<id>`.
    static func tzifBytes(_ id: String) throws -> [UInt8] {
        let data = try #require(FileManager.default.contents(atPath: "/usr/share/zoneinfo/" + id), "no zone file for \(id)")
        return [UInt8](data)
    }

    /// The zone `id` from the system's zone files.
    static func zone(_ id: String) throws -> ZoneRules {
        try ZoneRules(name: id, tzif: tzifBytes(id))
    }
}

/// An RFC 3339 instant (a test-data error if malformed).
func ts(_ text: String) -> Timestamp {
    guard let t = Timestamp(rfc3339: text) else { preconditionFailure("bad test timestamp \(text)") }
    return t
}

/// A `YYYY-MM-DD` date (a test-data error if malformed).
func day(_ text: String) -> LocalDate {
    do { return try LocalDate(parsing: text) } catch { preconditionFailure("bad test date \(text): \(error)") }
}

/// An `HH:MM` time (24:00 allowed; a test-data error if malformed).
func clock(_ text: String) -> LocalTime {
    do { return try LocalTime(parsing: text, allowEndOfDay: true) } catch {
        preconditionFailure("bad test time \(text): \(error)")
    }
}

/// A local date-time from `YYYY-MM-DD` and `HH:MM`.
func local(_ date: String, _ time: String) -> LocalDateTime {
    LocalDateTime(date: day(date), time: clock(time))
}

extension Duration {
    /// Whole hours, for readable expectations.
    static func hours(_ h: Int) -> Duration { .seconds(h * 3600) }
}
