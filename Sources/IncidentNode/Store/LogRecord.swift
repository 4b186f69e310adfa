import IncidentCore
import Synchronization

/// What one log record holds: a one-byte kind, then the kind's encoding.
///
///     kind 1: an incident event (IncidentEvent binary encoding)
///
/// Kinds are append-only; a reader that meets an unknown kind refuses to start rather than skip
/// state it does not understand.
enum LogRecordKind: UInt8 {
    case incidentEvent = 1
}

/// The node's digest for `log.digest` and anti-entropy: every incident record's digest (see
/// `IncidentRecord.digest`), summed per bucket (256 buckets by incident id) and overall, with how
/// many events and repeat counters they hold. Two nodes holding the same incidents have the same
/// digests, whatever order the events arrived in. Kept current by the incident actors (each reports
/// the change in its record's digest after every apply).
public final class StateDigest: Sendable {
    /// Number of anti-entropy buckets.
    public static let bucketCount = 256

    struct State {
        var units: Int64 = 0
        var value: UInt64 = 0
        var buckets = [UInt64](repeating: 0, count: StateDigest.bucketCount)
        /// Each incident's digest, by bucket: anti-entropy reads a few buckets at a time.
        var perBucket = [[IncidentID: UInt64]](repeating: [:], count: StateDigest.bucketCount)
    }

    private let state = Mutex(State())
    /// Changes begun (an event appended to the log) and not yet reflected here; see `settled`.
    private let changesInFlight = Atomic<Int>(0)

    /// An empty digest.
    public init() {}

    /// The bucket of an incident.
    public static func bucket(of id: IncidentID) -> Int {
        Int(FNV1a.hash64(id.text.utf8) & UInt64(bucketCount - 1))
    }

    /// Records a record's new digest (and the change in its unit count); `bucket` is the
    /// incident's `bucket(of:)`, which callers that update often keep.
    func set(_ id: IncidentID, bucket b: Int, units: Int, from old: UInt64, to new: UInt64) {
        state.withLock { s in
            s.units += Int64(units)
            s.value = s.value &- old &+ new
            s.buckets[b] = s.buckets[b] &- old &+ new
            s.perBucket[b][id] = new
        }
    }

    /// Runs a change that logs events and then reports them here (`set`): while it runs, the log
    /// holds events the digest does not yet reflect, and `settled` says so.
    func changing<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        changesInFlight.wrappingAdd(1, ordering: .sequentiallyConsistent)
        defer { changesInFlight.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
        return try body()
    }

    /// True when no change is in flight: read after the log's last LSN, it means every event logged
    /// up to that LSN is reflected in the digest (anti-entropy may then confirm a peer in sync).
    var settled: Bool { changesInFlight.load(ordering: .sequentiallyConsistent) == 0 }

    /// Events and counters held, and the digest.
    public var current: (events: Int64, value: UInt64) { state.withLock { ($0.units, $0.value) } }

    /// The digest of each bucket.
    public var buckets: [UInt64] { state.withLock { $0.buckets } }

    /// The digest of every incident in the given buckets, bucket by bucket in the order given.
    public func digests(inBuckets wanted: some Sequence<Int>) -> [(IncidentID, UInt64)] {
        state.withLock { s in
            var out: [(IncidentID, UInt64)] = []
            for b in wanted where b >= 0 && b < Self.bucketCount { out += s.perBucket[b].map { ($0.key, $0.value) } }
            return out
        }
    }

    /// How many incidents each of the given buckets holds.
    public func counts(ofBuckets wanted: [Int]) -> [Int: Int] {
        state.withLock { s in
            var out: [Int: Int] = [:]
            for b in wanted where b >= 0 && b < Self.bucketCount { out[b] = s.perBucket[b].count }
            return out
        }
    }

    /// One incident's digest, if held.
    public func digest(of id: IncidentID) -> UInt64? {
        let b = Self.bucket(of: id)
        return state.withLock { $0.perBucket[b][id] }
    }

    /// Hex form of a digest value.
    public static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

extension IncidentRecord {
    /// Events and counters held (the unit `log.digest` counts).
    var digestUnits: Int { ordinaryEventCount + repeatCounters.count }
}
