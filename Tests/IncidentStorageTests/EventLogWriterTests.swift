import IncidentCore
import IncidentSimulation
import PosixIO
import Synchronization
import Testing

@testable import IncidentStorage

/// Whether `waitDurable(lsn)` fails with a `LogError`.
private func waitFails(_ log: EventLog, _ lsn: UInt64) async -> Bool {
    do {
        try await log.waitDurable(lsn)
        return false
    } catch is LogError {
        return true
    } catch {
        return false
    }
}

/// Runs a blocking `append` loop on its own OS thread (it may block on back-pressure, which must not
/// tie up the cooperative pool) and returns how many appends succeeded and the error that stopped it.
private func appendOnThread(_ log: EventLog, count: Int, size: Int) async -> (Int, LogError?) {
    await withCheckedContinuation { (c: CheckedContinuation<(Int, LogError?), Never>) in
        startThread(name: "test-appender") {
            let bytes = [UInt8](repeating: 0x42, count: size)
            for i in 0..<count {
                do { try log.append(bytes) } catch {
                    c.resume(returning: (i, error as? LogError ?? .io("\(error)")))
                    return
                }
            }
            c.resume(returning: (count, nil))
        }
    }
}

@Suite struct EventLogWriterTests {
    // MARK: (f) failing disk

    @Test func failedWritesFailPendingWaitersAndLaterAppends() async throws {
        try await withTimeout(seconds: 10) {
            let disk = SimDisk()
            let process = KillSwitchDisk(disk)
            let (log, _) = try EventLog.open(fs: process) { _, _ in }
            for lsn in UInt64(1)...20 { try log.append(payload(for: lsn, size: 10)) }
            try await log.flush()

            process.holdWrites()
            #expect(try log.append(payload(for: 21, size: 10)) == 21)
            try await process.waitForHeldWrite()  // the writer is inside the write of record 21
            for lsn in UInt64(22)...40 { try log.append(payload(for: lsn, size: 10)) }
            let early = Task {
                await withTaskGroup(of: Bool.self) { group in
                    for lsn in UInt64(21)...40 { group.addTask { await waitFails(log, lsn) } }
                    return await group.allSatisfy { $0 }
                }
            }
            try await Task.sleep(for: .milliseconds(20))  // let the waiters register
            disk.failAllWrites()
            process.releaseWrites()

            #expect(await early.value, "waiters registered before the failure")
            #expect(await waitFails(log, 40), "a waiter arriving after the failure")
            #expect(throws: LogError.self) { try log.append([1]) }
            try await log.waitDurable(20)  // durable before the failure: still fine
            await #expect(throws: LogError.self) { try await log.flush() }
            await log.close()
            #expect(throws: LogError.self) { try log.append([1]) }

            var rng = SeededRandom(seed: 1)
            disk.crash(rng: &rng, tear: true)
            let (again, _, records) = try openCollecting(disk)
            #expect(records.count >= 20 && records.count <= 40)
            #expect(records.allSatisfy { $0.payload == payload(for: $0.lsn, size: 10) })
            await again.close()
        }
    }

    @Test func failAllWritesWhileIdleFailsTheNextRecord() async throws {
        try await withTimeout(seconds: 10) {
            let disk = SimDisk()
            let (log, _) = try EventLog.open(fs: disk) { _, _ in }
            try await log.waitDurable(try log.append([1, 2, 3]))
            disk.failAllWrites()
            var appended: [UInt64] = []
            for _ in 0..<10 {
                guard let lsn = try? log.append([4, 5, 6]) else { break }
                appended.append(lsn)
            }
            #expect(!appended.isEmpty)
            for lsn in appended { #expect(await waitFails(log, lsn)) }
            #expect(throws: LogError.self) { try log.append([7]) }
            #expect(log.durableLSN == 1)
            await log.close()
        }
    }

    @Test func appenderBlockedByBackPressureIsReleasedByAFailure() async throws {
        try await withTimeout(seconds: 10) {
            let disk = SimDisk()
            let process = KillSwitchDisk(disk)
            var config = WALConfiguration()
            config.pendingBytesMax = 2048
            let (log, _) = try EventLog.open(fs: process, configuration: config) { _, _ in }
            process.holdWrites()
            try log.append([0])
            try await process.waitForHeldWrite()
            let appender = Task { await appendOnThread(log, count: 200, size: 100) }
            try await Task.sleep(for: .milliseconds(50))  // the appender fills the queue and blocks
            disk.failAllWrites()
            process.releaseWrites()
            let (done, error) = await appender.value
            #expect(done < 200)
            #expect(error != nil)
            await log.close()
        }
    }

    @Test func backPressureDoesNotLoseRecords() async throws {
        try await withTimeout(seconds: 20) {
            let disk = SimDisk()
            var config = WALConfiguration()
            config.pendingBytesMax = 2048
            let (log, _) = try EventLog.open(fs: disk, configuration: config) { _, _ in }
            async let a = appendOnThread(log, count: 300, size: 100)
            async let b = appendOnThread(log, count: 300, size: 100)
            let results = await [a, b]
            #expect(results.allSatisfy { $0.0 == 300 && $0.1 == nil })
            try await log.flush()
            #expect(log.durableLSN == 600)
            await log.close()
            let (again, _, records) = try openCollecting(disk)
            #expect(records.count == 600)
            await again.close()
        }
    }

    @Test func closeFailsLaterAppendsAndWaiters() async throws {
        try await withTimeout(seconds: 10) {
            let disk = SimDisk()
            let (log, _) = try EventLog.open(fs: disk) { _, _ in }
            let lsn = try log.append([1])
            await log.close()
            #expect(log.durableLSN == lsn)  // close flushes
            try await log.waitDurable(lsn)
            #expect(throws: LogError.self) { try log.append([2]) }
            #expect(await waitFails(log, lsn + 1))
            await log.close()  // twice is harmless
        }
    }

    // MARK: (g) group commit

    @Test func groupCommitSharesFsyncsAmongConcurrentWriters() async throws {
        let tasks = 200
        let perTask = 50
        // A sync as slow as a fast SSD's flush (0.2 ms): while it runs, the other writers queue,
        // whatever else the machine is doing.
        let disk = SimDisk(syncMicros: 200)
        let (log, _) = try EventLog.open(fs: disk) { _, _ in }
        try await withTimeout(seconds: 30) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for t in 0..<tasks {
                    group.addTask {
                        for i in 0..<perTask {
                            let lsn = try log.append([UInt8(t), UInt8(i & 0xFF), UInt8(i >> 8)])
                            try await log.waitDurable(lsn)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let total = tasks * perTask
        #expect(log.durableLSN == UInt64(total))
        #expect(log.syncCount < total / 4, "\(log.syncCount) fsyncs for \(total) acknowledged records")
        #expect(disk.syncCount <= log.syncCount + 2)
        await log.close()

        // Every record is there, and each task's records are in its own order.
        let (again, _, records) = try openCollecting(disk)
        #expect(records.count == total)
        var nextIndex = [Int](repeating: 0, count: tasks)
        for r in records {
            let t = Int(r.payload[0])
            let i = Int(r.payload[1]) | Int(r.payload[2]) << 8
            #expect(i == nextIndex[t], "task \(t) record \(i) at LSN \(r.lsn)")
            nextIndex[t] = i + 1
        }
        await again.close()
    }

    /// `WALConfiguration.groupCommitBytesMax` is "most bytes gathered into one write + fsync".
    @Test func groupCommitRespectsGroupCommitBytesMax() async throws {
        try await withTimeout(seconds: 10) {
            let disk = SimDisk()
            let process = KillSwitchDisk(disk)
            var config = WALConfiguration()
            config.groupCommitBytesMax = 4096
            let (log, _) = try EventLog.open(fs: process, configuration: config) { _, _ in }
            process.holdWrites()
            try log.append([0])
            try await process.waitForHeldWrite()
            for _ in 0..<64 { try log.append([UInt8](repeating: 1, count: 1000)) }  // ~64 KiB queued
            process.releaseWrites()
            try await log.flush()
            // At most 4096 bytes per group commit: at least 16 more fsyncs after the first one.
            #expect(log.syncCount >= 17, "\(log.syncCount) fsyncs: a batch exceeded groupCommitBytesMax")
            await log.close()
        }
    }

    /// A log whose writer has written record 1 and gone to sleep (a busy writer takes what is
    /// queued when its fsync ends, whatever the bursts).
    private func idleLog(burstHoldNanos: UInt64 = WALConfiguration().burstHoldNanos) async throws -> EventLog {
        var config = WALConfiguration()
        config.burstHoldNanos = burstHoldNanos
        let (log, _) = try EventLog.open(fs: SimDisk(), configuration: config) { _, _ in }
        try await log.waitDurable(try log.append(payload(for: 1, size: 10)))
        try await Task.sleep(for: .milliseconds(50))
        return log
    }

    @Test("a burst's appends wait for its end and go to disk in one group commit")
    func burstIsOneGroupCommit() async throws {
        try await withTimeout(seconds: 10) {
            // A long hold, so that a pause of the test's thread cannot end it early.
            let log = try await idleLog(burstHoldNanos: 10_000_000_000)
            let before = log.syncCount
            let last = try await log.burst { () async throws -> UInt64 in
                var last: UInt64 = 0
                for lsn in UInt64(2)...50 { last = try log.append(payload(for: lsn, size: 10)) }
                try await Task.sleep(for: .milliseconds(50))
                #expect(log.durableLSN == 1 && log.syncCount == before, "an idle writer was woken inside the burst")
                return last
            }
            try await log.waitDurable(last)
            #expect(log.syncCount == before + 1, "\(log.syncCount - before) fsyncs for one burst")
            await log.close()
        }
    }

    @Test("while a burst is open, another task's append wakes the writer at once")
    func othersAppendsAreNotHeldByABurst() async throws {
        try await withTimeout(seconds: 5) {
            let log = try await idleLog(burstHoldNanos: 10_000_000_000)
            let inBurst = Mutex<UInt64>(0)
            let ended = Mutex(false)
            let burst = Task {
                await log.burst {
                    inBurst.withLock { $0 = (try? log.append(payload(for: 2, size: 10))) ?? 0 }
                    try? await Task.sleep(for: .seconds(2))
                }
                ended.withLock { $0 = true }
            }
            while inBurst.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(1)) }
            let other = try log.append(payload(for: 3, size: 10))
            let appended = ContinuousClock.now
            try await log.waitDurable(other)
            // The burst lasts 2 s: an append held by it would be durable only after that.
            #expect(!ended.withLock { $0 } && ContinuousClock.now - appended < .seconds(1), "the append waited for the burst to end")
            await burst.value
            await log.close()
        }
    }

    @Test("whenDurable runs after the record's fsync, at once when it is durable already, and with the error after close")
    func whenDurableCallbacks() async throws {
        try await withTimeout(seconds: 5) {
            let log = try await idleLog()
            // Record: the durable LSN the callback saw, and its error.
            let seen = Mutex<[(UInt64, LogError?)]>([])
            let lsn = try log.append(payload(for: 2, size: 10))
            log.whenDurable(lsn) { e in seen.withLock { $0.append((log.durableLSN, e)) } }
            try await log.waitDurable(lsn)
            while seen.withLock({ $0.count }) < 1 { try await Task.sleep(for: .milliseconds(1)) }
            #expect(seen.withLock { $0[0].0 >= lsn && $0[0].1 == nil }, "ran before its record was durable, or with an error")
            // Already durable: it runs before whenDurable returns.
            log.whenDurable(lsn) { e in seen.withLock { $0.append((log.durableLSN, e)) } }
            #expect(seen.withLock { $0.count } == 2)
            // Never durable (closed first): it gets the error.
            await log.close()
            log.whenDurable(lsn + 10) { e in seen.withLock { $0.append((0, e)) } }
            #expect(seen.withLock { $0.count == 3 && $0[2].1 != nil })
        }
    }

    @Test("a burst that does not end holds the writer's wake-up for 5 ms at most")
    func stuckBurstDoesNotStallTheLog() async throws {
        try await withTimeout(seconds: 10) {
            let log = try await idleLog()
            try await log.burst { () async throws in  // does not end before the checks below
                _ = try log.append(payload(for: 2, size: 10))
                try await Task.sleep(for: .milliseconds(20))  // past the hold
                let later = try log.append(payload(for: 3, size: 10))
                try await log.waitDurable(later)
                #expect(log.durableLSN >= later)
            }
            await log.close()
        }
    }

    @Test("a waiter on a burst's record is answered once the burst ends; with no burst open an append wakes the writer")
    func appendsDuringABurstAreWrittenAtItsEnd() async throws {
        try await withTimeout(seconds: 10) {
            let (log, _) = try EventLog.open(fs: SimDisk()) { _, _ in }
            let waiter = try await log.burst { () async throws -> Task<Void, any Error> in
                let lsn = try log.append(payload(for: 1, size: 10))
                let waiter = Task { try await log.waitDurable(lsn) }
                try await Task.sleep(for: .milliseconds(20))
                return waiter
            }
            try await waiter.value
            // With no burst open, an append wakes the writer at once.
            let next = try log.append(payload(for: 2, size: 10))
            try await log.waitDurable(next)
            #expect(log.durableLSN == next)
            await log.close()
        }
    }
    // MARK: compaction must not hang

    @Test func compactAfterCloseDoesNotHang() async throws {
        let disk = SimDisk()
        let (log, _) = try EventLog.open(fs: disk) { _, _ in }
        try log.append([1])
        await log.close()
        do {
            _ = try await withTimeout(seconds: 2) { try await log.compact(upTo: 1) }
        } catch is TimedOut {
            Issue.record("compact(upTo:) after close() never returns")
        } catch {
            // An error (log closed) is a fine answer.
        }
    }

    @Test func compactAfterAWriteFailureDoesNotHang() async throws {
        let disk = SimDisk()
        let (log, _) = try EventLog.open(fs: disk) { _, _ in }
        disk.failAllWrites()
        let lsn = try log.append([1])
        #expect(await waitFails(log, lsn))
        do {
            _ = try await withTimeout(seconds: 2) { try await log.compact(upTo: 1) }
        } catch is TimedOut {
            Issue.record("compact(upTo:) after a write failure never returns")
        } catch {
            // An error is a fine answer.
        }
        await log.close()
    }
}
