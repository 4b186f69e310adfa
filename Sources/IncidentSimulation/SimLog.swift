import IncidentCore

/// One simulated node's event log: appends are visible at once, durable only once a simulated
/// fsync that started after them completes (group commit), and a crash keeps the durable prefix
/// plus a random number of the unsynced records after it (a torn tail keeps whole records only;
/// `SimDisk` and the storage tests cover torn bytes). A wipe loses everything.
///
/// LSNs number the records 1, 2, 3 …, like `EventLog`; "durable up to L" is a prefix.
public struct SimLog {
    /// Every record, in log order; the LSN of `entries[i]` is `i + 1`.
    public private(set) var entries: [IncidentEvent] = []
    /// How many leading records are durable.
    public private(set) var durableCount = 0
    /// The record count an fsync in flight will make durable.
    public private(set) var syncTarget: Int?
    /// What the durable records hold, for the checkers.
    public private(set) var facts = SimDurableFacts()

    /// An empty log.
    public init() {}

    /// The LSN the next append gets.
    public var nextLSN: UInt64 { UInt64(entries.count) + 1 }
    /// Everything up to this LSN is durable.
    public var durableLSN: UInt64 { UInt64(durableCount) }

    /// Appends one record; returns its LSN.
    public mutating func append(_ event: IncidentEvent) -> UInt64 {
        entries.append(event)
        return UInt64(entries.count)
    }

    /// Starts an fsync covering everything appended so far, unless one is in flight or nothing is
    /// unsynced. Returns true when one started (the caller schedules its completion).
    public mutating func beginSync() -> Bool {
        guard syncTarget == nil, durableCount < entries.count else { return false }
        syncTarget = entries.count
        return true
    }

    /// The fsync in flight completed. Returns true when more records wait for the next one.
    public mutating func completeSync() -> Bool {
        guard let target = syncTarget else { return false }
        makeDurable(upTo: target)
        syncTarget = nil
        return durableCount < entries.count
    }

    /// A crash: keeps the durable records and the first `keptUnsynced` of the others (they made it
    /// to disk before the power went), which are durable from now on.
    public mutating func crash(keptUnsynced: Int) {
        let keep = min(entries.count, durableCount + max(0, keptUnsynced))
        entries.removeSubrange(keep...)
        syncTarget = nil
        makeDurable(upTo: keep)
    }

    /// The data directory is lost.
    public mutating func wipe() {
        entries = []
        durableCount = 0
        syncTarget = nil
        facts = SimDurableFacts()
    }

    private mutating func makeDurable(upTo count: Int) {
        guard count > durableCount else { return }
        for e in entries[durableCount..<count] { facts.note(e) }
        durableCount = count
    }
}

/// Which repeat counter an alert raised: incident, origin node and repeat window.
public struct SimCounterKey: Hashable, Sendable, CustomStringConvertible {
    /// The incident.
    public var incident: IncidentID
    /// The node that took the trigger.
    public var origin: NodeID
    /// The repeat window (as `IncidentRecord.window(of:)` numbers them).
    public var window: Int64

    /// Creates a key.
    public init(incident: IncidentID, origin: NodeID, window: Int64) {
        self.incident = incident
        self.origin = origin
        self.window = window
    }

    public var description: String { "\(incident)/\(origin)/w\(window)" }
}

/// What a node's durable records hold: the `opened` events and the highest cumulative repeat
/// count per (incident, origin, window). An acknowledged alert is durably held by a node exactly
/// when its opening, or a repeat count at least its own, is here.
public struct SimDurableFacts: Sendable {
    /// Order keys of durable `opened` events, by incident.
    public private(set) var openings: [IncidentID: [EventOrderKey]] = [:]
    /// When each incident opened (from the first opening logged).
    public private(set) var createdAt: [IncidentID: Timestamp] = [:]
    /// Highest durable repeat count per counter.
    public private(set) var counters: [SimCounterKey: Int] = [:]

    /// No facts.
    public init() {}

    mutating func note(_ e: IncidentEvent) {
        switch e.body {
        case .opened:
            openings[e.incident, default: []].append(e.orderKey)
            if createdAt[e.incident] == nil { createdAt[e.incident] = e.at }
        case .alertRepeated(let count, let firstAt, _):
            guard let created = createdAt[e.incident] else { return }
            let key = SimCounterKey(incident: e.incident, origin: e.id.origin, window: Self.window(of: firstAt, createdAt: created))
            counters[key] = max(counters[key] ?? 0, Int(count))
        default:
            break
        }
    }

    /// Whether these facts hold an alert's effect.
    public func holds(_ fact: SimAlertFact) -> Bool {
        switch fact.effect {
        case .opened(let key):
            return openings[fact.incident]?.contains(key) ?? false
        case .repeated(let key, let count):
            return (counters[key] ?? 0) >= count
        }
    }

    /// `IncidentRecord.window(of:)`, from the opening time alone.
    public static func window(of at: Timestamp, createdAt: Timestamp) -> Int64 {
        let offset = at.unixMillis - createdAt.unixMillis
        let width = IncidentRecord.repeatWindow.wholeMilliseconds
        return offset >= 0 ? offset / width : (offset - width + 1) / width
    }
}
