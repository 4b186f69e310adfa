import IncidentCluster
import IncidentCore

/// A deterministic, single-threaded, virtual-time simulation of an N-node Aether cluster
/// (FoundationDB's simulation testing, TigerBeetle's VOPR).
///
/// One loop pops the earliest scheduled step — a message arriving, a node timer, an fsync
/// completing, a client alert, a fault starting or ending — and runs it; nodes answer with
/// `SimEffect`s, which schedule more steps. All randomness comes from one `SeededRandom`, so a
/// seed replays exactly. A run: start the nodes, send the workload while the fault schedule runs,
/// then heal (faults stop, crashed nodes restart, the network calms) and run until the cluster is
/// quiescent, then run the checkers (`SimulationCheckers`).
public struct ClusterSimulator {
    /// A scheduled step.
    enum Step {
        case start(node: Int)
        case deliver(to: Int, life: Int, from: Int, fromLife: Int, SimMessage)
        case timer(node: Int, life: Int, SimTimer)
        case fsyncDone(node: Int, life: Int)
        case client(alert: Int)
        case faultStart(Int)
        case faultEnd(Int)
        case heal
        case check
    }

    /// The seed.
    public let seed: UInt64
    /// The run's shape.
    public let configuration: ClusterSimulationConfiguration
    /// The nodes.
    public internal(set) var nodes: [SimNode] = []
    /// The workload.
    public internal(set) var alerts: [SimAlert] = []
    /// What happened to each alert.
    public internal(set) var outcomes: [SimAlertOutcome] = []
    /// The fault schedule.
    public let faults: [SimScheduledFault]
    /// Virtual times of wipes (promise 4 covers one lost disk).
    public internal(set) var wipes: [Int64] = []
    /// Violations found so far.
    public internal(set) var violations: [SimViolation] = []
    /// When faults stop.
    public let healAt: Int64

    var random: SeededRandom
    var clock = SimClock<Step>()
    var network: SimNetwork
    var nodeIndex: [NodeID: Int] = [:]
    var addressIndex: [String: Int] = [:]
    var healed = false
    var quiescentAt: Int64?
    var steps = 0
    var traceHash: UInt64 = 0xcbf2_9ce4_8422_2325
    /// What the nodes reported, when `configuration.node.trace` is on.
    public internal(set) var traceLines: [String] = []

    /// Prepares a run: nodes, workload and fault schedule, all drawn from `seed`.
    public init(seed: UInt64, configuration: ClusterSimulationConfiguration) {
        self.seed = seed
        self.configuration = configuration
        var random = SeededRandom(seed: seed)
        network = SimNetwork(configuration: configuration.network)
        let n = configuration.nodeCount
        let addresses = (0..<n).map { "node\($0):7946" }
        for i in 0..<n {
            let id = NodeID("node\(i)")
            nodes.append(
                SimNode(index: i, id: id, address: addresses[i], seeds: addresses.filter { $0 != addresses[i] },
                    region: "region\(i % max(1, configuration.regionCount))", configuration: configuration.node))
            nodeIndex[id] = i
            addressIndex[addresses[i]] = i
        }
        alerts = Self.workload(configuration, random: &random)
        outcomes = Array(repeating: SimAlertOutcome(), count: alerts.count)
        faults = configuration.faults.schedule(nodes: n, workloadMillis: configuration.workloadMillis, random: &random)
        let faultsEnd = faults.map { $0.at + $0.fault.duration }.max() ?? 0
        healAt = max(configuration.workloadMillis + 100, faultsEnd) + 500
        self.random = random
    }

    /// The alerts: keys `key-0…`, a share of SEV-1 keys, a share of acknowledgements.
    static func workload(_ c: ClusterSimulationConfiguration, random: inout SeededRandom) -> [SimAlert] {
        let words = ["disk", "cpu", "memory", "network", "query", "replication", "api", "container", "release", "vendor"]
        let majorKeys = Int((Double(c.keyCount) * c.majorKeyShare).rounded())
        return (0..<c.alertCount).map { n in
            let k = random.chance(c.hotKeyShare) ? 0 : random.index(c.keyCount)
            let key = "key-\(k)"
            let acknowledge = random.chance(c.acknowledgeShare)
            let alert = Alert(
                title: "\(words[k % words.count]) alarm \(k)", dedupKey: key, description: "simulated", source: "sim",
                service: "svc-\(k % 4)", severity: k < majorKeys ? .explicit(.sev1) : nil,
                action: acknowledge ? .acknowledge : .trigger)
            return SimAlert(number: n, key: key, alert: alert)
        }
    }

    // MARK: - Running

    /// Runs the whole simulation and the checkers.
    public mutating func run() -> SimulationReport {
        for i in nodes.indices { clock.schedule(at: random.int(in: 0...50), .start(node: i)) }
        let span = max(1, configuration.workloadMillis)
        let times = alerts.indices.map { _ in 100 + random.int(in: 0...span) }.sorted()
        for (i, t) in times.enumerated() { clock.schedule(at: t, .client(alert: i)) }
        for (i, f) in faults.enumerated() {
            clock.schedule(at: f.at, .faultStart(i))
            if f.fault.duration > 0 { clock.schedule(at: f.at + f.fault.duration, .faultEnd(i)) }
        }
        clock.schedule(at: healAt, .heal)
        let end = healAt + configuration.healTimeoutMillis
        while quiescentAt == nil, let t = clock.nextTime, t <= end, let step = clock.pop() {
            run(step)
        }
        if quiescentAt == nil {
            violations.append(SimViolation(.notQuiescent, at: clock.now, "not quiescent \(end - healAt) ms after the heal: \(unsettled)"))
        }
        violations += SimulationCheckers.check(self)
        return report()
    }

    private mutating func run(_ step: Step) {
        steps += 1
        let now = clock.now
        switch step {
        case .start(let n):
            trace(1, n)
            guard !nodes[n].running else { return }
            var out: [SimEffect] = []
            nodes[n].start(now: now, membershipSeed: random.next(), into: &out)
            if configuration.node.trace { traceLines.append("t=\(now) \(nodes[n].id) started (life \(nodes[n].life))") }
            carryOut(out, node: n)
        case .deliver(let to, let life, let from, let fromLife, let message):
            trace(2, to)
            guard nodes[to].running, nodes[to].life == life else { return }
            var out: [SimEffect] = []
            let sender = SimNode.Sender(id: nodes[from].id, address: nodes[from].address, life: fromLife)
            nodes[to].onMessage(message, from: sender, now: now, into: &out)
            carryOut(out, node: to)
        case .timer(let n, let life, let timer):
            trace(3, n)
            guard nodes[n].running, nodes[n].life == life else { return }
            var out: [SimEffect] = []
            nodes[n].onTimer(timer, now: now, into: &out)
            carryOut(out, node: n)
        case .fsyncDone(let n, let life):
            trace(4, n)
            guard nodes[n].running, nodes[n].life == life else { return }
            var out: [SimEffect] = []
            nodes[n].onFsyncDone(now: now, into: &out)
            carryOut(out, node: n)
        case .client(let i):
            trace(5, i)
            var up: [Int] = []
            for i in nodes.indices where nodes[i].running { up.append(i) }
            guard !up.isEmpty else { return }
            let n = up[random.index(up.count)]
            outcomes[i].sentTo = n
            outcomes[i].sentAt = now
            var out: [SimEffect] = []
            nodes[n].onClientAlert(alerts[i], now: now, into: &out)
            carryOut(out, node: n)
        case .faultStart(let i):
            trace(6, i)
            if !healed { startFault(faults[i].fault) }
        case .faultEnd(let i):
            trace(7, i)
            if !healed { endFault(faults[i].fault) }
        case .heal:
            trace(8, 0)
            healed = true
            network.heal(to: configuration.network.calm)
            for n in nodes.indices where !nodes[n].running { clock.schedule(at: now, .start(node: n)) }
            clock.schedule(at: now + 250, .check)
        case .check:
            trace(9, 0)
            if unsettled.isEmpty { quiescentAt = now } else { clock.schedule(at: now + 250, .check) }
        }
    }

    private mutating func trace(_ kind: UInt64, _ subject: Int) {
        traceHash = (traceHash ^ (UInt64(bitPattern: clock.now) &* 31 &+ kind &* 7919 &+ UInt64(subject))) &* 0x100_0000_01b3
    }

    /// Carries out a node's effects.
    private mutating func carryOut(_ effects: [SimEffect], node n: Int) {
        let now = clock.now
        let life = nodes[n].life
        for effect in effects {
            switch effect {
            case .send(let to, let message):
                if let dest = nodeIndex[to] { send(message, from: n, to: dest, life: nodes[dest].life) }
            case .reply(let to, let message):
                if let dest = nodeIndex[to.id] { send(message, from: n, to: dest, life: to.life) }
            case .sendToAddress(let address, let message):
                if let dest = addressIndex[address] { send(message, from: n, to: dest, life: nodes[dest].life) }
            case .timer(let timer, let at):
                clock.schedule(at: at, .timer(node: n, life: life, timer))
            case .beginFsync:
                let c = configuration
                let delay = random.chance(c.slowFsyncChance) ? random.int(in: c.slowFsyncMillis) : random.int(in: c.fsyncMillis)
                clock.schedule(at: now + delay, .fsyncDone(node: n, life: life))
            case .answerClient(let alert, let replicas, let fact):
                answered(alert, replicas: replicas, fact: fact)
            case .ingested(let alert):
                outcomes[alert].ingestions += 1
            case .violation(let message):
                violations.append(SimViolation(.invariant, at: now, message))
            case .note(let text):
                traceLines.append("t=\(now) \(nodes[n].id) \(text)")
            }
        }
    }

    /// Sends a message to the `life` of node `to` (dropped on arrival if that process is gone).
    private mutating func send(_ message: SimMessage, from: Int, to: Int, life: Int) {
        var duplicable = true
        if case .forward = message { duplicable = false }
        let arrivals = network.deliveries(from: from, to: to, now: clock.now, duplicable: duplicable, random: &random)
        guard !arrivals.isEmpty else { return }
        let wire = configuration.wireCoding ? message.throughWire : message
        for t in arrivals { clock.schedule(at: t, .deliver(to: to, life: life, from: from, fromLife: nodes[from].life, wire)) }
    }

    /// A client got its answer: record it, and check that `replicas` nodes really hold the alert
    /// durably right now (unless a disk was lost since the alert was sent). Every replica the
    /// answer claims is checked, not only the first two: with `write_quorum` 3 the third is what
    /// the client was promised (`SimBug.ackIncompleteBatches` overstates exactly that one).
    private mutating func answered(_ alert: Int, replicas: Int, fact: SimAlertFact?) {
        let now = clock.now
        if outcomes[alert].replicas != nil {
            violations.append(SimViolation(.invariant, at: now, "alert #\(alert) was answered twice"))
            return
        }
        outcomes[alert].replicas = replicas
        outcomes[alert].answeredAt = now
        outcomes[alert].fact = fact
        guard let fact, alerts[alert].isTrigger, !wipes.contains(where: { $0 >= outcomes[alert].sentAt }) else { return }
        var holders: [NodeID] = []
        for i in nodes.indices where nodes[i].log.facts.holds(fact) { holders.append(nodes[i].id) }
        if holders.count < replicas {
            violations.append(
                SimViolation(
                    .overstatedReplicas, at: now,
                    "alert #\(alert) (\(alerts[alert].key)) answered with replicas=\(replicas) but only \(holders) hold it durably: \(fact)"))
        }
    }

    // MARK: - Faults

    private mutating func startFault(_ fault: SimFault) {
        let now = clock.now
        switch fault {
        case .crash(let n, let down), .wipe(let n, let down):
            guard nodes[n].running else { return }
            if configuration.node.trace { traceLines.append("t=\(now) \(fault)") }
            if case .wipe = fault {
                nodes[n].wipe()
                wipes.append(now)
            } else {
                let unsynced = nodes[n].log.entries.count - nodes[n].log.durableCount
                nodes[n].crash(keptUnsynced: unsynced > 0 ? Int(random.int(in: 0...Int64(unsynced))) : 0)
            }
            clock.schedule(at: now + down, .start(node: n))
        case .partition(let side, _):
            let rest = nodes.indices.filter { !side.contains($0) }
            network.block(from: side, to: rest)
            network.block(from: rest, to: side)
        case .oneWay(let from, let to, _):
            network.block(from: from, to: to)
        case .lossBurst(let rate, let d):
            network.lossBurst(rate: rate, until: now + d)
        case .clog(let a, let b, let d):
            network.clog(SimLink(from: a, to: b), until: now + d)
        case .clockJump(let n, let ms):
            nodes[n].clock.offsetMillis += ms
        }
    }

    private mutating func endFault(_ fault: SimFault) {
        switch fault {
        case .partition(let side, _):
            let rest = nodes.indices.filter { !side.contains($0) }
            network.unblock(from: side, to: rest)
            network.unblock(from: rest, to: side)
        case .oneWay(let from, let to, _):
            network.unblock(from: from, to: to)
        default:
            break
        }
    }

    // MARK: - Quiescence

    /// Why the cluster is not quiescent yet (empty: it is): every node up, every node seeing every
    /// node as a member, equal digests, no key with several open incidents, no work in flight.
    var unsettled: String {
        var reasons: [String] = []
        let down = nodes.filter { !$0.running }.map(\.id.name)
        if !down.isEmpty { reasons.append("down \(down)") }
        let all = Set(nodes.map(\.id))
        for node in nodes where node.running && Set(node.owners) != all {
            reasons.append("\(node.id) sees \(node.owners.map(\.name).sorted())")
        }
        let digests = Set(nodes.filter(\.running).map(\.digest.value))
        if digests.count > 1 { reasons.append("\(digests.count) different digests") }
        for node in nodes where node.running {
            if !node.conflictKeys.isEmpty { reasons.append("\(node.id) has duplicates for \(node.conflictKeys.prefix(3))") }
            if !node.forwards.isEmpty || !node.quorumWaits.isEmpty || !node.durableWaits.isEmpty {
                reasons.append("\(node.id) has work in flight")
            }
        }
        return reasons.joined(separator: "; ")
    }

    private func report() -> SimulationReport {
        var r = SimulationReport(
            seed: seed, configuration: configuration.summary, faults: faults, violations: violations, healAt: healAt,
            endedAt: clock.now, quiescentAt: quiescentAt)
        r.alertsSent = outcomes.filter { $0.sentTo != nil }.count
        r.alertsAnswered = outcomes.filter { $0.replicas != nil }.count
        r.alertsReplicated = outcomes.filter { ($0.replicas ?? 0) >= 2 }.count
        r.messages = (network.sent, network.dropped, network.duplicated)
        r.steps = steps
        r.traceHash = traceHash
        return r
    }
}
