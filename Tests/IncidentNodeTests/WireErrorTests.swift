import AdminProtocol
import AetherJSON
import IncidentCore
import PosixIO
import Testing

@testable import IncidentNode

extension NodeTests {
    /// Malformed and invalid requests get their precise code on the wire, with the id echoed when
    /// readable, never change state and never break the connection.
    @Suite struct WireErrors {
        struct Case {
            let line: [UInt8]
            let id: JSONValue
            let code: AdminError.Code
            let fragments: [String]
        }

        static func cases(incident id: String) -> [Case] {
            func c(_ line: String, _ rid: JSONValue, _ code: AdminError.Code, _ fragments: String...) -> Case {
                Case(line: Array(line.utf8), id: rid, code: code, fragments: fragments)
            }
            var invalidUTF8 = Array(#"{"id":11,"op":"alert.ingest","args":{"title":"caf"#.utf8)
            invalidUTF8 += [0xC3, 0x28, 0xFF]
            invalidUTF8 += Array(#""}}"#.utf8)
            return [
                c(#"{"id": 1, "op": "node.info""#, .null, .badRequest, "malformed JSON"),
                c(#"[1, 2, 3]"#, .null, .badRequest, "request is a JSON array; expected an object"),
                c(#"{"id":3,"op":"incident.explode","args":{}}"#, 3, .unknownOp, "unknown op 'incident.explode'", "incident.get"),
                c(#"{"id":4,"op":"incident.get"}"#, 4, .badRequest, "missing args.id for incident.get"),
                c(#"{"id":5,"op":"incident.get","args":{"id":42}}"#, 5, .badRequest, "args.id is an integer; expected a string"),
                c(#"{"id":6,"op":"incident.get","args":{"id":"INC-42"}}"#, 6, .badRequest, "incident id 'INC-42' is not valid"),
                c(#"{"id":7,"op":"incident.severity","args":{"id":"\#(id)","severity":"SEV-9"}}"#, 7, .badRequest, "severity 'SEV-9' is not valid"),
                c(#"{"id":8,"op":"incident.note","args":{"id":"\#(id)"}}"#, 8, .badRequest, "missing args.text for incident.note"),
                c(#"{"id":9,"op":"incident.get","args":{"id":"\#(id)","verbose":true}}"#, 9, .badRequest, "unknown argument 'verbose' for incident.get"),
                c(#"{"id":10,"op":"alert.ingest","args":{"title":5}}"#, 10, .badRequest, "args: title is an integer; expected a string"),
                Case(line: invalidUTF8, id: .null, code: .badRequest, fragments: ["malformed JSON", "invalid UTF-8"]),
                c(#"{"id":12,"op":"incident.get","args":{"id":"INC-2026-9999-ZZZ"}}"#, 12, .notFound, "INC-2026-9999-ZZZ"),
                c(#"{"id":13,"op":"incident.reopen","args":{"id":"\#(id)"}}"#, 13, .conflict, "is triggered", "cannot move to reopened"),
                c(#"{"id":14,"op":"incident.close","args":{"id":"\#(id)"}}"#, 14, .conflict, "is triggered", "cannot move to closed"),
                c(#"{"id":15,"op":"incident.list","args":{"limit":0}}"#, 15, .badRequest, "args.limit 0 is out of range"),
                c(#"{"id":16,"op":"incident.update","args":{"id":"\#(id)","message":"m","channels":"slack"}}"#, 16, .badRequest, "args.channels is a string"),
                c(#"{"id":"b","op":"alert.ingest_batch","args":{"alerts":[{"title":"fine","dedup_key":"wire-new"},{"title":7}]}}"#, "b", .badRequest, "args.alerts[1]: title is an integer"),
                c(#"{"id":18,"op":"node.info","tokn":"x"}"#, 18, .badRequest, "unknown request field 'tokn'"),
                c(#"{"id":19,"op":7}"#, 19, .badRequest, "op is an integer"),
                c(#"{"id":20,"op":"incident.resolve","args":{"id":"\#(id)","resolution":"done","type":"forever"}}"#, 20, .badRequest, "resolution type 'forever' is not valid"),
                c(#"{"id":21,"op":"incident.update","args":{"id":"\#(id)","message":"m","status":"closed"}}"#, 21, .badRequest, "args.status 'closed' cannot be set directly"),
            ]
        }

        static func check(_ r: AdminResponse.Parsed, _ c: Case, sourceLocation: SourceLocation = #_sourceLocation) {
            let line = String(decoding: c.line, as: UTF8.self)
            #expect(r.id == c.id, "id for \(line)", sourceLocation: sourceLocation)
            switch r.outcome {
            case .success(let v):
                Issue.record("\(line) succeeded: \(v)", sourceLocation: sourceLocation)
            case .failure(let e):
                #expect(e.code == c.code, "code for \(line): \(e)", sourceLocation: sourceLocation)
                for f in c.fragments {
                    #expect(e.message.contains(f), "message for \(line) should mention \(f): \(e.message)", sourceLocation: sourceLocation)
                }
            }
        }

        @Test func eachBadRequestGetsItsCode() async throws {
            try await withNodeClient { node in
                let c = try node.client()
                let id = try c.ingest(["title": "Checkout latency", "service": "checkout", "dedup_key": "wire-1", "severity": "SEV-3"])
                let digest = try c.ok("log.digest")
                let cases = Self.cases(incident: id)
                // One at a time…
                for k in cases {
                    try c.send(k.line + [10])
                    Self.check(try c.readResponse(), k)
                }
                // …and all pipelined in one write, between valid requests.
                var batch: [UInt8] = []
                for k in cases { batch += k.line + [10] + AdminRequest(id: "ping", op: "node.info").encoded + [10] }
                try c.send(batch)
                for k in cases {
                    Self.check(try c.readResponse(), k)
                    let ping = try c.readResponse()
                    #expect(ping.id == "ping")
                    #expect((try? ping.outcome.get()) != nil)
                }
                // Nothing changed: same event set, still one incident, still triggered.
                #expect(try c.ok("log.digest") == digest)
                let list = try c.ok("incident.list")
                #expect(list["incidents"]?.arrayValue?.count == 1)
                #expect(try c.incident(id)["status"] == "triggered")
            }
        }

        @Test func conflictNamesTheCurrentStatus() async throws {
            try await withNodeClient { node in
                let c = try node.client()
                let id = try c.ingest(["title": "Queue backlog", "dedup_key": "wire-2", "severity": "SEV-3"])
                _ = try c.ok("incident.ack", ["id": .string(id)])
                let again = try c.fails("incident.ack", ["id": .string(id)])
                #expect(again.code == .conflict)
                #expect(again.message.contains("already acknowledged"))
                let reopen = try c.fails("incident.reopen", ["id": .string(id)])
                #expect(reopen.code == .conflict)
                #expect(reopen.message.contains("incident \(id) is acknowledged; cannot move to reopened"))
                _ = try c.ok("incident.resolve", ["id": .string(id), "resolution": "restarted the consumer"])
                let ack = try c.fails("incident.ack", ["id": .string(id)])
                #expect(ack.code == .conflict)
                #expect(ack.message.contains("is resolved"))
                _ = try c.ok("incident.close", ["id": .string(id)])
                let note = try c.fails("incident.severity", ["id": .string(id), "severity": "SEV-1"])
                #expect(note.code == .conflict)
                #expect(note.message.contains("is closed"))
            }
        }

        @Test func halfClosedClientStillGetsItsAnswers() async throws {
            try await withNodeClient { node in
                let c = try node.client()
                var batch: [UInt8] = []
                for i in 0..<5 { batch += AdminRequest(id: .int(Int64(i)), op: "node.info").encoded + [10] }
                try c.send(batch)
                _ = shutdown(c.fd, Int32(SHUT_WR))
                for i in 0..<5 {
                    let r = try c.readResponse()
                    #expect(r.id == .int(Int64(i)))
                    #expect((try? r.outcome.get()) != nil)
                }
                #expect(try c.readsEndOfStream())
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
