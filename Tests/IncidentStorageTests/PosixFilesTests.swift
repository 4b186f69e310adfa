import Foundation
import Testing

@testable import IncidentStorage

#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp, removed when `body` ends.
private func withTempDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let dir = "/tmp/aether-storagetests-\(getpid())-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try await body(dir)
}

private func fileSize(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.size] as? NSNumber)?.intValue ?? -1
}

/// Overwrites one byte of a file in place.
private func xorByte(_ path: String, at offset: Int, with mask: UInt8) throws {
    let handle = try #require(FileHandle(forUpdatingAtPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(offset))
    let byte = try #require(try handle.read(upToCount: 1)?.first)
    try handle.seek(toOffset: UInt64(offset))
    try handle.write(contentsOf: [byte ^ mask])
}

private func sizeOf(_ lsn: UInt64) -> Int { 1 + Int(lsn * 7 % 90) }

@Suite struct PosixFilesTests {
    @Test func appendCloseReopenRecover() async throws {
        try await withTempDirectory { dir in
            let fs = try PosixLogFileSystem(directory: dir + "/nested/data")
            let config = walConfig(segmentBytes: 4096)
            let (log, report, records) = try openCollecting(fs, configuration: config)
            #expect(records.isEmpty && report.nextLSN == 1)
            for lsn in UInt64(1)...150 {
                #expect(try log.append(payload(for: lsn, size: sizeOf(lsn))) == lsn)
                if lsn % 10 == 0 { try await log.waitDurable(lsn) }
            }
            await log.close()
            let names = try segmentNames(fs)
            #expect(names.count >= 2)
            #expect(names.first == SegmentedLog.segmentName(1))

            let (again, report2, recovered) = try openCollecting(fs, configuration: config)
            #expect(recovered.map(\.lsn) == Array(1...150))
            #expect(recovered.allSatisfy { $0.payload == payload(for: $0.lsn, size: sizeOf($0.lsn)) })
            #expect(report2.truncatedBytes == 0 && report2.segments == names.count && report2.nextLSN == 151)
            for lsn in UInt64(151)...160 { try again.append(payload(for: lsn, size: sizeOf(lsn))) }
            await again.close()

            let (third, _, all) = try openCollecting(fs, configuration: config, after: 100)
            #expect(all.map(\.lsn) == Array(101...160))
            await third.close()
        }
    }

    @Test func truncatedLastSegmentIsATornTail() async throws {
        try await withTempDirectory { dir in
            let fs = try PosixLogFileSystem(directory: dir)
            let (log, _, _) = try openCollecting(fs)
            for lsn in UInt64(1)...40 { try log.append(payload(for: lsn, size: sizeOf(lsn))) }
            await log.close()
            let path = dir + "/" + SegmentedLog.segmentName(1)
            let fullSize = try fileSize(path)
            let cut = 3
            #expect(truncate(path, off_t(fullSize - cut)) == 0)

            let (again, report, records) = try openCollecting(fs)
            #expect(records.map(\.lsn) == Array(1...39))
            let lastFramed = RecordFraming.recordHeaderBytes + sizeOf(40)
            #expect(report.truncatedBytes == lastFramed - cut)
            #expect(report.truncatedAt?.file == SegmentedLog.segmentName(1))
            #expect(report.truncatedAt?.offset == fullSize - lastFramed)
            #expect(try fileSize(path) == fullSize - lastFramed)
            // Appending continues at LSN 40, replacing the torn record.
            #expect(try again.append(Array("replacement".utf8)) == 40)
            await again.close()

            let (third, report3, after) = try openCollecting(fs)
            #expect(after.map(\.lsn) == Array(1...40))
            #expect(after.last?.payload == Array("replacement".utf8))
            #expect(report3.truncatedBytes == 0)
            await third.close()
        }
    }

    @Test func partialSegmentHeaderOfANewLastSegmentIsDropped() async throws {
        try await withTempDirectory { dir in
            let fs = try PosixLogFileSystem(directory: dir)
            let (log, _, _) = try openCollecting(fs)
            for lsn in UInt64(1)...5 { try log.append(payload(for: lsn, size: 10)) }
            await log.close()
            // A crash while creating segment 6 left only part of its header.
            let partial = Data(RecordFraming.segmentHeader(firstLSN: 6)[0..<11])
            #expect(FileManager.default.createFile(atPath: dir + "/" + SegmentedLog.segmentName(6), contents: partial))
            let (again, report, records) = try openCollecting(fs)
            #expect(records.count == 5)
            #expect(report.truncatedBytes == 11)
            #expect(try !fs.list().contains(SegmentedLog.segmentName(6)))
            #expect(try again.append([1]) == 6)
            await again.close()
        }
    }

    @Test func flippedByteInTheMiddleIsCorrupt() async throws {
        try await withTempDirectory { dir in
            let fs = try PosixLogFileSystem(directory: dir)
            let (log, _, _) = try openCollecting(fs)
            for lsn in UInt64(1)...40 { try log.append(payload(for: lsn, size: sizeOf(lsn))) }
            await log.close()
            let name = SegmentedLog.segmentName(1)
            let path = dir + "/" + name
            let offsets = recordOffsets(inSegment: try fs.read(name))
            #expect(offsets.count == 40)
            let sizeBefore = try fileSize(path)
            try xorByte(path, at: offsets[20] + 8, with: 0xFF)
            let error = expectCorrupt { _ = try openCollecting(fs) }
            #expect(error?.file == name)
            #expect(error?.offset == offsets[20])
            #expect(try fileSize(path) == sizeBefore, "a corrupt log must be left as it is")
            #expect(error.map { LogError.corrupt(file: $0.file, offset: $0.offset, reason: $0.reason).description }?
                .contains(name) == true)
        }
    }

    @Test func snapshotRoundTripOnRealFiles() async throws {
        try await withTempDirectory { dir in
            let fs = try PosixLogFileSystem(directory: dir)
            #expect(try SnapshotFile.readLatest(fs: fs) == nil)
            let bodyBytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            _ = try SnapshotFile.write(fs: fs, lsn: 77) { w in
                try w.write(Array(bodyBytes[0..<1000]))
                try w.write(Array(bodyBytes[1000...]))
            }
            _ = try SnapshotFile.write(fs: fs, lsn: 88) { w in try w.write(bodyBytes) }
            #expect(try fs.list() == [SnapshotFile.name(88)])
            let read = try #require(try SnapshotFile.readLatest(fs: fs))
            #expect(read.lsn == 88 && read.body == bodyBytes)
            try xorByte(dir + "/" + SnapshotFile.name(88), at: 5000, with: 0x01)
            _ = expectCorrupt { _ = try SnapshotFile.readLatest(fs: fs) }
        }
    }

    @Test func unwritableDirectoryIsAnIOError() {
        #expect(throws: LogError.self) { _ = try PosixLogFileSystem(directory: "/proc/aether-cannot-exist") }
    }
}
