import Testing

@testable import IncidentCluster

/// Lower-case hex of bytes, for comparing with published vectors.
func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    var out = ""
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0xF)])
    }
    return out
}

/// Bytes of a hex string (test vectors).
func bytes(hex: String) -> [UInt8] {
    let chars = Array(hex.utf8)
    return stride(from: 0, to: chars.count, by: 2).map { i in
        UInt8(String(decoding: chars[i..<(i + 2)], as: UTF8.self), radix: 16)!
    }
}

/// The test message `(i·31 + 7) mod 256`, whose digests below were computed with Python's hashlib.
func patternMessage(_ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
}

@Suite("SHA-256 (FIPS 180-4)")
struct SHA256Tests {
    @Test(
        "NIST vectors",
        arguments: [
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ])
    func nistVectors(message: String, digest: String) {
        #expect(hex(SHA256.hash(Array(message.utf8))) == digest)
    }

    @Test("one million 'a', fed in uneven pieces")
    func millionA() {
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        var hasher = SHA256()
        var fed = 0
        var piece = 1
        while fed < 1_000_000 {
            let n = min(piece, 1_000_000 - fed, chunk.count)
            chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            fed += n
            piece = piece % 997 + 13
        }
        #expect(hex(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        let oneShot = SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
        #expect(hex(oneShot) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test(
        "lengths around the padding boundaries",
        arguments: [
            (1, "ca358758f6d27e6cf45272937977a748fd88391db679ceda7dc7bf1f005ee879"),
            (55, "8aa994584139d128848eeebc4e815639ba5ab6e6e39574195a63ac4f14f7c43b"),
            (56, "ad574708f75c044c9b85de64cb568ee7711ff4f36448c6242f053ba8f6cc2b63"),
            (63, "280ed3e8ff1df845b2e7dfe6ac6cee817bef20e783cc65abc41b818b4d2fe076"),
            (64, "c6ab9724ade5b6a7a1edfffb12f3aa9181351355af8fd08c919952ad211339dd"),
            (65, "788367c73c7ddf4c53f65e68cc0d943e6227ab55b0e78ba63ace822b1c6301c0"),
            (111, "dd1413178fb627f9abbc041ffe39c44aa7aaa0e2e6d2ca5c4528ac7073a2da45"),
            (112, "a65c92dac124062d0ab951a42773cb04fc98d1d4bf8897b176f8cff3509d379e"),
            (119, "3d610547d68216dedf7435a4fb6260353911f6b3fd3f18805ddb8be285d726fe"),
            (120, "1f80156a804cb7862ad113e8200e9d74499723e7c7854d5f48776d3148e09656"),
            (127, "192409cd280e14b743642ad1343fbd3e82d9305de72c078117745a679210cc3d"),
            (128, "cc548ca2dec1f6fe4f58b2e27aa9c7521607df1130d140b55a4dad0665302356"),
            (200, "44cae5223d431caed4a9e32271d6abf17c3f2f4abac45fcdb48a99fcc6072a09"),
        ])
    func paddingBoundaries(length: Int, digest: String) {
        #expect(hex(SHA256.hash(patternMessage(length))) == digest)
    }

    @Test("two-part updates equal one-shot at every split point of a 200-byte message")
    func everySplitPoint() {
        let message = patternMessage(200)
        let expected = SHA256.hash(message)
        message.withUnsafeBytes { all in
            for split in 0...message.count {
                var hasher = SHA256()
                hasher.update(UnsafeRawBufferPointer(rebasing: all[0..<split]))
                hasher.update(UnsafeRawBufferPointer(rebasing: all[split...]))
                let digest = hasher.finalize()
                #expect(digest == expected, "split at \(split)")
            }
        }
    }

    @Test("three-part updates and byte-at-a-time equal one-shot")
    func threePartsAndBytes() {
        let message = patternMessage(200)
        let expected = SHA256.hash(message)
        message.withUnsafeBytes { all in
            for first in stride(from: 0, through: 200, by: 7) {
                for second in stride(from: first, through: 200, by: 11) {
                    var hasher = SHA256()
                    hasher.update(UnsafeRawBufferPointer(rebasing: all[0..<first]))
                    hasher.update(UnsafeRawBufferPointer(rebasing: all[first..<second]))
                    hasher.update(UnsafeRawBufferPointer(rebasing: all[second...]))
                    #expect(hasher.finalize() == expected, "splits at \(first), \(second)")
                }
            }
            var hasher = SHA256()
            for i in 0..<all.count { hasher.update(UnsafeRawBufferPointer(rebasing: all[i..<(i + 1)])) }
            #expect(hasher.finalize() == expected)
        }
    }

    @Test("finalize resets the hasher; copies fork the state")
    func finalizeResetsAndCopiesFork() {
        var hasher = SHA256()
        hasher.update(Array("ab".utf8))
        var fork = hasher
        hasher.update(Array("c".utf8))
        fork.update(Array("c".utf8))
        #expect(hasher.finalize() == fork.finalize())
        #expect(hex(hasher.finalize()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
