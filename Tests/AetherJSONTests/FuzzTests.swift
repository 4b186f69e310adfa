import Testing
import IncidentCore
@testable import AetherJSON

@Suite struct FuzzTests {
    static let seeds: [String] = [
        #"{"id":"alrt-7f3a9c2e","title":"High CPU on web-03","severity":"critical","count":17,"labels":{"env":"prod","team":"payments"},"tags":["cpu","p1"],"acked":false,"score":0.875}"#,
        #"[1,-2,3.5e10,-0.0,1e-7,true,false,null,"",[],{},[[{"a":[null]}]]]"#,
        #"{"s":"esc \" \\ \/ \b \f \n \r \t \u00e9 \uD83D\uDE00 end","é":"😀中","big":123456789012345678901}"#,
        #"  [ { "a" : 1 } , { "b" : [ 2 , 3 ] } ]  "#,
        #""just a string with \u0041 escapes""#,
        "-9223372036854775808",
        #"{"op":"ack","id":7,"nested":{"deep":{"deeper":{"deepest":[1,2,3]}}}}"#,
    ]

    static let interesting: [UInt8] = Array(#"{}[]",:\-+.0123456789eEtrufalsn "#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xE0, 0xED, 0xF0, 0xF4, 0xFF]

    @Test func mutatedInputsNeverCrash() throws {
        var rng = SeededRandom(seed: 0xA37E_5EED)
        var successes = 0
        var failures = 0
        let seedBytes = Self.seeds.map { Array($0.utf8) }
        for _ in 0..<20_000 {
            var bytes = seedBytes[Int(rng.next() % UInt64(seedBytes.count))]
            for _ in 0...(rng.next() % 4) {
                let position = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
                let randomByte = rng.next() % 2 == 0
                    ? Self.interesting[Int(rng.next() % UInt64(Self.interesting.count))]
                    : UInt8(truncatingIfNeeded: rng.next())
                switch rng.next() % 5 {
                case 0 where !bytes.isEmpty: bytes[position] ^= UInt8(1) << (rng.next() % 8)
                case 1 where !bytes.isEmpty: bytes[position] = randomByte
                case 2: bytes.insert(randomByte, at: position)
                case 3 where !bytes.isEmpty: bytes.remove(at: position)
                default:
                    guard !bytes.isEmpty else { continue }
                    let length = Int(rng.next() % 8) + 1
                    let chunk = bytes[position..<min(bytes.count, position + length)]
                    bytes.insert(contentsOf: chunk, at: Int(rng.next() % UInt64(bytes.count)))
                }
            }
            do {
                let value = try JSONParser.parse(bytes)
                successes += 1
                // Anything accepted must serialize to JSON that parses back to the same value.
                #expect(try JSONParser.parse(value.serialized()) == value)
            } catch {
                failures += 1
                #expect(error.offset >= 0 && error.offset <= bytes.count)
                #expect(error.message.contains("offset \(error.offset)"))
            }
        }
        #expect(successes > 100 && failures > 10_000)
    }

    @Test func truncationsOfValidDocumentsFail() {
        for seed in Self.seeds {
            let bytes = Array(seed.utf8)
            for cut in 0..<bytes.count {
                let prefix = Array(bytes[..<cut])
                // Prefixes that happen to be complete values are fine; others must throw a sane error.
                do {
                    _ = try JSONParser.parse(prefix)
                } catch {
                    #expect(error.offset <= cut)
                }
            }
        }
    }
}
