import IncidentCore
import Foundation
import IncidentSimulation
import Testing

@testable import IncidentStorage

// Shared helpers for the storage tests: timeouts, a kill switch in front of SimDisk, record payloads
// and framing arithmetic.

struct TimedOut: Error, CustomStringConvertible {
    let seconds: Double
    var description: String { "operation did not finish within \(seconds) s (hang?)" }
}

/// Resumes a continuation at most once.
private final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    // @unchecked: `continuation` is only touched while holding `lock`.
    let lock = NSLock()
    var continuation: CheckedContinuation<T, any Error>?
    init(_ c: CheckedContinuation<T, any Error>) { continuation = c }
    func resume(_ result: Result<T, any Error>) {
        lock.lock()
        let c = continuation
        continuation = nil
        lock.unlock()
        c?.resume(with: result)
    }
}

/// Runs `operation` and fails with `TimedOut` if it has not finished after `seconds`.
///
/// A task group cannot time out an operation stuck in a non-cancellable continuation (the group waits
/// for every child before returning), so this races an unstructured task against a sleep and resumes
/// with whichever finishes first; a hung operation is leaked instead of blocking the test.
func withTimeout<T: Sendable>(
    seconds: Double = 5, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    return try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
        let once = ResumeOnce(c)
        let work = Task {
            do { once.resume(.success(try await operation())) } catch { once.resume(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            once.resume(.failure(TimedOut(seconds: seconds)))
            work.cancel()
        }
    }
}

/// A `LogFileSystem` in front of a `SimDisk` that can "kill the process": once dead, every mutating
/// call fails without reaching the disk, so a log writer still running after the simulated crash
/// cannot change the crashed disk. Calls are serialized with the kill, so a write either landed fully
/// before the kill or not at all.
final class KillSwitchDisk: LogFileSystem, @unchecked Sendable {
    // @unchecked: `dead` and `killAfterNextWrite` are only touched while holding `lock`.
    let inner: SimDisk
    private let lock = NSLock()
    private var dead = false
    private var killAfterNextWrite = false
    private let hold = NSCondition()
    private var held = false
    private var waiting = 0

    init(_ inner: SimDisk) { self.inner = inner }

    /// Makes file writes block (before reaching the disk) until `releaseWrites()`.
    func holdWrites() {
        hold.lock()
        held = true
        hold.unlock()
    }
    func releaseWrites() {
        hold.lock()
        held = false
        hold.broadcast()
        hold.unlock()
    }
    /// Whether a write is blocked by `holdWrites()`.
    var writeIsHeld: Bool {
        hold.lock()
        defer { hold.unlock() }
        return waiting > 0
    }
    /// Polls until a write is blocked by `holdWrites()` (at most `seconds`).
    func waitForHeldWrite(seconds: Double = 5) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while !writeIsHeld {
            if ContinuousClock.now > deadline { throw TimedOut(seconds: seconds) }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
    fileprivate func waitWhileHeld() {
        hold.lock()
        waiting += 1
        while held { hold.wait() }
        waiting -= 1
        hold.unlock()
    }

    /// Stops all later mutations.
    func kill() { gate { dead = true } }
    /// Lets the next file write land, then kills (so its sync fails and the bytes stay unsynced).
    func armKillAfterNextWrite() { gate { killAfterNextWrite = true } }
    var isDead: Bool { gate { dead } }

    private func gate<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// Runs a mutation unless dead, holding the lock so `kill()` cannot interleave.
    fileprivate func mutate<T>(_ what: String, isWrite: Bool = false, _ body: () throws(LogError) -> T)
        throws(LogError) -> T
    {
        lock.lock()
        defer { lock.unlock() }
        if dead { throw .io("\(what): process killed") }
        let result = try body()
        if isWrite && killAfterNextWrite { dead = true }
        return result
    }

    func list() throws(LogError) -> [String] { try inner.list() }
    func read(_ name: String) throws(LogError) -> [UInt8] { try inner.read(name) }
    func open(_ name: String, create: Bool) throws(LogError) -> any LogFileHandle {
        let h = try mutate("open") { () throws(LogError) in try inner.open(name, create: create) }
        return Handle(disk: self, inner: h)
    }
    func remove(_ name: String) throws(LogError) {
        try mutate("remove") { () throws(LogError) in try inner.remove(name) }
    }
    func rename(_ from: String, to: String) throws(LogError) {
        try mutate("rename") { () throws(LogError) in try inner.rename(from, to: to) }
    }
    func syncDirectory() throws(LogError) {
        try mutate("syncDirectory") { () throws(LogError) in try inner.syncDirectory() }
    }

    final class Handle: LogFileHandle, @unchecked Sendable {
        // @unchecked: immutable; every call goes through the disk's lock.
        let disk: KillSwitchDisk
        let inner: any LogFileHandle
        init(disk: KillSwitchDisk, inner: any LogFileHandle) {
            self.disk = disk
            self.inner = inner
        }
        func size() throws(LogError) -> Int { try inner.size() }
        func read(at offset: Int, count: Int) throws(LogError) -> [UInt8] { try inner.read(at: offset, count: count) }
        func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(LogError) {
            disk.waitWhileHeld()
            try disk.mutate("write", isWrite: true) { () throws(LogError) in try inner.write(bytes, at: offset) }
        }
        func sync() throws(LogError) {
            try disk.mutate("sync") { () throws(LogError) in try inner.sync() }
        }
        func truncate(to size: Int) throws(LogError) {
            try disk.mutate("truncate") { () throws(LogError) in try inner.truncate(to: size) }
        }
    }
}

/// A payload of `count` bytes from `rng`.
func randomPayload(_ count: Int, _ rng: inout SeededRandom) -> [UInt8] {
    var p = [UInt8](repeating: 0, count: count)
    for i in 0..<count { p[i] = UInt8(truncatingIfNeeded: rng.next()) }
    return p
}

/// A deterministic payload for record `lsn` (so content can be checked without keeping it).
func payload(for lsn: UInt64, size: Int) -> [UInt8] {
    var rng = SeededRandom(seed: lsn &* 0x9E37_79B9)
    return randomPayload(size, &rng)
}

/// Size of a record on disk.
func framedSize(_ payload: [UInt8]) -> Int { RecordFraming.recordHeaderBytes + payload.count }

/// Frames `payloads` one after another.
func frame(_ payloads: [[UInt8]]) -> [UInt8] {
    var out: [UInt8] = []
    for p in payloads { p.withUnsafeBytes { RecordFraming.appendRecord($0, to: &out) } }
    return out
}

/// Offsets of the records in a segment file, found by walking the length fields (no checks).
func recordOffsets(inSegment bytes: [UInt8]) -> [Int] {
    var offsets: [Int] = []
    var o = RecordFraming.segmentHeaderBytes
    while o + RecordFraming.recordHeaderBytes <= bytes.count {
        let len = Int(bytes[o]) | Int(bytes[o + 1]) << 8 | Int(bytes[o + 2]) << 16 | Int(bytes[o + 3]) << 24
        offsets.append(o)
        o += RecordFraming.recordHeaderBytes + len
    }
    return offsets
}

/// Segment files in `fs`, in order.
func segmentNames(_ fs: any LogFileSystem) throws -> [String] {
    try fs.list().filter { $0.hasPrefix("segment-") && $0.hasSuffix(".log") }
}

/// Opens the log and collects what recovery hands out.
func openCollecting(
    _ fs: any LogFileSystem, configuration: WALConfiguration = WALConfiguration(), after: UInt64 = 0
) throws -> (log: EventLog, report: RecoveryReport, records: [(lsn: UInt64, payload: [UInt8])]) {
    var records: [(lsn: UInt64, payload: [UInt8])] = []
    let (log, report) = try EventLog.open(fs: fs, configuration: configuration, after: after) { lsn, p in
        records.append((lsn, Array(p)))
    }
    return (log, report, records)
}

/// The `LogError.corrupt` that `body` throws, or nil (recording an issue) when it throws something
/// else or nothing.
func expectCorrupt(
    _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) -> (file: String, offset: Int, reason: String)? {
    do {
        try body()
        Issue.record("expected LogError.corrupt, nothing was thrown", sourceLocation: sourceLocation)
    } catch LogError.corrupt(let file, let offset, let reason) {
        return (file, offset, reason)
    } catch {
        Issue.record("expected LogError.corrupt, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// A small configuration with segments of `segmentBytes`.
func walConfig(segmentBytes: Int = 64 << 20) -> WALConfiguration {
    var c = WALConfiguration()
    c.segmentBytesMax = segmentBytes
    c.preallocationBytes = 2048  // small: the simulated disk copies whole files; still several extensions per run
    return c
}
