import AetherJSON
import Foundation
import PosixIO
import Testing

@testable import AdminProtocol

/// Where Debian installs Alertmanager.
private let alertmanagerBinary = "/usr/bin/prometheus-alertmanager"

/// A real Prometheus Alertmanager (Debian `prometheus-alertmanager`, started here) receives
/// alerts and forwards them to `aetherd`'s webhook endpoint: the incidents appear with
/// Alertmanager's fingerprints as dedup keys, and its resolved notification resolves them.
@Suite(
    "Alertmanager → Aether over the webhook", .serialized,
    .enabled(if: FileManager.default.isExecutableFile(atPath: alertmanagerBinary), "prometheus-alertmanager is not installed"))
struct AlertmanagerProcessTests {
    static let binary = alertmanagerBinary
    typealias Client = ProcessCrashTests.Client
    typealias TestFailure = ProcessCrashTests.TestFailure

    static func freePort() throws -> UInt16 {
        let (fd, bound) = try Socket.listen(SocketAddress(host: "127.0.0.1", port: 0))
        Socket.close(fd)
        return bound.port
    }

    /// `{"labels": …, "annotations": …, "startsAt"/"endsAt"}` for `POST /api/v2/alerts`.
    static func alerts(resolved: Bool) -> String {
        let now = Date()
        let f = ISO8601DateFormatter()
        let times = resolved
            ? #""startsAt":"\#(f.string(from: now.addingTimeInterval(-60)))","endsAt":"\#(f.string(from: now.addingTimeInterval(-1)))""#
            : #""startsAt":"\#(f.string(from: now))""#
        let list = ["DiskFull", "HighLatency", "ErrorBudgetBurn"].map { name in
            #"{"labels":{"alertname":"\#(name)","service":"am-e2e","severity":"critical","instance":"db-1"},"annotations":{"summary":"\#(name) on db-1"},\#(times)}"#
        }
        return "[" + list.joined(separator: ",") + "]"
    }

    @Test("alerts sent to Alertmanager become incidents in Aether, and its resolve resolves them")
    func alertmanagerForwardsToAether() async throws {
        try await onThread {
            let cluster = try ClusterProcessTests.Cluster()
            defer { cluster.stop() }
            let node = try cluster.start("node1", peers: [])
            cluster.nodes = [node]
            let amPort = try Self.freePort()
            let amDir = cluster.root + "/am"
            try FileManager.default.createDirectory(atPath: amDir, withIntermediateDirectories: true)
            let yaml = """
                route:
                  receiver: aether
                  group_by: ['alertname']
                  group_wait: 1s
                  group_interval: 1s
                  repeat_interval: 1h
                receivers:
                  - name: aether
                    webhook_configs:
                      - url: http://\(node.http)/v1/integrations/alertmanager
                        send_resolved: true
                """
            try yaml.write(toFile: amDir + "/alertmanager.yml", atomically: true, encoding: .utf8)
            let am = try ChildProcess(
                path: Self.binary,
                arguments: [
                    "--config.file=\(amDir)/alertmanager.yml", "--storage.path=\(amDir)/data", "--web.listen-address=127.0.0.1:\(amPort)",
                    "--cluster.listen-address=", "--log.level=warn",
                ], stderrPath: amDir + "/alertmanager.log")
            defer { am.kill9() }
            let amAddress = SocketAddress(host: "127.0.0.1", port: amPort)
            func postToAlertmanager(_ body: String) throws {
                let deadline = Date().addingTimeInterval(20)
                while true {
                    if let h = try? HTTPTestClient(amAddress), let r = try? h.request("POST", "/api/v2/alerts", json: body), r.status == 200 { return }
                    guard Date() < deadline else { throw TestFailure("Alertmanager did not take the alerts: \((try? String(contentsOfFile: amDir + "/alertmanager.log", encoding: .utf8)) ?? "")") }
                    usleep(200_000)
                }
            }
            let c = try Client(node.admin)
            func incidents() throws -> [JSONValue] {
                try c.call("incident.list", ["service": "am-e2e"])["incidents"]?.arrayValue ?? []
            }
            try postToAlertmanager(Self.alerts(resolved: false))
            var deadline = Date().addingTimeInterval(20)
            while try incidents().count < 3 {
                guard Date() < deadline else { throw TestFailure("incidents did not appear: \(try incidents()) \(cluster.diagnostics())") }
                usleep(100_000)
            }
            let opened = try incidents()
            #expect(opened.count == 3)
            #expect(opened.allSatisfy { ($0["dedup_key"]?.stringValue ?? "").count == 16 }, "the fingerprint is the dedup key")
            #expect(Set(opened.compactMap { $0["title"]?.stringValue }) == ["DiskFull on db-1", "HighLatency on db-1", "ErrorBudgetBurn on db-1"])
            try postToAlertmanager(Self.alerts(resolved: true))
            deadline = Date().addingTimeInterval(20)
            while try incidents().contains(where: { $0["status"]?.stringValue != "resolved" }) {
                guard Date() < deadline else { throw TestFailure("incidents were not resolved: \(try incidents())") }
                usleep(100_000)
            }
            #expect(try incidents().count == 3, "the resolve attached to the same incidents")
        }
    }
}
