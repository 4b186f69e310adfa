import AdminProtocol
import AetherJSON
import Foundation
import IncidentCore
import PosixIO
import Testing

@testable import IncidentNode

extension NodeTests {
    /// Admin tokens and roles (SPEC §7.8).
    @Suite struct Auth {
        static let viewer = "viewer-token-0123456789"
        static let responder = "responder-token-0123456789"

        @Test func tokensAndRoles() async throws {
            let dir = try makeTempDir("auth")
            defer { removeDir(dir) }
            let tokenFile = dir + "/tokens"
            try "# admin tokens\n\(Self.viewer) viewer alice\n\n\(Self.responder)\tresponder bob\n"
                .write(toFile: tokenFile, atomically: true, encoding: .utf8)
            let node = try await TestNode.start(testConfiguration(dataDir: dir + "/data") { $0.adminTokenFile = tokenFile })
            do {
                try await onThread {
                    let c = try node.client()
                    // No token.
                    let none = try c.fails("node.info")
                    #expect(none.code == .unauthorized)
                    #expect(none.message.contains("requires a token"))
                    #expect(try c.fails("alert.ingest", ["title": "x"]).code == .unauthorized)
                    // Unknown token.
                    let unknown = try c.fails("node.info", token: "not-a-real-token-at-all")
                    #expect(unknown.code == .unauthorized)
                    #expect(unknown.message.contains("unknown token"))
                    // Responder works incidents, as "bob".
                    let id = try c.ok("alert.ingest", ["title": "Token test", "dedup_key": "auth-1", "severity": "SEV-3"], token: Self.responder)["incident_id"]?.stringValue ?? ""
                    let digest = try c.ok("log.digest", token: Self.viewer)
                    // Viewer reads but may not act.
                    #expect(try c.ok("incident.get", ["id": .string(id)], token: Self.viewer)["status"] == "triggered")
                    let forbidden = try c.fails("incident.ack", ["id": .string(id)], token: Self.viewer)
                    #expect(forbidden.code == .forbidden)
                    #expect(forbidden.message.contains("incident.ack needs role responder"))
                    #expect(forbidden.message.contains("alice"))
                    #expect(try c.fails("alert.ingest", ["title": "x"], token: Self.viewer).code == .forbidden)
                    #expect(try c.fails("admin.snapshot", token: Self.responder).code == .forbidden)
                    // Refused requests changed nothing.
                    #expect(try c.ok("log.digest", token: Self.viewer) == digest)
                    let acked = try c.ok("incident.ack", ["id": .string(id)], token: Self.responder)
                    #expect(acked["status"] == "acknowledged")
                    let inc = try c.ok("incident.get", ["id": .string(id)], token: Self.responder)
                    let ack = inc["timeline"]?.arrayValue?.first { $0["kind"] == "acknowledged" }
                    #expect(ack?["actor"] == "bob")
                }
            } catch {
                await node.stop()
                throw error
            }
            await node.stop()
        }
    }
}
