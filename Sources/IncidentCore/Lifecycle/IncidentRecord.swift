/// An incident's events and the state they fold to: the value an incident actor owns.
///
/// Events are kept sorted by `EventOrderKey`. Appending in order (always the case for events made
/// locally) applies one event; an event that belongs earlier (arriving late from another node)
/// refolds the incident from its opening, so the state is always the fold of the sorted events.
///
/// Alert repeats are not kept as events: their fold is commutative (a sum, a maximum, and per-window
/// buckets for the timeline), so they are summed into `repeatBuckets`, one bucket per
/// `repeatWindow` since the incident opened. A storm of 10,000 repeats costs a few buckets, not
/// 10,000 timeline entries.
public struct IncidentRecord: Sendable {
    /// Width of a repeat bucket: repeats in one window show as one timeline entry.
    public static let repeatWindow: Duration = .seconds(300)

    /// The folded state.
    public private(set) var incident: Incident
    /// The `opened` event.
    public let openingEvent: IncidentEvent
    /// The events after the opening, in fold order, each in the compact binary encoding (without
    /// the incident id). Bytes, not structs: an open incident's history costs tens of bytes per
    /// event instead of hundreds (S6: 100,000 open incidents in 300 MiB).
    private var laterBytes: [UInt8] = []
    /// How many events `laterBytes` holds.
    private var laterCount: Int32 = 0
    /// Order key of the last event held.
    private var lastKey: EventOrderKey
    /// Repeats per window index since `createdAt`.
    public private(set) var repeatBuckets: [Int64: RepeatBucket] = [:]
    /// Repeat events folded into the buckets.
    public private(set) var repeatEventCount = 0
    /// The highest sequence number applied per origin node. Each origin's events reach an incident in
    /// sequence order, so an event at or below this mark was applied already: `apply` is idempotent.
    public private(set) var appliedSeq: [OriginSeq] = []

    /// Starts a record from its `opened` event.
    /// - Precondition: `opening.body` is `.opened`.
    public init(opening: IncidentEvent) {
        guard case .opened(let o) = opening.body else {
            preconditionFailure("incident record must start with an opened event, got \(opening.body)")
        }
        incident = Incident(id: opening.incident, opening: o, origin: opening.id.origin, at: opening.at)
        openingEvent = opening
        lastKey = opening.orderKey
        appliedSeq = [OriginSeq(origin: opening.id.origin, seq: opening.id.seq)]
    }

    /// Restores a record from a snapshot: its non-repeat events in order and its repeat buckets.
    /// - Precondition: `events` is non-empty, sorted, and starts with `opened`.
    public init(
        events: [IncidentEvent], repeatBuckets: [Int64: RepeatBucket], repeatEventCount: Int, appliedSeq: [OriginSeq]
    ) {
        self.init(opening: events[0])
        store(events.dropFirst())
        self.repeatBuckets = repeatBuckets
        self.repeatEventCount = repeatEventCount
        self.appliedSeq = appliedSeq
        refold()
    }

    /// The non-repeat events in fold order; the first is `opened`. Decoded on each call.
    public var events: [IncidentEvent] {
        var out = [openingEvent]
        out.reserveCapacity(Int(laterCount) + 1)
        out += laterEvents
        return out
    }

    /// The events after the opening, decoded.
    private var laterEvents: [IncidentEvent] {
        var out: [IncidentEvent] = []
        out.reserveCapacity(Int(laterCount))
        laterBytes.withUnsafeBytes { b in
            var r = ByteReader(b)
            while r.remaining > 0 {
                do { out.append(try IncidentEvent(from: &r, incident: incident.id)) } catch {
                    preconditionFailure("in-memory events of \(incident.id) do not decode: \(error)")
                }
            }
        }
        return out
    }

    /// Time of the last non-repeat event.
    public var lastEventAt: Timestamp { lastKey.hlc.timestamp }

    /// Number of events folded, repeats included.
    public var eventCount: Int { 1 + Int(laterCount) + repeatEventCount }

    /// Applies an event wherever it belongs in the order; returns false when it was applied before.
    @discardableResult
    public mutating func apply(_ event: IncidentEvent) -> Bool {
        precondition(event.incident == incident.id, "event \(event.id) for \(event.incident) applied to \(incident.id)")
        if let k = appliedSeq.firstIndex(where: { $0.origin == event.id.origin }) {
            if event.id.seq <= appliedSeq[k].seq { return false }
            appliedSeq[k].seq = event.id.seq
        } else {
            appliedSeq.append(OriginSeq(origin: event.id.origin, seq: event.id.seq))
        }
        if case .alertRepeated(let count, let firstAt, let lastAt) = event.body {
            incident.apply(event)
            repeatBuckets[bucketIndex(firstAt), default: RepeatBucket()].add(count: count, firstAt: firstAt, lastAt: lastAt)
            repeatEventCount += 1
            return true
        }
        if case .opened = event.body { return false }
        let key = event.orderKey
        if lastKey < key {
            store(CollectionOfOne(event))
            incident.apply(event)
            return true
        }
        // Late arrival: insert in order and refold.
        var later = laterEvents
        var lo = 0
        var hi = later.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if later[mid].orderKey < key { lo = mid + 1 } else { hi = mid }
        }
        if lo < later.count, later[lo].id == event.id { return false }
        if key < openingEvent.orderKey { return false }  // cannot precede its own opening
        later.insert(event, at: lo)
        laterBytes.removeAll(keepingCapacity: true)
        laterCount = 0
        store(later[...])
        refold()
        return true
    }

    /// Appends events (already in order, after `lastKey`) to the compact log.
    private mutating func store<S: Sequence>(_ list: S) where S.Element == IncidentEvent {
        var w = ByteWriter(capacity: 0)
        swap(&w.bytes, &laterBytes)
        for e in list {
            e.encode(into: &w, omittingIncident: true)
            laterCount += 1
            lastKey = e.orderKey
        }
        swap(&w.bytes, &laterBytes)
    }

    private mutating func refold() {
        guard case .opened(let o) = openingEvent.body else { return }
        var fresh = Incident(id: incident.id, opening: o, origin: openingEvent.id.origin, at: openingEvent.at)
        for e in laterEvents { fresh.apply(e) }
        for bucket in repeatBuckets.values { fresh.addRepeats(bucket) }
        incident = fresh
    }

    private func bucketIndex(_ at: Timestamp) -> Int64 {
        let (raw, overflow) = at.unixMillis.subtractingReportingOverflow(incident.createdAt.unixMillis)
        let offset = overflow ? (at > incident.createdAt ? Int64.max / 2 : Int64.min / 2) : raw
        let width = Self.repeatWindow.wholeMilliseconds
        return offset >= 0 ? offset / width : (offset - width + 1) / width
    }
}

/// An origin node and a sequence number.
public struct OriginSeq: Sendable, Equatable {
    /// The node.
    public var origin: NodeID
    /// Its sequence number.
    public var seq: UInt64

    /// Creates a pair.
    public init(origin: NodeID, seq: UInt64) {
        self.origin = origin
        self.seq = seq
    }
}

/// Repeats of one alert within one window.
public struct RepeatBucket: Sendable, Equatable {
    /// An empty bucket.
    public init() {}

    /// A bucket with known contents (decoding).
    public init(count: Int, firstAt: Timestamp, lastAt: Timestamp) {
        self.count = count
        self.firstAt = firstAt
        self.lastAt = lastAt
    }

    /// How many.
    public var count: Int = 0
    /// Earliest.
    public var firstAt = Timestamp(unixMillis: .max)
    /// Latest.
    public var lastAt = Timestamp(unixMillis: .min)

    mutating func add(count n: UInt32, firstAt f: Timestamp, lastAt l: Timestamp) {
        count += Int(n)
        firstAt = min(firstAt, f)
        lastAt = max(lastAt, l)
    }
}
