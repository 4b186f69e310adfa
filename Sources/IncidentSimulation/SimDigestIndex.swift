import IncidentCore

/// A node's digest of everything it holds, as the real node's `StateDigest` keeps it: each
/// incident record's `digest`, summed (wrapping) per bucket — 256 buckets chosen by FNV-1a of the
/// incident id — and overall. Two nodes holding the same records have equal digests whatever
/// order events arrived in; anti-entropy compares buckets, then incidents in differing buckets.
public struct SimDigestIndex: Sendable {
    /// Number of anti-entropy buckets (`StateDigest.bucketCount`).
    public static let bucketCount = 256

    /// Digest of each bucket.
    public private(set) var buckets = [UInt64](repeating: 0, count: SimDigestIndex.bucketCount)
    /// Digest of each incident held.
    public private(set) var perIncident: [IncidentID: UInt64] = [:]
    /// Sum over all incidents (`log.digest`).
    public private(set) var value: UInt64 = 0

    /// An empty index.
    public init() {}

    /// The bucket of an incident (`StateDigest.bucket(of:)`).
    public static func bucket(of id: IncidentID) -> Int {
        Int(FNV1a.hash64(id.text.utf8) & UInt64(bucketCount - 1))
    }

    /// Records an incident's current digest.
    public mutating func set(_ id: IncidentID, to new: UInt64) {
        let old = perIncident[id] ?? 0
        guard old != new || perIncident[id] == nil else { return }
        let b = Self.bucket(of: id)
        value = value &- old &+ new
        buckets[b] = buckets[b] &- old &+ new
        perIncident[id] = new
    }

    /// Per-incident digests in the given buckets, sorted by id (deterministic message contents).
    public func digests(inBuckets wanted: [Int]) -> [(IncidentID, UInt64)] {
        let set = Set(wanted)
        return perIncident.filter { set.contains(Self.bucket(of: $0.key)) }.map { ($0.key, $0.value) }.sorted { $0.0 < $1.0 }
    }
}
