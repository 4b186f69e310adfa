import AdminProtocol
import AetherJSON
import IncidentCore
import Testing

@testable import IncidentNode

/// An ingest's reply written straight from its results must be byte for byte the reply its JSON
/// rendering gives, which is what the general path of `alert.ingest[_batch]` answers.
@Suite struct AdminReplyTests {
    static func bytes(_ reply: AdminReply, id: JSONValue, replicas: Int?) -> [UInt8] {
        var out: [UInt8] = []
        reply.write(id: id, replicas: replicas, into: &out)
        return out
    }

    @Test func aResultAsJSON() {
        let r = IncidentService.IngestResult(incidentID: IncidentID("INC-2026-0001"), created: true, dedupKey: "disk \"full\"", forwardedReplicas: nil)
        let line = String(decoding: Self.bytes(.ingested([r], batch: false), id: .int(7), replicas: 2), as: UTF8.self)
        #expect(line == #"{"id":7,"ok":true,"result":{"incident_id":"INC-2026-0001","created":true,"dedup_key":"disk \"full\"","replicas":2}}"# + "\n")
    }

    @Test func randomResultsWriteWhatTheirJSONWrites() {
        var rng = SeededRandom(seed: 42)
        let keys = ["c1-1-3", "", "a\"b", "back\\slash", "tab\tnew\nline", "\u{01}\u{1F}", "café", "🚨 db", "\u{2028}", "</script>"]
        let ids: [JSONValue] = [.int(0), .int(-3), .int(9_007_199_254_740_993), .string("req \"1\""), .string("é"), .null, .double(1.5)]
        for _ in 0..<2000 {
            let batch = Bool.random(using: &rng)
            let count = batch ? Int.random(in: 1...6, using: &rng) : 1
            let results = (0..<count).map { _ in
                IncidentService.IngestResult(
                    incidentID: Bool.random(using: &rng) ? IncidentID(year: 2026, counter: UInt64.random(in: 1...99_999, using: &rng), tag: "") : nil,
                    created: Bool.random(using: &rng), dedupKey: keys[Int.random(in: 0..<keys.count, using: &rng)],
                    forwardedReplicas: Bool.random(using: &rng) ? Int.random(in: 1...3, using: &rng) : nil)
            }
            let json: JSONValue = batch ? ["results": .array(results.map { .object(AdminReply.render($0)) })] : .object(AdminReply.render(results[0]))
            let id = ids[Int.random(in: 0..<ids.count, using: &rng)]
            let replicas: Int? = Bool.random(using: &rng) ? Int.random(in: 1...3, using: &rng) : nil
            let direct = Self.bytes(.ingested(results, batch: batch), id: id, replicas: replicas)
            let rendered = Self.bytes(.json(json), id: id, replicas: replicas)
            #expect(direct == rendered, "\(String(decoding: direct, as: UTF8.self)) vs \(String(decoding: rendered, as: UTF8.self))")
        }
    }
}
