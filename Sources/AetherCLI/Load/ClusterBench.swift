import AetherJSON
import IncidentCluster
import IncidentCore
import PosixIO

#if canImport(Glibc)
import Glibc
#endif

/// The three-node and five-node rows of PERFORMANCE-TARGETS.md (C1–C6, R1–R2), each on freshly
/// started `aetherd` processes on loopback with write quorum 2.
enum ClusterBench {
    /// A set of running nodes.
    final class Nodes {
        var nodes: [BenchProcesses.Node] = []
        var ids: [String] = []
        let root: String
        let ctx: Bench.Context
        var extra: [String]

        init(_ ctx: Bench.Context, count: Int, regions: [String]? = nil, extra: [String] = []) throws(CLIError) {
            self.ctx = ctx
            self.extra = extra
            root = try BenchProcesses.tempDirectory("cluster")
            for k in 0..<count {
                let id = "n\(k + 1)"
                ids.append(id)
                nodes.append(try start(k, region: regions?[k] ?? "local"))
            }
            try waitAlive(count)
        }

        func start(_ k: Int, region: String, wipe: Bool = false) throws(CLIError) -> BenchProcesses.Node {
            let dir = "\(root)/\(ids[k])"
            if wipe { PosixFS.removeTree(dir) }
            var args = ["--write-quorum", "2", "--fault-injection", "on", "--region", region] + extra
            if k > 0 || nodes.count > 1 {
                let seed = k == 0 ? nodes[1].gossip : nodes[0].gossip
                args += ["--peers", seed.description]
            }
            return try BenchProcesses.startNode(ctx.aetherd, dataDir: dir, id: ids[k], extra: args, logPath: "\(root)/\(ids[k]).log")
        }

        /// Waits until every node sees `count` alive members.
        func waitAlive(_ count: Int, timeoutSeconds: Double = 60) throws(CLIError) {
            let deadline = monotonicNanos() + UInt64(timeoutSeconds * 1e9)
            while monotonicNanos() < deadline {
                if nodes.allSatisfy({ alive(on: $0) == count }) { return }
                usleep(50_000)
            }
            throw CLIError(.failed("the cluster did not form; logs in \(root)"))
        }

        func alive(on node: BenchProcesses.Node) -> Int {
            guard let c = try? AdminClient(address: node.admin, token: nil), let s = try? c.call("cluster.status") else { return -1 }
            return (s["members"]?.arrayValue ?? []).filter { $0["state"]?.stringValue == "alive" }.count
        }

        func state(of id: String, on node: BenchProcesses.Node) -> String? {
            guard let c = try? AdminClient(address: node.admin, token: nil), let s = try? c.call("cluster.status") else { return nil }
            return (s["members"]?.arrayValue ?? []).first { $0["node_id"]?.stringValue == id }?["state"]?.stringValue
        }

        /// Waits until every listed node reports the same digest; returns the seconds it took.
        func waitConverged(_ which: [Int], timeoutSeconds: Double = 120) throws(CLIError) -> Double {
            let t0 = monotonicNanos()
            while Double(monotonicNanos() - t0) / 1e9 < timeoutSeconds {
                let digests = which.map { k in (try? AdminClient(address: nodes[k].admin, token: nil).call("log.digest")["digest"]?.stringValue) ?? nil }
                if let d = digests.first ?? nil, digests.allSatisfy({ $0 == d }) { return Double(monotonicNanos() - t0) / 1e9 }
                usleep(20_000)
            }
            throw CLIError(.failed("nodes did not converge within \(Int(timeoutSeconds)) s; logs in \(root)"))
        }

        func faults(on k: Int, _ args: JSONObject) throws(CLIError) {
            _ = try AdminClient(address: nodes[k].admin, token: nil).call("cluster.faults", args)
        }

        func stop() {
            for n in nodes { n.process.kill9() }
            BenchProcesses.removeTree(root)
        }
    }

    static func rows(_ ctx: Bench.Context) throws(CLIError) -> [Bench.Row] {
        var out: [Bench.Row] = []
        if ctx.wants("C1") || ctx.wants("C2") { out += try throughputAndLatency(ctx) }
        if ctx.wants("C3") { out.append(try crashDetection(ctx, regions: nil)) }
        if ctx.wants("C4") { out.append(try convergenceAfterPartition(ctx)) }
        if ctx.wants("C5") || ctx.wants("C6") { out += try catchUpAndSteadyState(ctx) }
        if ctx.wants("C7") { out.append(try EscalationFailoverBench.row(ctx)) }
        if ctx.wants("C9") { out.append(try NotificationBench.duplicates(ctx)) }
        if ctx.wants("C10") { out.append(try NotificationBench.gapAfterKill(ctx)) }
        if ctx.wants("R1") || ctx.wants("R2") || ctx.wants("R3") { out += try regions(ctx) }
        return out
    }

    /// The C1 storm's shape, the same for Aether and Alertmanager: 96 connections spread over the
    /// nodes, one request of 1,000 alerts in flight on each (as an HTTP client sends). Alertmanager's
    /// rate is flat from 6 to 96 connections (Docs/PERFORMANCE.md); Aether's grows with the requests
    /// in flight, which its ingest passes combine.
    static let c1Connections = 96

    static func throughputAndLatency(_ ctx: Bench.Context) throws(CLIError) -> [Bench.Row] {
        var c1 = Bench.Row(id: "C1", figure: "3 nodes, quorum 2: ingest round-robin, batches of 1,000, 96 connections", target: "≥ 50,000 alerts/s", unit: "alerts/s", higherIsBetter: true, threshold: 50_000)
        var p50 = Bench.Row(id: "C2", figure: "3 nodes: ack latency of single alerts while the C1 storm runs at half its rate — p50", target: "≤ 3 ms", unit: "ms", higherIsBetter: false, threshold: 3)
        var p99 = Bench.Row(id: "C2", figure: "same — p99", target: "≤ 20 ms", unit: "ms", higherIsBetter: false, threshold: 20)
        var notes: [String] = []
        for run in 1...ctx.runs {
            ctx.print("C1/C2 run \(run)/\(ctx.runs)")
            let nodes = try Nodes(ctx, count: 3)
            defer { nodes.stop() }
            var c = StormConfiguration(nodes: nodes.nodes.map(\.admin))
            c.total = ctx.n(600_000); c.keys = 1000; c.batch = 1000; c.connections = c1Connections; c.window = 1; c.keyPrefix = "c1-\(run)"
            let r = try Bench.checked(Storm.run(c))
            c1.values.append(r.alertsPerSecond)
            if let am = ctx.alertmanager {
                ctx.print("C1 run \(run)/\(ctx.runs): Alertmanager, 3-node HA cluster")
                c1.peer.append(try alertmanagerCluster(am, ctx: ctx, run: run))
            }
            let (probes, background) = try probeLatency(nodes, rate: Int(r.alertsPerSecond / 2), run: run, ctx: ctx)
            p50.values.append(probes.percentileMillis(0.5))
            p99.values.append(probes.percentileMillis(0.99))
            notes.append("background \(Int(background.alertsPerSecond)) alerts/s (batch p50 \(format1(background.percentileMillis(0.5))) ms)")
        }
        if let a = c1.median, let b = c1.peerMedian, b > 0 {
            c1.note = "Alertmanager 3-node HA cluster, same storm round-robin: \(Int(b)) alerts/s; ratio \(format1(a / b))× (target ≥ 2×)"
        }
        p50.note = "single-alert requests, one in flight per node, 600/s, under " + notes.joined(separator: "; ")
        return [c1, p50, p99]
    }

    /// C2: single `alert.ingest` requests (one connection per node, one in flight each, 600 alerts/s
    /// over their own keys) while the C1 storm runs paced at `rate`; returns both reports.
    static func probeLatency(_ nodes: Nodes, rate: Int, run: Int, ctx: Bench.Context) throws(CLIError) -> (StormReport, StormReport) {
        var b = StormConfiguration(nodes: nodes.nodes.map(\.admin))
        b.batch = 1000; b.keys = 1000; b.connections = c1Connections; b.window = 1; b.keyPrefix = "c2-bg-\(run)"
        b.rate = max(1000, rate)
        b.total = max(b.batch, b.rate * 7)  // about seven seconds
        let background = Shared<Result<StormReport, CLIError>?>(nil)
        let config = b
        startThread(name: "c2-background") {
            let result = Result { () throws(CLIError) in try Storm.run(config) }
            background.withLock { $0 = result }
        }
        usleep(500_000)  // let the background reach its rate
        var p = StormConfiguration(nodes: nodes.nodes.map(\.admin))
        p.batch = 1; p.keys = 1000; p.connections = nodes.nodes.count; p.window = 1; p.rate = 600; p.keyPrefix = "c2-probe-\(run)"
        p.total = ctx.n(3000)
        let probes = try Bench.checked(Storm.run(p))
        while background.withLock({ $0 == nil }) { usleep(50_000) }
        let bg = try Bench.checked(background.withLock { $0! }.get())
        return (probes, bg)
    }

    /// The C1 storm against three clustered Alertmanagers (gossip on loopback), round-robin, one
    /// POST of 1,000 alerts in flight per connection; returns alerts/s.
    static func alertmanagerCluster(_ binary: String, ctx: Bench.Context, run: Int) throws(CLIError) -> Double {
        var dirs: [String] = []
        var processes: [ChildProcess] = []
        defer {
            for p in processes { p.kill9() }
            for d in dirs { BenchProcesses.removeTree(d) }
        }
        var addresses: [SocketAddress] = []
        var gossip: [SocketAddress] = []
        for k in 0..<3 {
            let sub = try BenchProcesses.tempDirectory("am\(k)")
            dirs.append(sub)
            let g = SocketAddress(host: "127.0.0.1", port: BenchProcesses.freePort())
            let (p, address) = try BenchProcesses.startAlertmanager(binary, dir: sub, gossip: g, peers: gossip)
            processes.append(p)
            addresses.append(address)
            gossip.append(g)
        }
        var c = StormConfiguration(nodes: addresses)
        c.target = .alertmanager
        c.total = ctx.n(600_000); c.keys = 1000; c.batch = 1000; c.connections = c1Connections; c.window = 1; c.keyPrefix = "c1-am-\(run)"
        return try Bench.checked(Storm.run(c)).alertsPerSecond
    }

    static func crashDetection(_ ctx: Bench.Context, regions: [String]?) throws(CLIError) -> Bench.Row {
        let wan = regions != nil
        var row = Bench.Row(
            id: wan ? "R2" : "C3", figure: wan ? "5 nodes, 3 regions (WAN profile): kill -9 → dead on every node — p99" : "3 nodes: kill -9 → marked dead on every other node — p50",
            target: wan ? "≤ 8 s" : "≤ 2 s (p99 ≤ 3 s)", unit: "s", higherIsBetter: false, threshold: wan ? 8 : 2)
        let count = regions?.count ?? 3
        let extra = wan ? ["--config", try wanConfig(ctx)] : []
        let nodes = try Nodes(ctx, count: count, regions: regions, extra: extra)
        defer { nodes.stop() }
        if wan { try injectLatency(nodes, regions: regions!) }
        var samples: [Double] = []
        for run in 1...max(ctx.runs, 5) {
            ctx.print("\(row.id) sample \(run)")
            let victim = count - 1
            nodes.nodes[victim].process.kill9()
            let t0 = monotonicNanos()
            while true {
                let seen = (0..<victim).allSatisfy { nodes.state(of: nodes.ids[victim], on: nodes.nodes[$0]) == "dead" }
                if seen { break }
                if Double(monotonicNanos() - t0) / 1e9 > 30 { throw CLIError(.failed("\(nodes.ids[victim]) was not marked dead within 30 s")) }
                usleep(20_000)
            }
            samples.append(Double(monotonicNanos() - t0) / 1e9)
            nodes.nodes[victim] = try nodes.start(victim, region: regions?[victim] ?? "local")
            if wan { try injectLatency(nodes, regions: regions!) }
            try nodes.waitAlive(count)
        }
        samples.sort()
        let p99 = samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))]
        row.values = wan ? [p99] : samples
        row.note = "\(row.id) samples (s): " + samples.map { String(($0 * 100).rounded() / 100) }.joined(separator: " ")
            + "; p99 \(String((p99 * 100).rounded() / 100)) s"
        return row
    }

    static func convergenceAfterPartition(_ ctx: Bench.Context) throws(CLIError) -> Bench.Row {
        var row = Bench.Row(id: "C4", figure: "3 nodes: convergence after a 30 s partition, 10,000 incidents changed on both sides", target: "≤ 2 s after heal", unit: "s", higherIsBetter: false, threshold: 2)
        for run in 1...ctx.runs {
            ctx.print("C4 run \(run)/\(ctx.runs) (30 s partition)")
            let nodes = try Nodes(ctx, count: 3)
            defer { nodes.stop() }
            for (a, b) in [(0, 2), (1, 2), (2, 0), (2, 1)] { try nodes.faults(on: a, ["peer": .string(nodes.ids[b]), "partition": "both"]) }
            let t0 = monotonicNanos()
            try openIncidentsOnBothSides(ctx, [[nodes.nodes[0].admin, nodes.nodes[1].admin], [nodes.nodes[2].admin]], prefix: "c4-\(run)")
            while Double(monotonicNanos() - t0) / 1e9 < 30 { usleep(100_000) }
            for k in 0..<3 { try nodes.faults(on: k, ["clear": true]) }
            row.values.append(try nodes.waitConverged([0, 1, 2]))
        }
        return row
    }

    /// During a partition: 5,000 new incidents on each side (10,000 in all), each side's storm
    /// sent to its nodes.
    static func openIncidentsOnBothSides(_ ctx: Bench.Context, _ sides: [[SocketAddress]], prefix: String) throws(CLIError) {
        for (side, targets) in sides.enumerated() {
            var c = StormConfiguration(nodes: targets)
            c.total = ctx.n(10_000) / 2; c.keys = c.total; c.batch = 500; c.connections = targets.count; c.window = 2
            c.keyPrefix = "\(prefix)-\(side)"
            _ = try Bench.checked(Storm.run(c))
        }
    }

    static func catchUpAndSteadyState(_ ctx: Bench.Context) throws(CLIError) -> [Bench.Row] {
        var c5 = Bench.Row(id: "C5", figure: "3 nodes: wiped node rejoins with 100,000 incidents / 1,000,000 events → caught up", target: "≤ 15 s", unit: "s", higherIsBetter: false, threshold: 15)
        var c6 = Bench.Row(id: "C6", figure: "anti-entropy traffic per peer per round at steady state, 100,000 incidents", target: "≤ 10 KB", unit: "bytes", higherIsBetter: false, threshold: 10_000)
        ctx.print("C5/C6: filling the cluster")
        let nodes = try Nodes(ctx, count: 3)
        defer { nodes.stop() }
        var c = StormConfiguration(nodes: nodes.nodes.map(\.admin))
        c.total = ctx.n(1_000_000); c.keys = ctx.n(100_000); c.batch = 1000; c.connections = 6; c.window = 4; c.keyPrefix = "c5"
        _ = try Bench.checked(Storm.run(c))
        _ = try nodes.waitConverged([0, 1, 2])
        // C6: anti-entropy bytes over ~10 idle seconds at steady state: once no record has been
        // sent for 3 s (the repairs listed before convergence are over), at most 60 s after it.
        func aeBytes() throws(CLIError) -> (UInt64, UInt64, UInt64) {
            let s = try AdminClient(address: nodes.nodes[0].admin, token: nil).call("cluster.status")
            let r = s["replication"]
            return (UInt64(r?["anti_entropy_bytes"]?.intValue ?? 0), UInt64(r?["anti_entropy_summaries"]?.intValue ?? 0), UInt64(r?["records_sent"]?.intValue ?? 0))
        }
        var quietSince = monotonicNanos()
        var lastSent = try aeBytes().2
        let settleStart = monotonicNanos()
        while monotonicNanos() - quietSince < 3_000_000_000 && monotonicNanos() - settleStart < 60_000_000_000 {
            usleep(250_000)
            let sent = try aeBytes().2
            if sent != lastSent { (lastSent, quietSince) = (sent, monotonicNanos()) }
        }
        let (b0, r0, _) = try aeBytes()
        usleep(10_000_000)
        let (b1, r1, _) = try aeBytes()
        if r1 > r0 { c6.values.append(Double(b1 - b0) / Double(r1 - r0)) }  // per peer per round
        for run in 1...ctx.runs {
            ctx.print("C5 run \(run)/\(ctx.runs): wipe node3")
            nodes.nodes[2].process.kill9()
            let t0 = monotonicNanos()
            nodes.nodes[2] = try nodes.start(2, region: "local", wipe: true)
            _ = try nodes.waitConverged([0, 1, 2], timeoutSeconds: 300)
            c5.values.append(Double(monotonicNanos() - t0) / 1e9)
        }
        return [c5, c6]
    }

    static func regions(_ ctx: Bench.Context) throws(CLIError) -> [Bench.Row] {
        let regions = ["eu-west", "eu-west", "us-east", "us-east", "ap-south"]
        var r1 = Bench.Row(id: "R1", figure: "5 nodes, 3 regions (40/80/150 ms RTT): ack p99 with a copy in another region, 100 alerts/s in requests of 10 to eu-west, keys eu-west owns", target: "≤ 80 + 20 ms", unit: "ms", higherIsBetter: false, threshold: 100)
        var r1Anywhere = Bench.Row(id: "R1", figure: "same, keys owned in any region (decided in eu-west; the owner, up to 150 ms away, merges and pages)", target: "≤ 80 + 20 ms", unit: "ms", higherIsBetter: false, threshold: 100)
        var r3 = Bench.Row(id: "R3", figure: "5 nodes, 3 regions: convergence after ap-south is cut off, 10,000 incidents changed on both sides", target: "≤ 3 s after heal", unit: "s", higherIsBetter: false, threshold: 3)
        do {
            let nodes = try Nodes(ctx, count: 5, regions: regions, extra: ["--config", try wanConfig(ctx)])
            defer { nodes.stop() }
            try injectLatency(nodes, regions: regions)
            for run in 1...ctx.runs {
                ctx.print("R1 run \(run)/\(ctx.runs)")
                // Keys the receiving node owns: the write is taken there, and the answer waits for
                // its copy in another region. Then keys owned anywhere, decided in eu-west too.
                let members = nodes.ids.map { NodeID($0) }
                let prefix = "r1-\(run)"
                let owned = (0..<20_000).filter { Rendezvous.owner(of: "\(prefix)-\($0)", among: members) == members[0] }
                func p99(keys: [Int], prefix: String) throws(CLIError) -> Double {
                    var c = StormConfiguration(nodes: [nodes.nodes[0].admin])
                    c.total = ctx.n(1500); c.keys = 500; c.keyNumbers = keys; c.batch = 10; c.connections = 2; c.window = 4; c.rate = 100
                    c.keyPrefix = prefix
                    return try Bench.checked(Storm.run(c)).percentileMillis(0.99)
                }
                r1.values.append(try p99(keys: Array(owned.prefix(500)), prefix: prefix))
                r1Anywhere.values.append(try p99(keys: [], prefix: prefix + "-any"))
            }
            if ctx.wants("R3") {
                for run in 1...ctx.runs {
                    ctx.print("R3 run \(run)/\(ctx.runs)")
                    let cut = 4
                    for k in 0..<cut { try nodes.faults(on: k, ["peer": .string(nodes.ids[cut]), "partition": "both"]) }
                    for k in 0..<cut { try nodes.faults(on: cut, ["peer": .string(nodes.ids[k]), "partition": "both"]) }
                    try openIncidentsOnBothSides(ctx, [[nodes.nodes[0].admin, nodes.nodes[2].admin], [nodes.nodes[cut].admin]], prefix: "r3-\(run)")
                    for k in 0..<nodes.nodes.count { try nodes.faults(on: k, ["clear": true]) }
                    try injectLatency(nodes, regions: regions)
                    r3.values.append(try nodes.waitConverged(Array(0..<nodes.nodes.count)))
                }
            }
        }
        return [r1, r1Anywhere, r3, try crashDetection(ctx, regions: regions)]
    }

    /// Injects half of each region pair's RTT on both directions (eu↔us 80, eu↔ap 150, us↔ap 40).
    static func injectLatency(_ nodes: Nodes, regions: [String]) throws(CLIError) {
        func rtt(_ a: String, _ b: String) -> Int {
            let pair = Set([a, b])
            if pair == ["eu-west", "us-east"] { return 80 }
            if pair == ["eu-west", "ap-south"] { return 150 }
            if pair == ["us-east", "ap-south"] { return 40 }
            return 0
        }
        for a in 0..<nodes.nodes.count {
            for b in 0..<nodes.nodes.count where a != b && rtt(regions[a], regions[b]) > 0 {
                try nodes.faults(on: a, ["peer": .string(nodes.ids[b]), "latency_ms": .int(Int64(rtt(regions[a], regions[b]) / 2))])
            }
        }
    }

    static func wanConfig(_ ctx: Bench.Context) throws(CLIError) -> String {
        try writeConfig(ctx, name: "wan.json", #"{"membership_profile": "wan"}"#)
    }

    /// Writes a node configuration file into the bench's log directory; returns its path.
    static func writeConfig(_ ctx: Bench.Context, name: String, _ json: String) throws(CLIError) -> String {
        let path = ctx.logDir + "/" + name
        guard let f = fopen(path, "w") else { throw CLIError(.failed("cannot write \(path)")) }
        fputs(json + "\n", f)
        fclose(f)
        return path
    }
}
