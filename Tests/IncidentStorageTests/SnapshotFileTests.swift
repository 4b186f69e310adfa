import IncidentCore
import IncidentSimulation
import Testing

@testable import IncidentStorage

/// A disk whose `rename` fails: the process "dies" after `snapshot.tmp` is written and synced but
/// before it is renamed into place.
private final class NoRenameDisk: LogFileSystem, @unchecked Sendable {
    // @unchecked: immutable; SimDisk is thread-safe.
    let inner: SimDisk
    init(_ inner: SimDisk) { self.inner = inner }
    func list() throws(LogError) -> [String] { try inner.list() }
    func open(_ name: String, create: Bool) throws(LogError) -> any LogFileHandle { try inner.open(name, create: create) }
    func read(_ name: String) throws(LogError) -> [UInt8] { try inner.read(name) }
    func remove(_ name: String) throws(LogError) { try inner.remove(name) }
    func rename(_ from: String, to: String) throws(LogError) { throw .io("rename \(from): killed") }
    func syncDirectory() throws(LogError) { try inner.syncDirectory() }
}

private struct BodyFailed: Error {}

/// A body of `count` bytes, deterministic in `seed`.
private func body(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = SeededRandom(seed: seed)
    return randomPayload(count, &rng)
}

/// Writes a snapshot whose body is `chunks`, one `write` per chunk.
@discardableResult
private func writeSnapshot(_ fs: any LogFileSystem, lsn: UInt64, _ chunks: [[UInt8]]) throws -> Int {
    try SnapshotFile.write(fs: fs, lsn: lsn) { w in
        for c in chunks { try w.write(c) }
    }
}

private func snapshotNames(_ fs: any LogFileSystem) throws -> [String] {
    try fs.list().filter { $0.hasPrefix("snapshot") }
}

@Suite struct SnapshotFileTests {
    @Test func noSnapshotIsNil() throws {
        let disk = SimDisk()
        #expect(try SnapshotFile.readLatest(fs: disk) == nil)
        // Log segments and a leftover temp file are not snapshots.
        _ = try disk.open("segment-00000000000000000001.log", create: true)
        _ = try disk.open("snapshot.tmp", create: true)
        #expect(try SnapshotFile.readLatest(fs: disk) == nil)
    }

    @Test func nameIsZeroPadded() {
        #expect(SnapshotFile.name(42) == "snapshot-00000000000000000042.snap")
        #expect(SnapshotFile.name(9) < SnapshotFile.name(10))
    }

    @Test func roundTripWithBodyStreamedInChunks() throws {
        let disk = SimDisk()
        let chunks = [
            body(100, seed: 1), [], body(1, seed: 2), body((1 << 20) + 12_345, seed: 3), body(3, seed: 4),
            body(700_000, seed: 5), body(1 << 20, seed: 6),
        ]
        let whole = chunks.flatMap { $0 }
        let written = try writeSnapshot(disk, lsn: 1234, chunks)
        #expect(written == SnapshotFile.headerBytes + whole.count + 4)
        #expect(disk.size(of: SnapshotFile.name(1234)) == written)
        let read = try #require(try SnapshotFile.readLatest(fs: disk))
        #expect(read.lsn == 1234)
        #expect(read.body.count == whole.count)
        #expect(read.body == whole)
        #expect(try snapshotNames(disk) == [SnapshotFile.name(1234)])  // no snapshot.tmp left
    }

    @Test func emptyBodyRoundTrips() throws {
        let disk = SimDisk()
        #expect(try writeSnapshot(disk, lsn: 0, []) == SnapshotFile.headerBytes + 4)
        let read = try #require(try SnapshotFile.readLatest(fs: disk))
        #expect(read.lsn == 0 && read.body.isEmpty)
    }

    @Test func snapshotSurvivesACrash() throws {
        let disk = SimDisk()
        try writeSnapshot(disk, lsn: 7, [body(5000, seed: 7)])
        var rng = SeededRandom(seed: 7)
        disk.crash(rng: &rng, tear: true)
        let read = try #require(try SnapshotFile.readLatest(fs: disk))
        #expect(read.lsn == 7 && read.body == body(5000, seed: 7))
    }

    @Test func crashBeforeRenameKeepsThePreviousSnapshot() throws {
        let disk = SimDisk()
        try writeSnapshot(disk, lsn: 10, [body(3000, seed: 10)])
        #expect(throws: LogError.self) { try writeSnapshot(NoRenameDisk(disk), lsn: 20, [body(4000, seed: 20)]) }
        #expect(try disk.list().contains("snapshot.tmp"))
        var rng = SeededRandom(seed: 20)
        disk.crash(rng: &rng, tear: true)
        let read = try #require(try SnapshotFile.readLatest(fs: disk))
        #expect(read.lsn == 10 && read.body == body(3000, seed: 10))
        // The next snapshot succeeds, whatever the crash left of the temp file.
        try writeSnapshot(disk, lsn: 30, [body(10, seed: 30)])
        #expect(try SnapshotFile.readLatest(fs: disk)?.lsn == 30)
        #expect(try snapshotNames(disk) == [SnapshotFile.name(30)])
    }

    @Test func failingBodyKeepsThePreviousSnapshot() throws {
        let disk = SimDisk()
        try writeSnapshot(disk, lsn: 10, [body(300, seed: 10)])
        #expect(throws: BodyFailed.self) {
            try SnapshotFile.write(fs: disk, lsn: 20) { w in
                try w.write(body(2 << 20, seed: 20))
                throw BodyFailed()
            }
        }
        let read = try #require(try SnapshotFile.readLatest(fs: disk))
        #expect(read.lsn == 10 && read.body == body(300, seed: 10))
        var rng = SeededRandom(seed: 1)
        disk.crash(rng: &rng, tear: true)
        #expect(try SnapshotFile.readLatest(fs: disk)?.lsn == 10)
    }

    @Test func newerSnapshotDeletesOlderOnes() throws {
        let disk = SimDisk()
        for lsn: UInt64 in [5, 9, 10, 250] {
            try writeSnapshot(disk, lsn: lsn, [body(Int(lsn), seed: lsn)])
            #expect(try snapshotNames(disk) == [SnapshotFile.name(lsn)])
            let read = try #require(try SnapshotFile.readLatest(fs: disk))
            #expect(read.lsn == lsn && read.body == body(Int(lsn), seed: lsn))
        }
        // The deletions are durable too.
        var rng = SeededRandom(seed: 3)
        disk.crash(rng: &rng, tear: true)
        #expect(try snapshotNames(disk) == [SnapshotFile.name(250)])
    }

    @Test func flippedBitIsCorrupt() throws {
        let bodyBytes = body(2000, seed: 11)
        let name = SnapshotFile.name(99)
        let size = SnapshotFile.headerBytes + bodyBytes.count + 4
        // Magic, version, LSN, body start/middle/end, trailer.
        for offset in [0, 7, 8, 11, 12, 19, 20, 1000, size - 5, size - 4, size - 1] {
            let disk = SimDisk()
            try writeSnapshot(disk, lsn: 99, [bodyBytes])
            disk.flipBit(name, byte: offset, bit: offset % 8)
            let error = expectCorrupt { _ = try SnapshotFile.readLatest(fs: disk) }
            #expect(error?.file == name, "flip at \(offset)")
        }
    }

    @Test func truncatedSnapshotIsCorrupt() throws {
        let disk = SimDisk()
        try writeSnapshot(disk, lsn: 3, [body(100, seed: 3)])
        let name = SnapshotFile.name(3)
        for size in [110, 23, 10, 0] {
            try disk.open(name, create: false).truncate(to: size)
            let error = expectCorrupt { _ = try SnapshotFile.readLatest(fs: disk) }
            #expect(error?.file == name, "cut to \(size)")
        }
    }
}
