import AetherJSON
import IncidentCore
import PosixIO

#if canImport(Glibc)
import Glibc
#endif

/// `aether bench`: the single-node rows of PERFORMANCE-TARGETS.md, each the median of `--runs`
/// runs on a fresh release `aetherd`, with Prometheus Alertmanager's `POST /api/v2/alerts` measured
/// side by side in the same run. Prints a table and writes JSON under `bench-results/`.
enum Bench {
    struct Row {
        let id: String
        let figure: String
        let target: String
        var values: [Double] = []
        let unit: String
        var peer: [Double] = []
        var note = ""
        let higherIsBetter: Bool
        let threshold: Double?

        var median: Double? { Bench.median(values) }
        var peerMedian: Double? { Bench.median(peer) }
        var meets: Bool? {
            guard let m = median, let t = threshold else { return nil }
            return higherIsBetter ? m >= t : m <= t
        }
    }

    static func median(_ xs: [Double]) -> Double? {
        guard !xs.isEmpty else { return nil }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    struct Context {
        let aetherd: String
        let alertmanager: String?
        let runs: Int
        let scale: Double
        let only: Set<String>
        let logDir: String
        let print: (String) -> Void

        func wants(_ id: String) -> Bool { only.isEmpty || only.contains(id) }
        func n(_ base: Int) -> Int { max(1000, Int(Double(base) * scale)) }
    }

    static func run(_ inv: Invocation) throws(CLIError) {
        let dir = BenchProcesses.binaryDirectory()
        let am = inv.flag("skip-alertmanager") ? nil : (inv.value("alertmanager") ?? "/usr/bin/prometheus-alertmanager")
        let scaleText = inv.value("scale") ?? "1"
        guard let scale = Double(scaleText), scale > 0, scale <= 10 else {
            throw CLIError.usage("--scale '\(scaleText)' is not valid; expected a number in (0, 10]", inv.spec.usage)
        }
        let logDir = try BenchProcesses.tempDirectory("logs")
        let ctx = Context(
            aetherd: inv.value("aetherd") ?? dir + "/aetherd", alertmanager: am, runs: try inv.int("runs", default: 3, range: 1...20),
            scale: scale, only: Set((inv.value("only") ?? "").split(separator: ",").map(String.init)), logDir: logDir,
            print: { s in ProcessLimits.printErrorInline(s + "\n") })
        var rows: [Row] = []
        let singleNode = ctx.only.isEmpty || ctx.only.contains { $0.hasPrefix("S") }
        if singleNode && ctx.wants("S1") { rows.append(try ingestBatched(ctx)) }
        if singleNode && ctx.wants("S2") { rows.append(try ingestSingle(ctx)) }
        if singleNode && ctx.wants("S3") { rows += try latency(ctx) }
        if singleNode && ctx.wants("S4") { rows.append(try httpIntake(ctx)) }
        if singleNode && ctx.wants("S5") { rows += try restart(ctx) }
        if singleNode && (ctx.wants("S6") || ctx.wants("S7")) { rows += try memoryAndList(ctx) }
        if singleNode && ctx.wants("S8") { rows += try EscalationBench.rows(ctx) }
        if ctx.only.contains(where: { $0.hasPrefix("C") || $0.hasPrefix("R") }) || inv.flag("cluster") { rows += try ClusterBench.rows(ctx) }
        BenchProcesses.removeTree(logDir)
        let path = try writeJSON(rows, ctx: ctx, output: inv.value("output"))
        inv.show(.object(["rows": .array(rows.map { .object(json($0)) }), "file": .string(path)])) { _ in table(rows) + "\n\nwritten to \(path)" }
    }

    // MARK: - Rows

    static func ingestBatched(_ ctx: Context) throws(CLIError) -> Row {
        var row = Row(id: "S1", figure: "ingest, ingest_batch of 1,000 over 1,000 keys, 4 connections", target: "≥ 150,000 alerts/s and ≥ 2× Alertmanager", unit: "alerts/s", higherIsBetter: true, threshold: 150_000)
        for run in 1...ctx.runs {
            ctx.print("S1 run \(run)/\(ctx.runs): Aether")
            row.values.append(try withNode(ctx) { node throws(CLIError) in
                var c = StormConfiguration(nodes: [node.admin])
                c.total = ctx.n(200_000); c.keys = 1000; c.batch = 1000; c.connections = 4; c.window = 4
                return try checked(Storm.run(c)).alertsPerSecond
            })
            if let am = ctx.alertmanager {
                ctx.print("S1 run \(run)/\(ctx.runs): Alertmanager")
                row.peer.append(try alertmanagerRate(am, ctx: ctx, batch: 1000, connections: 4))
            }
        }
        if let a = row.median, let b = row.peerMedian, b > 0 { row.note = "Alertmanager single node: \(Int(b)) alerts/s; ratio \(format1(a / b))× (target ≥ 2×)" }
        return row
    }

    static func ingestSingle(_ ctx: Context) throws(CLIError) -> Row {
        var row = Row(id: "S2", figure: "ingest, one alert.ingest per request, 64 connections pipelined", target: "≥ 50,000 alerts/s", unit: "alerts/s", higherIsBetter: true, threshold: 50_000)
        for run in 1...ctx.runs {
            ctx.print("S2 run \(run)/\(ctx.runs)")
            row.values.append(try withNode(ctx) { node throws(CLIError) in
                var c = StormConfiguration(nodes: [node.admin])
                c.total = ctx.n(200_000); c.keys = 1000; c.batch = 1; c.connections = 64; c.window = 64
                return try checked(Storm.run(c)).alertsPerSecond
            })
        }
        return row
    }

    static func latency(_ ctx: Context) throws(CLIError) -> [Row] {
        var p50 = Row(id: "S3", figure: "alert.ingest latency at 10,000 alerts/s offered — p50", target: "p50 ≤ 1 ms", unit: "ms", higherIsBetter: false, threshold: 1)
        var p99 = Row(id: "S3", figure: "alert.ingest latency at 10,000 alerts/s offered — p99", target: "p99 ≤ 5 ms", unit: "ms", higherIsBetter: false, threshold: 5)
        for run in 1...ctx.runs {
            ctx.print("S3 run \(run)/\(ctx.runs)")
            let r = try withNode(ctx) { node throws(CLIError) in
                var c = StormConfiguration(nodes: [node.admin])
                c.total = ctx.n(50_000); c.keys = 1000; c.batch = 1; c.connections = 8; c.window = 64; c.rate = 10_000
                return try checked(Storm.run(c))
            }
            p50.values.append(r.percentileMillis(0.5))
            p99.values.append(r.percentileMillis(0.99))
        }
        return [p50, p99]
    }

    static func httpIntake(_ ctx: Context) throws(CLIError) -> Row {
        var row = Row(id: "S4", figure: "HTTP PagerDuty Events v2 (POST /v2/enqueue), one event per request, 32 keep-alive connections", target: "≥ 30,000 events/s", unit: "events/s", higherIsBetter: true, threshold: 30_000)
        for run in 1...ctx.runs {
            ctx.print("S4 run \(run)/\(ctx.runs): Aether")
            row.values.append(try withNode(ctx) { node throws(CLIError) in
                let key = IntegrationCommands.newKey()
                _ = try AdminClient(address: node.admin, token: nil).call("catalog.set", ["kind": "integration", "document": ["name": .string(key), "service": "storm-svc-0"]])
                var c = StormConfiguration(nodes: [node.http])
                c.target = .pagerDuty(routingKey: key)
                c.total = ctx.n(200_000); c.keys = 1000; c.batch = 1; c.connections = 32; c.window = 1
                return try checked(Storm.run(c)).alertsPerSecond
            })
            if let am = ctx.alertmanager {
                ctx.print("S4 run \(run)/\(ctx.runs): Alertmanager")
                row.peer.append(try alertmanagerRate(am, ctx: ctx, batch: 1, connections: 32))
            }
        }
        if let a = row.median, let b = row.peerMedian, b > 0 {
            row.note = "Alertmanager POST /api/v2/alerts, one alert per request, same connections: \(Int(b)) alerts/s; ratio \(format1(a / b))×"
        }
        return row
    }

    static func restart(_ ctx: Context) throws(CLIError) -> [Row] {
        var killed = Row(id: "S5", figure: "restart after kill -9 with 1,000,000 events → ready", target: "≤ 2 s", unit: "s", higherIsBetter: false, threshold: 2)
        var graceful = Row(id: "S5", figure: "restart after SIGTERM (snapshot at shutdown) → ready", target: "≤ 2 s", unit: "s", higherIsBetter: false, threshold: 2)
        let dir = try BenchProcesses.tempDirectory("s5")
        defer { BenchProcesses.removeTree(dir) }
        let log = ctx.logDir + "/s5.log"
        var node = try BenchProcesses.startNode(ctx.aetherd, dataDir: dir, logPath: log)
        ctx.print("S5: writing \(ctx.n(1_000_000)) events")
        var c = StormConfiguration(nodes: [node.admin])
        c.total = ctx.n(1_000_000); c.keys = ctx.n(100_000); c.batch = 1000; c.connections = 4; c.window = 4
        _ = try checked(Storm.run(c))
        let events = (try? AdminClient(address: node.admin, token: nil).call("log.digest")["events"]?.intValue) ?? nil
        for run in 1...ctx.runs {
            ctx.print("S5 run \(run)/\(ctx.runs)")
            node.process.kill9()
            node = try BenchProcesses.startNode(ctx.aetherd, dataDir: dir, logPath: log)
            killed.values.append(node.readyMillis / 1000)
            BenchProcesses.stop(node)
            node = try BenchProcesses.startNode(ctx.aetherd, dataDir: dir, logPath: log)
            graceful.values.append(node.readyMillis / 1000)
        }
        BenchProcesses.stop(node)
        killed.note = "\(events.map(String.init) ?? "?") events in the log; the node snapshots every 500,000 records, so a kill replays at most that many"
        return [killed, graceful]
    }

    static func memoryAndList(_ ctx: Context) throws(CLIError) -> [Row] {
        var rss = Row(id: "S6", figure: "RSS with 100,000 open incidents, 10 timeline entries each", target: "≤ 300 MiB", unit: "MiB", higherIsBetter: false, threshold: 300)
        var list = Row(id: "S7", figure: "incident.list filtered over 100,000 incidents — p99", target: "p99 ≤ 20 ms", unit: "ms", higherIsBetter: false, threshold: 20)
        for run in 1...ctx.runs {
            ctx.print("S6/S7 run \(run)/\(ctx.runs)")
            let (r, l) = try withNode(ctx) { node throws(CLIError) in
                let incidents = ctx.n(100_000)
                var c = StormConfiguration(nodes: [node.admin])
                c.total = incidents; c.keys = incidents; c.batch = 1000; c.connections = 4; c.window = 4
                _ = try checked(Storm.run(c))
                // 4 entries from opening (detected, logged, classified, prioritized) + ack + 5 notes = 10.
                let listed = try AdminClient(address: node.admin, token: nil).call("incident.list", ["limit": .int(Int64(min(10_000, incidents)))])
                guard let sample = listed["incidents"]?[0]?["id"]?.stringValue, let parts = IncidentID.parts(sample) else {
                    throw CLIError(.failed("no incidents to read ids from"))
                }
                let (year, tag) = (parts.year, parts.tag)
                var w = StormConfiguration(nodes: [node.admin])
                w.total = incidents * 6; w.batch = 1; w.connections = 16; w.window = 64
                w.target = .adminRequests { r, out in
                    let id = IncidentID(year: year, counter: UInt64(r / 6 + 1), tag: tag).text
                    if r % 6 == 0 {
                        out.append(contentsOf: #"{"id":\#(r),"op":"incident.ack","args":{"id":"\#(id)"}}"#.utf8)
                    } else {
                        out.append(contentsOf: #"{"id":\#(r),"op":"incident.note","args":{"id":"\#(id)","text":"investigation note \#(r % 6)"}}"#.utf8)
                    }
                    out.append(10)
                }
                _ = try checked(Storm.run(w))
                let mib = Double(node.process.residentBytes()) / 1_048_576
                let client = try AdminClient(address: node.admin, token: nil)
                let filters: [JSONObject] = [
                    ["service": "storm-svc-3", "limit": 50], ["severity": "SEV-3", "limit": 100], ["status": "acknowledged", "limit": 100],
                    ["open": true, "limit": 50], ["dedup_key": .string("\(c.keyPrefix)-77")],
                ]
                var lat: [Double] = []
                for i in 0..<200 {
                    let t0 = monotonicNanos()
                    _ = try client.call("incident.list", filters[i % filters.count])
                    lat.append(Double(monotonicNanos() - t0) / 1e6)
                }
                lat.sort()
                return (mib, lat[min(lat.count - 1, Int(Double(lat.count) * 0.99))])
            }
            rss.values.append(r)
            list.values.append(l)
        }
        return [rss, list]
    }

    // MARK: - Helpers

    /// Alertmanager's rate for the peer column: a fresh single instance, 200,000 alerts over 1,000
    /// keys to `POST /api/v2/alerts`, one request in flight per connection (no HTTP pipelining).
    static func alertmanagerRate(_ binary: String, ctx: Context, batch: Int, connections: Int) throws(CLIError) -> Double {
        let dir = try BenchProcesses.tempDirectory("am")
        defer { BenchProcesses.removeTree(dir) }
        let (p, address) = try BenchProcesses.startAlertmanager(binary, dir: dir)
        defer { p.kill9() }
        var c = StormConfiguration(nodes: [address])
        c.target = .alertmanager
        c.total = ctx.n(200_000); c.keys = 1000; c.batch = batch; c.connections = connections; c.window = 1
        return try checked(Storm.run(c)).alertsPerSecond
    }

    static func withNode<T>(_ ctx: Context, _ body: (BenchProcesses.Node) throws(CLIError) -> T) throws(CLIError) -> T {
        let dir = try BenchProcesses.tempDirectory("node")
        defer { BenchProcesses.removeTree(dir) }
        let node = try BenchProcesses.startNode(ctx.aetherd, dataDir: dir, logPath: ctx.logDir + "/node.log")
        defer { node.process.kill9() }
        return try body(node)
    }

    static func checked(_ r: StormReport) throws(CLIError) -> StormReport {
        guard r.accepted == r.sent, r.failedRequests == 0 else {
            throw CLIError(.failed("benchmark storm lost requests: \(r.sent - r.accepted) not accepted; first error: \(r.firstError ?? "-")"))
        }
        return r
    }

    static func table(_ rows: [Row]) -> String {
        var t = Table(["#", "FIGURE", "TARGET", "MEDIAN", "RUNS", "OK"], rightAligned: [3])
        for r in rows {
            let m = r.median.map { v in v >= 1000 ? String(Int(v)) : String((v * 1000).rounded() / 1000) } ?? "-"
            t.add([r.id, r.figure, r.target, r.median == nil ? "-" : "\(m) \(r.unit)", r.values.map { v in v >= 1000 ? String(Int(v)) : String((v * 100).rounded() / 100) }.joined(separator: " "),
                   r.meets.map { $0 ? "yes" : "NO" } ?? "-"])
        }
        let notes = rows.filter { !$0.note.isEmpty }.map { "\($0.id): \($0.note)" }
        return t.text + (notes.isEmpty ? "" : "\n\n" + notes.joined(separator: "\n"))
    }

    static func json(_ r: Row) -> JSONObject {
        [
            "id": .string(r.id), "figure": .string(r.figure), "target": .string(r.target), "unit": .string(r.unit),
            "median": r.median.map { .double($0) } ?? .null, "runs": .array(r.values.map { .double($0) }),
            "peer_median": r.peerMedian.map { .double($0) } ?? .null, "peer_runs": .array(r.peer.map { .double($0) }),
            "meets_target": r.meets.map { .bool($0) } ?? .null, "note": .string(r.note),
        ]
    }

    static func writeJSON(_ rows: [Row], ctx: Context, output: String?) throws(CLIError) -> String {
        let dir = output ?? "bench-results"
        do { try PosixFS.makeDirectories(dir) } catch { throw CLIError(.failed("cannot create \(dir): \(error)")) }
        let stamp = Timestamp(unixMillis: wallClockMillis()).rfc3339.replacing(":", with: "")
        let path = "\(dir)/bench-\(stamp).json"
        let doc: JSONValue = .object([
            "when": .string(Timestamp(unixMillis: wallClockMillis()).rfc3339), "runs": .int(Int64(ctx.runs)), "scale": .double(ctx.scale),
            "command": .string((["aether"] + CommandLine.arguments.dropFirst()).joined(separator: " ")),  // as typed
            "rows": .array(rows.map { .object(json($0)) }),
        ])
        let bytes = doc.serialized() + [10]
        do {
            let f = try PosixFile(path: path, create: true)
            try f.truncate(to: 0)
            try bytes.withUnsafeBytes { try f.write($0, at: 0) }
        } catch {
            throw CLIError(.failed("cannot write \(path): \(error)"))
        }
        return path
    }
}
