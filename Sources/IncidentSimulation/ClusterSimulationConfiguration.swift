import IncidentCore

/// The shape of one simulated run: cluster size, workload, network, faults, node settings.
public struct ClusterSimulationConfiguration: Sendable {
    /// Nodes in the cluster.
    public var nodeCount = 3
    /// Regions the nodes are spread over (node i in region `i % regionCount`): alerts are decided
    /// within the region they arrive in, so with more than one region the same key can open an
    /// incident in each, which its owner must merge (`Rendezvous.deciders`).
    public var regionCount = 1
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
    /// How long an fsync takes, in milliseconds (group commit: appends during one wait for the next).
    public var fsyncMillis: ClosedRange<Int64> = 1...8
    /// Chance that an fsync is slow (a busy disk), and how long a slow one takes.
    public var slowFsyncChance = 0.1
    /// How long a slow fsync takes, in milliseconds.
    public var slowFsyncMillis: ClosedRange<Int64> = 10...60
    /// The faults.
    public var faults: SimFaultPlan = .random(count: 1...4)
    /// After the heal, the run ends when the cluster is quiescent or after this long.
    public var healTimeoutMillis: Int64 = 60_000
    /// Node settings (timing, deliberate bugs).
    public var node = SimNodeConfiguration()
    /// Whether events and records go through their binary codecs on every send.
    public var wireCoding = true
    /// Whether a key may count at most the triggers *sent* (exactly-once counting). When false,
    /// the bound is the number of times nodes *took* them: a forwarded alert whose deciding node's answer
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
        c.regionCount = random.chance(0.25) ? 2 : 1
        return c
    }

    /// One line for reports.
    public var summary: String {
        "\(nodeCount) nodes, \(alertCount) alerts over \(keyCount) keys in \(workloadMillis) ms (hot \(Int(hotKeyShare * 100))%), "
            + "loss \(Int(network.lossRate * 100))%, dup \(Int(network.duplicateRate * 100))%, "
            + "delay \(network.delayMinMillis)-\(network.delayMaxMillis) ms (slow \(Int(network.slowChance * 100))%)"
            + (regionCount > 1 ? ", \(regionCount) regions" : "")
            + (node.bugs.isEmpty ? "" : ", bugs \(node.bugs.map(\.rawValue).sorted())")
    }
}
