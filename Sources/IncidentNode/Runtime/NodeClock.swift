import IncidentCore
import PosixIO
import Synchronization

/// Where shells read the time. The real clock reads the system; tests use `ManualClock` and move it.
public protocol NodeClock: Sendable {
    /// Now, as wall-clock time.
    func now() -> Timestamp
}

/// The system's real-time clock.
public struct SystemClock: NodeClock {
    /// Creates the clock.
    public init() {}
    public func now() -> Timestamp { Timestamp(unixMillis: wallClockMillis()) }
}

/// A clock tests set and advance by hand.
public final class ManualClock: NodeClock {
    private let current: Mutex<Timestamp>

    /// Starts at `start`.
    public init(start: Timestamp) {
        current = Mutex(start)
    }

    public func now() -> Timestamp { current.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(by d: Duration) { current.withLock { $0 = $0 + d } }

    /// Sets the clock.
    public func set(_ t: Timestamp) { current.withLock { $0 = t } }
}

/// Time helpers for logging.
enum IncidentCoreTime {
    static func nowRFC3339() -> String { Timestamp(unixMillis: wallClockMillis()).rfc3339 }
}
