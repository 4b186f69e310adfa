import AetherJSON
import IncidentCore
import PosixIO

#if canImport(Glibc)
import Glibc
#endif

/// C7: three nodes; incidents whose level 2 falls due 2 s after opening; the node owning most of
/// them is killed with kill -9 after level 1 and before level 2. For each of its incidents: how
/// long after the later of (level 2 due, the death detected) level 2 shows on a survivor, and how
/// many times it is in the log (must be once).
enum EscalationFailoverBench {
    static let incidents = 60
    static let levelDelay = 2

    static func row(_ ctx: Bench.Context) throws(CLIError) -> Bench.Row {
        var row = Bench.Row(
            id: "C7", figure: "owner killed with a step pending: step seen on a survivor after max(due, detection) — worst", target: "≤ 1 s (after detection); 0 duplicates",
            unit: "s", higherIsBetter: false, threshold: 1)
        var notes: [String] = []
        var duplicates = 0
        for run in 1...max(ctx.runs, 3) {
            ctx.print("C7 run \(run)")
            let r = try once(ctx)
            row.values.append(r.worst)
            duplicates += r.duplicates
            notes.append("detection \(format1(r.detection)) s, \(r.moved) incidents moved, \(r.duplicates) duplicates")
        }
        row.note = notes.joined(separator: "; ") + (duplicates == 0 ? "" : " — DUPLICATES")
        if duplicates > 0 { row.values.append(.infinity) }
        return row
    }

    struct Outcome {
        var worst: Double
        var detection: Double
        var moved: Int
        var duplicates: Int
    }

    static func once(_ ctx: Bench.Context) throws(CLIError) -> Outcome {
        let nodes = try ClusterBench.Nodes(ctx, count: 3)
        defer { nodes.stop() }
        let first = try AdminClient(address: nodes.nodes[0].admin, token: nil)
        _ = try first.call("catalog.set", ["kind": "person", "document": ["name": "c7-oncall"]])
        _ = try first.call("catalog.set", ["kind": "policy", "document": [
            "name": "c7", "levels": [["delay_s": .int(Int64(levelDelay)), "targets": [["person": "c7-oncall"]]], ["delay_s": 3600, "targets": [["person": "c7-oncall"]]]],
        ]])
        _ = try first.call("catalog.set", ["kind": "service", "document": ["name": "c7-svc", "policy": "c7"]])
        let ready = monotonicNanos() + 30_000_000_000
        while !nodes.nodes.allSatisfy({ n in
            guard let c = try? AdminClient(address: n.admin, token: nil) else { return false }
            return (try? c.call("catalog.list", ["kind": "service"]))?["items"]?.arrayValue?.count == 1
                && (try? c.call("escalation.status"))?["warming_up"]?.boolValue == false
        }) {
            guard monotonicNanos() < ready else { throw CLIError(.failed("C7: catalog or warm-up not ready; logs in \(nodes.root)")) }
            usleep(50_000)
        }
        // Open the incidents; note each one's owner and when level 2 falls due.
        var owners: [String: String] = [:]
        var due: [String: Double] = [:]
        for i in 0..<incidents {
            let r = try first.call("alert.ingest", ["title": .string("C7 incident \(i)"), "service": "c7-svc", "dedup_key": .string("c7-\(i)")])
            guard let id = r["incident_id"]?.stringValue else { throw CLIError(.failed("C7: no incident id")) }
            let inc = try first.call("incident.get", ["id": .string(id)])
            owners[id] = inc["owner"]?.stringValue ?? ""
            due[id] = (Timestamp(rfc3339: inc["created_at"]?.stringValue ?? "").map { Double($0.unixMillis) / 1000 } ?? 0) + Double(levelDelay)
        }
        let counts = Dictionary(grouping: owners.values, by: { $0 }).mapValues(\.count)
        guard let victimID = counts.max(by: { $0.value < $1.value })?.key, let victim = nodes.ids.firstIndex(of: victimID) else {
            throw CLIError(.failed("C7: no owner found"))
        }
        let moved = owners.filter { $0.value == victimID }.map(\.key)
        let survivors = nodes.nodes.indices.filter { $0 != victim }
        // Kill the owner once its level-1 pages are out, before level 2 is due.
        let watcher = try AdminClient(address: nodes.nodes[survivors[0]].admin, token: nil)
        func pages(_ id: String, on c: AdminClient) throws(CLIError) -> [Int64] {
            ((try c.call("incident.get", ["id": .string(id)]))["timeline"]?.arrayValue ?? []).compactMap { e in
                e["kind"]?.stringValue == "paged" ? e["details"]?["step"]?.intValue : nil
            }
        }
        let pagedBy = monotonicNanos() + 10_000_000_000
        func allPaged() throws(CLIError) -> Bool {
            for id in moved where try pages(id, on: watcher).isEmpty { return false }
            return true
        }
        while try !allPaged() {
            guard monotonicNanos() < pagedBy else { throw CLIError(.failed("C7: level 1 not paged; logs in \(nodes.root)")) }
            usleep(10_000)
        }
        nodes.nodes[victim].process.kill9()
        let killedAt = wallSeconds()
        var detectedAt: Double?
        var seenAt: [String: Double] = [:]
        let limit = monotonicNanos() + 30_000_000_000
        while seenAt.count < moved.count && monotonicNanos() < limit {
            if detectedAt == nil, survivors.allSatisfy({ nodes.state(of: victimID, on: nodes.nodes[$0]) == "dead" }) { detectedAt = wallSeconds() }
            for id in moved where seenAt[id] == nil {
                if try pages(id, on: watcher).contains(2) { seenAt[id] = wallSeconds() }
            }
            usleep(10_000)
        }
        guard seenAt.count == moved.count else { throw CLIError(.failed("C7: level 2 of \(moved.count - seenAt.count) incidents never fired; logs in \(nodes.root)")) }
        let detection = (detectedAt ?? wallSeconds()) - killedAt
        let worst = moved.map { id in seenAt[id]! - max(due[id]!, detectedAt ?? seenAt[id]!) }.max() ?? 0
        _ = try nodes.waitConverged(survivors)
        var duplicates = 0
        for k in survivors {
            let c = try AdminClient(address: nodes.nodes[k].admin, token: nil)
            for id in owners.keys {
                let p = try pages(id, on: c)
                duplicates += p.count - Set(p).count
            }
        }
        return Outcome(worst: max(0, worst), detection: detection, moved: moved.count, duplicates: duplicates)
    }

    static func wallSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
