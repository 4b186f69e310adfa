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

/// The node's digest for `log.digest`: the wrapping sum of every incident record's digest (see
/// `IncidentRecord.digest`), and how many events and repeat counters they hold. Two nodes holding
/// the same incidents have the same digest, whatever order the events arrived in. Kept current by
/// the incident actors (each adds the change in its record's digest after every apply).
public final class StateDigest: Sendable {
    private let state = Mutex<(units: Int64, value: UInt64)>((0, 0))

    /// An empty digest.
    public init() {}

    /// Adds a record's contribution change.
    func adjust(units: Int, from old: UInt64, to new: UInt64) {
        state.withLock { s in
            s.units += Int64(units)
            s.value = s.value &- old &+ new
        }
    }

    /// Events and counters held, and the digest.
    public var current: (events: Int64, value: UInt64) { state.withLock { ($0.units, $0.value) } }

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
