import Testing

@testable import IncidentCluster

@Suite("HMAC-SHA256 (RFC 2104, RFC 4231 vectors)")
struct HMACTests {
    /// One RFC 4231 test case: key, data, expected tag (hex), and how many tag bytes it gives.
    struct Case: Sendable, CustomTestStringConvertible {
        var number: Int
        var key: [UInt8]
        var data: [UInt8]
        var tag: String
        var truncatedBytes: Int = 32
        var testDescription: String { "RFC 4231 test case \(number)" }
    }

    static let rfc4231: [Case] = [
        Case(
            number: 1, key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8),
            tag: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        Case(
            number: 2, key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8),
            tag: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        Case(
            number: 3, key: [UInt8](repeating: 0xaa, count: 20), data: [UInt8](repeating: 0xdd, count: 50),
            tag: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        Case(
            number: 4, key: bytes(hex: "0102030405060708090a0b0c0d0e0f10111213141516171819"),
            data: [UInt8](repeating: 0xcd, count: 50),
            tag: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        Case(
            number: 5, key: [UInt8](repeating: 0x0c, count: 20), data: Array("Test With Truncation".utf8),
            tag: "a3b6167473100ee06e0c796c2955552b", truncatedBytes: 16),
        Case(
            number: 6, key: [UInt8](repeating: 0xaa, count: 131),
            data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            tag: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        Case(
            number: 7, key: [UInt8](repeating: 0xaa, count: 131),
            data: Array(
                ("This is a test using a larger than block-size key and a larger than block-size data. "
                    + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
            tag: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ]

    @Test(arguments: rfc4231)
    func rfc4231Vectors(_ c: Case) {
        let mac = HMACSHA256(key: c.key)
        let tag = mac.authenticate(c.data)
        #expect(tag.count == 32)
        #expect(hex(Array(tag.prefix(c.truncatedBytes))) == c.tag)
        if c.truncatedBytes == 32 {
            #expect(mac.isValid(bytes(hex: c.tag), for: c.data))
        } else {
            // Truncated tags are not accepted by `isValid`: frames always carry all 32 bytes.
            #expect(!mac.isValid(bytes(hex: c.tag), for: c.data))
            #expect(mac.isValid(tag, for: c.data))
        }
    }

    @Test("every flipped bit of the tag or the message is rejected")
    func flippedBitsRejected() {
        let mac = HMACSHA256(key: Array("cluster-key-0123456789abcdef".utf8))
        let message = patternMessage(100)
        let tag = mac.authenticate(message)
        #expect(mac.isValid(tag, for: message))
        for bit in 0..<(tag.count * 8) {
            var forged = tag
            forged[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(!mac.isValid(forged, for: message), "tag bit \(bit)")
        }
        for bit in stride(from: 0, to: message.count * 8, by: 13) {
            var altered = message
            altered[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(!mac.isValid(tag, for: altered), "message bit \(bit)")
        }
    }

    @Test("tags of the wrong length are rejected", arguments: [0, 1, 16, 31, 33, 64])
    func wrongLengthRejected(length: Int) {
        let mac = HMACSHA256(key: Array("k".utf8))
        let message = Array("frame".utf8)
        let tag = mac.authenticate(message)
        let candidate = length <= 32 ? Array(tag.prefix(length)) : tag + [UInt8](repeating: 0, count: length - 32)
        #expect(!mac.isValid(candidate, for: message))
    }

    @Test("a different key gives a different tag; constantTimeEquals compares lengths and bytes")
    func keysAndCompare() {
        let message = Array("gossip frame".utf8)
        let a = HMACSHA256(key: Array("key-a".utf8)).authenticate(message)
        let b = HMACSHA256(key: Array("key-b".utf8)).authenticate(message)
        #expect(a != b)
        a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                #expect(HMACSHA256.constantTimeEquals(pa, pa))
                #expect(!HMACSHA256.constantTimeEquals(pa, pb))
                #expect(!HMACSHA256.constantTimeEquals(pa, UnsafeRawBufferPointer(rebasing: pa[0..<31])))
            }
        }
    }

    @Test("a 64-byte key is used as is; a 65-byte key is hashed first")
    func keyLengthBoundary() {
        let message = Array("m".utf8)
        let key65 = [UInt8](repeating: 0x42, count: 65)
        let hashedKey = SHA256.hash(key65)
        #expect(HMACSHA256(key: key65).authenticate(message) == HMACSHA256(key: hashedKey).authenticate(message))
        let key64 = [UInt8](repeating: 0x42, count: 64)
        #expect(HMACSHA256(key: key64).authenticate(message) != HMACSHA256(key: key65).authenticate(message))
    }
}
