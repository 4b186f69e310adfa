import IncidentCore

/// A broken promise found by a checker.
public struct SimViolation: Sendable, CustomStringConvertible {
    /// Which promise.
    public enum Kind: String, Sendable, CaseIterable {
        /// An acknowledged alert is missing on some node after the heal.
        case lostAlert
        /// A key counts fewer alerts than were acknowledged.
        case undercount
        /// A key counts more alerts than were sent.
        case overcount
        /// Live nodes hold different state after the heal.
        case divergence
        /// A key has no or several open incidents after the heal.
        case openIncidents
        /// Nodes disagree on members or owners after the heal.
        case ownership
        /// An answer reported more durable replicas than held the write.
        case overstatedReplicas
        /// The cluster did not become quiescent in time.
        case notQuiescent
        /// A node-internal invariant broke (clock order, recovery, id reuse).
        case invariant
    }

    /// Which promise.
    public var kind: Kind
    /// Virtual time it was detected.
    public var at: Int64
    /// What exactly.
    public var message: String

    /// Creates a violation.
    public init(_ kind: Kind, at: Int64, _ message: String) {
        self.kind = kind
        self.at = at
        self.message = message
    }

    public var description: String { "[\(kind.rawValue)] t=\(at)ms \(message)" }
}

/// What happened to one workload alert.
public struct SimAlertOutcome: Sendable {
    /// The node the client sent it to (nil: no node was up).
    public var sentTo: Int?
    /// When it was sent.
    public var sentAt: Int64 = 0
    /// The `replicas` of the answer (nil: never answered — the node crashed first).
    public var replicas: Int?
    /// When it was answered.
    public var answeredAt: Int64?
    /// What taking it did.
    public var fact: SimAlertFact?
    /// How many times a node took it: more than once when a forwarded alert's owner took it but
    /// its answer was lost or late, so the receiving node took it too.
    public var ingestions = 0
}

/// The result of one run.
public struct SimulationReport: Sendable, CustomStringConvertible {
    /// The seed.
    public var seed: UInt64
    /// The run's shape.
    public var configuration: String
    /// The fault schedule.
    public var faults: [SimScheduledFault]
    /// Every violation found (empty: the run passed).
    public var violations: [SimViolation]
    /// Virtual time when the heal started and when the run ended.
    public var healAt: Int64
    /// Virtual time at the end.
    public var endedAt: Int64
    /// When the cluster became quiescent after the heal (nil: never).
    public var quiescentAt: Int64?
    /// Alerts sent, answered, and answered with two or more replicas.
    public var alertsSent = 0
    /// Alerts answered.
    public var alertsAnswered = 0
    /// Alerts answered with `replicas >= 2`.
    public var alertsReplicated = 0
    /// Messages sent / dropped / duplicated by the network.
    public var messages = (sent: 0, dropped: 0, duplicated: 0)
    /// Simulator steps run.
    public var steps = 0
    /// Hash of every step (time, kind, node): equal for two runs of one seed.
    public var traceHash: UInt64 = 0

    /// Whether no checker found anything.
    public var passed: Bool { violations.isEmpty }

    public var description: String {
        var lines = ["seed=\(seed) \(passed ? "passed" : "FAILED with \(violations.count) violation(s)")", "  run: \(configuration)"]
        lines.append("  faults: " + (faults.isEmpty ? "none" : faults.map(\.description).joined(separator: "; ")))
        lines.append(
            "  heal at \(healAt) ms, quiescent at \(quiescentAt.map { "\($0) ms" } ?? "never"), ended at \(endedAt) ms; "
                + "alerts sent \(alertsSent), answered \(alertsAnswered), replicas>=2 \(alertsReplicated); "
                + "messages \(messages.sent) (dropped \(messages.dropped), duplicated \(messages.duplicated)); steps \(steps)")
        for v in violations.prefix(20) { lines.append("  seed=\(seed) \(v)") }
        if violations.count > 20 { lines.append("  … \(violations.count - 20) more") }
        return lines.joined(separator: "\n")
    }
}
