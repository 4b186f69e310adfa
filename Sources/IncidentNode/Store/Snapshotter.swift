import IncidentCore
import IncidentStorage
import PosixIO
import Synchronization

/// Takes snapshots: reads every incident's record at a consistent log position, writes the file on
/// its own thread, then deletes the log segments the snapshot covers. One at a time.
final class Snapshotter: Sendable {
    let fs: any LogFileSystem
    let log: EventLog
    let sequencer: EventSequencer
    let directory: IncidentDirectory
    let logger: Logger
    private let state: Mutex<(last: UInt64, running: Bool)>

    let catalog: CatalogStore

    init(
        fs: any LogFileSystem, log: EventLog, sequencer: EventSequencer, directory: IncidentDirectory, catalog: CatalogStore, lastLSN: UInt64,
        logger: Logger
    ) {
        self.catalog = catalog
        self.fs = fs
        self.log = log
        self.sequencer = sequencer
        self.directory = directory
        self.logger = logger
        state = Mutex((lastLSN, false))
    }

    /// LSN of the last snapshot.
    var lastLSN: UInt64 { state.withLock { $0.last } }

    /// Takes a snapshot; returns its LSN and size in bytes.
    func take() async throws -> (UInt64, Int) {
        let acquired = state.withLock { s in
            if s.running { return false }
            s.running = true
            return true
        }
        guard acquired else { throw RecoveryError("a snapshot is already being taken") }
        defer { state.withLock { $0.running = false } }
        let mark = sequencer.mark()
        if mark.lsn > 0 { try await log.waitDurable(mark.lsn) }
        var live: [IncidentRecord] = []
        var passive: [[UInt8]] = []
        for (_, entry) in await directory.allEntries() {
            switch entry {
            case .live(let a): live.append(await a.current)
            case .passive(let bytes): passive.append(bytes)
            }
        }
        // Records may include events logged after the mark; make those durable too, so the snapshot
        // never holds an event the log could still lose (replay skips what the records have).
        try await log.flush()
        let fs = self.fs
        let node = sequencer.node
        let liveRecords = live
        let passiveRecords = passive
        let catalogEvents = catalog.events
        let bytes: Int = try await withCheckedThrowingContinuation { c in
            startThread(name: "aether-snapshot") {
                do {
                    let n = try SnapshotFile.write(fs: fs, lsn: mark.lsn) { w in
                        try NodeSnapshot.write(
                            to: w, node: node, lastSeq: mark.seq, lastHLC: mark.hlc, live: liveRecords, passive: passiveRecords,
                            catalog: catalogEvents)
                    }
                    c.resume(returning: n)
                } catch {
                    c.resume(throwing: error)
                }
            }
        }
        _ = try await log.compact(upTo: mark.lsn)
        state.withLock { $0.last = mark.lsn }
        return (mark.lsn, bytes)
    }
}
