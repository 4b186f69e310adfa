/// An integration key (PagerDuty Events API v2 `routing_key`): which service the events sent with
/// it belong to.
public struct Integration: Sendable, Equatable {
    /// The key itself (what senders put in `routing_key`).
    public var key: String
    /// The service its alerts are for.
    public var service: String
    /// What sends with it (for people).
    public var description: String

    /// Creates an integration.
    public init(key: String, service: String, description: String = "") {
        self.key = key
        self.service = service
        self.description = description
    }

    /// Checks the fields.
    /// - Throws: `DomainError.badRequest` naming the bad value.
    public func validate() throws(DomainError) {
        guard (16...128).contains(key.utf8.count), key.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }) else {
            throw .badRequest("integration key '\(key)' is not valid; expected 16-128 letters and digits (`aether integration create` makes one)")
        }
        guard (1...AlertLimits().nameBytesMax).contains(service.utf8.count) else {
            throw .badRequest("integration '\(key)' service '\(service)' is empty or too long; expected 1-\(AlertLimits().nameBytesMax) bytes")
        }
        guard description.utf8.count <= 256 else {
            throw .badRequest("integration '\(key)' description is \(description.utf8.count) bytes; expected at most 256")
        }
    }
}
