import IncidentSimulation
import Testing

@testable import IncidentStorage

/// A log of `count` durable records (payload `payload(for: lsn, size: sizes(lsn))`), closed.
/// With `eachDurable`, every record is synced on its own (small batches, so segments stay under
/// `segmentBytesMax`).
private func makeLog(
    count: Int, config: WALConfiguration = WALConfiguration(), eachDurable: Bool = false,
    size: @escaping (UInt64) -> Int = { 5 + Int($0 % 40) }
) async throws -> SimDisk {
    let disk = SimDisk()
    let (log, _) = try EventLog.open(fs: disk, configuration: config) { _, _ in }
    for lsn in 1...UInt64(count) {
        let got = try log.append(payload(for: lsn, size: size(lsn)))
        #expect(got == lsn)
        if eachDurable { try await log.waitDurable(lsn) }
    }
    await log.close()
    return disk
}

/// Bigger records for the rotation tests: about 7 segments of 4 KiB for 300 records.
private let bigSize: @Sendable (UInt64) -> Int = { 40 + Int($0 % 80) }

private func checkPayloads(_ records: [(lsn: UInt64, payload: [UInt8])], size: (UInt64) -> Int = { 5 + Int($0 % 40) })
    -> Bool
{
    records.allSatisfy { $0.payload == payload(for: $0.lsn, size: size($0.lsn)) }
}

@Suite struct EventLogRecoveryTests {
    // MARK: (b) corruption in the middle of the log

    @Test(arguments: [
        (record: 10, byte: 0, bit: 2),  // length field
        (record: 10, byte: 3, bit: 7),  // length field, far out of range
        (record: 10, byte: 5, bit: 0),  // CRC field
        (record: 10, byte: 8, bit: 4),  // first payload byte
        (record: 1, byte: 9, bit: 1),  // first record
        (record: 28, byte: 12, bit: 6),  // next to last record
    ])
    func bitFlipInASyncedRecordIsCorruptAtThatRecord(record: Int, byte: Int, bit: Int) async throws {
        let disk = try await makeLog(count: 30)
        let segment = SegmentedLog.segmentName(1)
        #expect(segment == "segment-00000000000000000001.log")
        let offsets = recordOffsets(inSegment: try disk.read(segment))
        #expect(offsets.count == 30)
        let target = offsets[record - 1]
        disk.flipBit(segment, byte: target + byte, bit: bit)
        let sizeBefore = disk.size(of: segment)
        let error = expectCorrupt { _ = try openCollecting(disk) }
        #expect(error?.file == segment)
        #expect(error?.offset == target)
        #expect(disk.size(of: segment) == sizeBefore, "a corrupt log must not be truncated")
    }

    @Test func corruptionIsReportedEvenWhenRecoveryStartsAfterIt() async throws {
        // Records before `after` are still checked: damage there is never silently skipped.
        let disk = try await makeLog(count: 30)
        let segment = SegmentedLog.segmentName(1)
        let offsets = recordOffsets(inSegment: try disk.read(segment))
        disk.flipBit(segment, byte: offsets[4] + 10)
        let error = expectCorrupt { _ = try openCollecting(disk, after: 20) }
        #expect(error?.offset == offsets[4])
    }

    @Test func damagedSegmentHeaderIsCorrupt() async throws {
        let disk = try await makeLog(count: 5)
        disk.flipBit(SegmentedLog.segmentName(1), byte: 12)
        let error = expectCorrupt { _ = try openCollecting(disk) }
        #expect(error?.file == SegmentedLog.segmentName(1))
        #expect(error?.offset == 0)
    }

    // MARK: (c) segment rotation

    @Test func rotationSpreadsRecordsOverManySegmentsAndRecoversThemInOrder() async throws {
        let config = walConfig(segmentBytes: 4096)
        let disk = try await makeLog(count: 300, config: config, eachDurable: true, size: bigSize)
        let names = try segmentNames(disk)
        #expect(names.count >= 5)
        var expectedFirst: UInt64 = 1
        for name in names {
            let bytes = try disk.read(name)
            #expect(bytes.count <= 4096, "\(name) is \(bytes.count) bytes")
            let first = bytes.withUnsafeBytes { RecordFraming.parseSegmentHeader($0) }
            #expect(first == expectedFirst)
            #expect(name == SegmentedLog.segmentName(expectedFirst))
            expectedFirst += UInt64(recordOffsets(inSegment: bytes).count)
        }
        #expect(expectedFirst == 301)
        let (log, report, records) = try openCollecting(disk, configuration: config)
        #expect(records.map(\.lsn) == Array(1...300))
        #expect(checkPayloads(records, size: bigSize))
        #expect(report.segments == names.count && report.records == 300 && report.truncatedBytes == 0)
        // Appending goes on in the last segment / new ones.
        for lsn in UInt64(301)...400 { #expect(try log.append(payload(for: lsn, size: bigSize(lsn))) == lsn) }
        await log.close()
        let (again, _, all) = try openCollecting(disk, configuration: config)
        #expect(all.map(\.lsn) == Array(1...400))
        #expect(checkPayloads(all, size: bigSize))
        await again.close()
    }

    @Test func bitFlipInASealedSegmentsLastRecordIsCorrupt() async throws {
        let config = walConfig(segmentBytes: 4096)
        let disk = try await makeLog(count: 200, config: config, eachDurable: true, size: bigSize)
        let names = try segmentNames(disk)
        try #require(names.count >= 3)
        let sealed = names[1]
        let last = try #require(recordOffsets(inSegment: try disk.read(sealed)).last)
        disk.flipBit(sealed, byte: last + 9, bit: 3)
        let error = expectCorrupt { _ = try openCollecting(disk, configuration: config) }
        #expect(error?.file == sealed)
        #expect(error?.offset == last)
    }

    @Test func shortenedSealedSegmentIsCorrupt() async throws {
        let config = walConfig(segmentBytes: 4096)
        let disk = try await makeLog(count: 200, config: config, eachDurable: true, size: bigSize)
        let sealed = try segmentNames(disk)[0]
        let size = try #require(disk.size(of: sealed))
        try disk.open(sealed, create: false).truncate(to: size - 3)
        let error = expectCorrupt { _ = try openCollecting(disk, configuration: config) }
        #expect(error?.file == sealed)
    }

    @Test func missingMiddleSegmentIsCorrupt() async throws {
        let config = walConfig(segmentBytes: 4096)
        let disk = try await makeLog(count: 200, config: config, eachDurable: true, size: bigSize)
        let names = try segmentNames(disk)
        try #require(names.count >= 3)
        try disk.remove(names[1])
        let error = expectCorrupt { _ = try openCollecting(disk, configuration: config) }
        #expect(error?.file == names[2])
    }

    // MARK: (d) compaction

    @Test func compactRemovesOnlyFullyCoveredSegments() async throws {
        let config = walConfig(segmentBytes: 4096)
        let disk = try await makeLog(count: 300, config: config, eachDurable: true, size: bigSize)
        let names = try segmentNames(disk)
        let firsts = names.map { name in
            (try? disk.read(name)).flatMap { b in b.withUnsafeBytes { RecordFraming.parseSegmentHeader($0) } } ?? 0
        }
        try #require(names.count >= 6)
        let (log, _, _) = try openCollecting(disk, configuration: config)

        // Up to the LSN just before segment 2: segments 0 and 1 are fully covered.
        #expect(try await log.compact(upTo: firsts[2] - 1) == 2)
        #expect(try segmentNames(disk) == Array(names[2...]))
        // Up to the first record of segment 3: segment 2 goes, segment 3 stays (it has later records).
        #expect(try await log.compact(upTo: firsts[3]) == 1)
        #expect(try segmentNames(disk) == Array(names[3...]))
        // Nothing more is fully covered.
        #expect(try await log.compact(upTo: firsts[4] - 2) == 0)
        #expect(try segmentNames(disk) == Array(names[3...]))
        // Everything covered: the current (last) segment always stays.
        #expect(try await log.compact(upTo: 10_000) == names.count - 4)
        #expect(try segmentNames(disk) == [names.last!])
        await log.close()
    }

    @Test func recoveryAfterASnapshotVisitsOnlyLaterRecords() async throws {
        let config = walConfig(segmentBytes: 4096)
        let disk = try await makeLog(count: 300, config: config, eachDurable: true, size: bigSize)
        let (log, _, _) = try openCollecting(disk, configuration: config)
        let snapshotLSN: UInt64 = 150
        #expect(try await log.compact(upTo: snapshotLSN) > 0)
        await log.close()
        let firstKept = try #require(
            try disk.read(try segmentNames(disk)[0]).withUnsafeBytes { RecordFraming.parseSegmentHeader($0) })
        #expect(firstKept > 1 && firstKept <= snapshotLSN + 1)

        let (reopened, report, records) = try openCollecting(disk, configuration: config, after: snapshotLSN)
        #expect(records.map(\.lsn) == Array((snapshotLSN + 1)...300))
        #expect(checkPayloads(records, size: bigSize))
        #expect(report.nextLSN == 301)
        #expect(try reopened.append([7]) == 301)
        await reopened.close()

        // Records just after an older snapshot are gone: recovery must refuse, not skip them.
        let firstSegment = try segmentNames(disk)[0]
        for after in [0, firstKept - 2] {
            let error = expectCorrupt { _ = try openCollecting(disk, configuration: config, after: after) }
            #expect(error?.file == firstSegment)
            #expect(error?.reason.contains("missing") == true)
        }
        // Starting exactly where the log starts is fine.
        let (edge, _, fromEdge) = try openCollecting(disk, configuration: config, after: firstKept - 1)
        #expect(fromEdge.first?.lsn == firstKept && fromEdge.last?.lsn == 301)
        await edge.close()
    }

    /// A snapshot can cover more than the local log holds (a lagging node installs a peer's
    /// snapshot). Appends must then get LSNs after the snapshot and keep them across a restart.
    @Test func appendsAfterASnapshotBeyondTheLogEndKeepTheirLSNs() async throws {
        let disk = try await makeLog(count: 5)
        let (log, report, records) = try openCollecting(disk, after: 10)
        #expect(records.isEmpty)
        #expect(report.nextLSN == 11)
        let lsn = try log.append(Array("after snapshot".utf8))
        #expect(lsn == 11)
        try await log.waitDurable(lsn)
        await log.close()
        let (again, _, recovered) = try openCollecting(disk, after: 10)
        #expect(recovered.map(\.lsn) == [11], "record 11 came back as \(recovered.map(\.lsn)) (acknowledged, then lost)")
        #expect(recovered.first?.payload == Array("after snapshot".utf8))
        #expect(again.nextLSN == 12)
        await again.close()
    }
}
