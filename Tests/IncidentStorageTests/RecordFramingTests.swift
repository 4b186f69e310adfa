import IncidentCore
import IncidentSimulation
import Testing

@testable import IncidentStorage

/// Scans `bytes` from `start`, returning the payloads visited and how the scan ended.
private func scanAll(_ bytes: [UInt8], from start: Int = 0) -> ([[UInt8]], RecordFraming.ScanEnd) {
    var seen: [[UInt8]] = []
    let end = bytes.withUnsafeBytes { b in
        RecordFraming.scan(b, from: start) { seen.append(Array($0)) }
    }
    return (seen, end)
}

/// Offsets of each record in a buffer framed from `payloads` (starting at `base`).
private func offsets(of payloads: [[UInt8]], base: Int = 0) -> [Int] {
    var o = base
    return payloads.map { p in
        defer { o += framedSize(p) }
        return o
    }
}

private func corruptOffset(_ end: RecordFraming.ScanEnd) -> Int? {
    if case .corrupt(let offset, _) = end { return offset }
    return nil
}

@Suite struct RecordFramingTests {
    private func somePayloads(_ n: Int, seed: UInt64, sizes: ClosedRange<Int> = 1...40) -> [[UInt8]] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in randomPayload(Int.random(in: sizes, using: &rng), &rng) }
    }

    @Test func roundTripOfManyRecordsOfSizes1To5000() {
        var rng = SeededRandom(seed: 1)
        var payloads: [[UInt8]] = [[0], randomPayload(5000, &rng)]
        for size in 1...64 { payloads.append(randomPayload(size, &rng)) }
        for _ in 0..<400 { payloads.append(randomPayload(Int.random(in: 1...5000, using: &rng), &rng)) }
        let framed = frame(payloads)
        #expect(framed.count == payloads.reduce(0) { $0 + 8 + $1.count })
        let (seen, end) = scanAll(framed)
        #expect(end == .clean)
        #expect(seen == payloads)
    }

    @Test func recordLayoutIsLengthThenCRCThenPayload() {
        let payload = Array("hello".utf8)
        let framed = frame([payload])
        #expect(framed.count == 13)
        #expect(Array(framed[0..<4]) == [5, 0, 0, 0])
        let crc = UInt32(framed[4]) | UInt32(framed[5]) << 8 | UInt32(framed[6]) << 16 | UInt32(framed[7]) << 24
        #expect(crc == CRC32C.checksum([5, 0, 0, 0] + payload))
        #expect(Array(framed[8...]) == payload)
    }

    @Test func scanStartsAfterASegmentHeader() {
        let payloads = somePayloads(10, seed: 2)
        let bytes = RecordFraming.segmentHeader(firstLSN: 77) + frame(payloads)
        let (seen, end) = scanAll(bytes, from: RecordFraming.segmentHeaderBytes)
        #expect(end == .clean)
        #expect(seen == payloads)
        let (none, emptyEnd) = scanAll(RecordFraming.segmentHeader(firstLSN: 1), from: RecordFraming.segmentHeaderBytes)
        #expect(none.isEmpty && emptyEnd == .clean)
    }

    @Test(arguments: [UInt64(0), 1, 2, 255, 1 << 32, 123_456_789_012, UInt64.max])
    func segmentHeaderRoundTrip(lsn: UInt64) {
        let h = RecordFraming.segmentHeader(firstLSN: lsn)
        #expect(h.count == RecordFraming.segmentHeaderBytes)
        #expect(Array(h[0..<8]) == Array("AETHLOG1".utf8))
        #expect(h.withUnsafeBytes { RecordFraming.parseSegmentHeader($0) } == lsn)
        // Trailing bytes (records) do not matter.
        #expect((h + [1, 2, 3]).withUnsafeBytes { RecordFraming.parseSegmentHeader($0) } == lsn)
    }

    @Test func segmentHeaderRejectsBadMagicBadCRCAndShortInput() {
        let h = RecordFraming.segmentHeader(firstLSN: 42)
        for byte in 0..<h.count {
            for bit in 0..<8 {
                var bad = h
                bad[byte] ^= 1 << UInt8(bit)
                #expect(bad.withUnsafeBytes { RecordFraming.parseSegmentHeader($0) } == nil, "byte \(byte) bit \(bit)")
            }
        }
        // A different magic with a CRC that matches it is still refused.
        var other = Array("AETHLOG2".utf8) + Array(h[8..<16])
        let crc = CRC32C.checksum(other)
        other += [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)]
        #expect(other.withUnsafeBytes { RecordFraming.parseSegmentHeader($0) } == nil)
        for n in 0..<h.count {
            #expect(Array(h[0..<n]).withUnsafeBytes { RecordFraming.parseSegmentHeader($0) } == nil)
        }
    }

    @Test func cutInsideTheRecordHeaderIsTorn() {
        let payloads = somePayloads(6, seed: 3)
        let good = frame(payloads)
        let last = frame([Array("tail record".utf8)])
        for cut in 1..<RecordFraming.recordHeaderBytes {
            let (seen, end) = scanAll(good + last[0..<cut])
            #expect(seen == payloads)
            #expect(end == .torn(offset: good.count), "cut at \(cut)")
        }
    }

    @Test func cutInsideThePayloadIsTorn() {
        let payloads = somePayloads(6, seed: 4)
        let good = frame(payloads)
        let last = frame([[UInt8](repeating: 0x5A, count: 50)])
        for cut in RecordFraming.recordHeaderBytes..<last.count {
            let (seen, end) = scanAll(good + last[0..<cut])
            #expect(seen == payloads)
            #expect(end == .torn(offset: good.count), "cut at \(cut)")
        }
    }

    @Test func garbageTailWithNoValidRecordAfterIsTorn() {
        let payloads = somePayloads(8, seed: 5)
        let good = frame(payloads)
        var rng = SeededRandom(seed: 6)
        for length in [1, 7, 8, 9, 100, 4096] {
            let (seen, end) = scanAll(good + randomPayload(length, &rng))
            #expect(seen == payloads)
            #expect(end == .torn(offset: good.count), "garbage of \(length)")
        }
    }

    @Test func zeroFilledTailIsTorn() {
        let payloads = somePayloads(8, seed: 7)
        let good = frame(payloads)
        for length in [1, 8, 9, 512, 4096] {
            let (seen, end) = scanAll(good + [UInt8](repeating: 0, count: length))
            #expect(seen == payloads)
            #expect(end == .torn(offset: good.count), "\(length) zero bytes")
        }
    }

    @Test func bitFlipInAnEarlierRecordIsCorruptAtThatRecord() {
        let payloads = somePayloads(5, seed: 8, sizes: 10...30)
        let offs = offsets(of: payloads)
        let good = frame(payloads)
        for k in 0..<(payloads.count - 1) {
            let recordEnd = offs[k] + framedSize(payloads[k])
            // Every bit of the record: length field, CRC field and payload.
            for i in offs[k]..<recordEnd {
                for bit in 0..<8 {
                    var bad = good
                    bad[i] ^= 1 << UInt8(bit)
                    let (seen, end) = scanAll(bad)
                    #expect(corruptOffset(end) == offs[k], "record \(k), byte \(i), bit \(bit): \(end)")
                    #expect(seen == Array(payloads[0..<k]))
                }
            }
        }
    }

    @Test func corruptReasonNamesTheProblem() {
        let payloads = somePayloads(3, seed: 9, sizes: 10...10)
        var bad = frame(payloads)
        bad[3] = 0x7F  // length ≫ recordBytesMax
        guard case .corrupt(0, let reason) = scanAll(bad).1 else {
            Issue.record("expected corrupt at 0")
            return
        }
        #expect(reason.contains("out of range"))
        var badCRC = frame(payloads)
        badCRC[4] ^= 1
        guard case .corrupt(0, let crcReason) = scanAll(badCRC).1 else {
            Issue.record("expected corrupt at 0")
            return
        }
        #expect(crcReason.contains("checksum"))
    }

    @Test func bitFlipInTheLastRecordLooksTorn() {
        // Nothing valid follows, so it is indistinguishable from an interrupted write.
        let payloads = somePayloads(5, seed: 10)
        let offs = offsets(of: payloads)
        var bad = frame(payloads)
        bad[offs[4] + 9] ^= 0x10
        let (seen, end) = scanAll(bad)
        #expect(seen == Array(payloads[0..<4]))
        #expect(end == .torn(offset: offs[4]))
    }

    @Test func zeroFilledHeaderIsATornTailEvenWithValidRecordsAfterIt() {
        // The log never writes a zero header (lengths are ≥ 1). Zeros are a page an interrupted write
        // never reached; records after them were never synced (fsync covers everything before them),
        // so they were never acknowledged: the whole rest is an unsynced tail (as etcd's WAL treats it).
        let payloads = somePayloads(3, seed: 11)
        let bytes = frame([payloads[0]]) + [0, 0, 0, 0, 0, 0, 0, 0] + frame(Array(payloads[1...]))
        let (seen, end) = scanAll(bytes)
        #expect(seen == [payloads[0]])
        #expect(end == .torn(offset: framedSize(payloads[0])))
    }

    @Test func nonZeroDamagedHeaderFollowedByValidOnesIsCorrupt() {
        let payloads = somePayloads(3, seed: 11)
        let bytes = frame([payloads[0]]) + [0, 0, 0, 0, 1, 0, 0, 0] + frame(Array(payloads[1...]))
        let (seen, end) = scanAll(bytes)
        #expect(seen == [payloads[0]])
        #expect(corruptOffset(end) == framedSize(payloads[0]))
    }
}
