import PosixIO

/// Configuration of the durable log.
public struct WALConfiguration: Sendable, Equatable {
    /// A segment is closed and a new one started once it would grow past this size.
    public var segmentBytesMax = 64 << 20
    /// Most bytes gathered into one write + fsync (a group commit).
    public var groupCommitBytesMax = 8 << 20
    /// Appends wait (back-pressure) while this many bytes are waiting for the writer.
    public var pendingBytesMax = 64 << 20
    /// How long open bursts (`EventLog.burst`) may keep their appends from waking the writer.
    public var burstHoldNanos: UInt64 = 5_000_000
    /// How far ahead of the records the segment being written is extended with zeros, so that an
    /// fsync of the records changes no file metadata (`SegmentedLog`).
    public var preallocationBytes = 4 << 20

    /// The defaults.
    public init() {}
}

/// The node's write-ahead log: appends are framed and queued by any thread; one writer thread
/// writes and fsyncs them in groups; `waitDurable` returns once a record is on stable storage.
///
/// A change is acknowledged only after `waitDurable` returns for its last record: group commit
/// shares one fsync among everything queued while the previous fsync ran. If a write or fsync
/// fails, the log stops accepting appends and every waiter gets the error: after a failed fsync the
/// page cache cannot be trusted, so the node must restart and recover from disk.
public final class EventLog: Sendable {
    private final class State: @unchecked Sendable {
        // @unchecked: every field is accessed only while holding `EventLog.lock`.
        var pending: [UInt8] = []
        var pendingFirstLSN: UInt64 = 1
        var pendingCount = 0
        var nextLSN: UInt64 = 1
        var durableLSN: UInt64 = 0
        /// Who waits for a record to be durable: each is called with nil once it is, or with the
        /// error that stopped the log (`whenDurable`).
        var waiters: [(lsn: UInt64, done: DurableCallback)] = []
        var failure: LogError?
        var stopping = false
        var stopped = false
        /// `close()` calls waiting for the writer thread to finish.
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var syncCount = 0
        /// The writer keeps zeros ahead of the records while idle (`keepZerosAhead`).
        var zerosAhead = false
        /// Wakes an idle writer to write them.
        var zerosAheadRequested = false
        var compactRequest: UInt64?
        var compactDone: [CheckedContinuation<Int, any Error>] = []
        /// Bursts in progress (`burst`): their appends do not wake the writer.
        var bursts = 0
        /// When the bursts in progress began (monotonic ns), while there are any.
        var burstsSince: UInt64 = 0
        /// The writer is asleep, waiting for records.
        var writerWaiting = false
    }

    /// Called once a record is durable (nil), or with the error that stopped the log first.
    public typealias DurableCallback = @Sendable (LogError?) -> Void

    private let lock = ConditionLock()
    private let state = State()
    private let segments: SegmentedLog
    private let configuration: WALConfiguration

    private init(segments: SegmentedLog, configuration: WALConfiguration) {
        self.segments = segments
        self.configuration = configuration
    }

    /// Opens the log in `fs`: recovers it (see `SegmentedLog.recover`), hands every record after
    /// `after` to `visit` in LSN order, then starts the writer thread.
    /// - Throws: `LogError.corrupt` when the log is damaged anywhere but its tail.
    public static func open(
        fs: any LogFileSystem, configuration: WALConfiguration = WALConfiguration(), after: UInt64 = 0,
        visit: (UInt64, UnsafeRawBufferPointer) throws -> Void
    ) throws -> (EventLog, RecoveryReport) {
        let segments = SegmentedLog(fs: fs, segmentBytesMax: configuration.segmentBytesMax, preallocationBytes: configuration.preallocationBytes)
        let report = try segments.recover(after: after, visit: visit)
        let log = EventLog(segments: segments, configuration: configuration)
        log.state.nextLSN = segments.nextLSN
        log.state.pendingFirstLSN = segments.nextLSN
        log.state.durableLSN = segments.nextLSN - 1
        log.state.pending.reserveCapacity(1 << 20)
        startThread(name: "aether-wal") { log.writerLoop() }
        return (log, report)
    }

    /// Frames and queues one record; returns its LSN. Cheap: no IO happens on the caller's thread.
    /// - Throws: `LogError.closed` after a failure or `close()`.
    @discardableResult
    public func append(_ payload: UnsafeRawBufferPointer) throws(LogError) -> UInt64 {
        guard payload.count >= 1, payload.count <= RecordFraming.recordBytesMax else {
            throw .recordTooLarge(bytes: payload.count, limit: RecordFraming.recordBytesMax)
        }
        var result: Result<UInt64, LogError> = .failure(.closed("not appended"))
        lock.withLock {
            while state.pending.count > configuration.pendingBytesMax && state.failure == nil && !state.stopping {
                lock.wait()  // back-pressure: the writer is behind
            }
            if let f = state.failure {
                result = .failure(f)
                return
            }
            if state.stopping {
                result = .failure(.closed("log is shutting down"))
                return
            }
            RecordFraming.appendRecord(payload, to: &state.pending)
            state.pendingCount += 1
            let lsn = state.nextLSN
            state.nextLSN += 1
            // Only a burst's own appends hold the wake-up (others' records — a write someone waits
            // for — go to disk at once), and for a few milliseconds at most: a burst that did not
            // end (a stuck caller) must not keep its records from the disk.
            if state.writerWaiting
                && (!Self.appendingInBurst || state.bursts == 0 || monotonicNanos() - state.burstsSince > configuration.burstHoldNanos)
            {
                state.writerWaiting = false  // one wake-up is enough
                lock.broadcast()
            }
            result = .success(lsn)
        }
        return try result.get()
    }

    /// Whether the current task is inside `burst`.
    @TaskLocal private static var appendingInBurst = false

    /// Starts a burst of appends that will be waited for together (one batch pushed by a peer).
    private func beginBurst() {
        lock.withLock {
            if state.bursts == 0 { state.burstsSince = monotonicNanos() }
            state.bursts += 1
        }
    }

    /// Ends a burst: wakes the writer for what is queued.
    private func endBurst() {
        lock.withLock {
            state.bursts -= 1
            if state.pendingCount > 0 && state.writerWaiting {
                state.writerWaiting = false
                lock.broadcast()
            }
        }
    }

    /// Runs `body` as one burst of appends that will be waited for together (one batch pushed by
    /// a peer): until it ends, the appends `body`'s task makes do not wake an idle writer, so the
    /// burst goes to disk in one group commit instead of its first record alone and the rest
    /// behind that fsync. Appends by other tasks still wake it, and a writer already busy takes
    /// whatever is queued when its fsync ends.
    public func burst<T>(_ body: () async throws -> T) async rethrows -> T {
        beginBurst()
        defer { endBurst() }
        return try await Self.$appendingInBurst.withValue(true) { try await body() }
    }

    /// Queues one record given as bytes.
    @discardableResult
    public func append(_ payload: [UInt8]) throws(LogError) -> UInt64 {
        let result: Result<UInt64, LogError> = payload.withUnsafeBytes { b in Result { () throws(LogError) in try append(b) } }
        return try result.get()
    }

    /// The LSN the next append gets.
    public var nextLSN: UInt64 { lock.withLock { state.nextLSN } }

    /// The highest LSN known durable.
    public var durableLSN: UInt64 { lock.withLock { state.durableLSN } }

    /// Number of fsyncs done (for benchmarks and tests).
    public var syncCount: Int { lock.withLock { state.syncCount } }

    /// Returns once record `lsn` (and so every record before it) is durable.
    /// - Throws: the `LogError` that stopped the log, if it failed before `lsn` was durable.
    public func waitDurable(_ lsn: UInt64) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            whenDurable(lsn) { failure in
                if let failure { c.resume(throwing: failure) } else { c.resume() }
            }
        }
    }

    /// Runs `action` once record `lsn` is durable (with nil), or with the error if the log failed or
    /// closed first. It runs on the writer thread right after the fsync — sparing a task the thread
    /// switch of waking up only to send something — or at once on the caller's thread when `lsn`
    /// is durable already. Keep it short and non-blocking: the next group commit waits for it.
    public func whenDurable(_ lsn: UInt64, _ action: @escaping DurableCallback) {
        let outcome: LogError?? = lock.withLock {
            if state.durableLSN >= lsn { return .some(nil) }
            if let f = state.failure { return .some(f) }
            if state.stopped { return .some(.closed("log is closed")) }
            state.waiters.append((lsn, action))
            return .none
        }
        if let outcome { action(outcome) }
    }

    /// Waits until everything appended so far is durable.
    public func flush() async throws {
        let last = lock.withLock { state.nextLSN - 1 }
        if last > 0 { try await waitDurable(last) }
    }

    /// Deletes segments whose records are all at or below `lsn` (call after a snapshot covering
    /// `lsn` is durable). Returns how many segments were removed.
    public func compact(upTo lsn: UInt64) async throws -> Int {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Int, any Error>) in
            let refusal: LogError? = lock.withLock {
                if let f = state.failure { return f }
                if state.stopping || state.stopped { return .closed("log is closed") }
                state.compactRequest = max(state.compactRequest ?? 0, lsn)
                state.compactDone.append(c)
                lock.broadcast()
                return nil
            }
            if let refusal { c.resume(throwing: refusal) }
        }
    }

    /// Writes and syncs what is queued, seals the current segment and stops the writer thread
    /// (later appends fail); returns once it has stopped.
    public func close() async {
        try? await flush()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done: Bool = lock.withLock {
                if state.stopped { return true }
                state.stopping = true
                state.closeWaiters.append(c)
                lock.broadcast()
                return false
            }
            if done { c.resume() }
        }
    }

    /// From now on the writer keeps zeros written ahead of the records whenever it is idle
    /// (`prepareWhileIdle`), starting at once: the node calls it when it starts, so that its first
    /// writes do not pay for them.
    public func keepZerosAhead() {
        lock.withLock {
            state.zerosAhead = true
            state.zerosAheadRequested = true
            lock.broadcast()
        }
    }

    // MARK: - Writer thread

    /// While nothing waits to be written, writes the zeros the segment wants ahead of its records
    /// (`SegmentedLog.zerosAheadWanted`), 64 KiB and one fsync at a time: the next small append then
    /// neither grows the file nor syncs 4 MiB of zeros in its own fsync (3–4 ms here, paid by the
    /// first write after every start and every 4 MiB of log). A write arriving meanwhile waits for
    /// one step at most. A failure is left for the next append to meet and report.
    private func prepareWhileIdle() {
        lock.withLock { state.zerosAheadRequested = false }
        var wanted = segments.zerosAheadWanted
        while wanted > 0,
            lock.withLock({ state.pendingCount == 0 && state.compactRequest == nil && !state.stopping && state.failure == nil })
        {
            let step = min(wanted, Self.idlePreparationStep)
            do {
                try segments.prepareAhead(bytes: step)
                try segments.sync()
            } catch {
                return
            }
            wanted -= step
        }
    }

    /// Zeros written ahead per step while idle. A record arriving during a step waits for its
    /// fsync, which a busy disk stretches with the step's size: 1 MiB steps took 20–160 ms there
    /// and set S3's p99 (Docs/wal-format.md §8).
    static let idlePreparationStep = 64 << 10

    private func writerLoop() {
        // One buffer swapped with `pending` each round, so steady state allocates nothing.
        var batch: [UInt8] = []
        batch.reserveCapacity(1 << 20)
        while true {
            if lock.withLock({ state.zerosAhead }) { prepareWhileIdle() }
            var firstLSN: UInt64 = 0
            var count = 0
            var compactTo: UInt64?
            var compactWaiters: [CheckedContinuation<Int, any Error>] = []
            let stop: Bool = lock.withLock {
                while state.pendingCount == 0 && state.compactRequest == nil && !state.stopping && !state.zerosAheadRequested {
                    state.writerWaiting = true
                    lock.wait()
                    state.writerWaiting = false
                }
                if state.pendingCount == 0 && state.compactRequest == nil && state.stopping { return true }
                firstLSN = state.pendingFirstLSN
                if state.pending.count <= configuration.groupCommitBytesMax {
                    swap(&batch, &state.pending)
                    count = state.pendingCount
                } else {
                    // Take whole records up to the group-commit limit; the rest waits for the next round.
                    var end = 0
                    state.pending.withUnsafeBytes { b in
                        while end < b.count {
                            let len = Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: end, as: UInt32.self)))
                            let next = end + RecordFraming.recordHeaderBytes + len
                            if next > configuration.groupCommitBytesMax && count > 0 { break }
                            end = next
                            count += 1
                        }
                    }
                    batch.append(contentsOf: state.pending[0..<end])
                    state.pending.removeFirst(end)
                }
                state.pendingFirstLSN += UInt64(count)
                state.pendingCount -= count
                compactTo = state.compactRequest
                compactWaiters = state.compactDone
                state.compactRequest = nil
                state.compactDone = []
                lock.broadcast()  // wake appenders held back by back-pressure
                return false
            }
            if stop { break }
            var failure: LogError?
            if count > 0 {
                do {
                    try segments.append(batch, firstLSN: firstLSN, count: count)
                    try segments.sync()
                } catch let e as LogError {
                    failure = e
                } catch {
                    failure = .io("\(error)")
                }
            }
            var compacted = 0
            var compactError: (any Error)?
            if let compactTo, failure == nil {
                do { compacted = try segments.compact(upTo: compactTo) } catch { compactError = error }
            }
            for c in compactWaiters {
                if let compactError { c.resume(throwing: compactError) } else { c.resume(returning: compacted) }
            }
            var ready: [DurableCallback] = []
            lock.withLock {
                if let failure {
                    state.failure = failure
                    ready = state.waiters.map(\.done)
                    state.waiters = []
                    lock.broadcast()
                } else if count > 0 {
                    state.syncCount += 1
                    state.durableLSN = firstLSN + UInt64(count) - 1
                    var keep: [(lsn: UInt64, done: DurableCallback)] = []
                    for w in state.waiters {
                        if w.lsn <= state.durableLSN { ready.append(w.done) } else { keep.append(w) }
                    }
                    state.waiters = keep
                }
            }
            for done in ready { done(failure) }
            batch.removeAll(keepingCapacity: batch.capacity <= 16 << 20)
            if failure != nil { break }
        }
        // A clean stop leaves the segment as long as its records (best effort: recovery cuts the
        // zeros off anyway).
        if lock.withLock({ state.failure == nil }) { try? segments.seal() }
        let (leftovers, compactions, closers): ([DurableCallback], [CheckedContinuation<Int, any Error>], [CheckedContinuation<Void, Never>]) =
            lock.withLock {
                state.stopped = true
                let w = state.waiters.map(\.done)
                let c = state.compactDone
                let k = state.closeWaiters
                state.waiters = []
                state.compactDone = []
                state.closeWaiters = []
                state.compactRequest = nil
                lock.broadcast()
                return (w, c, k)
            }
        for done in leftovers { done(.closed("log is closed")) }
        for c in compactions { c.resume(throwing: LogError.closed("log is closed")) }
        for c in closers { c.resume() }
    }
}
