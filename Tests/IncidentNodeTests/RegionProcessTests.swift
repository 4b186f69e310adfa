import AetherJSON
import Foundation
import PosixIO
import Testing

@testable import AdminProtocol

/// Real processes in two regions (eu-west: two nodes, us-east: one), 60 ms each way between them
/// through the fault layer. Alerts are decided in the region they arrive in, so the same keys sent
/// to both regions at once open an incident on each side. The key's owner must merge them into one
/// open incident per key, and page each key once: it holds a duplicate's due step until the merge,
/// and keeps the incident that already paged.
@Suite("Regions: duplicates from two regions merge, each key paged once", .serialized)
struct RegionProcessTests {
    typealias Client = ProcessCrashTests.Client
    typealias TestFailure = ProcessCrashTests.TestFailure
    typealias Cluster = ClusterProcessTests.Cluster

    @Test("the same keys sent to two regions at once: one open incident per key, each key paged once")
    func sameKeysInTwoRegions() async throws {
        try await onThread {
            let cluster = try Cluster()
            defer { cluster.stop() }
            let eu1 = try cluster.start("eu1", peers: [], extra: ["--region", "eu-west"])
            cluster.nodes = [
                eu1, try cluster.start("eu2", peers: [eu1.gossip], extra: ["--region", "eu-west"]),
                try cluster.start("us1", peers: [eu1.gossip], extra: ["--region", "us-east"]),
            ]
            try cluster.waitForMembers(3)
            for (a, b) in [(0, 2), (1, 2), (2, 0), (2, 1)] {
                _ = try Client(cluster.nodes[a].admin).call("cluster.faults", ["peer": .string(cluster.nodes[b].id), "latency_ms": 60])
            }
            try EscalationProcessTests.setCatalog(try Client(eu1.admin), delay: 600)
            let ready = Date().addingTimeInterval(20)
            while cluster.nodes.contains(where: { n in
                ((try? Client(n.admin).call("catalog.list", ["kind": "service"]))?["items"]?.arrayValue?.count ?? 0) == 0
                    || (try? Client(n.admin).call("escalation.status"))?["warming_up"]?.boolValue != false
            }) {
                guard Date() < ready else { throw TestFailure("catalog did not replicate: \(cluster.diagnostics())") }
                usleep(50_000)
            }
            // One batch of the same 20 keys to eu1 and to us1 at once.
            let keys = (0..<20).map { "two-regions-\($0)" }
            let alerts: [JSONValue] = keys.map { ["title": "HighErrorRate", "service": "payment-service", "source": "prometheus", "dedup_key": .string($0)] }
            let answers = Answers()
            let group = DispatchGroup()
            for (slot, node) in [0, 2].enumerated() {
                let address = cluster.nodes[node].admin
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    let results = (try? Client(address).call("alert.ingest_batch", ["alerts": .array(alerts)]))?["results"]?.arrayValue ?? []
                    let ids = results.map { $0["incident_id"]?.stringValue ?? "" }
                    answers.set(slot, ids)
                }
            }
            group.wait()
            let (eu, us) = (answers.get(0), answers.get(1))
            #expect(eu.count == keys.count && us.count == keys.count, "both batches answered")
            let opened = zip(eu, us).filter { $0 != $1 }.count
            // 120 ms between the regions: neither side can know the other's incident in time.
            #expect(opened > 0, "each region opened its own incident for some keys")
            // The owners merge the duplicates.
            let deadline = Date().addingTimeInterval(20)
            func openCount(_ n: ClusterProcessTests.Node) -> Int {
                let open = (try? Client(n.admin).call("incident.list", ["open": true, "limit": 1_000]))?["incidents"]?.arrayValue ?? []
                return open.filter { $0["dedup_key"]?.stringValue?.hasPrefix("two-regions-") == true }.count
            }
            while cluster.nodes.contains(where: { openCount($0) != keys.count }) {
                guard Date() < deadline else { throw TestFailure("duplicates were not merged: \(cluster.nodes.map(openCount))") }
                usleep(100_000)
            }
            _ = try cluster.waitForConvergence()
            var held: Int64 = 0
            for n in cluster.nodes {
                let c = try Client(n.admin)
                held += try c.call("escalation.status")["held_for_merge"]?.intValue ?? 0
                for key in keys {
                    let incidents = try c.call("incident.list", ["dedup_key": .string(key), "limit": 10])["incidents"]?.arrayValue ?? []
                    let open = try c.call("incident.list", ["dedup_key": .string(key), "open": true, "limit": 10])["incidents"]?.arrayValue ?? []
                    #expect(open.count == 1, "\(n.id): \(open.count) open incidents for \(key)")
                    var pages: [(Int, String)] = []
                    for i in incidents { pages += try EscalationProcessTests.pages(c, i["id"]!.stringValue!) }
                    #expect(pages.map(\.1) == ["alice"], "\(n.id): \(key) paged \(pages.map(\.1)), expected alice once")
                }
            }
            #expect(held > 0, "duplicates' due steps were held for the merge")
        }
    }

    /// The incident ids each region answered, written from the senders' threads.
    final class Answers: @unchecked Sendable {
        // @unchecked: behind `lock`.
        private let lock = NSLock()
        private var slots: [[String]] = [[], []]
        func set(_ slot: Int, _ ids: [String]) { lock.withLock { slots[slot] = ids } }
        func get(_ slot: Int) -> [String] { lock.withLock { slots[slot] } }
    }
}
