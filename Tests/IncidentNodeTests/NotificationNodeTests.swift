import AdminProtocol
import AetherJSON
import Foundation
import IncidentCore
import PosixIO
import Testing

#if canImport(Glibc)
import Glibc
#endif

import AetherCLI

@testable import IncidentNode

extension NodeTests {
    /// Pages and status updates delivered to webhook channels: retried until they get through,
    /// every attempt in the timeline, one successful delivery per page.
    @Suite struct Notifications {
        @Test func aPageRetriesThroughAFailingWebhookAndIsDeliveredOnce() async throws {
            let receiver = try WebhookReceiver(statuses: [500, 503])
            defer { receiver.stop() }
            try await withNodeClient({
                $0.escalationWarmup = .zero
                $0.channels["pager"] = ChannelConfiguration(url: "http://\(receiver.address)/hook", format: .json)
            }) { node in
                let c = try node.client()
                _ = try c.ok("catalog.set", ["kind": "person", "document": ["name": "alice", "contacts": [["channel": "pager", "address": "alice@example.com"]]]])
                _ = try c.ok("catalog.set", ["kind": "policy", "document": ["name": "p", "levels": [["delay_s": 600, "targets": [["person": "alice"]]]]]])
                _ = try c.ok("catalog.set", ["kind": "service", "document": ["name": "checkout", "policy": "p"]])
                let id = try c.ingest(["title": "Checkout down", "service": "checkout"])
                for _ in 0..<10 { _ = try c.ingest(["title": "Checkout down", "service": "checkout"]) }
                func kinds() throws -> [String] { timelineKinds(try c.incident(id)).filter { $0 == "notified" || $0 == "notification_failed" } }
                let deadline = Date().addingTimeInterval(8)
                while try !kinds().contains("notified") && Date() < deadline { usleep(100_000) }
                #expect(try kinds() == ["notification_failed", "notification_failed", "notified"], "two failures, then delivered")
                let got = receiver.requests
                #expect(got.map(\.status) == [500, 503, 200])
                #expect(Set(got.map(\.key)).count == 1 && got[0].key == "\(id)/step-1/alice", "one idempotency key for every attempt of the page")
                #expect(got.last?.body?["kind"] == "page" && got.last?.body?["person"] == "alice")
                let paged = (try c.incident(id)["timeline"]?.arrayValue ?? []).filter { $0["kind"] == "paged" }
                #expect(paged.count == 1 && paged.first?["details"]?["channel"] == "pager", "eleven alerts, one page")
                usleep(1_500_000)
                #expect(receiver.requests.count == 3, "no delivery after the successful one")
            }
        }

        @Test func statusUpdatesGoToConfiguredWebhooksAndSaySoForOthers() async throws {
            let receiver = try WebhookReceiver(statuses: [])
            defer { receiver.stop() }
            try await withNodeClient({ $0.channels["slack"] = ChannelConfiguration(url: "http://\(receiver.address)/slack", format: .slack) }) { node in
                let c = try node.client()
                let id = try c.ingest(["title": "Payments slow", "service": "payments"])
                let r = try c.ok("incident.update", ["id": .string(id), "message": "Investigating payment errors", "channels": ["slack", "email"]])
                let deliveries = (r["deliveries"]?.arrayValue ?? []).map { ($0["channel"]?.stringValue ?? "", $0["ok"]?.boolValue ?? false) }
                #expect(deliveries.map(\.0) == ["slack", "email", "log"])
                #expect(deliveries.map(\.1) == [true, false, true])
                #expect(receiver.requests.first?.body == ["text": "Investigating payment errors"], "Slack-style body")
            }
        }
    }
}

/// An SMTP sink on loopback (RFC 5321 server side, minimal): accepts every message and keeps it.
final class SMTPSink: @unchecked Sendable {
    // @unchecked: `messages` behind `lock`.
    struct Message {
        var from: String
        var to: [String]
        var data: String
    }

    let address: SocketAddress
    private let fd: Int32
    private let lock = NSLock()
    private var messages: [Message] = []

    init() throws {
        (fd, address) = try Socket.listen(SocketAddress(host: "127.0.0.1", port: 0))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        Thread { self.loop() }.start()
    }

    var received: [Message] { lock.withLock { messages } }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        Socket.close(fd)
    }

    private func loop() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            Socket.setReceiveTimeout(c, millis: 2000)
            serve(c)
            Socket.close(c)
        }
    }

    private func serve(_ c: Int32) {
        var buffer: [UInt8] = []
        func say(_ s: String) { try? Array((s + "\r\n").utf8).withUnsafeBytes { try Socket.writeAll(c, $0) } }
        func line() -> String? {
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                if let nl = buffer.firstIndex(of: 10) {
                    let l = String(decoding: buffer[0..<nl], as: UTF8.self).trimmingCharacters(in: .newlines)
                    buffer.removeFirst(nl + 1)
                    return l
                }
                let n = (try? chunk.withUnsafeMutableBytes { try Socket.read(c, into: $0) }) ?? 0
                if n <= 0 { return nil }
                buffer += chunk[0..<n]
            }
        }
        say("220 sink ESMTP")
        var from = ""
        var to: [String] = []
        while let l = line() {
            let upper = l.uppercased()
            if upper.hasPrefix("EHLO") || upper.hasPrefix("HELO") {
                say("250 sink")
            } else if upper.hasPrefix("MAIL FROM:") {
                from = String(l.dropFirst(10)).trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
                say("250 OK")
            } else if upper.hasPrefix("RCPT TO:") {
                to.append(String(l.dropFirst(8)).trimmingCharacters(in: CharacterSet(charactersIn: "<> ")))
                say("250 OK")
            } else if upper == "DATA" {
                say("354 go ahead")
                var data: [String] = []
                while let d = line(), d != "." { data.append(d.hasPrefix("..") ? String(d.dropFirst()) : d) }
                lock.withLock { messages.append(Message(from: from, to: to, data: data.joined(separator: "\n"))) }
                say("250 OK queued")
            } else if upper == "QUIT" {
                say("221 bye")
                return
            } else {
                say("500 what")
            }
        }
    }
}

extension NodeTests.Notifications {
    @Test func pagesAndUpdatesGoOutAsEmail() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        try await withNodeClient({
            $0.escalationWarmup = .zero
            $0.channels["email"] = ChannelConfiguration(relay: sink.address, from: "aether@example.com", to: ["stakeholders@example.com"])
        }) { node in
            let c = try node.client()
            _ = try c.ok("catalog.set", ["kind": "person", "document": ["name": "bob", "contacts": [["channel": "email", "address": "bob@example.com"]]]])
            _ = try c.ok("catalog.set", ["kind": "policy", "document": ["name": "p", "levels": [["delay_s": 600, "targets": [["person": "bob"]]]]]])
            _ = try c.ok("catalog.set", ["kind": "service", "document": ["name": "db", "policy": "p"]])
            let id = try c.ingest(["title": "Replication lag", "service": "db"])
            let deadline = Date().addingTimeInterval(5)
            while sink.received.isEmpty && Date() < deadline { usleep(50_000) }
            let page = try #require(sink.received.first)
            #expect(page.to == ["bob@example.com"] && page.from == "aether@example.com")
            #expect(page.data.contains("Subject: [Page] \(id) Replication lag") && page.data.contains("level 1 of p"))
            _ = try c.ok("incident.update", ["id": .string(id), "message": "Investigating replication lag\n.leading dot survives", "channels": ["email"]])
            let update = try #require(sink.received.last)
            #expect(update.to == ["stakeholders@example.com"])
            #expect(update.data.contains("Subject: Incident \(id) Update"), "the status_update template")
            #expect(update.data.contains("*Update*: Investigating replication lag\n.leading dot survives\n"), "dot-stuffing round trip")
            let kinds = timelineKinds(try c.incident(id)).filter { $0 == "notified" }
            #expect(kinds.count == 2)
            // A title carrying CRLF cannot add a header or an SMTP command.
            let evil = try c.ingest(["title": "Lag\r\nBcc: victim@example.com\r\n\r\n.\r\nMAIL FROM:<x@evil>", "service": "db", "dedup_key": "evil"])
            let until = Date().addingTimeInterval(5)
            while !sink.received.contains(where: { $0.data.contains(evil) }) && Date() < until { usleep(50_000) }
            let mail = try #require(sink.received.first { $0.data.contains(evil) })
            let headers = mail.data.components(separatedBy: "\n\n")[0]
            #expect(!headers.contains("\nBcc:"), "\(headers)")
            #expect(mail.to == ["bob@example.com"] && sink.received.allSatisfy { !$0.from.contains("evil") })
        }
    }
}

extension NodeTests.Notifications {
    @Test func aQuietMajorIncidentRemindsItsCommunicationsLeadOncePerQuietStretch() async throws {
        let receiver = try WebhookReceiver(statuses: [])
        defer { receiver.stop() }
        try await withNodeClient({
            $0.escalationWarmup = .zero
            $0.statusUpdateReminder = .seconds(1)
            $0.channels["chat"] = ChannelConfiguration(url: "http://\(receiver.address)/chat", format: .json)
        }) { node in
            let c = try node.client()
            _ = try c.ok("catalog.set", ["kind": "person", "document": ["name": "carol", "contacts": [["channel": "chat", "address": "@carol"]]]])
            let id = try c.ingest(["title": "Payments down", "service": "payments", "severity": "SEV-1"])
            _ = try c.ok("incident.assign", ["id": .string(id), "role": "communications_lead", "person": "carol"])
            let deadline = Date().addingTimeInterval(10)
            while receiver.requests.isEmpty && Date() < deadline { usleep(100_000) }
            let reminder = try #require(receiver.requests.first)
            #expect(reminder.body?["kind"] == "reminder" && reminder.body?["person"] == "carol")
            let text = reminder.body?["text"]?.stringValue ?? ""
            #expect(text.contains("no status update"))
            usleep(6_000_000)
            #expect(receiver.requests.count == 1, "once per quiet stretch")
            let notes = (try c.incident(id)["timeline"]?.arrayValue ?? []).filter { $0["kind"] == "notified" }
            let details = notes.compactMap { $0["details"]?["detail"]?.stringValue }
            #expect(details.contains { $0.contains("status-update reminder to carol") })
        }
    }
}

extension NodeTests.Notifications {
    @Test func oneInitialNotificationPerIncidentEvenInAStorm() async throws {
        let receiver = try WebhookReceiver(statuses: [])
        defer { receiver.stop() }
        try await withNodeClient({
            $0.escalationWarmup = .zero
            $0.channels["chat"] = ChannelConfiguration(url: "http://\(receiver.address)/chat", format: .json)
        }) { node in
            let c = try node.client()
            _ = try c.ok("catalog.set", ["kind": "service", "document": ["name": "checkout", "announce_channels": ["chat"]]])
            var alerts: [JSONValue] = []
            for k in 0..<200 { alerts.append(["title": "Checkout errors", "service": "checkout", "dedup_key": .string("storm-\(k % 3)")]) }
            _ = try c.ok("alert.ingest_batch", ["alerts": .array(alerts)])
            _ = try c.ok("alert.ingest_batch", ["alerts": .array(alerts)])
            let deadline = Date().addingTimeInterval(5)
            while receiver.requests.count < 3 && Date() < deadline { usleep(50_000) }
            usleep(500_000)
            let got = receiver.requests
            #expect(got.count == 3, "400 alerts over 3 keys: three incidents, three initial notifications")
            #expect(Set(got.map(\.key)).count == 3)
            #expect(got.allSatisfy { $0.body?["kind"] == "initial_notification" })
            let text = got.first?.body?["text"]?.stringValue ?? ""
            #expect(text.contains("INCIDENT DETECTED") && text.contains("Checkout errors"), "the initial_notification template")
            // Resolving one of them sends its resolution notification, once.
            let id = try #require(try c.ok("incident.list", ["dedup_key": "storm-0"])["incidents"]?[0]?["id"]?.stringValue)
            _ = try c.ok("incident.resolve", ["id": .string(id), "resolution": "rolled back the deploy"])
            let until = Date().addingTimeInterval(5)
            while receiver.requests.count < 4 && Date() < until { usleep(50_000) }
            usleep(300_000)
            let resolution = receiver.requests.filter { $0.body?["kind"] == "resolution_notification" }
            #expect(resolution.count == 1 && receiver.requests.count == 4)
            let body = resolution.first?.body?["text"]?.stringValue ?? ""
            #expect(body.contains("rolled back the deploy"), "\(body)")
        }
    }
}

extension NodeTests.Notifications {
    @Test func aWarRoomOpenedByHandIsAnnouncedOnTheServiceChannels() async throws {
        let receiver = try WebhookReceiver(statuses: [])
        defer { receiver.stop() }
        try await withNodeClient({ $0.channels["chat"] = ChannelConfiguration(url: "http://\(receiver.address)/chat", format: .slack) }) { node in
            let c = try node.client()
            _ = try c.ok("catalog.set", ["kind": "service", "document": ["name": "search", "announce_channels": ["chat"]]])
            let id = try c.ingest(["title": "Search slow", "service": "search", "severity": "SEV-3"])
            let deadline = Date().addingTimeInterval(5)
            while receiver.requests.isEmpty && Date() < deadline { usleep(50_000) }  // warm-up, then the initial notification
            let before = receiver.requests.count
            let r = try c.ok("incident.war_room", ["id": .string(id)])
            let link = try #require(r["war_room"]?["link"]?.stringValue)
            let last = receiver.requests.last?.body?["text"]?.stringValue ?? ""
            #expect(receiver.requests.count == before + 1 && last.contains(link) && last.contains("War room for \(id)"))
            _ = try c.ok("incident.war_room", ["id": .string(id)])
            #expect(receiver.requests.count == before + 1, "opening it again announces nothing")
        }
    }
}

extension NodeTests.Notifications {
    @Test func aChannelIsPacedToItsRateAndDropsNothing() async throws {
        let receiver = try WebhookReceiver(statuses: [])
        defer { receiver.stop() }
        try await withNodeClient({ $0.channels["chat"] = ChannelConfiguration(url: "http://\(receiver.address)/chat", format: .slack, ratePerMinute: 240) }) { node in
            let c = try node.client()
            let id = try c.ingest(["title": "Noisy", "service": "x"])
            let start = Date()
            for k in 0..<14 { _ = try c.ok("incident.update", ["id": .string(id), "message": .string("update \(k)"), "channels": ["chat"]]) }
            let took = Date().timeIntervalSince(start)
            #expect(receiver.requests.count == 14, "none dropped")
            #expect(took >= 0.7, "a burst, then one every 250 ms (three waits): \(took) s")
        }
    }
}
