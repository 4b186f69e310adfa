import IncidentCore
import IncidentSimulation
import Testing

@testable import IncidentStorage

/// A bit-at-a-time CRC-32C, independent of the slicing-by-8 tables.
private func referenceCRC32C(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
    }
    return ~c
}

@Suite struct CRC32CTests {
    // RFC 3720 appendix B.4.
    @Test func rfc3720ThirtyTwoZeroBytes() {
        #expect(CRC32C.checksum([UInt8](repeating: 0x00, count: 32)) == 0x8A91_36AA)
    }

    @Test func rfc3720ThirtyTwoOnesBytes() {
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    }

    @Test func rfc3720IncrementingBytes() {
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    }

    @Test func rfc3720DecrementingBytes() {
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
    }

    @Test func rfc3720ISCSIReadCommandPDU() {
        let pdu: [UInt8] = [
            0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
            0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ]
        #expect(pdu.count == 48)
        #expect(CRC32C.checksum(pdu) == 0xD996_3A56)
    }

    @Test func checkString123456789() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func emptyInput() {
        #expect(CRC32C.checksum([]) == 0)
        [UInt8]().withUnsafeBytes { #expect(CRC32C.checksum($0, continuing: 0x1234_5678) == 0x1234_5678) }
    }

    @Test func matchesBitwiseReferenceForAllSmallLengths() {
        var rng = SeededRandom(seed: 7)
        for length in 0...100 {
            let b = randomPayload(length, &rng)
            #expect(CRC32C.checksum(b) == referenceCRC32C(b), "length \(length)")
        }
        let big = randomPayload(70_000, &rng)
        #expect(CRC32C.checksum(big) == referenceCRC32C(big))
    }

    @Test func continuingInPiecesEqualsOneShotAtEverySplit() {
        var rng = SeededRandom(seed: 42)
        let bytes = randomPayload(100, &rng)
        let whole = CRC32C.checksum(bytes)
        bytes.withUnsafeBytes { b in
            for split in 0...100 {
                let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<split]))
                let both = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[split..<100]), continuing: first)
                #expect(both == whole, "split at \(split)")
            }
            // Three pieces, every pair of split points.
            for i in stride(from: 0, through: 100, by: 7) {
                for j in stride(from: i, through: 100, by: 11) {
                    var c = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<i]))
                    c = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[i..<j]), continuing: c)
                    c = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[j..<100]), continuing: c)
                    #expect(c == whole, "splits at \(i), \(j)")
                }
            }
        }
    }

    @Test func unalignedBuffersGiveTheSameResult() {
        var rng = SeededRandom(seed: 99)
        let data = randomPayload(257, &rng)
        let expected = referenceCRC32C(data)
        // Copy the same bytes at every misalignment 0…15 inside a larger buffer.
        for shift in 0..<16 {
            var buffer = [UInt8](repeating: 0xA5, count: data.count + 32)
            buffer.replaceSubrange(shift..<(shift + data.count), with: data)
            buffer.withUnsafeBytes { b in
                let slice = UnsafeRawBufferPointer(rebasing: b[shift..<(shift + data.count)])
                #expect(CRC32C.checksum(slice) == expected, "shift \(shift)")
            }
        }
        // RFC vector at an odd address.
        var odd = [UInt8](repeating: 0, count: 3 + 32)
        for i in 0..<32 { odd[3 + i] = UInt8(i) }
        odd.withUnsafeBytes { b in
            #expect(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[3...])) == 0x46DD_794E)
        }
    }

    @Test func detectsEverySingleBitFlip() {
        var rng = SeededRandom(seed: 5)
        var bytes = randomPayload(64, &rng)
        let original = CRC32C.checksum(bytes)
        for i in 0..<(bytes.count * 8) {
            bytes[i / 8] ^= 1 << UInt8(i % 8)
            #expect(CRC32C.checksum(bytes) != original, "bit \(i)")
            bytes[i / 8] ^= 1 << UInt8(i % 8)
        }
    }
}
