/// Why an HTTP/1.1 request could not be parsed: the status to answer with and a message naming the bad value.
///
/// The parser stops at the first error; the connection is answered with `status` and then closed,
/// because the rest of the byte stream can no longer be framed reliably (RFC 9112 §2.2, §6.3).
public struct HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The response status: 400, 411, 413, 414, 431, 501 or 505.
    public var status: Int
    /// What was wrong, naming the bad value and what was expected.
    public var message: String

    /// Creates an error.
    /// - Parameters:
    ///   - status: The HTTP status code to answer with.
    ///   - message: A message naming the bad value.
    public init(status: Int, message: String) {
        self.status = status
        self.message = message
    }

    /// `"<status> <message>"`.
    public var description: String { "\(status) \(message)" }

    static func badRequest(_ message: String) -> HTTPParseError { HTTPParseError(status: 400, message: message) }
}
