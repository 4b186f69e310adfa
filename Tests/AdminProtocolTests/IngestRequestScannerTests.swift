import AetherJSON
import IncidentCore
import Testing

@testable import AdminProtocol

/// The ingest fast path against the general parser: every line the scanner takes must mean exactly
/// what the JSON parser and `Alert(json:)` make of it.
@Suite struct IngestRequestScannerTests {
    /// Decodes a generally parsed ingest request's alerts the way the dispatcher does; nil when it
    /// would answer an error.
    static func generalAlerts(_ r: AdminRequest) -> [Alert]? {
        if r.op == "alert.ingest" { return (try? Alert(json: r.args, path: "args")).map { [$0] } }
        guard r.op == "alert.ingest_batch", r.args.count == 1, case .array(let items)? = r.args["alerts"], !items.isEmpty else { return nil }
        var alerts: [Alert] = []
        for item in items {
            guard case .object(let o) = item, let a = try? Alert(json: o, path: "args.alerts[0]") else { return nil }
            alerts.append(a)
        }
        return alerts
    }

    /// Checks one line both ways; true when the scanner took it.
    @discardableResult
    static func compare(_ line: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        line.withUnsafeBytes { raw in
            let general = AdminRequest.parseGeneral(raw)
            guard let fast = IngestRequestScanner.scan(raw) else { return false }
            let text = String(decoding: line, as: UTF8.self)
            guard case .success(let r) = general else {
                Issue.record("the scanner took a line the parser refuses: \(text)", sourceLocation: sourceLocation)
                return true
            }
            #expect(fast.id == r.id && fast.op == r.op && fast.token == r.token, "\(text)", sourceLocation: sourceLocation)
            #expect(fast.args.count == 0, sourceLocation: sourceLocation)
            let expected = generalAlerts(r)
            #expect(expected != nil && fast.alerts == expected, "alerts differ for \(text)", sourceLocation: sourceLocation)
            // And `parse` returns the scanner's reading.
            if case .success(let p) = AdminRequest.parse(raw) { #expect(p.alerts == fast.alerts, sourceLocation: sourceLocation) }
            return true
        }
    }

    @Test func stormAndClientLinesTakeTheFastPath() {
        let storm = #"{"id":7,"op":"alert.ingest_batch","args":{"alerts":[{"title":"Storm alert 3","dedup_key":"c1-1-3","source":"aether-storm","service":"storm-svc-3","severity":"warning"},{"title":"Storm alert 4","dedup_key":"c1-1-4","source":"aether-storm","service":"storm-svc-4","severity":"warning"}]}}"#
        #expect(Self.compare(Array(storm.utf8)))
        let single = #"{"id":"a-1","op":"alert.ingest","args":{"title":"Disk full","severity":"SEV-2","action":"trigger","dedup_key":"disk"},"token":"s3cret"}"#
        #expect(Self.compare(Array(single.utf8)))
        // What the CLI sends (`AdminRequest.encoded`).
        var alert = Alert(title: "API down", dedupKey: "api", source: "prometheus", service: "api", severity: .level(.critical))
        alert.timestamp = Timestamp(rfc3339: "2026-11-27T18:00:00Z")
        let cli = AdminRequest(id: .int(3), op: "alert.ingest", args: alert.json).encoded
        #expect(Self.compare(cli))
        let batch = AdminRequest(id: .int(4), op: "alert.ingest_batch", args: ["alerts": [.object(alert.json), .object(alert.json)]]).encoded
        #expect(Self.compare(batch))
        // Spaced out, as a person types it.
        #expect(Self.compare(Array(" {\t\"id\" : null ,\r\n \"op\": \"alert.ingest\" , \"args\" : { \"title\" : \"x\" , \"description\" : null } } ".utf8)))
    }

    @Test func linesItCannotReadGoTheGeneralWay() {
        let refused = [
            #"{"op":"alert.ingest","id":1,"args":{"title":"x"}}"#,  // op before id
            #"{"id":1,"args":{"title":"x"},"op":"alert.ingest"}"#,  // args before op
            #"{"id":1,"op":"alert.ingest","args":{"title":"caf\u00e9"}}"#,  // an escape
            #"{"id":1,"op":"alert.ingest","args":{"title":"x","labels":{"a":"b"}}}"#,  // a non-string field
            #"{"id":1,"op":"alert.ingest","args":{"title":"x","title":"y"}}"#,  // a repeated field
            #"{"id":1,"op":"alert.ingest","args":{"title":""}}"#,  // an invalid alert
            #"{"id":1,"op":"alert.ingest","args":{"title":"x","severity":"SEV-7"}}"#,
            #"{"id":1,"op":"alert.ingest_batch","args":{"alerts":[]}}"#,
            #"{"id":1.5,"op":"alert.ingest","args":{"title":"x"}}"#,
            #"{"id":007,"op":"alert.ingest","args":{"title":"x"}}"#,
            #"{"id":1,"op":"incident.get","args":{"incident_id":"INC-1"}}"#,
            #"{"id":1,"op":"alert.ingest","args":{"title":"x"}} x"#,
            #"{"id":1,"op":"alert.ingest","args":{"title":"x"},}"#,
        ]
        for line in refused {
            let taken = Array(line.utf8).withUnsafeBytes { IngestRequestScanner.scan($0) != nil }
            #expect(!taken, "\(line)")
        }
    }

    /// Random lines from pools of valid and invalid pieces, then single-byte mutations of the lines
    /// the scanner took; every line it takes must agree with the general path.
    @Test func randomLinesAgreeWithTheGeneralParser() {
        var rng = SeededRandom(seed: 20261128)
        let ws = ["", "", "", " ", "\t", "\r\n", "  "]
        let strings = [
            #""Storm alert 1""#, #""""#, #""payments""#, #""SEV-1""#, #""sev2""#, #""SEV9""#, #""Sev-0""#, #""Warning""#,
            #""CRITICAL""#, #""info""#, #""bogus""#, #""trigger""#, #""resolve""#, #""acknowledge""#, #""Resolve""#,
            #""2026-11-27T18:00:00Z""#, #""not a time""#, "null", #""a\"b""#, #""\u00e9t\u00e9""#, "\"caf\u{e9}\"",
            "\"\u{17F}ev-1\"", "\"warn\u{130}ng\"", #""tab\there""#, "\"a\u{01}b\"", "\"" + String(repeating: "x", count: 5000) + "\"",
            "\"~\u{7F}\"", "1", "2.5", "true", "{}", "[]", #"{"a":"b"}"#, #"["x"]"#,
        ]
        let names = Alert.wireFields + ["unknown", "Title", "title "]
        let ids = ["1", "0", "-0", "-5", "007", "1.5", "1e3", "123456789012345678", "1234567890123456789012", #""abc""#, #""""#, "null", "true", "-"]
        let ops = [#""alert.ingest""#, #""alert.ingest_batch""#, #""incident.get""#, #""alert.ingest ""#]
        let tokens = [#""t0k""#, "null", "5", #""t\u00e9""#]
        func pick<T>(_ a: [T]) -> T { a[Int.random(in: 0..<a.count, using: &rng)] }
        func w() -> String { pick(ws) }
        /// Mostly one of the first `good` (readable) entries, sometimes any.
        func mostly<T>(_ a: [T], good: Int) -> T { Int.random(in: 0..<10, using: &rng) < 8 ? a[Int.random(in: 0..<good, using: &rng)] : pick(a) }
        func alert() -> String {
            var members: [String] = []
            if Int.random(in: 0..<4, using: &rng) > 0 { members.append("\"title\"\(w()):\(w())\(pick(Array(strings.prefix(3))))") }
            for _ in 0..<Int.random(in: 0...4, using: &rng) { members.append("\"\(mostly(names, good: 8))\"\(w()):\(w())\(mostly(strings, good: 3))") }
            members.shuffle(using: &rng)
            return "{" + w() + members.joined(separator: w() + "," + w()) + w() + "}"
        }
        func line() -> String {
            let op = Int.random(in: 0..<10, using: &rng) < 8 ? (Bool.random(using: &rng) ? ops[0] : ops[1]) : pick(ops)
            let args: String
            if op == ops[1] {
                let alerts = (0..<Int.random(in: 0...4, using: &rng)).map { _ in alert() }
                args = "{\(w())\"alerts\"\(w()):\(w())[\(w())" + alerts.joined(separator: ",\(w())") + "]\(w())}"
            } else {
                args = alert()
            }
            var members = ["\"id\":\(w())\(mostly(ids, good: 2))", "\"op\"\(w()):\(op)", "\"args\":\(w())\(args)"]
            if Int.random(in: 0..<4, using: &rng) == 0 { members.append("\"token\":\(pick(tokens))") }
            if Int.random(in: 0..<8, using: &rng) == 0 { members.shuffle(using: &rng) }
            if Int.random(in: 0..<20, using: &rng) == 0 { members.append(members[0]) }
            return w() + "{" + w() + members.joined(separator: w() + "," + w()) + w() + "}" + w()
        }
        var taken: [[UInt8]] = []
        for _ in 0..<6000 {
            let bytes = Array(line().utf8)
            if Self.compare(bytes) { taken.append(bytes) }
        }
        #expect(taken.count > 250, "the scanner took only \(taken.count) of 6000 lines")
        let alphabet = Array(#"{}[]:,"\ 0123456789-.enultrsaxSEV"#.utf8) + [0x01, 0xC3, 0xA9, 0x7F]
        var mutated = 0
        for _ in 0..<4000 {
            var bytes = pick(taken)
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes.remove(at: at)
            case 1: bytes.insert(pick(alphabet), at: at)
            default: bytes[at] = pick(alphabet)
            }
            if Self.compare(bytes) { mutated += 1 }
        }
        #expect(mutated > 100, "the scanner took only \(mutated) mutated lines")
    }
}
