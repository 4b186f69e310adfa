import AetherJSON
import Testing

@testable import AdminProtocol

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

@Suite struct HTTPResponseTests {
    @Test func jsonKeepAlive() {
        let r = HTTPResponse.json(200, .object(["ok": .bool(true)]))
        #expect(
            text(r.serialized(keepAlive: true))
                == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\n{\"ok\":true}"
        )
    }

    @Test func textClose() {
        let r = HTTPResponse.text(404, "no such incident: é\n")
        #expect(
            r.serialized(keepAlive: false)
                == Array(
                    "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 21\r\nConnection: close\r\n\r\nno such incident: é\n"
                        .utf8
                )
        )
        let csv = HTTPResponse.text(200, "a,b", contentType: "text/csv")
        #expect(text(csv.serialized(keepAlive: true)).contains("Content-Type: text/csv\r\n"))
    }

    @Test func noContentHasNoLengthOrBody() {
        let r = HTTPResponse(status: 204, headers: [("X-Request-Id", "7")], body: Array("ignored".utf8))
        #expect(
            text(r.serialized(keepAlive: true))
                == "HTTP/1.1 204 No Content\r\nX-Request-Id: 7\r\nConnection: keep-alive\r\n\r\n"
        )
    }

    @Test func framingHeadersAreOwnedByTheWriter() {
        let r = HTTPResponse(
            status: 201,
            headers: [
                ("content-length", "999"), ("Location", "/v1/incidents/1"), ("Connection", "x"),
                ("Transfer-Encoding", "chunked"),
            ],
            body: [1, 2]
        )
        #expect(
            r.serialized(keepAlive: false) == Array(
                "HTTP/1.1 201 Created\r\nLocation: /v1/incidents/1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"
                    .utf8
            ) + [1, 2]
        )
    }

    @Test func lineBreaksInValuesCannotInjectHeaders() {
        let r = HTTPResponse(status: 400, headers: [("X-Why", "a\r\nSet-Cookie: x")])
        #expect(text(r.serialized(keepAlive: false)).contains("X-Why: a  Set-Cookie: x\r\nContent-Length: 0\r\n"))
    }

    @Test(arguments: [
        200, 201, 202, 204, 400, 401, 403, 404, 405, 408, 411, 413, 414, 415, 422, 429, 431, 500, 501, 503, 505,
    ])
    func commonCodesHaveReasonPhrases(_ status: Int) {
        #expect(!HTTPResponse.reasonPhrase(status).isEmpty)
        #expect(
            text(HTTPResponse(status: status).serialized(keepAlive: true)).hasPrefix(
                "HTTP/1.1 \(status) \(HTTPResponse.reasonPhrase(status))\r\n"
            )
        )
    }

    @Test func uncommonCodeHasAnEmptyReason() {
        #expect(
            text(HTTPResponse(status: 299).serialized(keepAlive: true))
                == "HTTP/1.1 299 \r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"
        )
    }

    @Test func parserErrorStatusesHaveReasonPhrases() {
        for s in [400, 411, 413, 414, 431, 501, 505] { #expect(!HTTPResponse.reasonPhrase(s).isEmpty) }
    }
}
