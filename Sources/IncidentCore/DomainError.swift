/// An error a domain decision returns to the caller, carrying the admin protocol's error code.
///
/// Messages name the bad value, what was expected and, where useful, what to do next:
/// `severity 'SEV-9' is not valid; expected one of SEV-0, SEV-1, SEV-2, SEV-3, SEV-4`.
public enum DomainError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input is malformed or out of range.
    case badRequest(String)
    /// The named thing does not exist.
    case notFound(String)
    /// The request is well-formed but not allowed in the current state.
    case conflict(String)
    /// A required capability or configuration is missing.
    case unavailable(String)

    /// The admin protocol code (`bad_request`, `not_found`, `conflict`, `unavailable`).
    public var code: String {
        switch self {
        case .badRequest: "bad_request"
        case .notFound: "not_found"
        case .conflict: "conflict"
        case .unavailable: "unavailable"
        }
    }

    /// The human-readable message.
    public var message: String {
        switch self {
        case .badRequest(let m), .notFound(let m), .conflict(let m), .unavailable(let m): m
        }
    }

    public var description: String { "\(code): \(message)" }
}
