import AetherCLI
import AetherJSON
import Foundation
import PosixIO
import Testing

@testable import AdminProtocol

/// Real processes: three `aetherd`, a service whose policy has two levels with a short delay, an
/// incident paged at level 1 by its owner — then the owner is killed with kill -9 before level 2
/// is due. Level 2 must be fired by another node, once, within failure detection + 1 s.
@Suite("Escalation processes: failover of a pending step", .serialized)
struct EscalationProcessTests {
    typealias Client = ProcessCrashTests.Client
    typealias TestFailure = ProcessCrashTests.TestFailure
    typealias Cluster = ClusterProcessTests.Cluster

    static func setCatalog(_ c: Client, delay: Int) throws {
        for p in ["alice", "bob"] {
            _ = try c.call("catalog.set", ["kind": "person", "document": ["name": .string(p)]])
        }
        _ = try c.call(
            "catalog.set",
            [
                "kind": "policy",
                "document": [
                    "name": "payments",
                    "levels": [
                        ["delay_s": .int(Int64(delay)), "targets": [["person": "alice"]]],
                        ["delay_s": 600, "targets": [["person": "bob"]]],
                    ],
                ],
            ])
        _ = try c.call("catalog.set", ["kind": "service", "document": ["name": "payment-service", "policy": "payments"]])
    }

    /// The `paged` entries of an incident on a node, as (step, who).
    static func pages(_ c: Client, _ id: String) throws -> [(Int, String)] {
        let timeline = try c.call("incident.get", ["id": .string(id)])["timeline"]?.arrayValue ?? []
        return timeline.compactMap { e in
            guard e["kind"]?.stringValue == "paged" else { return nil }
            return (Int(e["details"]?["step"]?.intValue ?? -1), e["details"]?["who"]?.stringValue ?? "")
        }
    }

    @Test("kill -9 the owner before level 2 is due: level 2 fires once, from another node, within detection + 1 s")
    func ownerKilledWithStepPending() async throws {
        try await onThread {
            let cluster = try Cluster.three()
            defer { cluster.stop() }
            let delay = 1  // level 2 falls due while the dead owner is still being detected
            try Self.setCatalog(try Client(cluster.nodes[0].admin), delay: delay)
            // Every node must know the policy, and be past its start-up warm-up, before the incident opens.
            let deadline = Date().addingTimeInterval(20)
            while cluster.nodes.contains(where: { n in
                ((try? Client(n.admin).call("catalog.list", ["kind": "service"]))?["items"]?.arrayValue?.count ?? 0) == 0
                    || (try? Client(n.admin).call("escalation.status"))?["warming_up"]?.boolValue != false
            }) {
                guard Date() < deadline else { throw TestFailure("catalog did not replicate: \(cluster.diagnostics())") }
                usleep(50_000)
            }
            let opened = try Client(cluster.nodes[0].admin).call(
                "alert.ingest", ["title": "HighErrorRate", "service": "payment-service", "source": "prometheus", "dedup_key": "esc-failover"])
            let id = try #require(opened["incident_id"]?.stringValue)
            let owner = try #require(try Client(cluster.nodes[0].admin).call("incident.get", ["id": .string(id)])["owner"]?.stringValue)
            let ownerIndex = try #require(cluster.nodes.firstIndex { $0.id == owner })
            let survivors = cluster.nodes.indices.filter { $0 != ownerIndex }
            // Level 1 is paged by the owner at once; wait until a survivor holds it.
            let watcher = try Client(cluster.nodes[survivors[0]].admin)
            while try Self.pages(watcher, id).isEmpty {
                guard Date() < deadline else { throw TestFailure("level 1 was not paged: \(cluster.diagnostics())") }
                usleep(20_000)
            }
            #expect(try Self.pages(watcher, id).map(\.1) == ["alice"])
            cluster.nodes[ownerIndex].process.kill9()
            let killedAt = Date()
            // Detection: a survivor marks the owner dead (ownership moves then; a suspect still owns).
            var detectedAt: Date?
            var firedAt: Date?
            let limit = killedAt.addingTimeInterval(Double(delay) + 15)
            while Date() < limit && firedAt == nil {
                if detectedAt == nil {
                    let members = try watcher.call("cluster.status")["members"]?.arrayValue ?? []
                    if members.contains(where: { $0["node_id"]?.stringValue == owner && $0["state"]?.stringValue == "dead" }) {
                        detectedAt = Date()
                    }
                }
                if try Self.pages(watcher, id).count >= 2 { firedAt = Date() }
                usleep(20_000)
            }
            let fired = try #require(firedAt, "level 2 never fired: \(cluster.diagnostics())")
            let detected = detectedAt ?? fired
            // Level 2 was due `delay` s after opening; the owner died before that. It must fire within
            // detection + 1 s of whichever came later: the due time or the detection.
            let statusA = try Client(cluster.nodes[survivors[0]].admin).call("escalation.status")
            let statusB = try Client(cluster.nodes[survivors[1]].admin).call("escalation.status")
            let firedBySurvivors = (statusA["fired"]?.intValue ?? 0) + (statusB["fired"]?.intValue ?? 0)
            #expect(firedBySurvivors == 1, "exactly one survivor fired level 2")
            print("escalation failover: detection \(detected.timeIntervalSince(killedAt)) s after kill, level 2 seen \(fired.timeIntervalSince(killedAt)) s after kill")
            #expect(detected.timeIntervalSince(killedAt) <= 5, "the dead owner is detected within 5 s")
            #expect(fired.timeIntervalSince(killedAt) <= max(Double(delay), detected.timeIntervalSince(killedAt)) + 1.0)
            // The dead owner comes back with its disk lost: anti-entropy brings back the catalog and
            // the incident with each step once; then every node holds the same state.
            try cluster.restart(ownerIndex, wipe: true)
            try cluster.waitForMembers(3)
            _ = try cluster.waitForConvergence()
            let back = try Client(cluster.nodes[ownerIndex].admin)
            #expect(try back.call("catalog.get", ["kind": "policy", "name": "payments"])["name"] == "payments")
            for n in cluster.nodes {
                let p = try Self.pages(try Client(n.admin), id)
                #expect(p.map(\.0) == [1, 2], "\(n.id) holds each step once")
                #expect(p.map(\.1) == ["alice", "bob"])
            }
        }
    }

    @Test("kill -9 the owner while a page's delivery is failing: the next owner delivers it, same key, once")
    func ownerKilledWithDeliveryPending() async throws {
        try await onThread {
            // The receiver refuses the first three attempts: the owner's first and second fail; the
            // owner is killed after the first failure is on another node.
            let receiver = try WebhookReceiver(statuses: [503, 503, 503])
            defer { receiver.stop() }
            let cluster = try Cluster()
            defer { cluster.stop() }
            let path = cluster.root + "/config.json"
            try #"{"escalation_warmup_ms": 0, "channels": {"pager": {"type": "webhook", "url": "http://\#(receiver.address)/page", "format": "json"}}}"#
                .write(toFile: path, atomically: true, encoding: .utf8)
            let n1 = try cluster.start("node1", peers: [], extra: ["--config", path])
            cluster.nodes = [n1, try cluster.start("node2", peers: [n1.gossip], extra: ["--config", path]), try cluster.start("node3", peers: [n1.gossip], extra: ["--config", path])]
            try cluster.waitForMembers(3)
            let c = try Client(cluster.nodes[0].admin)
            _ = try c.call("catalog.set", ["kind": "person", "document": ["name": "alice", "contacts": [["channel": "pager", "address": "alice@example.com"]]]])
            _ = try c.call(
                "catalog.set", ["kind": "policy", "document": ["name": "payments", "levels": [["delay_s": 600, "targets": [["person": "alice"]]]]]])
            _ = try c.call("catalog.set", ["kind": "service", "document": ["name": "payment-service", "policy": "payments"]])
            let deadline = Date().addingTimeInterval(20)
            while cluster.nodes.contains(where: { n in ((try? Client(n.admin).call("catalog.list", ["kind": "service"]))?["items"]?.arrayValue?.count ?? 0) == 0 }) {
                guard Date() < deadline else { throw TestFailure("catalog did not replicate: \(cluster.diagnostics())") }
                usleep(50_000)
            }
            let opened = try c.call("alert.ingest", ["title": "HighErrorRate", "service": "payment-service", "dedup_key": "delivery-failover"])
            let id = try #require(opened["incident_id"]?.stringValue)
            let owner = try #require(try c.call("incident.get", ["id": .string(id)])["owner"]?.stringValue)
            let ownerIndex = try #require(cluster.nodes.firstIndex { $0.id == owner })
            let survivors = cluster.nodes.indices.filter { $0 != ownerIndex }
            let watcher = try Client(cluster.nodes[survivors[0]].admin)
            func entries(_ kind: String) throws -> [JSONValue] {
                (try watcher.call("incident.get", ["id": .string(id)])["timeline"]?.arrayValue ?? []).filter { $0["kind"]?.stringValue == kind }
            }
            while try entries("notification_failed").isEmpty {
                guard Date() < deadline else { throw TestFailure("no failed attempt reached a survivor: \(cluster.diagnostics())") }
                usleep(20_000)
            }
            cluster.nodes[ownerIndex].process.kill9()
            let killedAt = Date()
            var settled = false
            while !settled && Date() < killedAt.addingTimeInterval(40) {
                settled = try !entries("deliveries_settled").isEmpty
                if !settled { usleep(100_000) }
            }
            #expect(settled, "the page's delivery never settled: \(cluster.diagnostics())")
            let key = "\(id)/step-1/alice"
            let delivered = try entries("notified")
            #expect(delivered.count == 1 && delivered.first?["details"]?["key"]?.stringValue == key, "\(delivered)")
            let requests = receiver.requests
            #expect(requests.allSatisfy { $0.key == key }, "every attempt carries the same Idempotency-Key")
            #expect(requests.filter { $0.status == 200 }.count == 1, "delivered once: \(requests.map(\.status))")
            #expect(requests.count >= 4, "the owner's attempts, then the next owner's until one got through")
            let resumed = try survivors.map { try Client(cluster.nodes[$0].admin).call("escalation.status")["deliveries_resumed"]?.intValue ?? 0 }
            #expect(resumed.reduce(0, +) == 1, "one survivor took the delivery over: \(resumed)")
            print("delivery failover: delivered \(Date().timeIntervalSince(killedAt)) s after the kill, \(requests.count) attempts: \(requests.map(\.status))")
        }
    }

    @Test("an owner that does not fire a due step (stuck warming up) is noticed: another node raises escalation_overdue")
    func stuckOwnerRaisesTheWatchdog() async throws {
        try await onThread {
            let cluster = try Cluster()
            defer { cluster.stop() }
            func config(_ name: String, _ json: String) throws -> String {
                let path = cluster.root + "/\(name).json"
                try json.write(toFile: path, atomically: true, encoding: .utf8)
                return path
            }
            // node1 watches (no warm-up, alarm 2 s after due); node2 never fires in this test (60 s warm-up).
            let watcher = try cluster.start("node1", peers: [], extra: ["--config", try config("n1", #"{"escalation_warmup_ms": 0, "escalation_overdue_after_s": 2}"#)])
            let stuck = try cluster.start("node2", peers: [watcher.gossip], extra: ["--config", try config("n2", #"{"escalation_warmup_ms": 60000}"#)])
            cluster.nodes = [watcher, stuck]
            try cluster.waitForMembers(2)
            let c = try Client(watcher.admin)
            try Self.setCatalog(c, delay: 600)
            // An incident node2 owns: its level 1 is due at once and never fires.
            var stuckID: String?
            for k in 0..<64 where stuckID == nil {
                let r = try c.call("alert.ingest", ["title": "Queue backlog", "service": "payment-service", "dedup_key": .string("stuck-\(k)")])
                let id = try #require(r["incident_id"]?.stringValue)
                if try c.call("incident.get", ["id": .string(id)])["owner"]?.stringValue == "node2" { stuckID = id }
            }
            let id = try #require(stuckID)
            let deadline = Date().addingTimeInterval(15)
            var alarm: JSONValue?
            while alarm == nil && Date() < deadline {
                usleep(100_000)
                let list = try c.call("incident.list", ["dedup_key": .string("escalation_overdue:\(id)")])["incidents"]?.arrayValue ?? []
                alarm = list.first
            }
            let found = try #require(alarm, "no escalation_overdue incident: \(cluster.diagnostics())")
            #expect(found["service"] == "aether")
            #expect(found["severity"] == "SEV-1")
            #expect(try Self.pages(c, id).isEmpty, "the stuck owner really did not page")
            #expect((try c.call("escalation.status")["overdue_raised"]?.intValue ?? 0) >= 1)
        }
    }
}
