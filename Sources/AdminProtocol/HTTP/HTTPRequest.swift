/// One parsed HTTP/1.0 or HTTP/1.1 request: request line, header fields and the decoded body.
///
/// Produced by ``HTTPRequestParser``; the body is already de-chunked. Header fields keep their
/// order and spelling as received.
public struct HTTPRequest: Sendable, Equatable {
    /// The method token as sent, e.g. `GET` (methods are case-sensitive).
    public var method: String
    /// The raw request-target: `/path?query`, `*`, or an absolute URI.
    public var target: String
    /// The path of the target without its query, not percent-decoded (`*` for `OPTIONS *`).
    public var path: String
    /// The query's `name=value` pairs in order, percent-decoded with `+` as space; a name without
    /// `=` has the value `""`.
    public var query: [(String, String)]
    /// The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minor: Int
    /// Header fields in order, names as sent and values trimmed of surrounding whitespace.
    public var headers: [(name: String, value: String)]
    /// The message body (de-chunked); empty when the request has none.
    public var body: [UInt8]

    /// Creates a request (the parser makes them; tests and routers may too).
    /// - Parameters:
    ///   - method: The method token.
    ///   - target: The raw request-target.
    ///   - path: The target's path.
    ///   - query: The decoded query pairs.
    ///   - minor: 0 for HTTP/1.0, 1 for HTTP/1.1.
    ///   - headers: The header fields.
    ///   - body: The body.
    public init(
        method: String,
        target: String,
        path: String,
        query: [(String, String)] = [],
        minor: Int = 1,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = []
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.minor = minor
        self.headers = headers
        self.body = body
    }

    /// The first value of the header field `name`, compared ignoring ASCII case; nil when absent.
    public func header(_ name: String) -> String? {
        headers.first { HTTPSyntax.equalsIgnoringCase($0.name, name) }?.value
    }

    /// The first value of the query parameter `name` (case-sensitive); nil when absent.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.0 == name }?.1
    }

    /// Whether the connection stays open after the response (RFC 9112 §9.3).
    ///
    /// HTTP/1.1 persists unless a `Connection` field lists `close`; HTTP/1.0 persists only when one
    /// lists `keep-alive` (and none lists `close`).
    public var keepAlive: Bool {
        var close = false
        var keepAlive = false
        for field in headers where HTTPSyntax.equalsIgnoringCase(field.name, "Connection") {
            for option in field.value.split(separator: ",") {
                let o = option.trimmingWhitespace()
                if HTTPSyntax.equalsIgnoringCase(o, "close") { close = true }
                if HTTPSyntax.equalsIgnoringCase(o, "keep-alive") { keepAlive = true }
            }
        }
        if close { return false }
        return minor >= 1 || keepAlive
    }

    /// Equal when every field is equal, pair by pair for `query` and `headers`.
    public static func == (a: HTTPRequest, b: HTTPRequest) -> Bool {
        a.method == b.method && a.target == b.target && a.path == b.path && a.minor == b.minor
            && a.body == b.body
            && a.query.count == b.query.count && zip(a.query, b.query).allSatisfy { $0 == $1 }
            && a.headers.count == b.headers.count && zip(a.headers, b.headers).allSatisfy { $0 == $1 }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingWhitespace() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
