import AdminProtocol
import AetherJSON
import Foundation
import IncidentCore
import PosixIO
import Testing

@testable import IncidentNode

/// A blocking HTTP/1.1 client over a raw socket: sends bytes as given (so tests can send broken
/// requests) and reads whole responses (status, headers, Content-Length body).
final class HTTPTestClient: @unchecked Sendable {
    // @unchecked: used by one thread at a time.
    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        var json: JSONValue? { try? JSONParser.parse(body) }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    let fd: Int32
    private var buffer: [UInt8] = []

    init(_ address: SocketAddress) throws {
        fd = try Socket.connect(address, timeoutMillis: 3000)
        Socket.setReceiveTimeout(fd, millis: 10_000)
    }
    deinit { Socket.close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try Socket.writeAll(fd, $0) }
    }

    /// A request with a JSON body.
    func request(_ method: String, _ path: String, json: String? = nil, headers: [String] = []) throws -> Response {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: test\r\n"
        for h in headers { text += h + "\r\n" }
        if let json {
            text += "Content-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n" + json
        } else {
            text += "\r\n"
        }
        try send(text)
        guard let r = try readResponse() else { throw NodeTestFailure("no response to \(method) \(path)") }
        return r
    }

    /// The next response, or nil when the server closed the connection first.
    func readResponse() throws -> Response? {
        func fill() throws -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = try chunk.withUnsafeMutableBytes { try Socket.read(fd, into: $0) }
            if n <= 0 { return false }
            buffer += chunk[0..<n]
            return true
        }
        while true {
            if let end = headerEnd() {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                let lines = head.components(separatedBy: "\r\n")
                let status = Int(lines[0].split(separator: " ")[1]) ?? 0
                let headers = lines.dropFirst().compactMap { l -> (String, String)? in
                    guard let c = l.firstIndex(of: ":") else { return nil }
                    return (String(l[..<c]), l[l.index(after: c)...].trimmingCharacters(in: .whitespaces))
                }
                let length = Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
                while buffer.count < end + 4 + length { guard try fill() else { return nil } }
                let body = Array(buffer[(end + 4)..<(end + 4 + length)])
                buffer.removeFirst(end + 4 + length)
                return Response(status: status, headers: headers, body: body)
            }
            guard try fill() else { return nil }
        }
    }

    /// Whether the server closed the connection (reads end).
    func closedByServer() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 1024)
        let n = (try? chunk.withUnsafeMutableBytes { try Socket.read(fd, into: $0) }) ?? 0
        return n <= 0
    }

    private func headerEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 { return i }
        return nil
    }
}

extension NodeTests {
    /// The HTTP server: intake endpoints, health, and malformed HTTP.
    @Suite struct HTTP {
        @Test func genericAlertsOpenIncidentsAndRepeatsDedup() async throws {
            try await withNodeClient { node in
                let h = try HTTPTestClient(node.runtime.httpAddress)
                var r = try h.request("POST", "/v1/alerts", json: #"{"title":"HighErrorRate","service":"payment-service","dedup_key":"http-1"}"#)
                #expect(r.status == 202)
                let id = try #require(r.json?["results"]?[0]?["incident_id"]?.stringValue)
                #expect(r.json?["results"]?[0]?["created"] == true)
                #expect(r.json?["replicas"] == 1)
                r = try h.request("POST", "/v1/alerts", json: #"{"alerts":[{"title":"HighErrorRate","dedup_key":"http-1"},{"title":"Other","dedup_key":"http-2"}]}"#)
                #expect(r.status == 202)
                #expect(r.json?["results"]?[0]?["incident_id"]?.stringValue == id, "same key, same incident, on the same keep-alive connection")
                #expect(r.json?["results"]?[1]?["created"] == true)
                let incident = try node.client().incident(id)
                #expect(incident["alert_count"] == 2)
                r = try h.request("GET", "/healthz")
                #expect(r.status == 200 && r.json?["status"] == "ok")
            }
        }

        @Test func badRequestsGetTheirStatusAndChangeNothing() async throws {
            try await withNodeClient { node in
                let h = try HTTPTestClient(node.runtime.httpAddress)
                var r = try h.request("POST", "/v1/alerts", json: #"{"title": 7}"#)
                var message = r.json?["error"]?["message"]?.stringValue ?? ""
                #expect(r.status == 400 && message.contains("title"))
                r = try h.request("POST", "/v1/alerts", json: "{not json")
                #expect(r.status == 400)
                r = try h.request("POST", "/v1/alerts", json: #"{"title":"x"}"#.replacingOccurrences(of: "x", with: "y"), headers: [])
                #expect(r.status == 202)
                r = try h.request("GET", "/v1/alerts")
                #expect(r.status == 405 && r.header("Allow") == "POST")
                r = try h.request("GET", "/nope")
                #expect(r.status == 404)
                try h.send("POST /v1/alerts HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi")
                r = try #require(try h.readResponse())
                message = r.json?["error"]?["message"]?.stringValue ?? ""
                #expect(r.status == 400 && message.contains("text/plain"))
                // A broken request line closes the connection; another client is unaffected.
                let bad = try HTTPTestClient(node.runtime.httpAddress)
                try bad.send("BROKEN\r\n\r\n")
                #expect(try bad.readResponse()?.status == 400)
                #expect(bad.closedByServer())
                let big = try HTTPTestClient(node.runtime.httpAddress)
                try big.send("POST /v1/alerts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: \(2 << 20)\r\n\r\n")
                #expect(try big.readResponse()?.status == 413)
                r = try h.request("GET", "/healthz")
                #expect(r.status == 200)
                let list = try node.client().ok("incident.list")["incidents"]?.arrayValue ?? []
                #expect(list.count == 1, "only the one valid alert opened an incident")
            }
        }

        @Test func aStalledRequestIsAnswered408AndClosed() async throws {
            try await withNodeClient({ $0.adminLimits.partialLineTimeout = .milliseconds(500) }) { node in
                let slow = try HTTPTestClient(node.runtime.httpAddress)
                try slow.send("POST /v1/alerts HTTP/1.1\r\nHost: t\r\nContent-Len")
                let r = try #require(try slow.readResponse())
                #expect(r.status == 408)
                #expect(slow.closedByServer())
            }
        }

        @Test func pagerDutyEventsNeedAKnownRoutingKeyAndMapToItsService() async throws {
            try await withNodeClient { node in
                let c = try node.client()
                let key = "0123456789abcdef0123456789abcdef"
                _ = try c.ok("catalog.set", ["kind": "integration", "document": ["name": .string(key), "service": "checkout"]])
                let h = try HTTPTestClient(node.runtime.httpAddress)
                var r = try h.request("POST", "/v2/enqueue", json: #"{"routing_key":"\#(key)","event_action":"trigger","dedup_key":"pd-1","payload":{"summary":"Checkout down","source":"datadog","severity":"critical"}}"#)
                #expect(r.status == 202)
                #expect(r.json == ["status": "success", "message": "Event processed", "dedup_key": "pd-1"])
                let listed = try c.ok("incident.list", ["dedup_key": "pd-1"])["incidents"]?.arrayValue ?? []
                #expect(listed.first?["service"] == "checkout")
                r = try h.request("POST", "/v2/enqueue", json: #"{"routing_key":"ffffffffffffffffffffffffffffffff","event_action":"trigger","payload":{"summary":"x","source":"y","severity":"info"}}"#)
                #expect(r.status == 400 && r.json?["status"] == "invalid event")
                r = try h.request("POST", "/v2/enqueue", json: #"{"routing_key":"\#(key)","event_action":"resolve","dedup_key":"pd-1"}"#)
                #expect(r.status == 202)
                #expect(try c.ok("incident.list", ["dedup_key": "pd-1"])["incidents"]?[0]?["status"] == "resolved")
            }
        }

        @Test func alertmanagerWebhookFiresAndResolves() async throws {
            try await withNodeClient { node in
                let h = try HTTPTestClient(node.runtime.httpAddress)
                func payload(_ status: String) -> String {
                    #"{"version":"4","groupKey":"{}:{alertname=\"HighLatency\"}","status":"\#(status)","receiver":"aether","groupLabels":{"alertname":"HighLatency"},"commonLabels":{"alertname":"HighLatency"},"commonAnnotations":{},"externalURL":"http://am:9093","truncatedAlerts":0,"alerts":[{"status":"\#(status)","labels":{"alertname":"HighLatency","service":"api","severity":"critical","instance":"api-1"},"annotations":{"summary":"API latency high"},"startsAt":"2026-11-27T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom/graph","fingerprint":"a1b2c3d4e5f60718"}]}"#
                }
                var r = try h.request("POST", "/v1/integrations/alertmanager", json: payload("firing"))
                #expect(r.status == 200)
                r = try h.request("POST", "/v1/integrations/alertmanager", json: payload("firing"))  // the group notification again
                #expect(r.status == 200)
                let c = try node.client()
                var listed = try c.ok("incident.list", ["dedup_key": "a1b2c3d4e5f60718"])["incidents"]?.arrayValue ?? []
                #expect(listed.count == 1 && listed.first?["service"] == "api")
                r = try h.request("POST", "/v1/integrations/alertmanager", json: payload("resolved"))
                #expect(r.status == 200)
                listed = try c.ok("incident.list", ["dedup_key": "a1b2c3d4e5f60718"])["incidents"]?.arrayValue ?? []
                #expect(listed.first?["status"] == "resolved")
            }
        }
    
        @Test func statusPageAndMetricsShowTheIncidents() async throws {
            try await withNodeClient { node in
                let c = try node.client()
                let h = try HTTPTestClient(node.runtime.httpAddress)
                var r = try h.request("GET", "/status.json")
                #expect(r.status == 200 && r.json?["open_incidents"]?.arrayValue?.isEmpty == true)
                let major = try c.ingest(["title": "Checkout <down> & out", "service": "checkout", "severity": "SEV-0"])
                _ = try c.ingest(["title": "Slow search", "service": "search", "severity": "SEV-2"])
                let fixed = try c.ingest(["title": "Old blip", "service": "search", "severity": "SEV-3"])
                _ = try c.ok("incident.update", ["id": .string(major), "message": "Failing over to the standby", "channels": ["statuspage"]])
                _ = try c.ok("incident.update", ["id": .string(major), "message": "internal only", "channels": ["log"]])
                _ = try c.ok("incident.resolve", ["id": .string(fixed), "resolution": "restarted"])
                r = try h.request("GET", "/status.json")
                #expect(r.status == 200)
                let services = (r.json?["services"]?.arrayValue ?? []).map { ($0["name"]?.stringValue ?? "", $0["status"]?.stringValue ?? "") }
                #expect(services.map(\.0) == ["checkout", "search"] && services.map(\.1) == ["major_outage", "degraded_performance"])
                let open = r.json?["open_incidents"]?.arrayValue ?? []
                #expect(open.count == 2 && open.first?["id"]?.stringValue == major, "worst first")
                #expect(open.first?["latest_update"] == "Failing over to the standby", "the latest update posted to the statuspage channel")
                #expect(r.json?["recently_resolved"]?[0]?["id"]?.stringValue == fixed)
                r = try h.request("GET", "/status")
                let html = String(decoding: r.body, as: UTF8.self)
                #expect(r.status == 200 && r.header("Content-Type")?.hasPrefix("text/html") == true)
                #expect(html.contains("Checkout &lt;down&gt; &amp; out") && !html.contains("<down>"), "titles are escaped")
                #expect(html.contains("Major outage") && html.contains("Failing over to the standby") && html.contains("Old blip"))
                #expect(html.contains("name=\"viewport\"") && !html.contains("http://") && !html.contains("https://"), "no external assets")
                r = try h.request("GET", "/metrics")
                let text = String(decoding: r.body, as: UTF8.self)
                #expect(r.status == 200 && r.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
                #expect(text.contains("aether_incidents_open{severity=\"SEV-0\"} 1"))
                #expect(text.contains("aether_incidents{status=\"resolved\"} 1"))
                #expect(text.contains("aether_incidents_total 3"))
                #expect(text.contains("# TYPE aether_http_responses_total counter") && text.contains("aether_http_responses_total{code=\"200\"}"))
            }
        }

        @Test func expectContinueAndTheScheduleCalendar() async throws {
            try await withNodeClient { node in
                let h = try HTTPTestClient(node.runtime.httpAddress)
                let body = #"{"title":"Big body","service":"svc","description":"\#(String(repeating: "x", count: 2000))"}"#
                try h.send("POST /v1/alerts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
                #expect(try h.readResponse()?.status == 100, "the interim answer comes before the body is sent")
                try h.send(body)
                #expect(try h.readResponse()?.status == 202)
                let c = try node.client()
                _ = try c.ok("catalog.set", ["kind": "person", "document": ["name": "alice"]])
                _ = try c.ok("catalog.set", ["kind": "schedule", "document": [
                    "name": "primary", "time_zone": "Europe/Berlin",
                    "layers": [["name": "weekly", "start": "2026-01-05", "handoff": "09:00", "rotation": "weekly", "participants": ["alice"]]],
                ]])
                let r = try h.request("GET", "/v1/schedules/primary.ics")
                #expect(r.status == 200 && r.header("Content-Type")?.hasPrefix("text/calendar") == true)
                #expect(String(decoding: r.body, as: UTF8.self).hasPrefix("BEGIN:VCALENDAR\r\n"))
                #expect(try h.request("GET", "/v1/schedules/nope.ics").status == 404)
            }
        }
}
}
