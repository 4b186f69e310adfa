import AetherJSON
import Foundation
import PosixIO
import Testing

@testable import AdminProtocol

/// Real processes: three `aetherd` on loopback (ephemeral ports, fresh data dirs, write quorum 2),
/// a storm sent round-robin to all of them while faults happen — kill -9 and restart, a wiped data
/// dir, a partition through the fault layer — then a checker: every alert acknowledged with
/// replicas ≥ 2 is on every node, digests are equal, and there is exactly one open incident per key.
@Suite("Cluster processes: faults under a storm", .serialized)
struct ClusterProcessTests {
    typealias Client = ProcessCrashTests.Client
    typealias TestFailure = ProcessCrashTests.TestFailure

    /// One running node.
    final class Node: @unchecked Sendable {
        // @unchecked: used from the test's thread and the storm threads only through thread-safe calls.
        let id: String
        let dataDir: String
        let log: String
        var process: ChildProcess
        var admin: SocketAddress
        var gossip: SocketAddress
        var http: SocketAddress

        init(id: String, dataDir: String, log: String, process: ChildProcess, admin: SocketAddress, gossip: SocketAddress, http: SocketAddress) {
            self.id = id
            self.dataDir = dataDir
            self.log = log
            self.process = process
            self.admin = admin
            self.gossip = gossip
            self.http = http
        }
    }

    /// A three-node cluster in a temp dir.
    final class Cluster: @unchecked Sendable {
        // @unchecked: nodes are replaced only by the test thread.
        let root: String
        var nodes: [Node] = []

        init() throws {
            root = NSTemporaryDirectory() + "aether-cluster-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        }

        func start(_ id: String, peers: [SocketAddress], keyFile: String? = nil, extra: [String] = []) throws -> Node {
            let dir = root + "/" + id
            let log = root + "/\(id).log"
            var args = [
                "--node-id", id, "--data-dir", dir, "--admin", "127.0.0.1:0", "--http", "127.0.0.1:0", "--gossip", "127.0.0.1:0", "--write-quorum", "2",
                "--fault-injection", "on",
            ]
            if let keyFile { args += ["--cluster-key-file", keyFile] }
            if !peers.isEmpty { args += ["--peers", peers.map(\.description).joined(separator: ",")] }
            args += extra
            let p = try ChildProcess(path: ProcessCrashTests.binaryDirectory + "/aetherd", arguments: args, stderrPath: log)
            guard let line = p.readLine(timeoutMillis: 60_000), line.hasPrefix("aetherd ready") else {
                p.kill9()
                throw TestFailure("\(id) did not get ready: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            func field(_ name: String) throws -> SocketAddress {
                let f = line.split(separator: " ").first { $0.hasPrefix(name + "=") }!
                return try SocketAddress(parsing: String(f.dropFirst(name.count + 1)))
            }
            return Node(id: id, dataDir: dir, log: log, process: p, admin: try field("admin"), gossip: try field("gossip"), http: try field("http"))
        }

        static func three() throws -> Cluster {
            let c = try Cluster()
            let n1 = try c.start("node1", peers: [])
            c.nodes = [n1, try c.start("node2", peers: [n1.gossip]), try c.start("node3", peers: [n1.gossip])]
            try c.waitForMembers(3)
            return c
        }

        /// Restarts a node (same id, data dir and ports are new) joining through another node.
        func restart(_ k: Int, wipe: Bool = false) throws {
            let old = nodes[k]
            if wipe { try? FileManager.default.removeItem(atPath: old.dataDir) }
            let seed = nodes[(k + 1) % nodes.count].gossip
            nodes[k] = try start(old.id, peers: [seed])
        }

        /// Waits until every node sees `count` alive members.
        func waitForMembers(_ count: Int, timeout: TimeInterval = 30) throws {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let ok = nodes.allSatisfy { n in
                    guard let c = try? Client(n.admin), let s = try? c.call("cluster.status") else { return false }
                    return (s["members"]?.arrayValue ?? []).filter { $0["state"]?.stringValue == "alive" }.count == count
                }
                if ok { return }
                usleep(100_000)
            }
            throw TestFailure("members did not converge to \(count) alive: \(diagnostics())")
        }

        /// Waits until all nodes report the same digest twice in a row.
        func waitForConvergence(timeout: TimeInterval = 30) throws -> String {
            let deadline = Date().addingTimeInterval(timeout)
            var last = ""
            while Date() < deadline {
                let digests = nodes.map { n in (try? Client(n.admin).call("log.digest")["digest"]?.stringValue) ?? nil }
                if let d = digests.first ?? nil, digests.allSatisfy({ $0 == d }) {
                    if d == last { return d }
                    last = d
                } else {
                    last = ""
                }
                usleep(200_000)
            }
            throw TestFailure("digests did not converge: \(diagnostics())")
        }

        func diagnostics() -> String {
            nodes.map { n in
                let log = (try? String(contentsOfFile: n.log, encoding: .utf8)) ?? ""
                return "\(n.id): " + log.split(separator: "\n").suffix(8).joined(separator: "\n  ")
            }.joined(separator: "\n")
        }

        func stop() {
            for n in nodes { n.process.kill9() }
            try? FileManager.default.removeItem(atPath: root)
        }
    }

    /// Sends `total` single-alert requests over `keys` keys, round-robin over the nodes, on one
    /// connection per node (pipelined, 32 in flight), recording what was acknowledged with
    /// replicas ≥ 2. Stops early when `stop` says so. Connections that die are reopened to the
    /// node's current address.
    final class Storm: @unchecked Sendable {
        // @unchecked: counters behind NSLock.
        private let lock = NSLock()
        private(set) var acknowledged: [String: Int] = [:]  // key → alerts acknowledged with replicas ≥ 2
        private(set) var answered = 0
        let keys: Int

        init(keys: Int) { self.keys = keys }

        func run(_ cluster: Cluster, total: Int, prefix: String) {
            let group = DispatchGroup()
            let n = cluster.nodes.count
            for k in 0..<n {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    var sent = k
                    while sent < total {
                        guard let client = try? Client(cluster.nodes[k].admin) else {
                            usleep(50_000)
                            continue
                        }
                        var inflight: [String] = []
                        var broken = false
                        while (sent < total || !inflight.isEmpty) && !broken {
                            while inflight.count < 32 && sent < total {
                                let key = "\(prefix)-\(sent % self.keys)"
                                let line = #"{"id":\#(sent),"op":"alert.ingest","args":{"title":"Storm","dedup_key":"\#(key)","service":"api"}}"#
                                if (try? client.send(line)) == nil { broken = true; break }
                                inflight.append(key)
                                sent += n
                            }
                            guard !broken, let reply = client.reply() else { broken = true; break }
                            let key = inflight.removeFirst()
                            self.lock.lock()
                            self.answered += 1
                            if case .success(let r) = reply.outcome, (r["replicas"]?.intValue ?? 0) >= 2 {
                                self.acknowledged[key, default: 0] += 1
                            }
                            self.lock.unlock()
                        }
                        if broken { usleep(50_000) }  // the node died: reconnect (maybe to its restarted self)
                    }
                }
            }
            group.wait()
        }

        var totalAcknowledged: Int {
            lock.lock()
            defer { lock.unlock() }
            return acknowledged.values.reduce(0, +)
        }
    }

    /// The checker: every acknowledged alert present on every node, one open incident per key.
    static func check(_ cluster: Cluster, storm: Storm, prefix: String) throws {
        for n in cluster.nodes {
            let c = try Client(n.admin)
            let list = try c.call("incident.list", ["limit": 10_000, "open": true])["incidents"]?.arrayValue ?? []
            let mine = list.filter { $0["dedup_key"]?.stringValue?.hasPrefix(prefix + "-") == true }
            var byKey: [String: [JSONValue]] = [:]
            for i in mine { byKey[i["dedup_key"]!.stringValue!, default: []].append(i) }
            #expect(byKey.count == storm.keys, "\(n.id): \(byKey.count) keys with open incidents, expected \(storm.keys)")
            for (key, incidents) in byKey {
                #expect(incidents.count == 1, "\(n.id): \(incidents.count) open incidents for \(key)")
            }
            for (key, acked) in storm.acknowledged {
                // Count alerts over every incident for the key (a merged duplicate keeps its own count).
                let all = try c.call("incident.list", ["dedup_key": .string(key), "limit": 100])["incidents"]?.arrayValue ?? []
                let held = try all.reduce(Int64(0)) { sum, i in
                    let full = try c.call("incident.get", ["id": i["id"]!])
                    let merged = full["merged_into"]?.isNull == false
                    return sum + (merged ? 0 : (i["alert_count"]?.intValue ?? 0))
                }
                #expect(held >= Int64(acked), "\(n.id): key \(key) acknowledged \(acked) alerts with replicas ≥ 2, holds \(held)")
            }
        }
    }

    @Test("kill -9 a node mid-storm and restart it: nothing acknowledged is lost, all converge, one incident per key")
    func killAndRestart() async throws {
        try await onThread {  // blocking waits: off the cooperative pool, so in-process nodes of other suites keep running
            let cluster = try Cluster.three()
            defer { cluster.stop() }
            let storm = Storm(keys: 50)
            let killer = Thread {
                // Kill node3 once the storm is under way, restart it a little later.
                while storm.answered < 1500 { usleep(2000) }
                cluster.nodes[2].process.kill9()
                usleep(300_000)
                try? cluster.restart(2)
            }
            killer.start()
            storm.run(cluster, total: 9000, prefix: "kill")
            while killer.isExecuting { usleep(10_000) }
            try cluster.waitForMembers(3)
            _ = try cluster.waitForConvergence()
            #expect(storm.totalAcknowledged > 3000)
            try Self.check(cluster, storm: storm, prefix: "kill")
        }
    }

    @Test("a node whose data dir is wiped rejoins empty and catches up")
    func wipedNodeCatchesUp() async throws {
        try await onThread {  // blocking waits: off the cooperative pool, so in-process nodes of other suites keep running
            let cluster = try Cluster.three()
            defer { cluster.stop() }
            let storm = Storm(keys: 40)
            storm.run(cluster, total: 3000, prefix: "wipe")
            let before = try cluster.waitForConvergence()
            cluster.nodes[2].process.kill9()
            try cluster.restart(2, wipe: true)
            try cluster.waitForMembers(3)
            let after = try cluster.waitForConvergence()
            #expect(after == before)
            try Self.check(cluster, storm: storm, prefix: "wipe")
        }
    }

    @Test("with a cluster key, a node holding another key is refused and its frames are counted")
    func clusterKeyAuthenticatesGossip() async throws {
        try await onThread {  // blocking waits: off the cooperative pool, so in-process nodes of other suites keep running
            let cluster = try Cluster()
            defer { cluster.stop() }
            let keyA = cluster.root + "/a.key"
            let keyB = cluster.root + "/b.key"
            try "a-secret-cluster-key-0001\n".write(toFile: keyA, atomically: true, encoding: .utf8)
            try "b-another-cluster-key-002\n".write(toFile: keyB, atomically: true, encoding: .utf8)
            let n1 = try cluster.start("node1", peers: [], keyFile: keyA)
            let n2 = try cluster.start("node2", peers: [n1.gossip], keyFile: keyA)
            let intruder = try cluster.start("intruder", peers: [n1.gossip], keyFile: keyB)
            cluster.nodes = [n1, n2, intruder]
            let deadline = Date().addingTimeInterval(20)
            var status: JSONValue = .null
            while Date() < deadline {
                status = try Client(n1.admin).call("cluster.status")
                let names = (status["members"]?.arrayValue ?? []).compactMap { $0["node_id"]?.stringValue }
                let rejected = status["frames_rejected"]?["unauthenticated"]?.intValue ?? 0
                if names.contains("node2"), rejected > 0 { break }
                usleep(100_000)
            }
            let names = (status["members"]?.arrayValue ?? []).compactMap { $0["node_id"]?.stringValue }
            #expect(names.contains("node2"))
            #expect(!names.contains("intruder"), "a node with another key joined: \(status)")
            #expect((status["frames_rejected"]?["unauthenticated"]?.intValue ?? 0) > 0)
            // Writes still replicate between the nodes that share the key.
            let r = try Client(n1.admin).call("alert.ingest", ["title": "Keyed", "dedup_key": "keyed-1"])
            #expect(r["replicas"]?.intValue == 2)
        }
    }

    @Test("a partition with writes on both sides heals into one state, one incident per key")
    func partitionAndHeal() async throws {
        try await onThread {  // blocking waits: off the cooperative pool, so in-process nodes of other suites keep running
            let cluster = try Cluster.three()
            defer { cluster.stop() }
            func partition(_ on: Bool) throws {
                // node3 cut off from node1 and node2, both ways, on every node's fault layer.
                for (a, b) in [(0, 2), (1, 2), (2, 0), (2, 1)] {
                    let args: JSONObject = on ? ["peer": .string(cluster.nodes[b].id), "partition": "both"] : ["clear": true]
                    _ = try Client(cluster.nodes[a].admin).call("cluster.faults", args)
                }
            }
            try partition(true)
            let storm = Storm(keys: 30)
            let t0 = Date()
            storm.run(cluster, total: 3000, prefix: "split")
            let t1 = Date()
            try partition(false)
            try cluster.waitForMembers(3)
            let t2 = Date()
            _ = try cluster.waitForConvergence()
            let t3 = Date()
            FileHandle.standardError.write("partition timings: storm \(t1.timeIntervalSince(t0)) s, members \(t2.timeIntervalSince(t1)) s, converge \(t3.timeIntervalSince(t2)) s\n".data(using: .utf8)!)
            // Duplicates opened on both sides are merged by the key's owner.
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                let open = try Client(cluster.nodes[0].admin).call("incident.list", ["open": true, "limit": 10_000])["incidents"]?.arrayValue ?? []
                if open.filter({ $0["dedup_key"]?.stringValue?.hasPrefix("split-") == true }).count == storm.keys { break }
                usleep(200_000)
            }
            _ = try cluster.waitForConvergence()
            try Self.check(cluster, storm: storm, prefix: "split")
        }
    }
}
