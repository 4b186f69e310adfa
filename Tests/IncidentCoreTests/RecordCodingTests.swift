import Testing

@testable import IncidentCore

@Suite("Binary encoding of whole incident records (snapshots)")
struct RecordCodingTests {
    static func sampleRecord() -> IncidentRecord {
        DedupAndCoalescingTests.fold(DedupAndCoalescingTests.randomEvents(seed: 5, count: 40))
    }

    static func decode(_ bytes: [UInt8]) -> Result<IncidentRecord, BinaryDecodingError> {
        bytes.withUnsafeBytes { buffer in
            var r = ByteReader(buffer)
            do {
                let record = try IncidentRecord(from: &r)
                guard r.remaining == 0 else {
                    return .failure(BinaryDecodingError(offset: r.offset, message: "\(r.remaining) bytes left"))
                }
                return .success(record)
            } catch let error as BinaryDecodingError {
                return .failure(error)
            } catch {
                return .failure(BinaryDecodingError(offset: -1, message: "unexpected error \(error)"))
            }
        }
    }

    static func encoded(_ record: IncidentRecord) -> [UInt8] {
        var w = ByteWriter()
        record.encode(into: &w)
        return w.bytes
    }

    @Test("a record round trips with its events, buckets and applied marks")
    func roundTrip() throws {
        let record = Self.sampleRecord()
        #expect(record.repeatBuckets.count > 0)
        let bytes = Self.encoded(record)
        let decoded = try Self.decode(bytes).get()
        #expect(decoded.incident == record.incident)
        #expect(decoded.events == record.events)
        #expect(decoded.repeatBuckets == record.repeatBuckets)
        #expect(decoded.repeatEventCount == record.repeatEventCount)
        #expect(decoded.digest == record.digest)
        #expect(decoded.timeline == record.timeline)
        #expect(Self.encoded(decoded) == bytes)
    }

    @Test("a restored record keeps ignoring events it already applied")
    func restoredRecordStaysIdempotent() throws {
        let events = DedupAndCoalescingTests.randomEvents(seed: 11, count: 30)
        let record = DedupAndCoalescingTests.fold(events)
        var decoded = try Self.decode(Self.encoded(record)).get()
        for e in events { #expect(decoded.apply(e) == false) }
        #expect(decoded.incident == record.incident)
        #expect(decoded.eventCount == record.eventCount)
    }

    static func recordTruncationProblems() -> [String] {
        let bytes = encoded(DedupAndCoalescingTests.fold(DedupAndCoalescingTests.randomEvents(seed: 3, count: 8)))
        var problems: [String] = []
        for n in 0..<bytes.count {
            if case .success = decode(Array(bytes[..<n])) { problems.append("prefix \(n) decoded") }
        }
        return problems
    }

    static func recordFlips(iterations: Int) {
        let bytes = encoded(DedupAndCoalescingTests.fold(DedupAndCoalescingTests.randomEvents(seed: 8, count: 12)))
        var rng = SeededRandom(seed: 0x5EED)
        for i in 0..<iterations {
            var b = bytes
            for _ in 0...Int.random(in: 0..<3, using: &rng) {
                b[Int.random(in: 0..<b.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            }
            if i % 4 == 0 { b.removeLast(Int.random(in: 0..<b.count, using: &rng)) }
            _ = decode(b)
        }
    }

    // Decoding hostile bytes runs in a child process (exit test) so a trap fails only this test.

    @Test("every truncated prefix of a record throws, never traps")
    func truncatedPrefixes() async {
        await #expect(processExitsWith: .success) {
            let problems = RecordCodingTests.recordTruncationProblems()
            precondition(problems.isEmpty, "\(problems.prefix(5))")
        }
    }

    @Test("random byte flips (and cuts) in a record never crash")
    func randomFlips() async {
        await #expect(processExitsWith: .success) {
            RecordCodingTests.recordFlips(iterations: 1500)
        }
    }

    @Test("a record must start with an opened event and hold one incident's events")
    func structuralChecks() {
        var w = ByteWriter()
        w.writeVarint(0)
        #expect(Self.failureMessage(w.bytes)?.contains("without events") == true)

        let opening = Fixture.opening()
        var maker = EventMaker(node: Fixture.node, startSeq: 1, after: opening.hlc)
        let ack = maker.event(.acknowledged, at: .minutes(1))
        w = ByteWriter()
        w.writeVarint(1)
        ack.encode(into: &w)
        #expect(Self.failureMessage(w.bytes)?.contains("opened") == true)

        var foreign = maker.event(.note("x"), at: .minutes(2))
        foreign.incident = IncidentID(year: 2026, counter: 43, tag: "K7Q")
        w = ByteWriter()
        w.writeVarint(2)
        opening.encode(into: &w)
        foreign.encode(into: &w)
        #expect(Self.failureMessage(w.bytes)?.contains("INC-2026-0043-K7Q") == true)
    }

    static func failureMessage(_ bytes: [UInt8]) -> String? {
        if case .failure(let e) = decode(bytes) { return e.message }
        return nil
    }
}
