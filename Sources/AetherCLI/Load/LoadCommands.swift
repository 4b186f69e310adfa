import AetherJSON
import PosixIO

/// `aether storm` and `aether bench`.
enum LoadCommands {
    static let all: [CommandSpec] = [storm, bench]

    static let storm = CommandSpec(
        ["storm"], "alert-storm load generator: rate, total, keys, batch, connections, nodes",
        values: ["total", "keys", "batch", "connections", "window", "rate", "nodes", "key-prefix", "threads", "target"]
    ) { (inv) throws(CLIError) in
        let config = try stormConfiguration(inv)
        let report = try Storm.run(config) { p in
            let rate = p.seconds > 0 ? Int(Double(p.accepted) / p.seconds) : 0
            ProcessLimits.printErrorInline(
                "\r  sent \(p.sent)  accepted \(p.accepted)  failed requests \(p.failed)  \(rate) alerts/s  \(format1(p.seconds)) s   ")
        }
        ProcessLimits.printErrorInline("\r" + String(repeating: " ", count: 90) + "\r")
        inv.show(.object(json(report, config))) { _ in table(report, config) }
        if report.accepted < report.sent {
            throw CLIError(.failed("\(report.sent - report.accepted) alerts were not accepted; first error: \(report.firstError ?? "connection closed")"))
        }
    }

    static func stormConfiguration(_ inv: Invocation) throws(CLIError) -> StormConfiguration {
        var nodes: [SocketAddress] = []
        for n in (inv.value("nodes") ?? inv.global.node).split(separator: ",") {
            do { nodes.append(try SocketAddress(parsing: String(n))) } catch { throw CLIError.usage("--nodes: \(error.message)", inv.spec.usage) }
        }
        var c = StormConfiguration(nodes: nodes)
        c.total = try inv.int("total", default: 100_000, range: 1...100_000_000)
        c.keys = try inv.int("keys", default: 1000, range: 1...100_000_000)
        c.batch = try inv.int("batch", default: 1000, range: 1...10_000)
        c.connections = try inv.int("connections", default: 4, range: 1...10_000)
        c.window = try inv.int("window", default: c.batch == 1 ? 64 : 4, range: 1...4096)
        c.rate = try inv.int("rate", default: 0, range: 0...10_000_000)
        c.threads = try inv.int("threads", default: 2, range: 1...64)
        c.keyPrefix = inv.value("key-prefix") ?? "storm-\(wallClockMillis() % 100_000_000)"
        c.token = inv.global.token
        switch inv.value("target") ?? "aether" {
        case "aether": c.target = .aether
        case "alertmanager": c.target = .alertmanager
        case let t: throw CLIError.usage("--target '\(t)' is not valid; expected aether or alertmanager", inv.spec.usage)
        }
        return c
    }

    static func table(_ r: StormReport, _ c: StormConfiguration) -> String {
        var t = Table(["SENT", "ACCEPTED", "FAILED REQ", "ALERTS/S", "P50 MS", "P99 MS", "MAX MS", "INCIDENTS CREATED"], rightAligned: [0, 1, 2, 3, 4, 5, 6, 7])
        t.add([String(r.sent), String(r.accepted), String(r.failedRequests), String(Int(r.alertsPerSecond)), fmt(r.percentileMillis(0.5)),
               fmt(r.percentileMillis(0.99)), fmt(r.maxMillis), String(r.incidentsCreated)])
        return "storm: \(c.total) alerts over \(c.keys) keys, batch \(c.batch), \(c.connections) connection(s) to \(c.nodes.map(\.description).joined(separator: ",")), \(c.rate == 0 ? "unpaced" : "\(c.rate) alerts/s offered")\n\n"
            + t.text + "\n\n(\(r.requests) requests in \(fmt(r.seconds)) s; latency is per request)"
    }

    static func json(_ r: StormReport, _ c: StormConfiguration) -> JSONObject {
        [
            "sent": .int(Int64(r.sent)), "accepted": .int(Int64(r.accepted)), "failed_requests": .int(Int64(r.failedRequests)),
            "alerts_per_s": .double(r.alertsPerSecond.rounded()), "p50_ms": .double(r.percentileMillis(0.5)),
            "p99_ms": .double(r.percentileMillis(0.99)), "max_ms": .double(r.maxMillis), "incidents_created": .int(Int64(r.incidentsCreated)),
            "requests": .int(Int64(r.requests)), "seconds": .double(r.seconds), "total": .int(Int64(c.total)), "keys": .int(Int64(c.keys)),
            "batch": .int(Int64(c.batch)), "connections": .int(Int64(c.connections)), "rate": .int(Int64(c.rate)),
            "first_error": r.firstError.map { .string($0) } ?? .null,
        ]
    }

    static func fmt(_ d: Double) -> String {
        d >= 100 ? String(Int(d.rounded())) : String((d * 100).rounded() / 100)
    }

    static let bench = CommandSpec(
        ["bench"], "single-node benchmarks (PERFORMANCE-TARGETS.md) with Alertmanager side by side",
        values: ["runs", "only", "aetherd", "alertmanager", "output", "scale"], flags: ["skip-alertmanager", "cluster"]
    ) { (inv) throws(CLIError) in
        try Bench.run(inv)
    }
}
