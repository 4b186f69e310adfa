import IncidentCore

/// The shape of one simulated run: cluster size, workload, network, faults, node settings.
public struct ClusterSimulationConfiguration: Sendable {
    /// Nodes in the cluster.
    public var nodeCount = 3
    /// Alerts the workload sends.
    public var alertCount = 100
    /// Distinct dedup keys.
    public var keyCount = 10
    /// The workload's alerts are spread over this long (virtual ms), starting at 100 ms.
    public var workloadMillis: Int64 = 4000
    /// Share of alerts that go to key 0 (an alert storm on one key).
    public var hotKeyShare = 0.0
    /// Share of alerts that are source acknowledgements rather than triggers.
    public var acknowledgeShare = 0.05
    /// Share of keys whose alerts are SEV-1 (their incidents open a war room: one more event).
    public var majorKeyShare = 0.2
    /// The network without faults.
    public var network = SimNetworkConfiguration()
    /// The faults.
    public var faults: SimFaultPlan = .random(count: 1...4)
    /// After the heal, the run ends when the cluster is quiescent or after this long.
    public var healTimeoutMillis: Int64 = 60_000
    /// Node settings (timing, deliberate bugs).
    public var node = SimNodeConfiguration()
    /// Whether events and records go through their binary codecs on every send.
    public var wireCoding = true
    /// Whether a key may count at most the triggers *sent* (exactly-once counting). When false,
    /// the bound is the number of times nodes *took* them: a forwarded alert whose owner's answer
    /// was lost or late is taken again by the receiving node (the real node does this on purpose:
    /// alerts are never refused), so it can count twice.
    public var strictAlertCounts = false

    /// The defaults above.
    public init() {}

    /// A configuration drawn from `seed` (sizes small enough for a thousand runs in CI): 3–5
    /// nodes, 50–300 alerts over 5–40 keys in 2–6 s, a random network, 1–4 random faults.
    public static func randomized(seed: UInt64) -> ClusterSimulationConfiguration {
        var random = SeededRandom(seed: seed ^ 0x5EED_C0F1_6000_0001)
        var c = ClusterSimulationConfiguration()
        c.nodeCount = Int(random.int(in: 3...5))
        c.alertCount = Int(random.int(in: 50...300))
        c.keyCount = Int(random.int(in: 5...40))
        c.workloadMillis = random.int(in: 2000...6000)
        c.hotKeyShare = random.chance(0.3) ? Double(random.int(in: 20...80)) / 100 : 0
        c.network.delayMaxMillis = random.int(in: 2...30)
        c.network.lossRate = Double(random.int(in: 0...10)) / 100
        c.network.duplicateRate = Double(random.int(in: 0...3)) / 100
        c.network.slowChance = Double(random.int(in: 0...5)) / 100
        c.faults = .random(count: 1...4)
        return c
    }

    /// One line for reports.
    public var summary: String {
        "\(nodeCount) nodes, \(alertCount) alerts over \(keyCount) keys in \(workloadMillis) ms (hot \(Int(hotKeyShare * 100))%), "
            + "loss \(Int(network.lossRate * 100))%, dup \(Int(network.duplicateRate * 100))%, "
            + "delay \(network.delayMinMillis)-\(network.delayMaxMillis) ms (slow \(Int(network.slowChance * 100))%)"
            + (node.bugs.isEmpty ? "" : ", bugs \(node.bugs.map(\.rawValue).sorted())")
    }
}

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
