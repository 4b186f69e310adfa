/// The request line and header fields of a request being parsed, and the rules that check them
/// (RFC 9112 §3, §5, §6).
struct HTTPRequestHead: Sendable {
    /// How the body of a request is delimited (RFC 9112 §6.3).
    enum BodyFraming: Equatable {
        case none
        case length(Int)
        case chunked
    }

    var method = ""
    var target = ""
    var path = ""
    var query: [(String, String)] = []
    var minor = 1
    var headers: [(name: String, value: String)] = []

    init() {}

    /// The finished request.
    func request(body: [UInt8]) -> HTTPRequest {
        HTTPRequest(
            method: method,
            target: target,
            path: path,
            query: query,
            minor: minor,
            headers: headers,
            body: body
        )
    }

    // MARK: - Request line

    /// Parses `METHOD SP request-target SP HTTP-version`.
    init(requestLine line: ArraySlice<UInt8>) throws(HTTPParseError) {
        let parts = line.split(separator: HTTPSyntax.sp, maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw .badRequest(
                "request line '\(HTTPSyntax.describe(line))' is malformed; expected 'METHOD SP target SP HTTP/1.1'"
            )
        }
        guard HTTPSyntax.isToken(parts[0]) else {
            throw .badRequest("method '\(HTTPSyntax.describe(parts[0]))' is not a token")
        }
        method = String(decoding: parts[0], as: UTF8.self)
        minor = try Self.version(parts[2])
        try parseTarget(parts[1])
    }

    /// The minor version of `HTTP/1.0` or `HTTP/1.1`.
    private static func version(_ v: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        let text = String(decoding: v, as: UTF8.self)
        if text == "HTTP/1.1" { return 1 }
        if text == "HTTP/1.0" { return 0 }
        let digit = UInt8(ascii: "0")...UInt8(ascii: "9")
        let b = Array(v)
        if b.count == 8, text.hasPrefix("HTTP/"), digit.contains(b[5]), b[6] == UInt8(ascii: "."), digit.contains(b[7])
        {
            throw HTTPParseError(
                status: 505,
                message: "HTTP version '\(text)' is not supported; expected HTTP/1.0 or HTTP/1.1"
            )
        }
        throw .badRequest("HTTP version '\(HTTPSyntax.describe(v))' is malformed; expected HTTP/1.0 or HTTP/1.1")
    }

    /// Checks the request-target's form and splits it into path and query.
    private mutating func parseTarget(_ t: ArraySlice<UInt8>) throws(HTTPParseError) {
        let shown = HTTPSyntax.describe(t)
        guard t.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "#") }) else {
            throw .badRequest(
                "request target '\(shown)' has a byte that is not allowed (control, space, '#' or non-ASCII)"
            )
        }
        target = String(decoding: t, as: UTF8.self)
        if target == "*" {
            guard method == "OPTIONS" else {
                throw .badRequest("request target '*' is only allowed with OPTIONS, not \(method)")
            }
            path = "*"
            return
        }
        var rest = t
        if t.first != UInt8(ascii: "/") {
            guard let pathStart = try Self.absoluteFormPathStart(t) else {
                throw .badRequest("request target '\(shown)' is not origin-form ('/path'), absolute-form or '*'")
            }
            rest = t[pathStart...]
        }
        let q = rest.firstIndex(of: UInt8(ascii: "?")) ?? rest.endIndex
        path = rest.first == UInt8(ascii: "/") ? String(decoding: rest[..<q], as: UTF8.self) : "/"
        if q < rest.endIndex { query = try Self.decodeQuery(rest[(q + 1)...]) }
    }

    /// For `scheme://authority[/path][?query]`: where the path (or query) starts.
    private static func absoluteFormPathStart(_ t: ArraySlice<UInt8>) throws(HTTPParseError) -> Int? {
        guard let first = t.first, (first | 0x20) >= 97, (first | 0x20) <= 122 else { return nil }
        var i = t.startIndex
        while i < t.endIndex, HTTPSyntax.isSchemeByte(t[i]) { i += 1 }
        guard t[i...].starts(with: "://".utf8) else { return nil }
        i += 3
        let authorityStart = i
        while i < t.endIndex, t[i] != UInt8(ascii: "/"), t[i] != UInt8(ascii: "?") { i += 1 }
        if i == authorityStart {
            throw .badRequest("request target '\(HTTPSyntax.describe(t))' has an empty authority")
        }
        return i
    }

    /// Splits a query at `&` and `=` and decodes each part; empty parts are skipped.
    private static func decodeQuery(_ q: ArraySlice<UInt8>) throws(HTTPParseError) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for part in q.split(separator: UInt8(ascii: "&")) {
            let eq = part.firstIndex(of: UInt8(ascii: "=")) ?? part.endIndex
            guard let name = HTTPSyntax.decodeQueryComponent(part[..<eq]),
                let value = HTTPSyntax.decodeQueryComponent(eq < part.endIndex ? part[(eq + 1)...] : [])
            else {
                throw .badRequest(
                    "query part '\(HTTPSyntax.describe(part))' has a bad percent-escape or is not UTF-8 once decoded"
                )
            }
            pairs.append((name, value))
        }
        return pairs
    }

    // MARK: - Header fields

    /// Parses `name: value` (no whitespace before the colon, no obs-fold), trimming the value.
    static func field(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (name: String, value: String) {
        if let first = line.first, HTTPSyntax.isWhitespace(first) {
            throw .badRequest(
                "header line '\(HTTPSyntax.describe(line))' starts with whitespace (obs-fold is not allowed)"
            )
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw .badRequest("header line '\(HTTPSyntax.describe(line))' has no colon")
        }
        let name = line[..<colon]
        if let last = name.last, HTTPSyntax.isWhitespace(last) {
            throw .badRequest("header name '\(HTTPSyntax.describe(name))' has whitespace before the colon")
        }
        guard HTTPSyntax.isToken(name) else {
            throw .badRequest("header name '\(HTTPSyntax.describe(name))' is not a token")
        }
        let value = HTTPSyntax.trimmed(line[(colon + 1)...])
        guard value.allSatisfy({ $0 == HTTPSyntax.htab || ($0 >= 0x20 && $0 != 0x7F) }) else {
            throw .badRequest(
                "header '\(HTTPSyntax.describe(name))' has a control byte in its value '\(HTTPSyntax.describe(value))'"
            )
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }
}
