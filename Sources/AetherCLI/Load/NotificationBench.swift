import AetherJSON
import IncidentCore
import PosixIO

#if canImport(Glibc)
import Glibc
#endif

/// C9 and C10: the initial notification of every incident, sent by three nodes to a webhook the
/// bench receives itself.
/// - C9: a storm of 100,000 alerts over 10,000 keys, round-robin across the nodes — how many
///   incidents were notified more than once (and how many not at all).
/// - C10: a node is killed with `kill -9`; incidents keep opening on the others — how long after
///   the later of (its opening, the death detected) each incident's notification arrives.
enum NotificationBench {
    /// The services the storm's alerts name (`storm-svc-0` … `-9`), each announcing on `hook`.
    static let services = (0..<10).map { "storm-svc-\($0)" }

    /// Runs `body` against a fresh webhook receiver and three nodes announcing on it; stops both after.
    static func withCluster(_ ctx: Bench.Context, _ body: (WebhookReceiver, ClusterBench.Nodes) throws(CLIError) -> Void) throws(CLIError) {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let nodes = try cluster(ctx, receiver: receiver)
        defer { nodes.stop() }
        try body(receiver, nodes)
    }

    /// Three nodes whose `hook` channel is `receiver`, with the storm's services announcing on it.
    private static func cluster(_ ctx: Bench.Context, receiver: WebhookReceiver) throws(CLIError) -> ClusterBench.Nodes {
        let config = try ClusterBench.writeConfig(
            ctx, name: "notify.json", #"{"channels": {"hook": {"type": "webhook", "url": "http://\#(receiver.address)/hook", "format": "json", "rate_per_minute": 60000}}}"#)
        let nodes = try ClusterBench.Nodes(ctx, count: 3, extra: ["--config", config])
        let first = try AdminClient(address: nodes.nodes[0].admin, token: nil)
        for s in services {
            _ = try first.call("catalog.set", ["kind": "service", "document": ["name": .string(s), "announce_channels": ["hook"]]])
        }
        let ready = monotonicNanos() + 30_000_000_000
        while !nodes.nodes.allSatisfy({ n in
            guard let c = try? AdminClient(address: n.admin, token: nil) else { return false }
            return (try? c.call("catalog.list", ["kind": "service"]))?["items"]?.arrayValue?.count == services.count
                && (try? c.call("escalation.status"))?["warming_up"]?.boolValue == false
        }) {
            guard monotonicNanos() < ready else { throw CLIError(.failed("notifications: catalog or warm-up not ready; logs in \(nodes.root)")) }
            usleep(50_000)
        }
        return nodes
    }

    /// Initial notifications per incident id, from the keys received.
    static func perIncident(_ received: [WebhookReceiver.Request]) -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        for r in received where r.key.contains("/initial_notification/") {
            out[String(r.key.prefix { $0 != "/" }), default: []].append(r.at)
        }
        return out
    }

    static func duplicates(_ ctx: Bench.Context) throws(CLIError) -> Bench.Row {
        var row = Bench.Row(
            id: "C9", figure: "duplicate initial notifications, 100,000 alerts / 10,000 keys round-robin across 3 nodes, no faults", target: "0",
            unit: "duplicates", higherIsBetter: false, threshold: 0)
        var notes: [String] = []
        for run in 1...ctx.runs {
            ctx.print("C9 run \(run)/\(ctx.runs)")
            try withCluster(ctx) { (receiver, nodes) throws(CLIError) in
                var c = StormConfiguration(nodes: nodes.nodes.map(\.admin))
                c.total = ctx.n(100_000); c.keys = ctx.n(10_000); c.batch = 100; c.connections = 6; c.window = 1; c.keyPrefix = "c9r\(run)"
                let storm = try Bench.checked(Storm.run(c))
                // Wait until every incident is notified, or nothing arrived for 10 s.
                var last = (count: 0, at: monotonicNanos())
                while true {
                    let n = receiver.requests.count
                    if n != last.count { last = (n, monotonicNanos()) }
                    if perIncident(receiver.requests).count >= c.keys || monotonicNanos() - last.at > 10_000_000_000 { break }
                    usleep(100_000)
                }
                usleep(2_000_000)  // late repeats, if any, would arrive now
                let per = perIncident(receiver.requests)
                let repeats = per.values.map { $0.count - 1 }.reduce(0, +)
                row.values.append(Double(repeats))
                notes.append("run \(run): \(storm.accepted) alerts at \(Int(storm.alertsPerSecond))/s, \(per.count) of \(c.keys) incidents notified, \(repeats) repeats")
            }
        }
        row.note = notes.joined(separator: "; ") + "; Alertmanager: 420–460 (PERFORMANCE-TARGETS.md)"
        return row
    }

    static func gapAfterKill(_ ctx: Bench.Context) throws(CLIError) -> Bench.Row {
        var row = Bench.Row(
            id: "C10", figure: "notifying node killed: initial notification after max(opening, detection) — worst", target: "≤ 1 s (after detection)",
            unit: "s", higherIsBetter: false, threshold: 1)
        var notes: [String] = []
        for run in 1...max(ctx.runs, 3) {
            ctx.print("C10 run \(run)")
            try withCluster(ctx) { (receiver, nodes) throws(CLIError) in
                let victim = 2
                let survivors = [0, 1]
                func victimDead() -> Bool { survivors.allSatisfy { nodes.state(of: nodes.ids[victim], on: nodes.nodes[$0]) == "dead" } }
                let clients = try survivors.map { k throws(CLIError) in try AdminClient(address: nodes.nodes[k].admin, token: nil) }
                nodes.nodes[victim].process.kill9()
                let killedAt = EscalationFailoverBench.wallSeconds()
                // 300 incidents over about 3 s, round-robin to the survivors: those the dead node owns
                // wait for its death to be detected.
                var openedAt: [String: Double] = [:]
                var detectedAt: Double?
                for i in 0..<300 {
                    let t = EscalationFailoverBench.wallSeconds()
                    let r = try clients[i % 2].call("alert.ingest", ["title": .string("C10 incident \(i)"), "service": .string(services[i % 10]), "dedup_key": .string("c10r\(run)-\(i)")])
                    if let id = r["incident_id"]?.stringValue { openedAt[id] = t }
                    if detectedAt == nil, i % 20 == 0, victimDead() {
                        detectedAt = EscalationFailoverBench.wallSeconds()
                    }
                    usleep(10_000)
                }
                let limit = monotonicNanos() + 30_000_000_000
                while monotonicNanos() < limit {
                    if detectedAt == nil, victimDead() {
                        detectedAt = EscalationFailoverBench.wallSeconds()
                    }
                    if detectedAt != nil, perIncident(receiver.requests).count >= openedAt.count { break }
                    usleep(20_000)
                }
                let per = perIncident(receiver.requests)
                let missing = openedAt.keys.filter { per[$0] == nil }.count
                guard missing == 0, let detected = detectedAt else {
                    throw CLIError(.failed("C10: \(missing) of \(openedAt.count) incidents never notified; logs in \(nodes.root)"))
                }
                let after = openedAt.map { id, t in (per[id]!.min()! - max(t, detected)) }
                let worstRaw = openedAt.map { id, t in per[id]!.min()! - t }.max() ?? 0
                row.values.append(max(0, after.max() ?? 0))
                let repeats = per.values.map { $0.count - 1 }.reduce(0, +)
                notes.append("detection \(format1(detected - killedAt)) s, longest wait from opening \(format1(worstRaw)) s, \(repeats) repeats")
            }
        }
        row.note = notes.joined(separator: "; ") + "; Alertmanager ≈ 20 s (PERFORMANCE-TARGETS.md)"
        return row
    }
}
