import IncidentCore

/// An error answered on the admin protocol: a stable code plus a message that names the bad value
/// and what was expected. The client prints the message as is.
public struct AdminError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable error code (SPEC §4). Wraps a private enum so codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable {
            case badRequest = "bad_request"
            case unknownOp = "unknown_op"
            case notFound = "not_found"
            case conflict
            case unauthorized
            case forbidden
            case tooLarge = "too_large"
            case unavailable
            case `internal`
        }

        let base: Base

        /// The request is malformed: bad JSON, missing or mistyped fields, out-of-range values.
        public static let badRequest = Code(base: .badRequest)
        /// No such operation.
        public static let unknownOp = Code(base: .unknownOp)
        /// The incident (or other object) does not exist.
        public static let notFound = Code(base: .notFound)
        /// Not allowed in the current state.
        public static let conflict = Code(base: .conflict)
        /// No or unknown token.
        public static let unauthorized = Code(base: .unauthorized)
        /// The token's role may not do this.
        public static let forbidden = Code(base: .forbidden)
        /// The request line is over the size limit.
        public static let tooLarge = Code(base: .tooLarge)
        /// The node cannot do it now (shutting down, log failed, capability missing).
        public static let unavailable = Code(base: .unavailable)
        /// A bug; the message says what broke.
        public static let `internal` = Code(base: .internal)

        /// Parses a wire code; nil for codes this build does not know.
        public init?(wire: String) {
            guard let b = Base(rawValue: wire) else { return nil }
            base = b
        }

        init(base: Base) { self.base = base }

        /// The wire string.
        public var wire: String { base.rawValue }
        public var description: String { base.rawValue }
    }

    /// The code.
    public var code: Code
    /// The message.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The admin error for a domain error.
    public init(_ error: DomainError) {
        switch error {
        case .badRequest(let m): self.init(.badRequest, m)
        case .notFound(let m): self.init(.notFound, m)
        case .conflict(let m): self.init(.conflict, m)
        case .unavailable(let m): self.init(.unavailable, m)
        }
    }

    public var description: String { "\(code.wire): \(message)" }
}
