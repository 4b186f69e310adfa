import IncidentCore
import IncidentStorage

/// Rebuilds a node's state at start-up: the newest snapshot, then every log record after it, folded
/// into incident records. Pure folding on one thread — no actors until it is done.
struct NodeRecovery {
    /// Recovered incidents, in no particular order.
    var records: [IncidentRecord] = []
    /// Where each incident is in `records`.
    private var position: [IncidentID: Int] = [:]
    var lastSeq: UInt64 = 0
    var lastHLC = HLCTimestamp(raw: 0)
    var snapshotLSN: UInt64 = 0
    var replayed = 0
    var orphans: [IncidentEvent] = []
    /// Catalog changes (snapshot and log; duplicates are dropped when the catalog loads them).
    var catalog: [IncidentEvent] = []
    let node: NodeID
    /// The event author of this data directory: `lastSeq` counts its events.
    let author: NodeID

    init(node: NodeID, author: NodeID) {
        self.node = node
        self.author = author
    }

    /// Loads the snapshot, if any.
    mutating func loadSnapshot(fs: any LogFileSystem) throws {
        guard let (lsn, body) = try SnapshotFile.readLatest(fs: fs) else { return }
        let snap: NodeSnapshot
        do { snap = try NodeSnapshot.decode(body) } catch {
            throw LogError.corrupt(file: SnapshotFile.name(lsn), offset: error.offset, reason: "snapshot body: \(error.message)")
        }
        guard snap.node == node else {
            throw RecoveryError("the data directory belongs to node '\(snap.node)', not '\(node)'; pass --node-id \(snap.node) or use another --data-dir")
        }
        records = snap.records
        catalog = snap.catalog
        position.reserveCapacity(records.count)
        for (i, r) in records.enumerated() { position[r.incident.id] = i }
        lastSeq = snap.lastSeq
        lastHLC = snap.lastHLC
        snapshotLSN = lsn
        for r in records {
            for e in r.events where e.id.origin == author { lastSeq = max(lastSeq, e.id.seq) }
            for c in r.repeatCounters.values where c.event.origin == author { lastSeq = max(lastSeq, c.event.seq) }
        }
    }

    /// Folds one log record.
    mutating func replay(lsn: UInt64, payload: UnsafeRawBufferPointer) throws {
        guard payload.count >= 1 else { throw RecoveryError("log record \(lsn) is empty") }
        guard payload[0] == LogRecordKind.incidentEvent.rawValue else {
            throw RecoveryError("log record \(lsn) has unknown kind \(payload[0]); this build cannot read it")
        }
        let body = UnsafeRawBufferPointer(rebasing: payload[1...])
        let event: IncidentEvent
        do { event = try IncidentEvent(decoding: body) } catch {
            throw RecoveryError("log record \(lsn) passed its checksum but does not decode: \(error)")
        }
        replayed += 1
        if event.id.origin == author { lastSeq = max(lastSeq, event.id.seq) }
        if event.hlc > lastHLC { lastHLC = event.hlc }
        apply(event)
    }

    private mutating func apply(_ event: IncidentEvent) {
        if event.incident == .catalog {
            catalog.append(event)
        } else if let p = position[event.incident] {
            records[p].apply(event)
        } else if case .opened = event.body {
            position[event.incident] = records.count
            records.append(IncidentRecord(opening: event))
            let waiting = orphans.filter { $0.incident == event.incident }
            if !waiting.isEmpty {
                orphans.removeAll { $0.incident == event.incident }
                for e in waiting { records[records.count - 1].apply(e) }
            }
        } else {
            orphans.append(event)
        }
    }
}

/// Recovery found something it cannot serve from.
struct RecoveryError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
