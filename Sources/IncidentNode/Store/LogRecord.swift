import IncidentCore

/// What one log record holds: a one-byte kind, then the kind's encoding.
///
///     kind 1: an incident event (IncidentEvent binary encoding)
///
/// Kinds are append-only; a reader that meets an unknown kind refuses to start rather than skip
/// state it does not understand.
enum LogRecordKind: UInt8 {
    case incidentEvent = 1
}

/// The order-independent digest of a set of events (SPEC §4 `log.digest`): the wrapping sum of a
/// 64-bit hash of each event's bytes. Nodes holding the same events have the same digest whatever
/// order the events arrived in.
public struct EventSetDigest: Sendable, Equatable {
    /// Events counted.
    public private(set) var count: UInt64 = 0
    /// The sum.
    public private(set) var value: UInt64 = 0

    /// Creates a digest.
    public init(count: UInt64 = 0, value: UInt64 = 0) {
        self.count = count
        self.value = value
    }

    /// Adds one event's encoded bytes.
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var h = FNV1a.hash64(bytes)
        // splitmix64 finalizer: spreads FNV's output so sums of many hashes stay well mixed.
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 31
        value = value &+ h
        count += 1
    }

    /// Hex form for the admin protocol.
    public var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
