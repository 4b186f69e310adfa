import Testing

@testable import AdminProtocol

/// One malformed input, the status it must get and a piece of the message naming the bad value.
struct HTTPErrorCase: CustomTestStringConvertible, Sendable {
    var input: String
    var status: Int
    var names: String
    var testDescription: String { "\(status) \(names)" }

    init(_ input: String, _ status: Int, _ names: String) {
        self.input = input
        self.status = status
        self.names = names
    }
}

let httpErrorCases: [HTTPErrorCase] = [
    // Request line.
    HTTPErrorCase("GET  /a HTTP/1.1\r\nHost: h\r\n\r\n", 400, "'GET  /a HTTP/1.1'"),
    HTTPErrorCase("GET /a\r\nHost: h\r\n\r\n", 400, "'GET /a' is malformed"),
    HTTPErrorCase("GET /a HTTP/1.1 x\r\nHost: h\r\n\r\n", 400, "'GET /a HTTP/1.1 x'"),
    HTTPErrorCase(" GET /a HTTP/1.1\r\nHost: h\r\n\r\n", 400, "' GET /a HTTP/1.1'"),
    HTTPErrorCase("G(T /a HTTP/1.1\r\nHost: h\r\n\r\n", 400, "method 'G(T'"),
    HTTPErrorCase("GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target 'a/b'"),
    HTTPErrorCase("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400, "'*' is only allowed with OPTIONS, not GET"),
    HTTPErrorCase("GET /a\u{1}b HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target '/a\\x01b'"),
    HTTPErrorCase("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target '/a#frag'"),
    HTTPErrorCase("GET /é HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target '/\\xC3\\xA9'"),
    HTTPErrorCase("GET http:///a HTTP/1.1\r\nHost: h\r\n\r\n", 400, "'http:///a' has an empty authority"),
    HTTPErrorCase("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target 'h:443'"),
    HTTPErrorCase("GET /a?x=%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400, "query part 'x=%zz'"),
    HTTPErrorCase("GET /a?x=%4 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "query part 'x=%4'"),
    HTTPErrorCase("GET /a?x=%FF HTTP/1.1\r\nHost: h\r\n\r\n", 400, "query part 'x=%FF'"),
    HTTPErrorCase("GET /a HTTP/2.0\r\nHost: h\r\n\r\n", 505, "'HTTP/2.0'"),
    HTTPErrorCase("GET /a HTTP/1.2\r\nHost: h\r\n\r\n", 505, "'HTTP/1.2'"),
    HTTPErrorCase("GET /a HTTP/0.9\r\nHost: h\r\n\r\n", 505, "'HTTP/0.9'"),
    HTTPErrorCase("GET /a HTTX/1.1\r\nHost: h\r\n\r\n", 400, "'HTTX/1.1'"),
    HTTPErrorCase("GET /a http/1.1\r\nHost: h\r\n\r\n", 400, "'http/1.1'"),
    HTTPErrorCase("GET /a HTTP/1.10\r\nHost: h\r\n\r\n", 400, "'HTTP/1.10'"),
    // Header fields.
    HTTPErrorCase("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, "'Host ' has whitespace before the colon"),
    HTTPErrorCase("GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400, "'Host\\x09'"),
    HTTPErrorCase("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400, "'NoColon' has no colon"),
    HTTPErrorCase("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n  folded\r\n\r\n", 400, "'  folded' starts with whitespace"),
    HTTPErrorCase("GET / HTTP/1.1\r\n\tHost: h\r\n\r\n", 400, "'\\x09Host: h'"),
    HTTPErrorCase("GET / HTTP/1.1\r\nHost: h\r\nX(y): 1\r\n\r\n", 400, "name 'X(y)' is not a token"),
    HTTPErrorCase("GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400, "name '' is not a token"),
    HTTPErrorCase(
        "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{1}b\r\n\r\n",
        400,
        "'X-A' has a control byte in its value 'a\\x01b'"
    ),
    HTTPErrorCase("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n", 400, "value 'a\\x0Db'"),
    // Host.
    HTTPErrorCase("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400, "HTTP/1.1 request has no Host header"),
    HTTPErrorCase("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400, "2 Host headers ('a', 'b')"),
    HTTPErrorCase("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400, "2 Host headers"),
    // Content-Length.
    HTTPErrorCase("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400, "Content-Length 'abc'"),
    HTTPErrorCase("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length '-1'"),
    HTTPErrorCase("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n", 400, "Content-Length '5, 5'"),
    HTTPErrorCase("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400, "Content-Length ''"),
    HTTPErrorCase("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", 400, "Content-Length '+5'"),
    HTTPErrorCase(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\nhello",
        400,
        "values '5' and '6' disagree"
    ),
    HTTPErrorCase("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n", 413, "Content-Length 1048577"),
    HTTPErrorCase(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
        413,
        "Content-Length 99999999999999999999999999"
    ),
    // Transfer-Encoding.
    HTTPErrorCase("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "transfer coding 'gzip'"),
    HTTPErrorCase("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "'gzip'"),
    HTTPErrorCase(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: br\r\n\r\n",
        501,
        "'br'"
    ),
    HTTPErrorCase(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        400,
        "'chunked, chunked'"
    ),
    HTTPErrorCase("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n", 400, "Transfer-Encoding ''"),
    HTTPErrorCase(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        400,
        "both Transfer-Encoding 'chunked' and Content-Length '3'"
    ),
    HTTPErrorCase(
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: gzip\r\n\r\n",
        400,
        "both Transfer-Encoding 'gzip' and Content-Length '3'"
    ),
    // Chunked body.
    HTTPErrorCase("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "chunk size 'zz'"),
    HTTPErrorCase("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400, "chunk size ''"),
    HTTPErrorCase("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400, "chunk size '-1'"),
    HTTPErrorCase("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\n", 400, "chunk size ' 5'"),
    HTTPErrorCase("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\n", 400, "chunk size '5x'"),
    HTTPErrorCase(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
        400,
        "chunk data is followed by 'c…', not CRLF"
    ),
    HTTPErrorCase(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\nx\r\n0\r\n\r\n",
        413,
        "(chunk size '100001')"
    ),
    HTTPErrorCase(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffffff\r\n",
        413,
        "chunk size 'fffffffffffffffffffffff'"
    ),
    HTTPErrorCase(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n",
        400,
        "'Bad Trailer'"
    ),
    HTTPErrorCase(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: "0", count: 1025)
            + "\r\n",
        400,
        "chunk-size line '00000000"
    ),
    // Sizes.
    HTTPErrorCase("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\n\r\n", 414, "request line 'GET /aaaa"),
    HTTPErrorCase(
        "GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "v", count: 17000) + "\r\n\r\n",
        431,
        "'X: vvvv"
    ),
    HTTPErrorCase(
        "GET / HTTP/1.1\r\nHost: h\r\n" + (0..<100).map { "X-\($0): 1\r\n" }.joined() + "\r\n",
        431,
        "more than 100 header lines"
    ),
]

@Suite struct HTTPRequestParserErrorTests {
    @Test(arguments: httpErrorCases)
    func errorCase(_ c: HTTPErrorCase) {
        let r = httpParse(c.input)
        #expect(r.requests.isEmpty)
        #expect(r.error?.status == c.status)
        #expect(r.error?.message.contains(c.names) == true, "message: \(r.error?.message ?? "none")")
    }

    @Test(arguments: httpErrorCases)
    func errorAfterAGoodRequestKeepsIt(_ c: HTTPErrorCase) {
        let r = httpParse("GET /ok HTTP/1.1\r\nHost: h\r\n\r\n" + c.input)
        #expect(r.requests.map(\.path) == ["/ok"])
        #expect(r.error?.status == c.status)
    }

    @Test func oversizedContentLengthFailsBeforeTheBody() {
        var p = HTTPRequestParser()
        let out = httpFeed(&p, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2000000\r\n\r\n")
        #expect(
            out
                == .error(
                    [],
                    HTTPParseError(
                        status: 413,
                        message: "Content-Length 2000000 is over the 1048576-byte body limit"
                    )
                )
        )
    }

    @Test func overLongLinesFailBeforeTheirEnd() {
        var p = HTTPRequestParser()
        guard case .error(_, let e) = httpFeed(&p, "GET /" + String(repeating: "a", count: 9000)) else {
            Issue.record("expected 414 before the line ends")
            return
        }
        #expect(e.status == 414)
        var q = HTTPRequestParser()
        guard case .error(_, let f) = httpFeed(&q, "GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 17000))
        else {
            Issue.record("expected 431 before the line ends")
            return
        }
        #expect(f.status == 431)
    }
}
