import AetherJSON
import IncidentCore
import Testing

@testable import AdminProtocol

private func parse(_ text: String) -> Result<AdminRequest, RequestParseError> {
    parse(Array(text.utf8))
}

private func parse(_ bytes: [UInt8]) -> Result<AdminRequest, RequestParseError> {
    bytes.withUnsafeBytes { AdminRequest.parse($0) }
}

/// The parse error, or a recorded issue when the line parsed.
private func failure(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> RequestParseError? {
    failure(Array(text.utf8), sourceLocation: sourceLocation)
}

private func failure(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> RequestParseError? {
    switch parse(bytes) {
    case .success(let r):
        Issue.record("expected a parse error, got op \(r.op)", sourceLocation: sourceLocation)
        return nil
    case .failure(let e):
        return e
    }
}

private func success(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> AdminRequest? {
    switch parse(text) {
    case .success(let r): return r
    case .failure(let e):
        Issue.record("expected success, got \(e.error)", sourceLocation: sourceLocation)
        return nil
    }
}

@Suite struct AdminRequestParseTests {
    @Test func validWithIntegerID() throws {
        let r = try #require(success(#"{"id": 7, "op": "incident.get", "args": {"id": "INC-2026-0042-K7Q"}, "token": "secret"}"#))
        #expect(r.id == .int(7))
        #expect(r.op == "incident.get")
        #expect(r.args["id"] == .string("INC-2026-0042-K7Q"))
        #expect(r.args.count == 1)
        #expect(r.token == "secret")
    }

    @Test func validWithStringID() throws {
        let r = try #require(success(#"{"op":"node.info","id":"req-1"}"#))
        #expect(r.id == .string("req-1"))
        #expect(r.op == "node.info")
        #expect(r.args.isEmpty)
        #expect(r.token == nil)
    }

    @Test func validWithNullOrMissingID() throws {
        let r = try #require(success(#"{"id":null,"op":"node.info","args":null,"token":null}"#))
        #expect(r.id == .null)
        #expect(r.args.isEmpty)
        #expect(r.token == nil)
        let m = try #require(success(#"{"op":"log.digest"}"#))
        #expect(m.id == .null)
    }

    @Test func numericIDWithFraction() throws {
        let r = try #require(success(#"{"id":1.5,"op":"node.info"}"#))
        #expect(r.id == .double(1.5))
    }

    @Test func unknownOpParsesSoTheServerCanAnswerUnknownOp() throws {
        let r = try #require(success(#"{"id":1,"op":"no.such.op"}"#))
        #expect(r.op == "no.such.op")
    }

    @Test func malformedJSON() throws {
        let e = try #require(failure(#"{"id": 7, "op": "node.info""#))
        #expect(e.error.code == .badRequest)
        #expect(e.error.message.hasPrefix("malformed JSON"))
        #expect(e.error.message.contains("offset"))
        #expect(e.id == .null)
        let trailing = try #require(failure(#"{"id":1,"op":"node.info",}"#))
        #expect(trailing.error.code == .badRequest)
        #expect(trailing.error.message.contains("malformed JSON"))
        let garbage = try #require(failure("hello"))
        #expect(garbage.error.code == .badRequest)
        let dup = try #require(failure(#"{"id":1,"op":"a","op":"b"}"#))
        #expect(dup.error.message.contains("duplicate key 'op'"))
    }

    @Test(arguments: [("[1,2]", "array"), ("\"text\"", "string"), ("42", "integer"), ("null", "null"), ("true", "boolean")])
    func nonObject(line: String, type: String) throws {
        let e = try #require(failure(line))
        #expect(e.error.code == .badRequest)
        #expect(e.error.message == "request is a JSON \(type); expected an object")
        #expect(e.id == .null)
    }

    @Test func missingOpEchoesTheID() throws {
        let e = try #require(failure(#"{"id":5,"args":{}}"#))
        #expect(e.error.code == .badRequest)
        #expect(e.error.message.contains("missing 'op'"))
        #expect(e.id == .int(5))
    }

    @Test func opNotAString() throws {
        let e = try #require(failure(#"{"id":"abc","op":3}"#))
        #expect(e.error.code == .badRequest)
        #expect(e.error.message.contains("op is an integer"))
        #expect(e.error.message.contains("expected a string"))
        #expect(e.id == .string("abc"))
        let n = try #require(failure(#"{"id":1,"op":null}"#))
        #expect(n.error.message.contains("op is null"))
    }

    @Test func argsNotAnObject() throws {
        let e = try #require(failure(#"{"id":8,"op":"incident.get","args":["INC-1"]}"#))
        #expect(e.error.code == .badRequest)
        #expect(e.error.message.contains("args is an array"))
        #expect(e.error.message.contains("expected an object"))
        #expect(e.id == .int(8))
        let s = try #require(failure(#"{"id":8,"op":"incident.get","args":"INC-1"}"#))
        #expect(s.error.message.contains("args is a string"))
    }

    @Test func tokenNotAString() throws {
        let e = try #require(failure(#"{"id":9,"op":"node.info","token":12345}"#))
        #expect(e.error.code == .badRequest)
        #expect(e.error.message.contains("token is an integer"))
        #expect(e.error.message.contains("expected a string"))
        #expect(e.id == .int(9))
    }

    @Test func unknownTopLevelField() throws {
        let e = try #require(failure(#"{"id":10,"op":"node.info","arsg":{}}"#))
        #expect(e.error.code == .badRequest)
        #expect(e.error.message.contains("unknown request field 'arsg'"))
        #expect(e.id == .int(10))
    }

    @Test func idOfTheWrongType() throws {
        let e = try #require(failure(#"{"id":{"a":1},"op":"node.info"}"#))
        #expect(e.error.code == .badRequest)
        #expect(e.error.message.contains("id is an object"))
        #expect(e.id == .null)
        let b = try #require(failure(#"{"id":true,"op":"node.info"}"#))
        #expect(b.error.message.contains("id is a boolean"))
    }

    @Test func invalidUTF8() throws {
        var bytes = Array(#"{"id":11,"op":"node.info","args":{"x":""#.utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array(#""}}"#.utf8)
        let e = try #require(failure(bytes))
        #expect(e.error.code == .badRequest)
        #expect(e.error.message.contains("invalid UTF-8"))
        #expect(e.error.message.contains("0xFF"))
        // Overlong encoding and a lone continuation byte.
        let overlong = try #require(failure(Array(#"{"op":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8)))
        #expect(overlong.error.message.contains("invalid UTF-8"))
        let lone = try #require(failure(Array(#"{"op":"a"#.utf8) + [0x80] + Array(#""}"#.utf8)))
        #expect(lone.error.message.contains("invalid UTF-8"))
    }

    @Test func encodedRoundTrip() throws {
        var args = JSONObject()
        args["id"] = .string("INC-2026-0001-ABC")
        args["force"] = .bool(true)
        let r = AdminRequest(id: .int(3), op: "incident.close", args: args, token: "tok-1234567890abcdef")
        let back = try parse(r.encoded).get()
        #expect(back.id == .int(3))
        #expect(back.op == "incident.close")
        #expect(back.args == args)
        #expect(back.token == "tok-1234567890abcdef")
        let noToken = try parse(AdminRequest(id: .string("x"), op: "node.info").encoded).get()
        #expect(noToken.token == nil)
        #expect(noToken.id == .string("x"))
    }
}

@Suite struct AdminResponseTests {
    @Test func successRoundTrip() throws {
        let result: JSONValue = ["incident_id": "INC-2026-0001-ABC", "created": true, "replicas": 1, "list": [1, "two", nil]]
        for id: JSONValue in [.int(7), .string("abc"), .null, .double(2.5)] {
            var out: [UInt8] = []
            AdminResponse.writeSuccess(id: id, result: result, into: &out)
            #expect(out.last == UInt8(ascii: "\n"))
            #expect(out.filter { $0 == UInt8(ascii: "\n") }.count == 1)
            let parsed = try #require(AdminResponse.parse(Array(out.dropLast())))
            #expect(parsed.id == id)
            #expect(try parsed.outcome.get() == result)
            // The raw object has exactly id, ok, result.
            let raw = try JSONParser.parse(Array(out.dropLast()))
            #expect(raw.objectValue?.keys == ["id", "ok", "result"])
            #expect(raw["ok"] == .bool(true))
        }
    }

    static let codes: [AdminError.Code] = [
        .badRequest, .unknownOp, .notFound, .conflict, .unauthorized, .forbidden, .tooLarge, .unavailable, .internal,
    ]

    @Test(arguments: codes)
    func failureRoundTrip(code: AdminError.Code) throws {
        let error = AdminError(code, "something \"quoted\" went wrong\nwith a newline and ünïcödé")
        var out: [UInt8] = []
        AdminResponse.writeFailure(id: .int(42), error: error, into: &out)
        #expect(out.last == UInt8(ascii: "\n"))
        #expect(out.filter { $0 == UInt8(ascii: "\n") }.count == 1, "the message's newline must be escaped")
        let parsed = try #require(AdminResponse.parse(Array(out.dropLast())))
        #expect(parsed.id == .int(42))
        guard case .failure(let back) = parsed.outcome else {
            Issue.record("expected a failure")
            return
        }
        #expect(back == error)
        let raw = try JSONParser.parse(Array(out.dropLast()))
        #expect(raw["ok"] == .bool(false))
        #expect(raw["error"]?["code"] == .string(code.wire))
        #expect(AdminError.Code(wire: code.wire) == code)
    }

    @Test func wireCodes() {
        #expect(Self.codes.map(\.wire) == [
            "bad_request", "unknown_op", "not_found", "conflict", "unauthorized", "forbidden", "too_large", "unavailable",
            "internal",
        ])
        #expect(AdminError.Code(wire: "nope") == nil)
        #expect(AdminError(.notFound, "x").description == "not_found: x")
    }

    @Test func domainErrorsMapToCodes() {
        #expect(AdminError(DomainError.badRequest("b")) == AdminError(.badRequest, "b"))
        #expect(AdminError(DomainError.notFound("n")) == AdminError(.notFound, "n"))
        #expect(AdminError(DomainError.conflict("c")) == AdminError(.conflict, "c"))
        #expect(AdminError(DomainError.unavailable("u")) == AdminError(.unavailable, "u"))
    }

    @Test func parseRejectsNonResponses() {
        #expect(AdminResponse.parse(Array("not json".utf8)) == nil)
        #expect(AdminResponse.parse(Array("[1]".utf8)) == nil)
        #expect(AdminResponse.parse(Array(#"{"id":1}"#.utf8)) == nil)
        #expect(AdminResponse.parse(Array(#"{"id":1,"ok":"yes"}"#.utf8)) == nil)
    }

    @Test func parseToleratesAnUnknownCodeAsInternal() throws {
        let p = try #require(AdminResponse.parse(Array(#"{"id":1,"ok":false,"error":{"code":"brand_new","message":"m"}}"#.utf8)))
        guard case .failure(let e) = p.outcome else {
            Issue.record("expected a failure")
            return
        }
        #expect(e.code == .internal)
        #expect(e.message == "m")
    }

    @Test func allOpsHaveRoles() {
        #expect(AdminOp.incidentGet.requiredRole == .viewer)
        #expect(AdminOp.incidentAck.requiredRole == .responder)
        #expect(AdminOp.alertIngest.requiredRole == .responder)
        #expect(AdminOp.adminSnapshot.requiredRole == .admin)
        #expect(!AdminOp.logDigest.isWrite)
        #expect(AdminOp.incidentClose.isWrite)
        #expect(AdminRole.viewer < .responder && AdminRole.responder < .admin)
        for op in AdminOp.allCases { #expect(AdminOp(rawValue: op.rawValue) == op) }
    }
}

/// Replies to a pipelined batch are appended to one buffer; each append must cost the size of the
/// reply, not the size of the buffer (else a batch of n replies is quadratic: 2,000 replies of
/// 4 KB took 6.7 s instead of 0.08 s).
@Suite struct ResponseBufferTests {
    static let result: JSONValue = {
        var o = JSONObject()
        for i in 0..<20 { o["k\(i)"] = .string(String(repeating: "x", count: 80)) }
        return .object(o)
    }()

    private static func base(_ a: [UInt8]) -> UnsafeRawPointer? { a.withUnsafeBytes { $0.baseAddress } }

    /// Each serializer call on a buffer with room to spare must append in place. (Checked one call
    /// at a time: a copy allocates the new buffer while the old one is still alive, so a changed
    /// address after one call means the destination was copied.)
    @Test func serializerAppendsInPlace() {
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        out.append(contentsOf: Array("prefix".utf8))
        let calls: [(String, (inout [UInt8]) -> Void)] = [
            ("write", { JSONSerializer.write(Self.result, into: &$0) }),
            ("writeString", { JSONSerializer.writeString("tail", into: &$0) }),
            ("writeInt", { JSONSerializer.writeInt(42, into: &$0) }),
            ("writeDouble", { JSONSerializer.writeDouble(1.5, into: &$0) }),
        ]
        for (name, call) in calls {
            let before = Self.base(out)
            call(&out)
            #expect(Self.base(out) == before, "JSONSerializer.\(name) copied the whole destination instead of appending to it")
        }
        #expect(Array(out.prefix(6)) == Array("prefix".utf8))
        #expect(String(decoding: out.suffix(12), as: UTF8.self) == #"}"tail"421.5"#)
    }
}
