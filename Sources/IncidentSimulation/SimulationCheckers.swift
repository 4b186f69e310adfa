import IncidentCluster
import IncidentCore

/// The promises of SPEC §7, checked after a run has healed and gone quiet.
///
/// 1. No acknowledged alert is lost: every node holds every alert answered with `replicas ≥ 2`
///    (and, when no disk was lost, every alert answered at all — it was durable somewhere), and
///    each key counts at least the alerts that must survive and at most the alerts sent.
/// 2. Convergence: every node has the same digest, the same incidents, and each incident shows
///    the same state and timeline everywhere.
/// 3. Exactly one open incident per dedup key that has incidents (duplicates were merged).
/// 4. One owner per key: every node sees the same members, so rendezvous hashing agrees.
///
/// Invariants checked while the run goes (in `SimNode` and `ClusterSimulator`): the hybrid
/// logical clock never goes backwards, recovery returns every durable event, incident ids are not
/// handed out twice, and an answer's `replicas` never exceeds the nodes durably holding the write.
public enum SimulationCheckers {
    /// Most violations reported per checker (the first few say enough).
    static let perCheckerMax = 8

    /// Runs every checker on a finished simulation.
    public static func check(_ sim: ClusterSimulator) -> [SimViolation] {
        let live = sim.nodes.filter(\.running)
        guard !live.isEmpty else { return [SimViolation(.notQuiescent, at: 0, "no node is running at the end")] }
        var out: [SimViolation] = []
        out += lostAlerts(sim, live)
        out += counts(sim, live)
        out += convergence(sim, live)
        out += openIncidents(sim, live)
        out += ownership(sim, live)
        return out
    }

    /// Whether an answered alert must survive: `replicas ≥ 2`, or any answer when no disk was lost.
    static func mustSurvive(_ o: SimAlertOutcome, wiped: Bool) -> Bool {
        guard let r = o.replicas, o.fact != nil else { return false }
        return r >= 2 || (!wiped && r >= 1)
    }

    /// Checker 1a: every node holds every alert that must survive.
    static func lostAlerts(_ sim: ClusterSimulator, _ live: [SimNode]) -> [SimViolation] {
        var out: [SimViolation] = []
        let wiped = !sim.wipes.isEmpty
        for (i, o) in sim.outcomes.enumerated() where sim.alerts[i].isTrigger && mustSurvive(o, wiped: wiped) {
            let fact = o.fact!
            for node in live where !holds(node, fact) {
                out.append(
                    SimViolation(
                        .lostAlert, at: sim.clock.now,
                        "alert #\(i) (\(sim.alerts[i].key), answered t=\(o.answeredAt ?? 0)ms with replicas=\(o.replicas!)) "
                            + "is missing on \(node.id): \(fact)"))
                if out.count >= perCheckerMax { return out }
            }
        }
        return out
    }

    /// Whether a node's current records hold an alert's effect.
    static func holds(_ node: SimNode, _ fact: SimAlertFact) -> Bool {
        guard let record = node.records[fact.incident] else { return false }
        switch fact.effect {
        case .opened(let key):
            return record.openingEvent.orderKey == key
        case .repeated(let key, let count):
            return (record.repeatCounters[RepeatKey(origin: key.origin, window: key.window)]?.count ?? 0) >= count
        }
    }

    /// Checker 1b: per key, alerts counted (1 per incident plus its repeat counters, over all the
    /// key's incidents) ≥ alerts that must survive, and ≤ triggers sent.
    static func counts(_ sim: ClusterSimulator, _ live: [SimNode]) -> [SimViolation] {
        var out: [SimViolation] = []
        let wiped = !sim.wipes.isEmpty
        var required: [String: Int] = [:]
        var sent: [String: Int] = [:]
        for (i, o) in sim.outcomes.enumerated() where sim.alerts[i].isTrigger {
            let taken = sim.configuration.strictAlertCounts ? (o.sentTo != nil ? 1 : 0) : o.ingestions
            sent[sim.alerts[i].key, default: 0] += taken
            if mustSurvive(o, wiped: wiped) { required[sim.alerts[i].key, default: 0] += 1 }
        }
        for node in live {
            var counted: [String: Int] = [:]
            for r in node.records.values {
                counted[r.incident.dedupKey, default: 0] += 1 + r.repeatCounters.values.reduce(0) { $0 + $1.count }
            }
            for key in Set(required.keys).union(counted.keys).sorted() {
                let c = counted[key] ?? 0
                if c < required[key] ?? 0 {
                    let acked = sim.outcomes.indices.filter { sim.alerts[$0].key == key && mustSurvive(sim.outcomes[$0], wiped: wiped) }
                    let held = node.records.values.filter { $0.incident.dedupKey == key }.map { r in
                        "\(r.incident.id): 1 + \(r.repeatCounters.sorted { ($0.key.origin, $0.key.window) < ($1.key.origin, $1.key.window) }.map { "\($0.key.origin)/w\($0.key.window)=\($0.value.count)" })"
                    }
                    out.append(
                        SimViolation(
                            .undercount, at: sim.clock.now,
                            "\(node.id) counts \(c) alerts for \(key) but \(required[key]!) were acknowledged durably: "
                                + "\(acked.map { "#\($0) \(sim.outcomes[$0].fact!)" }); held \(held)"))
                }
                if c > sent[key] ?? 0 {
                    out.append(
                        SimViolation(.overcount, at: sim.clock.now, "\(node.id) counts \(c) alerts for \(key) but only \(sent[key] ?? 0) were "
                                + (sim.configuration.strictAlertCounts ? "sent" : "taken")))
                }
                if out.count >= perCheckerMax { return out }
            }
        }
        return out
    }

    /// Checker 2: equal digests, incidents, incident state and timelines on every live node.
    static func convergence(_ sim: ClusterSimulator, _ live: [SimNode]) -> [SimViolation] {
        var out: [SimViolation] = []
        let reference = live[0]
        let ids = reference.records.keys.sorted()
        for node in live.dropFirst() {
            if node.digest.value != reference.digest.value {
                out.append(
                    SimViolation(
                        .divergence, at: sim.clock.now,
                        "\(node.id) digest \(hex(node.digest.value)) ≠ \(reference.id) digest \(hex(reference.digest.value))"))
            }
            let theirs = node.records.keys.sorted()
            if theirs != ids {
                let missing = Set(ids).subtracting(theirs).sorted().prefix(3)
                let extra = Set(theirs).subtracting(ids).sorted().prefix(3)
                out.append(
                    SimViolation(
                        .divergence, at: sim.clock.now,
                        "\(node.id) holds \(theirs.count) incidents, \(reference.id) \(ids.count) (missing \(missing), extra \(extra))"))
            }
            for rid in ids {
                guard let a = reference.records[rid], let b = node.records[rid] else { continue }
                if a.incident != b.incident || a.digest != b.digest {
                    out.append(
                        SimViolation(
                            .divergence, at: sim.clock.now,
                            "\(rid) differs: \(reference.id) \(describe(a)) vs \(node.id) \(describe(b))"))
                } else if a.timeline != b.timeline {
                    out.append(SimViolation(.divergence, at: sim.clock.now, "\(rid) timelines differ on \(reference.id) and \(node.id)"))
                }
                if out.count >= perCheckerMax { return out }
            }
        }
        return out
    }

    static func describe(_ r: IncidentRecord) -> String {
        "{\(r.incident.status.rawValue), alerts \(r.incident.alertCount), events \(r.ordinaryEventCount), "
            + "counters \(r.repeatCounters.count), opened by \(r.openingEvent.id)@\(r.openingEvent.hlc), digest \(hex(r.digest))}"
    }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// Checker 3: every key with incidents has exactly one open incident, on every node.
    static func openIncidents(_ sim: ClusterSimulator, _ live: [SimNode]) -> [SimViolation] {
        var out: [SimViolation] = []
        for node in live {
            var open: [String: [IncidentID]] = [:]
            for r in node.records.values {
                if open[r.incident.dedupKey] == nil { open[r.incident.dedupKey] = [] }
                if r.incident.isOpen { open[r.incident.dedupKey]!.append(r.incident.id) }
            }
            for (key, list) in open.sorted(by: { $0.key < $1.key }) where list.count != 1 {
                out.append(
                    SimViolation(.openIncidents, at: sim.clock.now, "\(node.id) has \(list.count) open incidents for \(key): \(list.sorted())"))
                if out.count >= perCheckerMax { return out }
            }
        }
        return out
    }

    /// Checker 4: every node sees every node as a member, so every key has the same owner
    /// everywhere, and that owner is up.
    static func ownership(_ sim: ClusterSimulator, _ live: [SimNode]) -> [SimViolation] {
        var out: [SimViolation] = []
        let all = sim.nodes.map(\.id).sorted()
        for node in live where node.owners.sorted() != all {
            out.append(SimViolation(.ownership, at: sim.clock.now, "\(node.id) sees members \(node.owners.sorted()), expected \(all)"))
        }
        let keys = Set(sim.alerts.map(\.key)).sorted()
        for key in keys {
            let owners = Set(live.compactMap { Rendezvous.owner(of: key, among: $0.owners) })
            if owners.count != 1 {
                out.append(SimViolation(.ownership, at: sim.clock.now, "nodes disagree on the owner of \(key): \(owners.sorted())"))
            } else if let o = owners.first, !live.contains(where: { $0.id == o }) {
                out.append(SimViolation(.ownership, at: sim.clock.now, "the owner of \(key), \(o), is not running"))
            }
            if out.count >= perCheckerMax { return out }
        }
        return out
    }
}
