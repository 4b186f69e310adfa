import AetherJSON

/// An HTTP/1.1 response to be written: status, header fields and a body.
///
/// ``serialized(keepAlive:)`` owns the framing: it writes `Content-Length` and `Connection` itself
/// and drops those fields (and `Transfer-Encoding`) from ``headers``, so a response can never frame
/// itself differently from its body.
public struct HTTPResponse: Sendable {
    /// The status code, 100–999.
    public var status: Int
    /// Header fields in order; names must be tokens, CR/LF/NUL in values are written as spaces.
    public var headers: [(name: String, value: String)]
    /// The body; not written for 1xx, 204 and 304, which have none.
    public var body: [UInt8]

    /// Creates a response.
    /// - Parameters:
    ///   - status: The status code.
    ///   - headers: Header fields other than the framing ones.
    ///   - body: The body bytes.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body is the compact JSON text of `value`, as `application/json`.
    /// - Parameters:
    ///   - status: The status code.
    ///   - value: The body.
    public static func json(_ status: Int, _ value: JSONValue) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: value.serialized())
    }

    /// A response whose body is `text` as UTF-8.
    /// - Parameters:
    ///   - status: The status code.
    ///   - text: The body.
    ///   - contentType: The `Content-Type`.
    public static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8")
        -> HTTPResponse
    {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    /// The bytes to write: `HTTP/1.1 <code> <reason>`, the header fields, `Content-Length` (except
    /// for 1xx, 204 and 304), `Connection: keep-alive` or `close`, an empty line, then the body.
    /// - Parameter keepAlive: Whether the connection stays open after this response.
    /// - Returns: The response bytes.
    public func serialized(keepAlive: Bool) -> [UInt8] {
        precondition((100...999).contains(status), "HTTP status \(status) is not a three-digit code")
        let hasBody = status >= 200 && status != 204 && status != 304
        var out: [UInt8] = []
        out.reserveCapacity(128 + body.count)
        out += "HTTP/1.1 \(status) \(Self.reasonPhrase(status))\r\n".utf8
        for field in headers {
            precondition(HTTPSyntax.isToken(field.name.utf8), "HTTP header name '\(field.name)' is not a token")
            let name = field.name
            if ["content-length", "connection", "transfer-encoding"].contains(HTTPSyntax.lowercased(name.utf8)) {
                continue
            }
            out += name.utf8
            out += ": ".utf8
            out += field.value.utf8.map { $0 == HTTPSyntax.cr || $0 == HTTPSyntax.lf || $0 == 0 ? HTTPSyntax.sp : $0 }
            out += "\r\n".utf8
        }
        if hasBody { out += "Content-Length: \(body.count)\r\n".utf8 }
        out += (keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n").utf8
        if hasBody { out += body }
        return out
    }

    /// The reason phrase for `status` (RFC 9110 §15); empty for codes without a common one.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return ""
        }
    }
}
