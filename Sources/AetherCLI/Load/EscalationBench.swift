import AetherJSON
import PosixIO

#if canImport(Glibc)
import Glibc
#endif

/// S8: escalation timers under load. 100,000 incidents each with a step pending (level 2 of their
/// service's policy); a tenth of them (service `storm-svc-0`) fall due `levelDelay` after opening,
/// during an S1-shaped storm, the rest an hour later. Measured: the node's own fire lateness
/// (`escalation.status`) over the storm window, and its RSS with all 100,000 pending.
enum EscalationBench {
    static func rows(_ ctx: Bench.Context) throws(CLIError) -> [Bench.Row] {
        var p99 = Bench.Row(id: "S8", figure: "escalation step lateness during an S1 storm, 100,000 pending — p99", target: "p99 ≤ 100 ms", unit: "ms", higherIsBetter: false, threshold: 100)
        var worst = Bench.Row(id: "S8", figure: "escalation step lateness during the storm — max", target: "-", unit: "ms", higherIsBetter: false, threshold: nil)
        var rss = Bench.Row(id: "S8", figure: "RSS with 100,000 open incidents, each with a step pending", target: "reported", unit: "MiB", higherIsBetter: false, threshold: nil)
        var notes: [String] = []
        for run in 1...ctx.runs {
            ctx.print("S8 run \(run)/\(ctx.runs)")
            let r = try Bench.withNode(ctx) { node throws(CLIError) in try measure(node, ctx) }
            p99.values.append(r.p99)
            worst.values.append(r.max)
            rss.values.append(r.rss)
            notes.append(r.note)
        }
        p99.note = notes.joined(separator: "; ")
        return [p99, worst, rss]
    }

    struct Result {
        var p99: Double
        var max: Double
        var rss: Double
        var note: String
    }

    static func measure(_ node: BenchProcesses.Node, _ ctx: Bench.Context) throws(CLIError) -> Result {
        let client = try AdminClient(address: node.admin, token: nil)
        let incidents = ctx.n(100_000)
        let openSeconds = 5.0
        let levelDelay = 8
        // Every storm service pages through a two-level policy: level 1 at opening, level 2 later —
        // `levelDelay` s for storm-svc-0, an hour for the others.
        _ = try client.call("catalog.set", ["kind": "person", "document": ["name": "bench-oncall"]])
        for (name, delay) in [("bench-soon", levelDelay), ("bench-later", 3600)] {
            _ = try client.call("catalog.set", ["kind": "policy", "document": [
                "name": .string(name),
                "levels": [["delay_s": .int(Int64(delay)), "targets": [["person": "bench-oncall"]]], ["delay_s": 3600, "targets": [["person": "bench-oncall"]]]],
            ]])
        }
        for k in 0..<10 {
            _ = try client.call("catalog.set", ["kind": "service", "document": ["name": .string("storm-svc-\(k)"), "policy": .string(k == 0 ? "bench-soon" : "bench-later")]])
        }
        while try client.call("escalation.status")["warming_up"]?.boolValue == true { usleep(100_000) }
        // Open the incidents over `openSeconds`: their level-2 steps come due over the same span, later.
        var open = StormConfiguration(nodes: [node.admin])
        open.total = incidents; open.keys = incidents; open.batch = 100; open.connections = 4; open.window = 4
        open.rate = Int(Double(incidents) / openSeconds); open.keyPrefix = "timers"
        let t0 = monotonicNanos()
        _ = try Bench.checked(Storm.run(open))
        let before = try client.call("escalation.status")
        let pending = (before["tracked"]?.intValue ?? 0) + (before["parked"]?.intValue ?? 0)
        let rss = Double(node.process.residentBytes()) / 1_048_576
        // The storm starts before the first level-2 step is due and outlasts the last.
        let sinceOpen = Double(monotonicNanos() - t0) / 1e9
        if sinceOpen < Double(levelDelay) - 1 { usleep(UInt32((Double(levelDelay) - 1 - sinceOpen) * 1e6)) }
        _ = try client.call("escalation.reset_lateness")
        var storm = StormConfiguration(nodes: [node.admin])
        storm.total = ctx.n(1_500_000); storm.keys = 1000; storm.batch = 1000; storm.connections = 4; storm.window = 4
        let report = try Bench.checked(Storm.run(storm))
        // Let the remaining steps fire, then read the window's lateness.
        var status = try client.call("escalation.status")
        let deadline = monotonicNanos() + 30_000_000_000
        let expected = Int64(incidents + incidents / 10)  // every level 1, and level 2 of storm-svc-0
        while (status["fired"]?.intValue ?? 0) < expected && monotonicNanos() < deadline {
            usleep(200_000)
            status = try client.call("escalation.status")
        }
        let fired = status["fired"]?.intValue ?? 0
        guard fired >= expected else {
            throw CLIError(.failed("S8: only \(fired) of \(expected) escalation steps fired within 30 s of the storm"))
        }
        let stormSeconds = report.seconds
        let note = "run: \(pending) steps pending before the storm; storm \(Int(report.alertsPerSecond)) alerts/s for \(format1(stormSeconds)) s; \(status["lateness_samples"]?.intValue ?? 0) steps fired in the window"
        return Result(
            p99: Double(status["lateness_p99_ms"]?.intValue ?? -1), max: Double(status["lateness_max_ms"]?.intValue ?? -1), rss: rss, note: note)
    }
}
