import AetherJSON
import IncidentCore
import Testing

@testable import AdminProtocol

private let pagerDutyBody = #"""
    {"routing_key":"rk","event_action":"trigger","dedup_key":"k-1","payload":{"summary":"Disk full","source":"db-1",
     "severity":"error","timestamp":"2026-11-27T18:41:00.315+0000","component":"pg","group":"g","class":"c",
     "custom_details":{"a":"b","n":{"m":"o"},"x":[1,2.5,null,true]}},"images":[{"src":"https://i"}],
     "links":[{"href":"https://l","text":"t"}],"client":"c","client_url":"https://c"}
    """#

private let alertmanagerBody = #"""
    {"receiver":"r","status":"firing","version":"4","groupKey":"{}:{}","truncatedAlerts":0,"alerts":[
     {"status":"firing","labels":{"alertname":"A","severity":"critical","job":"j","instance":"i"},
      "annotations":{"summary":"s","description":"d","runbook_url":"https://rb"},"startsAt":"2026-11-27T18:00:00Z",
      "endsAt":"0001-01-01T00:00:00Z","generatorURL":"https://g","fingerprint":"0123456789abcdef"},
     {"status":"resolved","labels":{"alertname":"B"},"startsAt":"2026-11-27T18:00:00Z","endsAt":"2026-11-27T19:00:00Z"}]}
    """#

/// Tokens spliced in by the byte mutator: structure, odd numbers, escapes, other types.
private let tokens: [String] = [
    "{", "}", "[", "]", ",", ":", "\"", "\\", "null", "true", "1e999", "-0", "\"\\ud800\"", "\"\\u0000\"", "[]", "{}",
    "\"trigger\"", "\"resolved\"", "\"4\"", "\u{FF}", "\"é\"", "9223372036854775808",
]

/// One random edit of `bytes`: flip, insert, delete, duplicate a slice, truncate, or splice a token.
private func mutate(_ bytes: inout [UInt8], _ rng: inout SeededRandom) {
    let n = bytes.count
    let at = n == 0 ? 0 : Int.random(in: 0..<n, using: &rng)
    switch Int.random(in: 0..<6, using: &rng) {
    case 0 where n > 0: bytes[at] ^= UInt8.random(in: 1...255, using: &rng)
    case 1: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
    case 2 where n > 0: bytes.remove(at: at)
    case 3 where n > 0:
        let end = min(n, at + Int.random(in: 1...64, using: &rng))
        bytes.insert(contentsOf: Array(bytes[at..<end]), at: at)
    case 4: bytes.removeSubrange(at..<n)
    default: bytes.insert(contentsOf: Array(tokens.randomElement(using: &rng)!.utf8), at: at)
    }
}

/// A random JSON value of a random type, sometimes large.
private func randomValue(_ rng: inout SeededRandom) -> JSONValue {
    switch Int.random(in: 0..<8, using: &rng) {
    case 0: return .null
    case 1: return .bool(Bool.random(using: &rng))
    case 2: return .int(Int64.random(in: .min ... .max, using: &rng))
    case 3: return .double(Double.random(in: -1e300...1e300, using: &rng))
    case 4: return .string(String(repeating: "x", count: [0, 1, 255, 256, 1025, 20_000].randomElement(using: &rng)!))
    case 5: return .array((0..<Int.random(in: 0...20, using: &rng)).map { _ in .string("https://e") })
    case 6: return .object(["href": "https://e", "src": "s", "text": .int(1)])
    default: return .string(["trigger", "resolve", "acknowledge", "firing", "resolved", "critical", "SEV-1", ""].randomElement(using: &rng)!)
    }
}

/// Replaces one member somewhere in `value` by a random value (or removes it).
private func mutateTree(_ value: inout JSONValue, _ rng: inout SeededRandom, depth: Int = 0) {
    switch value {
    case .object(var o) where !o.isEmpty:
        let key = o.keys.randomElement(using: &rng)!
        var child = o[key]!
        if depth < 4, Bool.random(using: &rng) {
            mutateTree(&child, &rng, depth: depth + 1)
            o[key] = child
        } else if Int.random(in: 0..<5, using: &rng) == 0 {
            o[key] = nil
        } else {
            o[key] = randomValue(&rng)
        }
        value = .object(o)
    case .array(var items) where !items.isEmpty:
        let i = Int.random(in: 0..<items.count, using: &rng)
        if depth < 4, Bool.random(using: &rng) { mutateTree(&items[i], &rng, depth: depth + 1) } else { items[i] = randomValue(&rng) }
        value = .array(items)
    default:
        value = randomValue(&rng)
    }
}

/// Runs both decoders on `bytes`; an accepted result must always be a valid alert.
private func check(_ bytes: [UInt8], iteration: Int) {
    switch PagerDutyEvents.decode(bytes, generateKey: { "generated" }) {
    case .success(let a):
        #expect(throws: Never.self, "iteration \(iteration)") { try a.alert.validate() }
        #expect(a.alert.dedupKey == a.dedupKey)
    case .failure(let r):
        #expect(!r.errors.isEmpty, "iteration \(iteration)")
        #expect(r.body["errors"]?.arrayValue?.count == r.errors.count)
    }
    do {
        for alert in try AlertmanagerWebhook.decode(bytes) {
            #expect(throws: Never.self, "iteration \(iteration)") { try alert.validate() }
        }
    } catch {
        #expect(error.code == .badRequest && !error.message.isEmpty)
    }
}

@Suite struct IntakeFuzzTests {
    @Test func validBodiesDecode() throws {
        guard case .success = PagerDutyEvents.decode(Array(pagerDutyBody.utf8), generateKey: { "g" }) else {
            Issue.record("the PagerDuty seed must be valid")
            return
        }
        #expect(try AlertmanagerWebhook.decode(Array(alertmanagerBody.utf8)).count == 2)
    }

    @Test(arguments: [pagerDutyBody, alertmanagerBody])
    func byteMutationsNeverTrap(seed: String) {
        var rng = SeededRandom(seed: UInt64(seed.utf8.count))
        for iteration in 0..<5_000 {
            var bytes = Array(seed.utf8)
            for _ in 0..<Int.random(in: 1...4, using: &rng) { mutate(&bytes, &rng) }
            check(bytes, iteration: iteration)
        }
    }

    @Test(arguments: [pagerDutyBody, alertmanagerBody])
    func valueMutationsNeverTrap(seed: String) throws {
        var rng = SeededRandom(seed: 0xA37E_2026 ^ UInt64(seed.utf8.count))
        let original = try JSONParser.parse(seed)
        var accepted = 0
        for iteration in 0..<5_000 {
            var value = original
            for _ in 0..<Int.random(in: 1...3, using: &rng) { mutateTree(&value, &rng) }
            let bytes = value.serialized()
            check(bytes, iteration: iteration)
            if case .success = PagerDutyEvents.decode(bytes, generateKey: { "g" }) { accepted += 1 }
            if (try? AlertmanagerWebhook.decode(bytes)) != nil { accepted += 1 }
        }
        #expect(accepted > 0)  // the mutations are not all fatal: accepted paths are exercised too
    }
}
