import AdminProtocol
import AetherJSON
import Foundation
import IncidentCore
import PosixIO
import Testing

@testable import IncidentNode

/// What a node shows through the protocol: every incident with its timeline, the list, the event
/// digest and identity (node.info minus uptime and addresses, which change on restart).
struct ObservedState: Equatable, Sendable, CustomStringConvertible {
    var incidents: [String: JSONValue] = [:]
    var list: JSONValue = .null
    var digest: JSONValue = .null
    var identity: [JSONValue] = []

    static func read(_ c: AdminClient, ids: [String]) throws -> ObservedState {
        var s = ObservedState()
        for id in ids { s.incidents[id] = .object(try c.incident(id)) }
        s.list = .object(try c.ok("incident.list", ["limit": 1000]))
        s.digest = .object(try c.ok("log.digest"))
        let info = try c.ok("node.info")
        s.identity = [info["node_id"] ?? .null, info["region"] ?? .null, info["version"] ?? .null]
        return s
    }

    var description: String { "\(incidents.count) incidents, digest \(digest)" }
}

/// Ingests a mix of alerts and commands; returns the incident ids.
private func populate(_ c: AdminClient, prefix: String, keys: Int = 8, alerts: Int = 24) throws -> [String] {
    var ids: [String] = []
    for n in 0..<alerts {
        let id = try c.ingest([
            "title": .string("\(prefix) alert \(n % keys)"), "service": .string("svc-\(n % 3)"), "source": "prometheus",
            "dedup_key": .string("\(prefix)-\(n % keys)"), "severity": n % keys == 0 ? "SEV-1" : "SEV-3",
            "labels": ["n": .string("\(n)")],
        ])
        if !ids.contains(id) { ids.append(id) }
    }
    _ = try c.ok("incident.ack", ["id": .string(ids[1])])
    _ = try c.ok("incident.note", ["id": .string(ids[2]), "text": "looked at the dashboards"])
    _ = try c.ok("incident.resolve", ["id": .string(ids[3]), "resolution": "scaled up", "type": "workaround"])
    _ = try c.ok("incident.resolve", ["id": .string(ids[4]), "resolution": "fixed"])
    _ = try c.ok("incident.close", ["id": .string(ids[4])])
    _ = try c.ok("incident.assign", ["id": .string(ids[5]), "role": "incident_commander", "person": "dana"])
    _ = try c.ok("incident.update", ["id": .string(ids[0]), "message": "war room open", "channels": ["log"]])
    return ids
}

private func numbers(after marker: String, in text: String) -> Int? {
    guard let r = text.range(of: marker) else { return nil }
    return Int(text[r.upperBound...].prefix { $0.isNumber })
}

extension NodeTests {
    /// State survives restarts (clean, crash-like, from a snapshot) and corruption is reported.
    @Suite struct Durability {
        @Test func cleanRestartShowsTheSameState() async throws {
            let dir = try makeTempDir("restart")
            defer { removeDir(dir) }
            let config = testConfiguration(dataDir: dir)
            let first = try await TestNode.start(config)
            let (ids, before) = try await onThread { () throws -> ([String], ObservedState) in
                let c = try first.client()
                let ids = try populate(c, prefix: "restart")
                return (ids, try ObservedState.read(c, ids: ids))
            }
            await first.stop()
            let second = try await TestNode.start(config)
            let after = try await onThread { try ObservedState.read(try second.client(), ids: ids) }
            // Still writable after the restart, with fresh ids.
            let more = try await onThread { () throws -> String in
                let c = try second.client()
                return try c.ingest(["title": "after restart", "dedup_key": "after-restart"])
            }
            await second.stop()
            #expect(after == before)
            #expect(before.digest["events"]?.intValue ?? 0 > 0)
            #expect(!ids.contains(more))
        }

        @Test("a restart continues the data directory's event author; a new directory is a new author")
        func eventAuthorFollowsTheDataDirectory() async throws {
            let dir = try makeTempDir("author")
            let other = try makeTempDir("author-wiped")
            defer {
                removeDir(dir)
                removeDir(other)
            }
            let first = try await TestNode.start(testConfiguration(dataDir: dir))
            let author = first.runtime.sequencer.author
            _ = try await onThread { try first.client().ingest(["title": "before restart", "dedup_key": "author-1"]) }
            let seqBefore = first.runtime.sequencer.mark().seq
            await first.stop()
            #expect(author.name.hasPrefix("testnode/") && author.authorNode == NodeID("testnode"))
            #expect(seqBefore > 0)

            let again = try await TestNode.start(testConfiguration(dataDir: dir))
            #expect(again.runtime.sequencer.author == author)
            #expect(again.runtime.sequencer.mark().seq == seqBefore)
            await again.stop()

            // The same node on a lost disk: its sequence starts over, so it must be another author.
            try await Task.sleep(for: .milliseconds(5))
            let wiped = try await TestNode.start(testConfiguration(dataDir: other))
            #expect(wiped.runtime.sequencer.mark().seq == 0)
            #expect(wiped.runtime.sequencer.author.authorNode == NodeID("testnode"))
            await wiped.stop()
        }

        @Test func crashImageReplaysTheLog() async throws {
            let dir = try makeTempDir("crash")
            let image = dir + "-image"
            defer {
                removeDir(dir)
                removeDir(image)
            }
            let node = try await TestNode.start(testConfiguration(dataDir: dir))
            let (ids, before) = try await onThread { () throws -> ([String], ObservedState) in
                let c = try node.client()
                let ids = try populate(c, prefix: "crash")
                return (ids, try ObservedState.read(c, ids: ids))
            }
            // Every acknowledged change is durable: a copy taken now is what kill -9 would leave.
            try copyDir(dir, image)
            await node.stop()
            let restarted = try await TestNode.start(testConfiguration(dataDir: image))
            #expect(restarted.runtime.recoveryReport.records > 0)
            let after = try await onThread { try ObservedState.read(try restarted.client(), ids: ids) }
            await restarted.stop()
            #expect(after == before)
        }

        @Test func snapshotThenRestartShowsTheSameState() async throws {
            let dir = try makeTempDir("snap")
            let image = dir + "-image"
            defer {
                removeDir(dir)
                removeDir(image)
            }
            let config = testConfiguration(dataDir: dir)
            let node = try await TestNode.start(config)
            let (ids, before) = try await onThread { () throws -> ([String], ObservedState) in
                let c = try node.client()
                var ids = try populate(c, prefix: "snapA")
                let snap = try c.ok("admin.snapshot")
                #expect((snap["lsn"]?.intValue ?? 0) > 0)
                #expect((snap["bytes"]?.intValue ?? 0) > 0)
                // Changes after the snapshot: to incidents in it and new ones.
                _ = try c.ok("incident.ack", ["id": .string(ids[6])])
                _ = try c.ok("alert.ingest", ["title": "snapA alert 2", "dedup_key": "snapA-2"])
                ids += try populate(c, prefix: "snapB")
                return (ids, try ObservedState.read(c, ids: ids))
            }
            try copyDir(dir, image)  // snapshot + log tail, as a crash would leave them
            await node.stop()
            for d in [image, dir] {
                let restarted = try await TestNode.start(testConfiguration(dataDir: d))
                let after = try await onThread { try ObservedState.read(try restarted.client(), ids: ids) }
                await restarted.stop()
                #expect(after == before, "restart from \(d == image ? "the crash image" : "a clean shutdown")")
            }
        }

        @Test func corruptionInASealedSegmentIsReported() async throws {
            let dir = try makeTempDir("corrupt")
            let image = dir + "-image"
            defer {
                removeDir(dir)
                removeDir(image)
            }
            let config = testConfiguration(dataDir: dir) { $0.wal.segmentBytesMax = 4096 }
            let node = try await TestNode.start(config)
            try await onThread {
                let c = try node.client()
                for n in 0..<60 {
                    _ = try c.ingest(["title": .string("corruption test alert \(n)"), "dedup_key": .string("corrupt-\(n)"), "description": .string(String(repeating: "d", count: 100))])
                }
            }
            try copyDir(dir, image)
            await node.stop()
            let segments = try FileManager.default.contentsOfDirectory(atPath: image)
                .filter { $0.hasPrefix("segment-") && $0.hasSuffix(".log") }.sorted()
            try #require(segments.count >= 3, "expected several segments, found \(segments)")
            let victim = segments[0]
            let path = image + "/" + victim
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            let middle = bytes.count / 2
            bytes[middle] ^= 0x5A
            try Data(bytes).write(to: URL(fileURLWithPath: path))

            do {
                let runtime = try await NodeRuntime.start(testConfiguration(dataDir: image) { $0.wal.segmentBytesMax = 4096 }, logger: quietLogger())
                Issue.record("start succeeded on a corrupt log")
                let t = Task { await runtime.run() }
                runtime.shutdown()
                await t.value
            } catch {
                let text = "\(error)"
                #expect(text.contains(victim), "error does not name the segment: \(text)")
                let offset = numbers(after: "at byte ", in: text)
                #expect(offset != nil, "error does not name the offset: \(text)")
                if let offset {
                    #expect(offset > 0 && offset <= middle, "reported offset \(offset), corrupted byte at \(middle)")
                }
            }
        }
    }
}
