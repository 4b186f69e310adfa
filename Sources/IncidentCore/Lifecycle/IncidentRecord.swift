/// An incident's events and the state they fold to: the value an incident actor owns, and the unit
/// nodes exchange to converge.
///
/// **Ordinary events** are kept sorted by `EventOrderKey` (HLC, origin, seq). Appending in order
/// (always the case for events made locally) applies one event; an event that belongs earlier
/// (arriving late from another node) is inserted and the incident refolded; an event already held
/// is recognised by its id and ignored. So the state is the fold of the set of events, whatever
/// order they arrived in, and applying is idempotent.
///
/// **Alert repeats** are a counter, not a history: each origin node keeps a cumulative count of the
/// triggers it took for each `repeatWindow` since the incident opened, and an `alert_repeated` event
/// carries that cumulative count. Merging keeps the maximum per (origin, window) — a grow-only
/// counter CRDT — so repeats merge idempotently in any order and a storm of 10,000 triggers costs a
/// few counters, not 10,000 events or timeline entries.
///
/// `digest` is an order-independent hash of everything held (events and counters), equal on two
/// nodes exactly when they hold the same incident; anti-entropy compares it.
public struct IncidentRecord: Sendable {
    /// Width of a repeat window: repeats in one window show as one timeline entry.
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
    /// Repeat counters per (origin, window).
    public private(set) var repeatCounters: [RepeatKey: RepeatCounter] = [:]
    /// Repeat events that raised a counter.
    public private(set) var repeatEventCount = 0
    /// Order-independent hash of the events and counters held.
    public private(set) var digest: UInt64 = 0

    /// Starts a record from its `opened` event.
    /// - Precondition: `opening.body` is `.opened`.
    public init(opening: IncidentEvent) {
        guard case .opened(let o) = opening.body else {
            preconditionFailure("incident record must start with an opened event, got \(opening.body)")
        }
        incident = Incident(id: opening.incident, opening: o, origin: opening.id.origin, at: opening.at)
        openingEvent = opening
        lastKey = opening.orderKey
        digest = EventDigest.of(opening)
    }

    /// Restores a record from a snapshot: its ordinary events in order and its repeat counters.
    /// - Precondition: `events` is non-empty, sorted, and starts with `opened`.
    public init(events: [IncidentEvent], repeatCounters: [RepeatKey: RepeatCounter], repeatEventCount: Int) {
        self.init(opening: events[0])
        store(events.dropFirst(), addToDigest: true)
        self.repeatCounters = repeatCounters
        for (k, c) in repeatCounters { digest &+= EventDigest.of(k, c) }
        self.repeatEventCount = repeatEventCount
        refold()
    }

    /// The ordinary events in fold order; the first is `opened`. Decoded on each call.
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

    /// Repeats per window index since `createdAt`, summed over origins (for the timeline).
    public var repeatBuckets: [Int64: RepeatBucket] {
        var out: [Int64: RepeatBucket] = [:]
        for (k, c) in repeatCounters {
            out[k.window, default: RepeatBucket()].add(count: UInt32(clamping: c.count), firstAt: c.firstAt, lastAt: c.lastAt)
        }
        return out
    }

    /// Time of the last ordinary event.
    public var lastEventAt: Timestamp { lastKey.hlc.timestamp }

    /// Ordinary events held, the opening included.
    public var ordinaryEventCount: Int { 1 + Int(laterCount) }

    /// Number of events folded, repeats included.
    public var eventCount: Int { 1 + Int(laterCount) + repeatEventCount }

    /// The cumulative repeat count `origin` has recorded for the window of `at`.
    public func repeatCount(origin: NodeID, at: Timestamp) -> Int {
        repeatCounters[RepeatKey(origin: origin, window: window(of: at))]?.count ?? 0
    }

    /// Applies an event wherever it belongs; returns false when it changed nothing (already held,
    /// or a repeat count not above the one held).
    @discardableResult
    public mutating func apply(_ event: IncidentEvent) -> Bool {
        precondition(event.incident == incident.id, "event \(event.id) for \(event.incident) applied to \(incident.id)")
        switch event.body {
        case .alertRepeated(let count, let firstAt, let lastAt):
            // Join of the counter lattice: count max, first min, last max — each independently.
            let key = RepeatKey(origin: event.id.origin, window: window(of: firstAt))
            let old = repeatCounters[key]
            var new = old ?? RepeatCounter(count: 0, firstAt: firstAt, lastAt: lastAt, event: event.id, hlc: event.hlc)
            if Int(count) > new.count || (Int(count) == new.count && new.event < event.id) {
                new.event = event.id  // the event kept to re-create this counter elsewhere
                new.hlc = event.hlc
            }
            new.count = max(new.count, Int(count))
            new.firstAt = min(new.firstAt, firstAt)
            new.lastAt = max(new.lastAt, lastAt)
            guard new.count != old?.count || new.firstAt != old?.firstAt || new.lastAt != old?.lastAt else { return false }
            if let old { digest &-= EventDigest.of(key, old) }
            digest &+= EventDigest.of(key, new)
            repeatCounters[key] = new
            incident.addRepeats(new.count - (old?.count ?? 0), lastAt: new.lastAt)
            repeatEventCount += 1
            return true
        case .opened:
            return false
        default:
            break
        }
        let key = event.orderKey
        if lastKey < key {
            store(CollectionOfOne(event), addToDigest: true)
            incident.apply(event)
            return true
        }
        if key == lastKey || key < openingEvent.orderKey { return false }  // held already, or before its own opening
        // Late arrival (or a duplicate): find its place; insert and refold if it is new.
        var later = laterEvents
        var lo = 0
        var hi = later.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if later[mid].orderKey < key { lo = mid + 1 } else { hi = mid }
        }
        // Held already only when the same event (same id *and* clock reading) is at its place: two
        // different events under one id are both kept, so the fold never depends on arrival order.
        if lo < later.count, later[lo].orderKey == key { return false }
        later.insert(event, at: lo)
        laterBytes.removeAll(keepingCapacity: true)
        laterCount = 0
        store(later[...], addToDigest: false)
        digest &+= EventDigest.of(event)
        refold()
        return true
    }

    /// Merges another copy of the same incident into this one; returns the events that changed this
    /// record (ordinary events it lacked, and repeat counters it held lower), to be logged.
    public mutating func merge(_ other: IncidentRecord) -> [IncidentEvent] {
        precondition(other.incident.id == incident.id, "merging \(other.incident.id) into \(incident.id)")
        guard other.digest != digest else { return [] }
        var changed: [IncidentEvent] = []
        for e in other.events.dropFirst() where apply(e) { changed.append(e) }
        for (k, c) in other.repeatCounters where repeatCounters[k] != c {
            let e = IncidentEvent(
                id: c.event, hlc: c.hlc, incident: incident.id, actor: Alert.integrationActor(source: incident.opening.source),
                body: .alertRepeated(count: UInt32(clamping: c.count), firstAt: c.firstAt, lastAt: c.lastAt))
            if apply(e) { changed.append(e) }
        }
        return changed
    }

    /// Every event needed to rebuild this record elsewhere: the ordinary events and one
    /// `alert_repeated` event per counter.
    public var replicationEvents: [IncidentEvent] {
        var out = events
        for (k, c) in repeatCounters.sorted(by: { ($0.key.window, $0.key.origin) < ($1.key.window, $1.key.origin) }) {
            _ = k
            out.append(
                IncidentEvent(
                    id: c.event, hlc: c.hlc, incident: incident.id, actor: Alert.integrationActor(source: incident.opening.source),
                    body: .alertRepeated(count: UInt32(clamping: c.count), firstAt: c.firstAt, lastAt: c.lastAt)))
        }
        return out
    }

    /// Appends events (already in order, after `lastKey`) to the compact log, adding each one's
    /// hash (of the same bytes `EventDigest.of` hashes) to the digest when asked.
    private mutating func store<S: Sequence>(_ list: S, addToDigest: Bool) where S.Element == IncidentEvent {
        var w = ByteWriter(capacity: 0)
        swap(&w.bytes, &laterBytes)
        for e in list {
            let start = w.bytes.count
            e.encode(into: &w, omittingIncident: true)
            if addToDigest {
                digest &+= w.bytes.withUnsafeBytes { EventDigest.mix(FNV1a.hash64(UnsafeRawBufferPointer(rebasing: $0[start...]))) }
            }
            laterCount += 1
            lastKey = e.orderKey
        }
        swap(&w.bytes, &laterBytes)
    }

    private mutating func refold() {
        guard case .opened(let o) = openingEvent.body else { return }
        var fresh = Incident(id: incident.id, opening: o, origin: openingEvent.id.origin, at: openingEvent.at)
        for e in laterEvents { fresh.apply(e) }
        for c in repeatCounters.values { fresh.addRepeats(c.count, lastAt: c.lastAt) }
        incident = fresh
    }

    /// The repeat window index of an instant.
    public func window(of at: Timestamp) -> Int64 {
        let (raw, overflow) = at.unixMillis.subtractingReportingOverflow(incident.createdAt.unixMillis)
        let offset = overflow ? (at > incident.createdAt ? Int64.max / 2 : Int64.min / 2) : raw
        let width = Self.repeatWindow.wholeMilliseconds
        return offset >= 0 ? offset / width : (offset - width + 1) / width
    }
}

/// Which origin node counted repeats, and in which window.
public struct RepeatKey: Hashable, Sendable {
    /// The node that took the triggers.
    public var origin: NodeID
    /// Window index since the incident opened.
    public var window: Int64

    /// Creates a key.
    public init(origin: NodeID, window: Int64) {
        self.origin = origin
        self.window = window
    }
}

/// One origin's cumulative repeat count for one window, and the event that last raised it.
public struct RepeatCounter: Sendable, Equatable {
    /// Triggers counted.
    public var count: Int
    /// Earliest trigger.
    public var firstAt: Timestamp
    /// Latest trigger.
    public var lastAt: Timestamp
    /// The `alert_repeated` event that set this count.
    public var event: EventID
    /// Its clock reading.
    public var hlc: HLCTimestamp

    /// Creates a counter.
    public init(count: Int, firstAt: Timestamp, lastAt: Timestamp, event: EventID, hlc: HLCTimestamp) {
        self.count = count
        self.firstAt = firstAt
        self.lastAt = lastAt
        self.event = event
        self.hlc = hlc
    }
}

/// Repeats of one alert within one window (summed over origins, for the timeline).
public struct RepeatBucket: Sendable, Equatable {
    /// An empty bucket.
    public init() {}

    /// A bucket with known contents.
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

/// 64-bit hashes of events and counters whose wrapping sums make order-independent digests.
public enum EventDigest {
    /// The hash of an ordinary event (its encoding without the incident id, which every node
    /// produces identically).
    public static func of(_ e: IncidentEvent) -> UInt64 {
        var w = ByteWriter(capacity: 96)
        e.encode(into: &w, omittingIncident: true)
        return mix(FNV1a.hash64(w.bytes))
    }

    /// The hash of a repeat counter's state.
    public static func of(_ k: RepeatKey, _ c: RepeatCounter) -> UInt64 {
        var h = FNV1a.hash64(k.origin.name.utf8, seed: 0x5151_7e9e_a3c0_0001)
        h = mix(h ^ UInt64(bitPattern: k.window))
        h = mix(h ^ UInt64(c.count))
        h = mix(h ^ UInt64(bitPattern: c.firstAt.unixMillis))
        return mix(h ^ UInt64(bitPattern: c.lastAt.unixMillis))
    }

    /// splitmix64's finalizer: spreads bits so sums of many hashes stay well mixed.
    public static func mix(_ x: UInt64) -> UInt64 {
        var h = x
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 31)
    }
}
