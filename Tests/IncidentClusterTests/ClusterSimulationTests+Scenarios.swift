import IncidentCluster
import IncidentCore
import IncidentSimulation
import Testing

// MARK: - Focused scenarios, and deliberately broken nodes the checkers must catch

extension ClusterSimulationTests {
    /// A configuration with explicit faults and no random ones.
    static func scenario(
        nodes: Int, alerts: Int, keys: Int, workloadMillis: Int64, faults: [SimScheduledFault],
        _ adjust: (inout ClusterSimulationConfiguration) -> Void = { _ in }
    ) -> ClusterSimulationConfiguration {
        var c = ClusterSimulationConfiguration()
        c.nodeCount = nodes
        c.alertCount = alerts
        c.keyCount = keys
        c.workloadMillis = workloadMillis
        c.faults = .explicit(faults)
        adjust(&c)
        return c
    }

    /// The index of the node that owns `key` when every node is alive.
    static func owner(of key: String, nodes: Int) -> Int {
        let ids = (0..<nodes).map { NodeID("node\($0)") }
        let o = Rendezvous.owner(of: key, among: ids)!
        return ids.firstIndex(of: o)!
    }

    /// Runs `configuration` for a few seeds, each checked like the sweep; returns the simulators.
    static func runScenario(_ configuration: ClusterSimulationConfiguration, seeds: ClosedRange<UInt64>) -> [ClusterSimulator] {
        seeds.map { seed in expectPasses(seed: seed, configuration).1 }
    }

    // MARK: - Scenarios

    @Test("the owner of a storming key crashes mid-storm")
    func ownerCrashDuringStorm() {
        let owner = Self.owner(of: "key-0", nodes: 3)
        let c = Self.scenario(nodes: 3, alerts: 300, keys: 5, workloadMillis: 3000, faults: [
            SimScheduledFault(at: 800, .crash(node: owner, downMillis: 2500))
        ]) { $0.hotKeyShare = 0.9 }
        for sim in Self.runScenario(c, seeds: 1...6) {
            let storm = sim.nodes[0].records.values.filter { $0.incident.dedupKey == "key-0" }
            #expect(storm.filter(\.incident.isOpen).count == 1, "seed=\(sim.seed): one open incident for the storming key")
            #expect(sim.outcomes.contains { $0.ingestions > 0 }, "seed=\(sim.seed)")
        }
    }

    @Test("a partition with writes on both sides, then heal: duplicates are merged")
    func partitionWithWritesOnBothSides() {
        let c = Self.scenario(nodes: 5, alerts: 200, keys: 8, workloadMillis: 4000, faults: [
            SimScheduledFault(at: 500, .partition(side: [0, 1], millis: 3500))
        ])
        let sims = Self.runScenario(c, seeds: 1...6)
        let merged = sims.filter { sim in sim.nodes[0].records.values.contains { $0.incident.mergedInto != nil } }
        #expect(!merged.isEmpty, "no seed opened duplicates on both sides of the partition: the scenario tests nothing")
    }

    @Test("two regions take the same keys at once: each opens its own incidents, the owners merge them to one per key")
    func twoRegionsOpenDuplicatesThatMerge() {
        let c = Self.scenario(nodes: 4, alerts: 200, keys: 8, workloadMillis: 3000, faults: []) {
            $0.regionCount = 2
            $0.network.delayMinMillis = 20  // the regions are far apart: neither sees the other's opening in time
            $0.network.delayMaxMillis = 40
        }
        let sims = Self.runScenario(c, seeds: 1...6)
        for sim in sims {
            let open = sim.nodes[0].records.values.filter(\.incident.isOpen)
            #expect(Set(open.map(\.incident.dedupKey)).count == open.count, "seed=\(sim.seed): one open incident per key")
        }
        let merged = sims.filter { sim in sim.nodes[0].records.values.contains { $0.incident.mergedInto != nil } }
        #expect(!merged.isEmpty, "no seed opened an incident in both regions: the scenario tests nothing")
    }

    @Test("a wiped node rejoins empty and catches up")
    func wipedNodeCatchesUp() {
        let c = Self.scenario(nodes: 3, alerts: 150, keys: 10, workloadMillis: 4000, faults: [
            SimScheduledFault(at: 1500, .wipe(node: 1, downMillis: 1000))
        ])
        for sim in Self.runScenario(c, seeds: 1...6) {
            #expect(sim.wipes.count == 1, "seed=\(sim.seed)")
            #expect(sim.nodes[1].records.count == sim.nodes[0].records.count, "seed=\(sim.seed): node1 caught up")
            #expect(sim.nodes[1].log.durableCount > 0, "seed=\(sim.seed)")
        }
    }

    @Test("under a steady storm without faults, answers reach the write quorum")
    func steadyStormReachesQuorum() {
        // Anti-entropy never sees equal digests while writes keep coming: the quorum must come
        // from acknowledged pushes alone (a peer's gap covers only what was not pushed to it).
        let c = Self.scenario(nodes: 3, alerts: 300, keys: 1, workloadMillis: 5000, faults: []) {
            $0.network.lossRate = 0
            $0.network.duplicateRate = 0
            $0.network.slowChance = 0
        }
        for sim in Self.runScenario(c, seeds: 0...7) {
            // Triggers (resolves of a resolved incident write nothing, and answer replicas=1).
            let answered = sim.outcomes.indices.filter { sim.alerts[$0].isTrigger }.compactMap { sim.outcomes[$0].replicas }
            let replicated = answered.filter { $0 >= 2 }.count
            #expect(replicated * 100 >= answered.count * 98, "seed=\(sim.seed): \(replicated) of \(answered.count) triggers held by a quorum when answered")
        }
    }

    @Test("20% message loss for the whole run")
    func heavyLoss() {
        let c = Self.scenario(nodes: 4, alerts: 200, keys: 12, workloadMillis: 4000, faults: []) { $0.network.lossRate = 0.2 }
        _ = Self.runScenario(c, seeds: 1...6)
    }

    @Test("wall clocks jump forwards and backwards")
    func clockJumps() {
        let c = Self.scenario(nodes: 3, alerts: 150, keys: 10, workloadMillis: 4000, faults: [
            SimScheduledFault(at: 1000, .clockJump(node: 0, millis: 8000)),
            SimScheduledFault(at: 1500, .clockJump(node: 1, millis: -8000)),
        ])
        _ = Self.runScenario(c, seeds: 1...6)
    }

    // MARK: - The checkers can fail

    /// The conditions under which each deliberate defect shows most. The four defects the
    /// simulator found in the node (fixed in 9fef134): crashes on a slow disk (events pushed before
    /// the local fsync are lost by their origin), a slow disk alone (digest summaries of
    /// non-durable state), one node down for 3 s in three (fresh push peers without a gap), a
    /// wiped owner that re-learns its storming incident from a stale peer (repeat counters). Acks
    /// of incomplete batches: a node wiped and back before it is declared dead, write quorum 3.
    static func bugConditions(_ bug: SimBug, seed: UInt64) -> ClusterSimulationConfiguration {
        var c = ClusterSimulationConfiguration.randomized(seed: seed)
        switch bug {
        case .noAntiEntropy, .ackBeforeDurable:
            break
        case .ackIncompleteBatches:
            // A storm on one key; a node that is not its owner loses its disk and is back 5 ms
            // later, long before membership declares it dead, so the owner keeps its push entry,
            // confirmed in sync by anti-entropy before (no gap). The owner's next push is of an
            // incident the wiped node no longer holds: acknowledged at once (it only asks for the
            // record), it counts as the third replica a write quorum of 3 waits for. A fast network
            // and disk: a push in flight when the node went would hold its acked LSN back until
            // the resend, by which time it holds the records; and they leave the storm quiet
            // moments for anti-entropy to confirm the peers in sync before the wipe.
            let peer = (0..<3).first { $0 != owner(of: "key-0", nodes: 3) }!
            c = scenario(nodes: 3, alerts: 120, keys: 1, workloadMillis: 3000, faults: [
                SimScheduledFault(at: 2300, .wipe(node: peer, downMillis: 5))
            ]) {
                $0.node.writeQuorum = 3
                fastLinks(&$0)
            }
        case .noDuplicateMerge:
            c = scenario(nodes: 5, alerts: 120, keys: 6, workloadMillis: 3000, faults: [
                SimScheduledFault(at: 300, .partition(side: [0, 1], millis: 2500))
            ])
            c.healTimeoutMillis = 5000
        case .pushBeforeDurable:
            c.nodeCount = 3
            c.keyCount = 40
            c.fsyncMillis = 20...80
            c.slowFsyncChance = 0
            c.network.delayMaxMillis = 2
            c.network.lossRate = 0
            c.network.slowChance = 0
            c.faults = .explicit(
                (1...4).map { k in
                    SimScheduledFault(at: Int64(k) * 900 + Int64(seed % 7) * 37, .crash(node: Int((seed + UInt64(k)) % 3), downMillis: 400))
                })
        case .summariesBeforeDurable:
            c.fsyncMillis = 20...80
            c.slowFsyncChance = 0.2
            c.slowFsyncMillis = 80...200
            c.faults = .none
        case .freshPeersWithoutGap:
            c.nodeCount = 3
            c.faults = .explicit([SimScheduledFault(at: 1000, .crash(node: Int(seed % 3), downMillis: 3000))])
        case .authorPerNode:
            // One storming key. A third node crashes early and keeps the owner's first repeat
            // counts only; the owner loses its disk and, while the node that holds its latest
            // counts is down in turn, re-learns the incident from the stale one and counts on
            // from there under its old origin; once all are back, the grow-only merge (max per
            // origin and window) swallows what it counted twice: an undercount (each swallowed
            // alert still looks held, as a higher count of its counter is). Nodes down, not cut
            // off: a cut-off node takes alerts alone (answered with replicas=1: counted, not
            // owed), which hid the swallowed ones. A fast network and disk leave the storm quiet
            // moments for anti-entropy to confirm the owner's peers in sync (push peers start
            // with a gap), so that its answers report replicas=2 and are owed.
            let o = owner(of: "key-0", nodes: 3)
            let others = (0..<3).filter { $0 != o }
            c = scenario(nodes: 3, alerts: 140, keys: 1, workloadMillis: 7000, faults: [
                SimScheduledFault(at: 300, .crash(node: others[1], downMillis: 2400)),
                SimScheduledFault(at: 2500, .wipe(node: o, downMillis: 300)),
                SimScheduledFault(at: 2600, .crash(node: others[0], downMillis: 4000)),
            ]) { fastLinks(&$0) }
        }
        return c
    }

    /// A network of 1–2 ms without loss, duplicates or slow packets, and a disk that syncs in 1–2 ms.
    static func fastLinks(_ c: inout ClusterSimulationConfiguration) {
        c.network.delayMaxMillis = 2
        c.network.lossRate = 0
        c.network.duplicateRate = 0
        c.network.slowChance = 0
        c.fsyncMillis = 1...2
        c.slowFsyncChance = 0
    }

    /// Seeds are tried until one shows a violation of an expected kind; the same seed and
    /// conditions must pass with the node as it is (so the violation is the defect's doing).
    @Test(
        "a deliberately broken node is caught",
        arguments: [
            (SimBug.noAntiEntropy, [SimViolation.Kind.divergence, .lostAlert, .notQuiescent]),
            (.ackBeforeDurable, [.overstatedReplicas, .lostAlert, .undercount]),
            (.noDuplicateMerge, [.openIncidents, .notQuiescent]),
            (.ackIncompleteBatches, [.overstatedReplicas]),
            (.pushBeforeDurable, SimViolation.Kind.allCases),
            (.summariesBeforeDurable, SimViolation.Kind.allCases),
            (.freshPeersWithoutGap, SimViolation.Kind.allCases),
            (.authorPerNode, SimViolation.Kind.allCases),
        ])
    func brokenNodeIsCaught(bug: SimBug, expected: [SimViolation.Kind]) async {
        await offPool {
            var caught: (UInt64, SimulationReport)?
            for seed: UInt64 in 0..<60 {
                var c = Self.bugConditions(bug, seed: seed)
                c.node.bugs = [bug]
                var sim = ClusterSimulator(seed: seed, configuration: c)
                let report = sim.run()
                if report.violations.contains(where: { expected.contains($0.kind) }) {
                    caught = (seed, report)
                    break
                }
            }
            #expect(caught != nil, "no seed in 0..<60 exposed \(bug): the checkers would miss it")
            guard let (seed, report) = caught else { return }
            print("\(bug) caught: seed=\(seed) \(Self.kinds(report)) e.g. \(report.violations.first!)")
            Self.expectPasses(seed: seed, Self.bugConditions(bug, seed: seed))
        }
    }

    @Test("a re-used event id does not make the fold depend on arrival order")
    func reusedEventIDFoldsInAnyOrder() {
        // What authoring per data directory also prevents (`SimBug.authorPerNode`): a wiped node restarts its sequence, so one
        // incident can receive two different events with the same id (different clock readings).
        // `IncidentRecord.apply` takes an event as held already only when the same id *and* clock
        // reading are at its place, so both copies fold to the same record in either order.
        let opening = Alert(title: "disk full", dedupKey: "k", source: "sim")
        let triage = Triage.assess(opening, criticality: .medium, classifier: LearnedClassifier())
        let at = Timestamp(unixMillis: 1_800_000_000_000)
        let rid = IncidentID(year: 2027, counter: 1, tag: "ABC")
        let open = IncidentEvent(
            id: EventID(origin: NodeID("node0"), seq: 1), hlc: HLCTimestamp(wallMillis: UInt64(at.unixMillis), logical: 0),
            incident: rid, actor: "integration:sim", body: .opened(IncidentOpening(alert: opening, triage: triage, receivedAt: at)))
        func note(_ text: String, ms: Int64) -> IncidentEvent {
            IncidentEvent(
                id: EventID(origin: NodeID("node1"), seq: 5), hlc: HLCTimestamp(wallMillis: UInt64(at.unixMillis + ms), logical: 0),
                incident: rid, actor: "node:node1", body: .note(text))
        }
        let before = note("from the node's previous life", ms: 200)
        let after = note("after its disk was replaced", ms: 100)
        var a = IncidentRecord(opening: open)
        a.apply(before)
        a.apply(after)
        var b = IncidentRecord(opening: open)
        b.apply(after)
        b.apply(before)
        #expect(a.digest == b.digest, "the same two events fold to different records depending on arrival order")
        #expect(a.eventCount == 3 && b.eventCount == 3, "both notes are kept: \(a.eventCount), \(b.eventCount)")
        #expect(a.merge(b).isEmpty)
        // The same event arriving again is still held once.
        #expect(!a.apply(after) && !a.apply(before))
    }

    @Test("a forwarded alert whose answer is lost is taken twice (at-least-once)")
    func forwardRetakeCountsTwice() {
        // Not a promise of SPEC §7, but worth knowing: alerts are never refused, so when the
        // owner's answer is lost or later than the forward timeout, the receiving node takes the
        // alert too, and the key counts it twice. `strictAlertCounts` (off by default) bounds each
        // key's count by the triggers *sent* and shows it; by default the bound is the triggers
        // *taken*, and the same run passes.
        var witness: (UInt64, SimulationReport)?
        for seed: UInt64 in 0..<20 where witness == nil {
            let r = Self.run(seed: seed) { $0.strictAlertCounts = true }
            if r.violations.contains(where: { $0.kind == .overcount }) { witness = (seed, r) }
        }
        #expect(witness != nil, "no seed in 0..<20 took a forwarded alert twice")
        guard let (seed, strict) = witness else { return }
        #expect(strict.violations.allSatisfy { $0.kind == .overcount }, "\(strict)")
        print("at-least-once forwarding: seed=\(seed) e.g. \(strict.violations[0])")
        #expect(!ClusterSimulationConfiguration().strictAlertCounts, "exactly-once counting is not a promise")
        Self.expectPasses(seed: seed, .randomized(seed: seed))
    }
}
