import IncidentCore

/// A deterministic simulation of escalation across a cluster: nodes holding replicas of incidents,
/// each running the real `EscalationTimers` and `EscalationPlanner` on its own copy, owners chosen
/// by an injected rendezvous over the members each node believes alive, pushes with seeded delays,
/// anti-entropy merges, crashes (with restart and warm-up) and partitions.
///
/// It checks the promises of SPEC §7.6 for escalation: every due step fires, no step is in the log
/// twice (the deterministic step events of two owners dedup), all copies converge, and each step
/// fires within the failover bound of its due time.
public struct EscalationSimulation {
    /// What to simulate.
    public struct Configuration: Sendable {
        /// Seed of every random choice.
        public var seed: UInt64
        /// Cluster size.
        public var nodes = 3
        /// Incidents opened (in the first half of the run).
        public var incidents = 30
        /// Faulty part of the run, ms; a quiet settle follows.
        public var durationMillis: Int64 = 40_000
        /// Crash and restart nodes.
        public var crashes = true
        /// Partition the cluster (one node cut off) now and then.
        public var partitions = false
        /// A node is believed dead this long after it was last reachable.
        public var detectionMillis: Int64 = 1500
        /// A restarted node fires nothing for this long.
        public var warmupMillis: Int64 = 3000
        /// Anti-entropy period.
        public var antiEntropyMillis: Int64 = 500
        /// Push delay upper bound.
        public var maxDelayMillis: Int64 = 50
        /// Supervisor tick.
        public var tickMillis: Int64 = 10
        /// The policy's acknowledgement timeout (nil: none).
        public var ackTimeoutMillis: Int64? = 4000
        /// A bug to catch: step events stamped with the fire time instead of the due time, so two
        /// owners write different events for one step.
        public var stampFireTime = false
        /// Record faults and fires in `Report.trace`.
        public var trace = false
        /// Who owns a dedup key among members (the node uses rendezvous hashing).
        public var ownerOf: @Sendable (String, [NodeID]) -> NodeID?

        /// A configuration for `seed`.
        public init(seed: UInt64, ownerOf: @escaping @Sendable (String, [NodeID]) -> NodeID?) {
            self.seed = seed
            self.ownerOf = ownerOf
        }
    }

    /// What happened.
    public struct Report: Sendable {
        /// Broken promises (empty: all held).
        public var failures: [String] = []
        /// Steps fired (first time each).
        public var stepsFired = 0
        /// Fires that found their step already written by another owner (deduplicated).
        public var duplicateFires = 0
        /// Worst fire lateness, ms.
        public var maxLatenessMillis: Int64 = 0
        /// Overdue alarms raised.
        public var overdueAlarms = 0
        /// Crashes and partitions injected.
        public var faults = 0
        /// What happened, when the configuration asks for a trace.
        public var trace: [String] = []
    }

    private struct Node {
        var id: NodeID
        var up = true
        var startedAt: Int64 = 0
        var records: [IncidentID: IncidentRecord] = [:]
        var timers: EscalationTimers
        var changed: Set<IncidentID> = []
        var seq: UInt64 = 0
    }

    private struct Message {
        var at: Int64
        var from: Int
        var to: Int
        var events: [IncidentEvent]
    }

    private let c: Configuration
    private var rng: SeededRandom
    private var nodes: [Node] = []
    private var inFlight: [Message] = []
    private var now: Int64 = 0
    private var lastHeard: [[Int64]]
    private var isolated: Int?
    private var firstFire: [IncidentID: [UInt32: Int64]] = [:]
    private var report = Report()
    private let catalog: OnCallCatalog
    private let policy: EscalationPolicy
    private let responseTarget: Duration = .seconds(3600)
    private let base = Timestamp(unixSeconds: 1_772_442_000)

    /// Runs one simulation.
    public static func run(_ c: Configuration) -> Report {
        var s = EscalationSimulation(c)
        return s.execute()
    }

    private init(_ c: Configuration) {
        self.c = c
        rng = SeededRandom(seed: c.seed)
        lastHeard = Array(repeating: Array(repeating: 0, count: c.nodes), count: c.nodes)
        policy = EscalationPolicy(
            name: "sim",
            levels: [
                .init(delay: .milliseconds(1000), targets: [.person("alice")]),
                .init(delay: .milliseconds(2000), targets: [.person("bob")]),
                .init(delay: .milliseconds(1500), targets: [.person("carol")]),
            ], repeats: 1, ackTimeout: c.ackTimeoutMillis.map { .milliseconds($0) }, managers: ["dana"])
        var cat = OnCallCatalog()
        for p in ["alice", "bob", "carol", "dana"] { cat.set(Person(name: p)) }
        cat.set(policy)
        cat.set(ServiceDefinition(name: "svc", policy: "sim"))
        catalog = cat
        for k in 0..<c.nodes {
            let id = NodeID("n\(k)")
            nodes.append(Node(id: id, timers: EscalationTimers(node: id, overdueAfter: .seconds(30), ownerOf: c.ownerOf)))
        }
    }

    private var time: Timestamp { base + .milliseconds(now) }

    private mutating func execute() -> Report {
        // Plan the workload: openings in the first half, acknowledgements of some of them later.
        var openings: [(Int64, Int)] = (0..<c.incidents).map { (Int64(rng.next() % UInt64(c.durationMillis / 2)), $0) }
        openings.sort { $0.0 < $1.0 }
        var acks: [(Int64, Int)] = []
        for (at, i) in openings where rng.next() % 3 == 0 {
            acks.append((at + 500 + Int64(rng.next() % 8000), i))
        }
        acks.sort { $0.0 < $1.0 }
        var nextFault: Int64 = 3000 + Int64(rng.next() % 3000)
        var restartAt: [Int: Int64] = [:]
        var healAt: Int64?
        var nextAE: Int64 = c.antiEntropyMillis
        let end = c.durationMillis + 40_000
        var ids: [Int: IncidentID] = [:]

        while now <= end {
            // Faults (only in the faulty part).
            // One fault at a time: the next only once everyone is back and past warm-up and detection.
            let quiet = restartAt.isEmpty && isolated == nil && nodes.allSatisfy { now >= $0.startedAt + c.warmupMillis + c.detectionMillis }
            if now >= nextFault && now < c.durationMillis && quiet {
                report.faults += 1
                let victim = Int(rng.next() % UInt64(c.nodes))
                if c.crashes && (!c.partitions || rng.next() % 2 == 0) {
                    if nodes[victim].up && nodes.filter(\.up).count > 1 {
                        nodes[victim].up = false
                        restartAt[victim] = now + 2000 + Int64(rng.next() % 6000)
                        note("crash n\(victim) until \(restartAt[victim]!)")
                    }
                } else if c.partitions && isolated == nil {
                    isolated = victim
                    healAt = now + 2000 + Int64(rng.next() % 6000)
                    note("isolate n\(victim) until \(healAt!)")
                }
                nextFault = now + 4000 + Int64(rng.next() % 6000)
            }
            for (k, at) in restartAt where at <= now {
                restartAt[k] = nil
                restart(k)
            }
            if let h = healAt, h <= now {
                isolated = nil
                healAt = nil
            }
            // Who hears whom.
            for j in 0..<c.nodes where nodes[j].up {
                for k in 0..<c.nodes where nodes[k].up && reachable(j, k) { lastHeard[j][k] = now }
            }
            // Workload.
            while let (at, i) = openings.first, at <= now {
                openings.removeFirst()
                if let k = randomUpNode() { ids[i] = open(i, on: k) }
            }
            while let (at, i) = acks.first, at <= now {
                acks.removeFirst()
                if let id = ids[i], let k = randomUpNode() { acknowledge(id, on: k) }
            }
            deliver()
            if now >= nextAE {
                antiEntropy()
                nextAE = now + c.antiEntropyMillis
            }
            for k in 0..<c.nodes where nodes[k].up { tick(k) }
            now += c.tickMillis
        }
        check()
        return report
    }

    private mutating func note(_ line: @autoclosure () -> String) {
        if c.trace { report.trace.append("\(now) \(line())") }
    }

    // MARK: - Nodes

    private func reachable(_ j: Int, _ k: Int) -> Bool {
        guard let iso = isolated else { return true }
        return j == k || (j != iso && k != iso)
    }

    private mutating func randomUpNode() -> Int? {
        let up = nodes.indices.filter { nodes[$0].up }
        guard !up.isEmpty else { return nil }
        return up[Int(rng.next() % UInt64(up.count))]
    }

    private func believedAlive(by j: Int) -> [NodeID] {
        nodes.indices.filter { k in k == j || now - lastHeard[j][k] < c.detectionMillis }.map { nodes[$0].id }
    }

    private mutating func restart(_ k: Int) {
        note("restart n\(k)")
        nodes[k].up = true
        nodes[k].startedAt = now
        nodes[k].timers = EscalationTimers(node: nodes[k].id, overdueAfter: .seconds(30), ownerOf: c.ownerOf)
        nodes[k].changed = Set(nodes[k].records.keys)
        for j in 0..<c.nodes { lastHeard[j][k] = now }
    }

    private mutating func open(_ i: Int, on k: Int) -> IncidentID {
        nodes[k].seq += 1
        let id = IncidentID(year: 2026, counter: UInt64(i + 1), tag: "SIM")
        var alert = Alert(title: "incident \(i)", service: "svc")
        alert.dedupKey = "key-\(i)"
        let triage = Triage(
            category: .application, categorySource: .keywords, impact: 4, urgency: 6, severity: .sev2, severityExplicit: false,
            priority: .p3)
        let event = IncidentEvent(
            id: EventID(origin: nodes[k].id, seq: nodes[k].seq), hlc: HLCTimestamp(wallMillis: UInt64(time.unixMillis), logical: 0),
            incident: id, actor: "integration:sim", body: .opened(IncidentOpening(alert: alert, triage: triage, receivedAt: time)))
        writeWithQuorum(event, at: k)
        return id
    }

    private mutating func acknowledge(_ id: IncidentID, on k: Int) {
        guard let r = nodes[k].records[id], r.incident.status == .triggered else { return }
        nodes[k].seq += 1
        let event = IncidentEvent(
            id: EventID(origin: nodes[k].id, seq: nodes[k].seq),
            hlc: HLCTimestamp(wallMillis: UInt64(time.unixMillis), logical: 0),
            incident: id, actor: "alice", body: .acknowledged)
        writeWithQuorum(event, at: k)
    }

    /// A write the node answers only once a quorum of 2 holds it (alerts, acknowledgements): one
    /// more node has it at once, the rest get the push.
    private mutating func writeWithQuorum(_ event: IncidentEvent, at k: Int) {
        apply([event], at: k)
        if let other = nodes.indices.first(where: { $0 != k && nodes[$0].up && reachable(k, $0) }) { apply([event], at: other) }
        push([event], from: k)
    }

    /// Applies events to node k's copies; returns whether anything changed.
    @discardableResult
    private mutating func apply(_ events: [IncidentEvent], at k: Int) -> Bool {
        var any = false
        for e in events {
            if nodes[k].records[e.incident] == nil {
                guard case .opened = e.body else { continue }  // the record comes with anti-entropy
                nodes[k].records[e.incident] = IncidentRecord(opening: e)
                any = true
            } else if nodes[k].records[e.incident]!.apply(e) {
                any = true
            }
            nodes[k].changed.insert(e.incident)
        }
        return any
    }

    private mutating func push(_ events: [IncidentEvent], from k: Int) {
        for j in 0..<c.nodes where j != k {
            inFlight.append(Message(at: now + 1 + Int64(rng.next() % UInt64(c.maxDelayMillis)), from: k, to: j, events: events))
        }
    }

    private mutating func deliver() {
        var keep: [Message] = []
        for m in inFlight {
            if m.at > now {
                keep.append(m)
            } else if nodes[m.to].up && nodes[m.from].up && reachable(m.from, m.to) {
                apply(m.events, at: m.to)
            }
        }
        inFlight = keep
    }

    private mutating func antiEntropy() {
        for j in 0..<c.nodes where nodes[j].up {
            for k in (j + 1)..<max(j + 1, c.nodes) where nodes[k].up && reachable(j, k) {
                for (id, r) in nodes[j].records {
                    if var mine = nodes[k].records[id] {
                        if !mine.merge(r).isEmpty { nodes[k].records[id] = mine; nodes[k].changed.insert(id) }
                    } else {
                        nodes[k].records[id] = r
                        nodes[k].changed.insert(id)
                    }
                }
                for (id, r) in nodes[k].records {
                    if var mine = nodes[j].records[id] {
                        if !mine.merge(r).isEmpty { nodes[j].records[id] = mine; nodes[j].changed.insert(id) }
                    } else {
                        nodes[j].records[id] = r
                        nodes[j].changed.insert(id)
                    }
                }
            }
        }
    }

    /// One supervisor tick on node k: the node's `EscalationSupervisor.step` with the actor's fire.
    private mutating func tick(_ k: Int) {
        let catalog = self.catalog
        let target = responseTarget
        let plan = { (v: EscalationView) in
            EscalationPlanner.pending(v, policy: catalog.policy(forService: v.service), responseTarget: target)
        }
        for id in nodes[k].changed {
            guard let r = nodes[k].records[id] else { continue }
            let view = EscalationView(r.incident)
            nodes[k].timers.update(view, pending: plan(view))
        }
        nodes[k].changed.removeAll()
        nodes[k].timers.setOwners(believedAlive(by: k))
        guard now >= nodes[k].startedAt + (nodes[k].startedAt == 0 ? 0 : c.warmupMillis) else { return }
        for d in nodes[k].timers.due(now: time) {
            switch d {
            case .overdue:
                report.overdueAlarms += 1
            case .fire(let id, let expected):
                guard var r = nodes[k].records[id] else { continue }
                let view = EscalationView(r.incident)
                let policy = catalog.policy(forService: view.service)
                guard let p = EscalationPlanner.pending(view, policy: policy, responseTarget: responseTarget), p == expected, p.due <= time
                else { continue }
                let step = EscalationPlanner.step(p, view: view, policy: policy, channel: "log") { _, _ in nil }
                let event = step.event(incident: id, due: c.stampFireTime ? time : p.due, opened: r.openingEvent.hlc)
                guard r.apply(event) else { continue }
                nodes[k].records[id] = r
                nodes[k].changed.insert(id)
                if firstFire[id]?[p.number] == nil {
                    firstFire[id, default: [:]][p.number] = now
                    report.stepsFired += 1
                    report.maxLatenessMillis = max(report.maxLatenessMillis, (time - p.due).wholeMilliseconds)
                    let line = "n\(k) fires \(id) step \(p.number) \(p.kind) due \((p.due - base).wholeMilliseconds) late \((time - p.due).wholeMilliseconds)"
                    note(line)
                } else {
                    report.duplicateFires += 1
                }
                push([event], from: k)
            }
        }
    }

    // MARK: - Checks

    private mutating func check() {
        let up = nodes.indices.filter { nodes[$0].up }
        guard let first = up.first else {
            report.failures.append("no node up at the end")
            return
        }
        // A step waits at most for its dead owner's detection, or a restarted owner's warm-up, plus
        // the time for the step's inputs to arrive (a push, or anti-entropy) and a tick.
        let bound = max(c.detectionMillis, c.warmupMillis) + c.antiEntropyMillis + c.maxDelayMillis + 3 * c.tickMillis
        for (id, r) in nodes[first].records {
            for k in up where nodes[k].records[id]?.digest != r.digest {
                report.failures.append("\(id): n\(k) holds a different copy than n\(first)")
            }
            // One decision, one event: the same step (number, kind, level, pass) twice means two
            // owners wrote one decision differently.
            var seen: [String: IncidentEvent] = [:]
            for e in r.events {
                guard case .escalationStep(let step) = e.body else { continue }
                let decision = "\(step.number)/\(step.kind)/\(step.level)/\(step.pass)"
                if let other = seen[decision] {
                    report.failures.append("\(id): step \(decision) is in the log twice: \(other.id)@\(other.hlc) and \(e.id)@\(e.hlc)")
                }
                seen[decision] = e
            }
            let view = EscalationView(r.incident)
            if let p = EscalationPlanner.pending(view, policy: policy, responseTarget: responseTarget), p.due + .milliseconds(bound) < time {
                report.failures.append("\(id): step \(p.number) due \(p.due) never fired (now \(time))")
            }
        }
        if report.maxLatenessMillis > bound {
            report.failures.append("a step fired \(report.maxLatenessMillis) ms late; the failover bound is \(bound) ms")
        }
        if report.overdueAlarms > 0 { report.failures.append("\(report.overdueAlarms) overdue alarms") }
    }
}
