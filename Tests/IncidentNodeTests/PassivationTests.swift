import AetherJSON
import Testing

@testable import IncidentNode

extension NodeTests {
    /// Closed incidents are passivated (actor released, record kept encoded) and come back intact.
    @Suite("Passivation of closed incidents") struct Passivation {
        @Test("a passivated incident reads the same, reactivates on a write, and survives a restart")
        func passivateAndReactivate() async throws {
            let dir = try makeTempDir("passivate")
            defer { removeDir(dir) }
            var node = try await TestNode.start(testConfiguration(dataDir: dir))
            let id: String = try await onThread {
                let c = try node.client()
                let id = try c.ingest(["title": .string("Disk full"), "dedup_key": .string("disk-1"), "severity": .string("SEV-3")])
                _ = try c.ok("incident.resolve", ["id": .string(id), "resolution": .string("cleaned /var")])
                _ = try c.ok("incident.close", ["id": .string(id)])
                return id
            }
            let before = try await onThread { try node.client().incident(id) }
            let far = Timestamp(unixMillis: Int64.max / 2)
            #expect(await node.runtime.directory.passivateIdle(before: far) == 1)
            #expect(await node.runtime.directory.counts().passive == 1)
            // Reads see the same incident; a note (allowed on closed incidents) reactivates it.
            let read = try await onThread { try node.client().incident(id) }
            #expect(read == before)
            #expect(await node.runtime.directory.counts().passive == 0)
            #expect(await node.runtime.directory.passivateIdle(before: far) == 1)
            _ = try await onThread { try node.client().ok("incident.note", ["id": .string(id), "text": .string("post-mortem linked")]) }
            let noted = try await onThread { try node.client().incident(id) }
            #expect(timelineKinds(noted).last == "note")
            // A new alert for the key opens a new incident (closed incidents never reopen).
            let second = try await onThread { try node.client().ingest(["title": .string("Disk full"), "dedup_key": .string("disk-1"), "severity": .string("SEV-3")]) }
            #expect(second != id)
            // Passivated incidents are in snapshots and come back after a restart.
            #expect(await node.runtime.directory.passivateIdle(before: far) == 1)
            await node.stop()
            node = try await TestNode.start(testConfiguration(dataDir: dir))
            let restored = try await onThread { try node.client().incident(id) }
            #expect(restored == noted)
            await node.stop()
        }
    }
}

import IncidentCore
