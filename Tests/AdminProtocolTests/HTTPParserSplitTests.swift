import IncidentCore
import Testing

@testable import AdminProtocol

/// Small limits, so limit paths are reached by short inputs that can be split every way.
let httpSmallLimits = HTTPRequestParser.Limits(
    requestLineBytesMax: 24,
    headerBytesMax: 40,
    headerCountMax: 3,
    bodyBytesMax: 16,
    chunkLineBytesMax: 8
)

/// Valid requests covering every state of the parser.
let httpValidRequests = [
    "GET /v1/incidents?status=open&q=disk+full%21 HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n",
    "\r\nPOST /v1/incidents HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world",
    "PUT /x HTTP/1.0\nContent-Length: 2\nConnection: keep-alive\n\nok",
    "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4;n=v\r\nWiki\r\n5\r\npedia\r\n0\r\nT: 1\r\n\r\n",
    "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET http://h:1/abs?a=%E2%9C%93 HTTP/1.1\r\nHost: h:1\r\nConnection: close\r\n\r\n",
]

/// The valid requests pipelined.
let httpValidStream = httpValidRequests.joined()

/// Random cut points for `count` bytes.
func httpRandomCuts(_ count: Int, _ rng: inout SeededRandom) -> [Int] {
    guard count > 1 else { return [] }
    return (0..<Int.random(in: 1...12, using: &rng)).map { _ in Int.random(in: 0...count, using: &rng) }.sorted()
}

/// Expects the same result whole, byte at a time and at `splits` random cut sets.
func expectSplitInvariant(
    _ bytes: [UInt8],
    limits: HTTPRequestParser.Limits = .init(),
    splits: Int = 30,
    seed: UInt64 = 1,
    sourceLocation: SourceLocation = #_sourceLocation
) -> HTTPParseResult {
    let whole = httpParse(bytes, limits: limits)
    let bytewise = httpParse(bytes, cuts: Array(0..<bytes.count), limits: limits)
    #expect(bytewise == whole, "byte at a time", sourceLocation: sourceLocation)
    var rng = SeededRandom(seed: seed)
    for _ in 0..<splits {
        let cuts = httpRandomCuts(bytes.count, &rng)
        let split = httpParse(bytes, cuts: cuts, limits: limits)
        #expect(split == whole, "cuts \(cuts)", sourceLocation: sourceLocation)
        if split != whole { break }
    }
    return whole
}

@Suite struct HTTPRequestParserSplitTests {
    @Test func validStreamParsesTheSameHoweverSplit() {
        let r = expectSplitInvariant(Array(httpValidStream.utf8), splits: 200)
        #expect(r.error == nil)
        #expect(r.requests.map(\.path) == ["/v1/incidents", "/v1/incidents", "/x", "/c", "*", "/abs"])
        #expect(r.requests.map(\.keepAlive) == [true, true, true, true, true, false])
        #expect(r.requests[3].body == Array("Wikipedia".utf8))
        #expect(r.requests[5].queryValue("a") == "✓")
    }

    @Test(arguments: httpErrorCases)
    func errorsAreTheSameHoweverSplit(_ c: HTTPErrorCase) {
        let r = expectSplitInvariant(Array(("GET / HTTP/1.1\r\nHost: h\r\n\r\n" + c.input).utf8), splits: 10)
        #expect(r.requests.count == 1 && r.error?.status == c.status)
    }

    @Test(
        arguments: [
            // Request line: 24 bytes is the limit.
            ("GET /aaaaaaaaaa HTTP/1.1\r\nHost: h\r\n\r\n", nil),
            ("GET /aaaaaaaaaaa HTTP/1.1\r\nHost: h\r\n\r\n", 414),
            ("GET /aaaaaaaaaa HTTP/1.1\nHost: h\n\n", nil),
            ("GET /aaaaaaaaaa HTTP/1.1\r\r\nHost: h\r\n\r\n", 414),
            // Header bytes: 40 in all, trailers included.
            ("GET / HTTP/1.1\r\nHost: h\r\nX: 012345678901234567890123456789\r\n\r\n", nil),
            ("GET / HTTP/1.1\r\nHost: h\r\nX: 0123456789012345678901234567890\r\n\r\n", 431),
            ("GET / HTTP/1.1\r\nHost: h\r\nX: 012345678901234567890123456789\r\nY:\r\n\r\n", 431),
            ("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 0123\r\n\r\n", nil),
            ("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 01234\r\n\r\n", 431),
            // Header count: 3, trailers included.
            ("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", nil),
            ("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431),
            ("GET / HTTP/1.1\r\nHost:h\r\nTransfer-Encoding:chunked\r\n\r\n0\r\nT:1\r\nU:2\r\n\r\n", 431),
            // Body: 16 bytes.
            ("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 16\r\n\r\n0123456789abcdef", nil),
            ("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 17\r\n\r\n0123456789abcdefg", 413),
            (
                "PUT / HTTP/1.1\r\nHost:h\r\nTransfer-Encoding:chunked\r\n\r\n8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n",
                nil
            ),
            (
                "PUT / HTTP/1.1\r\nHost:h\r\nTransfer-Encoding:chunked\r\n\r\n8\r\n01234567\r\n9\r\n89abcdefg\r\n0\r\n\r\n",
                413
            ),
            (
                "PUT / HTTP/1.1\r\nHost:h\r\nTransfer-Encoding:chunked\r\n\r\n10\r\n0123456789abcdef\r\n1\r\nx\r\n0\r\n\r\n",
                413
            ),
            // Chunk-size line: 8 bytes.
            ("PUT / HTTP/1.1\r\nHost:h\r\nTransfer-Encoding:chunked\r\n\r\n1;abcdef\r\nx\r\n0\r\n\r\n", nil),
            ("PUT / HTTP/1.1\r\nHost:h\r\nTransfer-Encoding:chunked\r\n\r\n1;abcdefg\r\nx\r\n0\r\n\r\n", 400),
        ] as [(String, Int?)]
    )
    func smallLimitsExactlyAtAndOneOver(input: String, status: Int?) {
        let r = expectSplitInvariant(Array(input.utf8), limits: httpSmallLimits, splits: 50)
        #expect(r.error?.status == status, "\(r.error?.message ?? "no error")")
        #expect(r.requests.count == (status == nil ? 1 : 0))
    }
}

@Suite struct HTTPRequestParserLimitTests {
    @Test func requestLineAtAndOverTheDefaultLimit() {
        let pad = 8192 - "GET / HTTP/1.1".count
        let at = "GET /" + String(repeating: "a", count: pad) + " HTTP/1.1"
        #expect(at.utf8.count == 8192)
        #expect(httpParse(at + "\r\nHost: h\r\n\r\n").requests.count == 1)
        #expect(httpParse("GET /a" + at.dropFirst(5) + "\r\nHost: h\r\n\r\n").error?.status == 414)
    }

    @Test func headerBytesAtAndOverTheDefaultLimit() {
        let value = String(repeating: "v", count: 16384 - "Host: h".count - "X: ".count)
        #expect(httpParse("GET / HTTP/1.1\r\nHost: h\r\nX: \(value)\r\n\r\n").requests.count == 1)
        #expect(httpParse("GET / HTTP/1.1\r\nHost: h\r\nX: \(value)v\r\n\r\n").error?.status == 431)
    }

    @Test func headerCountAtAndOverTheDefaultLimit() {
        let fields = (0..<99).map { "X-\($0): 1\r\n" }.joined()
        #expect(httpParse("GET / HTTP/1.1\r\nHost: h\r\n\(fields)\r\n").requests.first?.headers.count == 100)
        #expect(httpParse("GET / HTTP/1.1\r\nHost: h\r\n\(fields)Y: 1\r\n\r\n").error?.status == 431)
    }

    @Test func contentLengthAtAndOverTheDefaultLimit() {
        let body = String(repeating: "b", count: 1 << 20)
        let ok = httpParse("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: \(1 << 20)\r\n\r\n\(body)")
        #expect(ok.requests.first?.body.count == 1 << 20)
        #expect(httpParse("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: \((1 << 20) + 1)\r\n\r\n").error?.status == 413)
    }

    @Test func chunkedBodyAtAndOverTheDefaultLimit() {
        let half = String(repeating: "c", count: 1 << 19)
        let head = "PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        let two = "80000\r\n\(half)\r\n80000;x\r\n\(half)\r\n"
        #expect(httpParse(head + two + "0\r\n\r\n").requests.first?.body.count == 1 << 20)
        #expect(httpParse(head + two + "1\r\n").error?.status == 413)
    }
}

@Suite struct HTTPRequestParserFuzzTests {
    /// Bytes that matter to the grammar, so random input reaches deep states.
    static let alphabet =
        Array("\r\n\r\n :;,/?%=&+*\t0123456789abcdefABCDEF".utf8) + [0, 0x7F, 0xC3, 0xFF]
        + Array(
            "GET POST HTTP/1.1 HTTP/1.0 Host Content-Length Transfer-Encoding chunked".utf8
        )

    /// Inputs to mutate: each valid request and two pipelined; the error cases.
    static let validSeeds = (httpValidRequests + [httpValidRequests[1] + httpValidRequests[3]]).map { Array($0.utf8) }
    static let errorSeeds = httpErrorCases.map { Array($0.input.utf8) }

    @Test func randomInputNeverTrapsAndErrorsAre4xxOr5xx() {
        var rng = SeededRandom(seed: 0xA37E_2024)
        let statuses: Set<Int> = [400, 413, 414, 431, 501, 505]
        var seen: [Int: Int] = [:]
        var parsed = 0
        for iteration in 0..<20_000 {
            let bytes = iteration % 2 == 0 ? Self.randomBytes(&rng) : Self.mutated(&rng)
            let limits = iteration % 4 < 2 ? httpSmallLimits : HTTPRequestParser.Limits()
            let whole = httpParse(bytes, limits: limits)
            let split = httpParse(bytes, cuts: httpRandomCuts(bytes.count, &rng), limits: limits)
            parsed += whole.requests.count
            if let e = whole.error { seen[e.status, default: 0] += 1 }
            if let e = whole.error, !statuses.contains(e.status) {
                Issue.record("iteration \(iteration): status \(e.status) for \(bytes)")
            }
            if split != whole {
                Issue.record("iteration \(iteration): split result differs for \(bytes)")
                return
            }
        }
        // The generator reaches deep: many requests parse, and every error status occurs.
        #expect(parsed > 500, "\(parsed) requests parsed")
        #expect(Set(seen.keys) == statuses, "statuses seen: \(seen)")
    }

    static func randomBytes(_ rng: inout SeededRandom) -> [UInt8] {
        (0..<Int.random(in: 0...200, using: &rng)).map { _ in
            Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
        }
    }

    static func mutated(_ rng: inout SeededRandom) -> [UInt8] {
        var b = (Bool.random(using: &rng) ? validSeeds : errorSeeds).randomElement(using: &rng)!
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let i = b.isEmpty ? 0 : Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0 where !b.isEmpty: b[i] = alphabet.randomElement(using: &rng)!
            case 1: b.insert(UInt8.random(in: 0...255, using: &rng), at: i)
            case 2 where !b.isEmpty: b.remove(at: i)
            case 3 where !b.isEmpty:
                b.insert(contentsOf: b[i..<min(b.count, i + Int.random(in: 1...20, using: &rng))], at: i)
            default: b = Array(b.prefix(i))
            }
        }
        return b
    }
}
