import AetherJSON
import IncidentCore
import PosixIO
import Synchronization

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
    /// A webhook receiver on loopback: answers 200 to every request and records its
    /// `Idempotency-Key` with the arrival time. One thread, one request per connection (as the
    /// node's client sends them).
    final class Receiver: Sendable {
        let address: SocketAddress
        private let fd: Int32
        private let arrivals = Mutex<[(key: String, at: Double)]>([])
        private let stopped = Mutex(false)

        init() throws(CLIError) {
            do { (fd, address) = try Socket.listen(SocketAddress(host: "127.0.0.1", port: 0)) } catch {
                throw CLIError(.failed("webhook receiver: \(error)"))
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)  // a blocking accept on its own thread
            startThread(name: "bench-webhook") { self.loop() }
        }

        /// Every request so far.
        var received: [(key: String, at: Double)] { arrivals.withLock { $0 } }

        func stop() {
            let first = stopped.withLock { s in
                defer { s = true }
                return !s
            }
            if first {
                shutdown(fd, Int32(SHUT_RDWR))
                Socket.close(fd)
            }
        }

        private func loop() {
            var chunk = [UInt8](repeating: 0, count: 16 << 10)
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 {
                    if errno == EINTR { continue }
                    return
                }
                Socket.setReceiveTimeout(c, millis: 2000)
                var buffer: [UInt8] = []
                var key = ""
                while true {
                    let n = chunk.withUnsafeMutableBytes { b in (try? Socket.read(c, into: b)) ?? 0 }
                    if n <= 0 { break }
                    buffer += chunk[0..<n]
                    guard let end = Self.headEnd(buffer) else { continue }
                    let head = String(decoding: buffer[0..<end], as: UTF8.self).lowercased()
                    let lines = head.split(separator: "\r\n")
                    let length = lines.first { $0.hasPrefix("content-length:") }.flatMap { Int(String($0.dropFirst(15)).filter { $0 != " " }) } ?? 0
                    // Keys hold incident ids in upper case: read the value from the original bytes.
                    if let line = String(decoding: buffer[0..<end], as: UTF8.self).split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("idempotency-key:") }) {
                        key = String(line.dropFirst(16)).filter { $0 != " " }
                    }
                    if buffer.count >= end + 4 + length { break }
                }
                arrivals.withLock { $0.append((key, EscalationFailoverBench.wallSeconds())) }
                let reply = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
                reply.withUnsafeBytes { b in _ = try? Socket.writeAll(c, b) }
                Socket.close(c)
            }
        }

        private static func headEnd(_ b: [UInt8]) -> Int? {
            guard b.count >= 4 else { return nil }
            for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
            return nil
        }
    }

    /// The services the storm's alerts name (`storm-svc-0` … `-9`), each announcing on `hook`.
    static let services = (0..<10).map { "storm-svc-\($0)" }

    /// Three nodes whose `hook` channel is `receiver`, with the storm's services announcing on it.
    static func cluster(_ ctx: Bench.Context, receiver: Receiver) throws(CLIError) -> ClusterBench.Nodes {
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
    static func perIncident(_ received: [(key: String, at: Double)]) -> [String: [Double]] {
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
            let receiver = try Receiver()
            defer { receiver.stop() }
            let nodes = try cluster(ctx, receiver: receiver)
            defer { nodes.stop() }
            var c = StormConfiguration(nodes: nodes.nodes.map(\.admin))
            c.total = ctx.n(100_000); c.keys = ctx.n(10_000); c.batch = 100; c.connections = 6; c.window = 1; c.keyPrefix = "c9r\(run)"
            let storm = try Bench.checked(Storm.run(c))
            // Wait until every incident is notified, or nothing arrived for 10 s.
            var last = (count: 0, at: monotonicNanos())
            while true {
                let n = receiver.received.count
                if n != last.count { last = (n, monotonicNanos()) }
                if perIncident(receiver.received).count >= c.keys || monotonicNanos() - last.at > 10_000_000_000 { break }
                usleep(100_000)
            }
            usleep(2_000_000)  // late repeats, if any, would arrive now
            let per = perIncident(receiver.received)
            let repeats = per.values.map { $0.count - 1 }.reduce(0, +)
            row.values.append(Double(repeats))
            notes.append("run \(run): \(storm.accepted) alerts at \(Int(storm.alertsPerSecond))/s, \(per.count) of \(c.keys) incidents notified, \(repeats) repeats")
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
            let receiver = try Receiver()
            defer { receiver.stop() }
            let nodes = try cluster(ctx, receiver: receiver)
            defer { nodes.stop() }
            let victim = 2
            let survivors = [0, 1]
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
                if detectedAt == nil, i % 20 == 0, survivors.allSatisfy({ nodes.state(of: nodes.ids[victim], on: nodes.nodes[$0]) == "dead" }) {
                    detectedAt = EscalationFailoverBench.wallSeconds()
                }
                usleep(10_000)
            }
            let limit = monotonicNanos() + 30_000_000_000
            while monotonicNanos() < limit {
                if detectedAt == nil, survivors.allSatisfy({ nodes.state(of: nodes.ids[victim], on: nodes.nodes[$0]) == "dead" }) {
                    detectedAt = EscalationFailoverBench.wallSeconds()
                }
                if detectedAt != nil, perIncident(receiver.received).count >= openedAt.count { break }
                usleep(20_000)
            }
            let per = perIncident(receiver.received)
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
        row.note = notes.joined(separator: "; ") + "; Alertmanager ≈ 20 s (PERFORMANCE-TARGETS.md)"
        return row
    }
}
