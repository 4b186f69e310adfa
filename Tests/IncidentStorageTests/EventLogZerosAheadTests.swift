import IncidentSimulation
import Testing

@testable import IncidentStorage

/// The writer writes zeros ahead of the records while it is idle (`EventLog.keepZerosAhead`), so
/// that a small append's fsync neither grows the file nor flushes megabytes of zeros.
@Suite("Event log: zeros ahead while idle")
struct EventLogZerosAheadTests {
    @Test("a started log prepares its first segment at once; a small append then writes over the zeros")
    func preparesBeforeTheFirstAppend() async throws {
        let disk = SimDisk()
        let config = WALConfiguration()
        let (log, _) = try EventLog.open(fs: disk, configuration: config) { _, _ in }
        #expect(try segmentNames(disk).isEmpty, "nothing is written before it is asked for")
        log.keepZerosAhead()
        let prepared = RecordFraming.segmentHeaderBytes + config.preallocationBytes
        let deadline = ContinuousClock.now + .seconds(10)
        while try segmentNames(disk).first.flatMap({ disk.size(of: $0) }) != prepared, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        let segment = try #require(try segmentNames(disk).first)
        #expect(disk.size(of: segment) == prepared, "the first segment with its zeros, before any append")

        let payload: [UInt8] = Array("an alert".utf8)
        let lsn = try log.append(payload)
        try await log.waitDurable(lsn)
        #expect(disk.size(of: segment) == prepared, "the append wrote over the zeros; the file did not grow")
        await log.close()
        let framed = RecordFraming.segmentHeaderBytes + RecordFraming.recordHeaderBytes + payload.count
        #expect(disk.size(of: segment) == framed, "a clean stop cuts the zeros off")

        let (again, report, records) = try openCollecting(disk, configuration: config)
        #expect(records.map(\.payload) == [payload])
        #expect(report.truncatedBytes == 0)
        await again.close()
    }

    @Test("without keepZerosAhead the writer writes nothing while idle")
    func idleWriterWritesNothingUnlessAsked() async throws {
        let disk = SimDisk()
        let (log, _) = try EventLog.open(fs: disk) { _, _ in }
        try await Task.sleep(for: .milliseconds(50))
        #expect(try segmentNames(disk).isEmpty)
        #expect(disk.syncCount == 0)
        await log.close()
    }
}
