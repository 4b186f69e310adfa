import IncidentCore
import PosixIO
import Synchronization

/// Time-zone rules by IANA name, read from the system's tz database (`/usr/share/zoneinfo`) once
/// each and kept.
final class ZoneDatabase: Sendable {
    /// Where the TZif files are.
    let directory: String
    private let cache = Mutex<[String: ZoneRules]>([:])

    init(directory: String = "/usr/share/zoneinfo") {
        self.directory = directory
    }

    /// The rules of a zone.
    /// - Throws: `DomainError.badRequest` naming the zone when it is not a valid name or not installed.
    func rules(for name: String) throws(DomainError) -> ZoneRules {
        if name == "UTC" || name == "Etc/UTC" { return .utc }
        if let hit = cache.withLock({ $0[name] }) { return hit }
        let bytes = name.utf8
        let valid =
            (1...64).contains(bytes.count) && !name.hasPrefix("/") && !name.contains("..")
            && bytes.allSatisfy { b in
                (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 47 || b == 95 || b == 45 || b == 43
            }
        guard valid else {
            throw .badRequest("time zone '\(name)' is not valid; expected an IANA name such as America/New_York or Europe/Berlin")
        }
        let data: [UInt8]
        do { data = try PosixFile(path: "\(directory)/\(name)", create: false, readOnly: true).readAll() } catch {
            throw .badRequest("unknown time zone '\(name)': not in \(directory); expected an IANA name such as America/New_York")
        }
        let rules = try ZoneRules(name: name, tzif: data)
        cache.withLock { $0[name] = rules }
        return rules
    }
}
