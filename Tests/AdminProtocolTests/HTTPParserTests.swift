import Testing

@testable import AdminProtocol

// MARK: - Helpers shared by the HTTP parser tests

/// What a parser made of a whole input: every request, and the error that ended it, if any.
struct HTTPParseResult: Equatable {
    var requests: [HTTPRequest] = []
    var error: HTTPParseError?
}

/// Feeds `bytes` to a fresh parser, cut at `cuts` (sorted offsets), and collects the result.
func httpParse(_ bytes: [UInt8], cuts: [Int] = [], limits: HTTPRequestParser.Limits = .init()) -> HTTPParseResult {
    var parser = HTTPRequestParser(limits: limits)
    var result = HTTPParseResult()
    var start = 0
    for end in cuts + [bytes.count] where end >= start {
        let output = bytes[start..<end].withUnsafeBytes { parser.feed($0) }
        start = end
        switch output {
        case .requests(let r):
            result.requests += r
        case .error(let r, let e):
            result.requests += r
            result.error = e
            return result
        }
    }
    return result
}

/// Parses text fed whole.
func httpParse(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> HTTPParseResult {
    httpParse(Array(text.utf8), limits: limits)
}

/// The single request `text` parses to, recording an issue otherwise.
func httpRequest(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> HTTPRequest? {
    let r = httpParse(text)
    guard r.error == nil, r.requests.count == 1 else {
        Issue.record("expected one request, got \(r)", sourceLocation: sourceLocation)
        return nil
    }
    return r.requests[0]
}

/// Feeds text to an existing parser.
func httpFeed(_ parser: inout HTTPRequestParser, _ text: String) -> HTTPRequestParser.Output {
    Array(text.utf8).withUnsafeBytes { parser.feed($0) }
}

// MARK: - Valid requests

@Suite struct HTTPRequestParserTests {
    @Test func simpleGet() throws {
        let r = try #require(
            httpRequest("GET /v1/incidents?status=open HTTP/1.1\r\nHost: node-1:8080\r\nAccept: */*\r\n\r\n")
        )
        #expect(r.method == "GET")
        #expect(r.target == "/v1/incidents?status=open")
        #expect(r.path == "/v1/incidents")
        #expect(r.query.count == 1 && r.query[0] == ("status", "open"))
        #expect(r.minor == 1)
        #expect(r.headers.count == 2 && r.headers[0] == ("Host", "node-1:8080") && r.headers[1] == ("Accept", "*/*"))
        #expect(r.header("host") == "node-1:8080")
        #expect(r.header("ACCEPT") == "*/*")
        #expect(r.header("Content-Type") == nil)
        #expect(r.body.isEmpty)
        #expect(r.keepAlive)
    }

    @Test func postWithBody() throws {
        let body = #"{"title":"disk full"}"#
        let r = try #require(
            httpRequest(
                "POST /v1/incidents HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            )
        )
        #expect(r.method == "POST")
        #expect(r.body == Array(body.utf8))
        #expect(r.header("content-length") == "\(body.utf8.count)")
    }

    @Test(
        arguments: [
            ("HTTP/1.1", nil, true), ("HTTP/1.1", "close", false), ("HTTP/1.1", "Keep-Alive", true),
            ("HTTP/1.1", "upgrade, CLOSE", false), ("HTTP/1.0", nil, false), ("HTTP/1.0", "keep-alive", true),
            ("HTTP/1.0", "Keep-Alive , foo", true), ("HTTP/1.0", "keep-alive, close", false),
            ("HTTP/1.0", "close", false),
        ] as [(String, String?, Bool)]
    )
    func keepAlive(version: String, connection: String?, expected: Bool) throws {
        let conn = connection.map { "Connection: \($0)\r\n" } ?? ""
        let r = try #require(httpRequest("GET / \(version)\r\nHost: h\r\n\(conn)\r\n"))
        #expect(r.minor == (version == "HTTP/1.1" ? 1 : 0))
        #expect(r.keepAlive == expected)
    }

    @Test func http10NeedsNoHost() throws {
        let r = try #require(httpRequest("GET /status HTTP/1.0\r\n\r\n"))
        #expect(r.minor == 0 && r.headers.isEmpty && !r.keepAlive)
    }

    @Test func pipelinedRequestsInOneChunk() {
        var p = HTTPRequestParser()
        let out = httpFeed(
            &p,
            "GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
                + "DELETE /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nq\r\n0\r\n\r\nGET /d HT"
        )
        guard case .requests(let rs) = out else {
            Issue.record("expected requests, got \(out)")
            return
        }
        #expect(rs.map(\.method) == ["GET", "POST", "DELETE"])
        #expect(rs.map(\.path) == ["/a", "/b", "/c"])
        #expect(rs.map(\.body) == [[], Array("xyz".utf8), Array("q".utf8)])
        #expect(p.hasPartialRequest)
        guard case .requests(let rest) = httpFeed(&p, "TP/1.1\r\nHost: h\r\n\r\n") else {
            Issue.record("expected the fourth request")
            return
        }
        #expect(rest.map(\.path) == ["/d"])
        #expect(!p.hasPartialRequest)
    }

    @Test func chunkedWithExtensionsAndTrailers() throws {
        let r = try #require(
            httpRequest(
                "POST /v1/alerts HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"
                    + "4;name=value\r\nWiki\r\n5 ; a=\"b\";c\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n"
                    + "000;last\r\nExpires: never\r\nX-Checksum: 1\r\n\r\n"
            )
        )
        #expect(r.body == Array("Wikipedia in\r\n\r\nchunks.".utf8))
        #expect(r.header("Expires") == nil)  // trailers are ignored
        #expect(r.headers.count == 2)
    }

    @Test func chunkedUpperCaseHexAndEmptyBody() throws {
        let r = try #require(
            httpRequest(
                "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n"
            )
        )
        #expect(r.body == Array("0123456789".utf8))
        let empty = try #require(
            httpRequest("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        )
        #expect(empty.body.isEmpty)
    }

    @Test func bareLineFeedsAndLeadingEmptyLines() throws {
        let r = try #require(httpRequest("\r\n\nPOST /x HTTP/1.1\nHost: h\nContent-Length: 2\n\nok"))
        #expect(r.path == "/x" && r.body == Array("ok".utf8))
        let c = try #require(httpRequest("POST / HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n2\nok\n0\n\n"))
        #expect(c.body == Array("ok".utf8))
    }

    @Test func absoluteFormUsesItsPath() throws {
        let r = try #require(httpRequest("GET http://node-1:8080/v1/status?x=1 HTTP/1.1\r\nHost: node-1:8080\r\n\r\n"))
        #expect(r.target == "http://node-1:8080/v1/status?x=1")
        #expect(r.path == "/v1/status")
        #expect(r.queryValue("x") == "1")
        let bare = try #require(httpRequest("GET https://h HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(bare.path == "/")
        let q = try #require(httpRequest("GET http://h?a=b HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(q.path == "/" && q.queryValue("a") == "b")
    }

    @Test func optionsAsterisk() throws {
        let r = try #require(httpRequest("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(r.target == "*" && r.path == "*" && r.query.isEmpty)
    }

    @Test func queryIsDecoded() throws {
        let r = try #require(
            httpRequest("GET /s?a=1&flag&&c=%E2%9C%93&d=x%3Dy+z&e=&=v&a=2 HTTP/1.1\r\nHost: h\r\n\r\n")
        )
        let expected = [("a", "1"), ("flag", ""), ("c", "✓"), ("d", "x=y z"), ("e", ""), ("", "v"), ("a", "2")]
        #expect(r.query.count == expected.count && zip(r.query, expected).allSatisfy { $0 == $1 })
        #expect(r.path == "/s")
        #expect(r.queryValue("a") == "1")
        let empty = try #require(httpRequest("GET /s? HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(empty.path == "/s" && empty.query.isEmpty)
    }

    @Test func headerValuesAreTrimmedAndKeepInnerSpace() throws {
        let r = try #require(httpRequest("GET / HTTP/1.1\r\nHost:h\r\nX-A: \t a  b \t\r\nX-Empty:\r\nX-B:   \r\n\r\n"))
        #expect(r.header("host") == "h")
        #expect(r.header("x-a") == "a  b")
        #expect(r.header("x-empty") == "")
        #expect(r.header("x-b") == "")
    }

    @Test func duplicateContentLengthsThatAgree() throws {
        let r = try #require(
            httpRequest("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 002\r\n\r\nhi")
        )
        #expect(r.body == Array("hi".utf8))
    }

    @Test func hasPartialRequestTracksUnfinishedRequests() {
        var p = HTTPRequestParser()
        #expect(!p.hasPartialRequest)
        _ = httpFeed(&p, "G")
        #expect(p.hasPartialRequest)
        _ = httpFeed(&p, "ET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n")
        #expect(p.hasPartialRequest)  // waiting for the body
        #expect(
            httpFeed(&p, "x")
                == .requests([
                    HTTPRequest(
                        method: "GET",
                        target: "/",
                        path: "/",
                        minor: 1,
                        headers: [("Host", "h"), ("Content-Length", "1")],
                        body: [120]
                    )
                ])
        )
        #expect(!p.hasPartialRequest)
    }

    @Test func nothingIsParsedAfterAnError() {
        var p = HTTPRequestParser()
        let out = httpFeed(&p, "GET / HTTP/1.1\r\nHost: h\r\n\r\nBAD\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
        guard case .error(let before, let e) = out else {
            Issue.record("expected an error, got \(out)")
            return
        }
        #expect(before.count == 1 && e.status == 400)
        #expect(httpFeed(&p, "GET / HTTP/1.1\r\nHost: h\r\n\r\n") == .error([], e))
        #expect(!p.hasPartialRequest)
    }

    @Test func emptyChunksChangeNothing() {
        var p = HTTPRequestParser()
        #expect(p.feed(UnsafeRawBufferPointer(start: nil, count: 0)) == .requests([]))
        _ = httpFeed(&p, "GET / HTTP/1.1\r\nHost: h\r\n")
        #expect(p.feed(UnsafeRawBufferPointer(start: nil, count: 0)) == .requests([]))
        guard case .requests(let r) = httpFeed(&p, "\r\n") else {
            Issue.record("expected a request")
            return
        }
        #expect(r.count == 1)
    }
}
