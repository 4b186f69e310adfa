import IncidentCore
import Synchronization

/// Injected network faults, per peer (netem is not available on these machines, so the transport
/// drops and delays frames itself). Off unless the node was started with fault injection enabled.
public struct FaultRule: Sendable, Equatable {
    /// Drop everything sent to the peer.
    public var dropOutbound = false
    /// Drop everything received from the peer.
    public var dropInbound = false
    /// Added one-way delay for frames sent to the peer.
    public var latency: Duration = .zero
    /// Uniform random extra delay, 0…jitter.
    public var jitter: Duration = .zero
    /// Share of frames to the peer dropped at random, 0…1.
    public var dropRate = 0.0

    /// No faults.
    public init() {}

    /// Whether the rule does anything.
    public var isEmpty: Bool { self == FaultRule() }
}

/// The fault rules in force, by peer node id (`*` applies to every peer without its own rule).
public final class FaultTable: Sendable {
    private let rules = Mutex<[String: FaultRule]>([:])
    private let counters = Mutex<(dropped: UInt64, delayed: UInt64)>((0, 0))
    /// Whether faults may be injected at all.
    public let enabled: Bool

    /// Creates a table.
    public init(enabled: Bool) {
        self.enabled = enabled
    }

    /// Sets (or with an empty rule, clears) the rule for a peer.
    public func set(_ rule: FaultRule, for peer: String) {
        rules.withLock { $0[peer] = rule.isEmpty ? nil : rule }
    }

    /// Clears every rule.
    public func clear() { rules.withLock { $0.removeAll() } }

    /// The rule for a peer.
    public func rule(for peer: NodeID?) -> FaultRule {
        guard enabled else { return FaultRule() }
        return rules.withLock { r in (peer.flatMap { r[$0.name] }) ?? r["*"] ?? FaultRule() }
    }

    /// Whether no rule is in force (every frame may go straight out).
    public var isQuiet: Bool { !enabled || rules.withLock { $0.isEmpty } }

    /// All rules.
    public var all: [String: FaultRule] { rules.withLock { $0 } }

    func countDrop() { counters.withLock { $0.dropped += 1 } }
    func countDelay() { counters.withLock { $0.delayed += 1 } }

    /// Frames dropped and delayed by rules.
    public var stats: (dropped: UInt64, delayed: UInt64) { counters.withLock { $0 } }
}
