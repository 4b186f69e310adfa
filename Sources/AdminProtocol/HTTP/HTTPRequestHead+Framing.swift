// MARK: - Body framing and Host (RFC 9112 §3.2, §6)

extension HTTPRequestHead {
    /// Checks `Host`, `Transfer-Encoding` and `Content-Length` once the head is complete and decides
    /// how the body is delimited.
    ///
    /// Both `Transfer-Encoding` and `Content-Length` is 400 (a request-smuggling vector); a coding
    /// other than `chunked` is 501; `Content-Length` must be digits, every copy must agree, and a
    /// length over `bodyBytesMax` is 413 before any body byte is read.
    func bodyFraming(bodyBytesMax: Int) throws(HTTPParseError) -> BodyFraming {
        try checkHost()
        let codings = values(of: "Transfer-Encoding")
        let lengths = values(of: "Content-Length")
        if !codings.isEmpty {
            guard lengths.isEmpty else {
                let coding = codings.joined(separator: ", ")
                throw .badRequest("request has both Transfer-Encoding '\(coding)' and Content-Length '\(lengths[0])'")
            }
            return try transferCoding(codings)
        }
        guard let first = lengths.first else { return .none }
        return .length(try contentLength(first, all: lengths, bodyBytesMax: bodyBytesMax))
    }

    /// HTTP/1.1 requires exactly one `Host`; HTTP/1.0 allows at most one.
    private func checkHost() throws(HTTPParseError) {
        let hosts = values(of: "Host")
        if hosts.isEmpty && minor == 1 { throw .badRequest("HTTP/1.1 request has no Host header") }
        if hosts.count > 1 {
            throw .badRequest(
                "request has \(hosts.count) Host headers ('\(hosts.joined(separator: "', '"))'); expected one"
            )
        }
    }

    /// Only `chunked`, once.
    private func transferCoding(_ fields: [String]) throws(HTTPParseError) -> BodyFraming {
        let codings = fields.flatMap { $0.split(separator: ",") }
            .map { HTTPSyntax.lowercased(HTTPSyntax.trimmed(ArraySlice($0.utf8))) }
            .filter { !$0.isEmpty }
        if let other = codings.first(where: { $0 != "chunked" }) {
            throw HTTPParseError(
                status: 501,
                message: "transfer coding '\(other)' is not supported; only chunked is"
            )
        }
        guard codings.count == 1 else {
            throw .badRequest(
                "Transfer-Encoding '\(fields.joined(separator: ", "))' must name chunked exactly once"
            )
        }
        return .chunked
    }

    /// The body length: digits only, every copy equal, at most `bodyBytesMax`.
    private func contentLength(_ first: String, all: [String], bodyBytesMax: Int) throws(HTTPParseError) -> Int {
        for v in all {
            guard !v.isEmpty, v.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                throw .badRequest("Content-Length '\(v)' is not a decimal number")
            }
        }
        let normalized = first.drop { $0 == "0" }
        if let other = all.first(where: { $0.drop { $0 == "0" } != normalized }) {
            throw .badRequest("Content-Length values '\(first)' and '\(other)' disagree")
        }
        guard normalized.count <= 18, let n = Int(normalized.isEmpty ? "0" : normalized), n <= bodyBytesMax else {
            throw HTTPParseError(
                status: 413,
                message: "Content-Length \(first) is over the \(bodyBytesMax)-byte body limit"
            )
        }
        return n
    }

    /// Every value of the header `name` (ignoring case), in order.
    private func values(of name: String) -> [String] {
        headers.filter { HTTPSyntax.equalsIgnoringCase($0.name, name) }.map(\.value)
    }
}
