import AdminProtocol
import AetherJSON
import IncidentCore
import PosixIO
import Testing

@testable import IncidentNode

extension NodeTests {
    /// Incidents driven end to end through the admin protocol.
    @Suite struct Lifecycle {
        @Test func fullLifecycle() async throws {
            try await withNodeClient { node in
                let c = try node.client()
                let ingest = try c.ok("alert.ingest", [
                    "title": "HighErrorRate", "source": "prometheus", "service": "payment-service", "severity": "SEV-3",
                    "dedup_key": "payments-5xx", "description": "5xx above 5% for 5 minutes",
                ])
                #expect(ingest["created"] == true)
                #expect(ingest["dedup_key"] == "payments-5xx")
                #expect(ingest["replicas"] == 1)
                let id = try #require(ingest["incident_id"]?.stringValue)
                #expect(id.hasPrefix("INC-"))
                #expect((try? IncidentID(parsing: id)) != nil)
                let args: JSONObject = ["id": .string(id)]

                var inc = try c.incident(id)
                #expect(inc["status"] == "triggered")
                #expect(inc["severity"] == "SEV-3")
                #expect(inc["service"] == "payment-service")
                #expect(inc["war_room"] == .null)
                #expect(inc["owner"] == "testnode")
                #expect(Array(timelineKinds(inc).prefix(4)) == ["detected", "logged", "classified", "prioritized"])

                // Acknowledge.
                var r = try c.ok("incident.ack", args)
                #expect(r["status"] == "acknowledged")
                #expect(r["acknowledged_at"]?.stringValue != nil)
                #expect(r["replicas"] == 1)
                #expect(r["timeline"] == nil, "commands return the incident without its timeline")

                // Status update to slack (not configured: fails with a clear detail) and log (ok).
                var update = args
                update["message"] = "Investigating elevated 5xx on checkout"
                update["channels"] = ["slack", "log"]
                r = try c.ok("incident.update", update)
                let deliveries = try #require(r["deliveries"]?.arrayValue)
                #expect(deliveries.count == 2)
                let slack = try #require(deliveries.first { $0["channel"] == "slack" })
                #expect(slack["ok"] == false)
                let detail = slack["detail"]?.stringValue ?? ""
                #expect(detail.contains("slack") && detail.contains("not configured"), "unclear detail: \(detail)")
                let log = try #require(deliveries.first { $0["channel"] == "log" })
                #expect(log["ok"] == true)
                #expect(r["last_status_update_at"]?.stringValue != nil)
                inc = try c.incident(id)
                let kinds = timelineKinds(inc)
                #expect(kinds.contains("status_update"))
                #expect(kinds.contains("notification_failed"))
                #expect(kinds.contains("notified"))

                // Raise to SEV-1: a war room opens.
                var sev = args
                sev["severity"] = "SEV-1"
                r = try c.ok("incident.severity", sev)
                #expect(r["severity"] == "SEV-1")
                let link = try #require(r["war_room"]?["link"]?.stringValue)
                #expect(link.contains(id.lowercased()))
                #expect(r["review"]?["required"] == true)

                // Workaround → mitigated.
                var resolve = args
                resolve["resolution"] = "rolled back to the previous release"
                resolve["type"] = "workaround"
                r = try c.ok("incident.resolve", resolve)
                #expect(r["status"] == "mitigated")
                #expect(r["mitigated_at"]?.stringValue != nil)
                #expect(r["resolution"]?["type"] == "workaround")

                // Permanent → resolved, review scheduled (SEV-1).
                resolve["resolution"] = "fixed the connection pool leak"
                resolve["type"] = "permanent"
                r = try c.ok("incident.resolve", resolve)
                #expect(r["status"] == "resolved")
                #expect(r["resolved_at"]?.stringValue != nil)
                #expect(r["review"]?["scheduled_at"]?.stringValue != nil)

                // Closing a SEV-1 without a review is refused.
                let refused = try c.fails("incident.close", args)
                #expect(refused.code == .conflict)
                #expect(refused.message.contains("review"))
                #expect(try c.incident(id)["status"] == "resolved")

                // Review with action items and a KB article.
                var review = args
                review["generate_action_items"] = true
                review["update_knowledge_base"] = true
                r = try c.ok("incident.review", review)
                #expect(r["review"]?["completed_at"]?.stringValue != nil)
                #expect((r["action_items"]?.arrayValue?.count ?? 0) >= 1)
                #expect(r["kb_article"]?["title"]?.stringValue?.isEmpty == false)
                #expect(r["kb_article_markdown"]?.stringValue?.isEmpty == false)

                // Now it closes.
                r = try c.ok("incident.close", args)
                #expect(r["status"] == "closed")
                #expect(r["closed_at"]?.stringValue != nil)

                // The timeline tells the story, in order.
                inc = try c.incident(id)
                let story = timelineKinds(inc)
                let milestones = [
                    "detected", "acknowledged", "status_update", "severity_changed", "war_room_opened", "workaround_applied",
                    "resolved", "review_scheduled", "review_completed", "action_item_added", "kb_article_published", "closed",
                ]
                var position = 0
                for m in milestones {
                    guard let p = story[position...].firstIndex(of: m) else {
                        Issue.record("timeline lacks \(m) after position \(position): \(story)")
                        break
                    }
                    position = p
                }
                for entry in inc["timeline"]?.arrayValue ?? [] {
                    #expect(entry["at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) != nil)
                    #expect(entry["actor"]?.stringValue?.isEmpty == false)
                    #expect(entry["details"]?.objectValue != nil)
                }
                // Closed is final.
                let late = try c.fails("incident.ack", args)
                #expect(late.code == .conflict)
                #expect(late.message.contains("is closed"))
            }
        }

        @Test func fiftyAlertsForOneKeyMakeOneIncident() async throws {
            try await withNodeClient { node in
                let c = try node.client()
                let alert: JSONObject = ["title": "Disk almost full", "source": "prometheus", "service": "orders-db", "dedup_key": "disk-orders-db"]
                var ids = Set<String>()
                var created = 0
                for _ in 0..<50 {
                    let r = try c.ok("alert.ingest", alert)
                    ids.insert(try #require(r["incident_id"]?.stringValue))
                    if r["created"] == true { created += 1 }
                }
                #expect(ids.count == 1)
                #expect(created == 1)
                let id = try #require(ids.first)
                let inc = try c.incident(id)
                #expect(inc["alert_count"] == 50)
                let repeats = (inc["timeline"]?.arrayValue ?? []).filter { $0["kind"] == "alert_repeated" }
                #expect(repeats.count >= 1 && repeats.count <= 2, "\(repeats.count) alert_repeated entries")
                let counted = repeats.compactMap { $0["details"]?["count"]?.intValue }.reduce(0, +)
                #expect(counted == 49)
                #expect((inc["timeline"]?.arrayValue?.count ?? 0) < 10)
                let list = try c.ok("incident.list", ["dedup_key": "disk-orders-db"])
                #expect(list["incidents"]?.arrayValue?.count == 1)
                // A batch of the same key attaches too.
                let batch = try c.ok("alert.ingest_batch", ["alerts": .array(Array(repeating: .object(alert), count: 10))])
                let results = try #require(batch["results"]?.arrayValue)
                #expect(results.count == 10)
                #expect(results.allSatisfy { $0["incident_id"] == .string(id) && $0["created"] == false })
                #expect(try c.incident(id)["alert_count"] == 60)
            }
        }

        @Test func triggerWithinTheReopenWindowReopens() async throws {
            try await withNodeClient { node in
                let c = try node.client()
                let alert: JSONObject = ["title": "Login failures", "service": "auth", "dedup_key": "auth-login", "severity": "SEV-3"]
                let id = try c.ingest(alert)
                let r = try c.ok("incident.resolve", ["id": .string(id), "resolution": "restarted auth"])
                #expect(r["status"] == "resolved")
                let again = try c.ok("alert.ingest", alert)
                #expect(again["incident_id"] == .string(id))
                #expect(again["created"] == false)
                let inc = try c.incident(id)
                #expect(inc["status"] == "reopened")
                #expect(inc["reopen_count"] == 1)
                #expect(inc["alert_count"] == 2)
                #expect(timelineKinds(inc).contains("reopened"))
                // Reopened incidents can be worked again.
                #expect(try c.ok("incident.ack", ["id": .string(id)])["status"] == "acknowledged")
                _ = try c.ok("incident.resolve", ["id": .string(id), "resolution": "fixed for real"])
                _ = try c.ok("incident.close", ["id": .string(id)])
                // After close, the key opens a new incident.
                let fresh = try c.ok("alert.ingest", alert)
                #expect(fresh["created"] == true)
                #expect(fresh["incident_id"] != .string(id))
                #expect(try c.incident(id)["status"] == "closed")
            }
        }

        @Test func triggerAfterTheReopenWindowOpensANewIncident() async throws {
            try await withNodeClient({ $0.policy.reopenWindow = .zero }) { node in
                let c = try node.client()
                let alert: JSONObject = ["title": "Login failures", "service": "auth", "dedup_key": "auth-login", "severity": "SEV-3"]
                let id = try c.ingest(alert)
                _ = try c.ok("incident.resolve", ["id": .string(id), "resolution": "restarted auth"])
                let again = try c.ok("alert.ingest", alert)
                #expect(again["created"] == true)
                #expect(again["incident_id"] != .string(id))
                #expect(try c.incident(id)["status"] == "resolved")
            }
        }

        /// A status update that is refused (unknown or closed incident) must not be sent to any
        /// channel first: notifications go out only for updates that are recorded.
        @Test func refusedStatusUpdateIsNotDelivered() async throws {
            let dir = try makeTempDir("update")
            defer { removeDir(dir) }
            let lines = MemoryLogHandler()
            let node = try await TestNode.start(
                testConfiguration(dataDir: dir), logger: Logger(label: "test", level: .info, handler: lines))
            func deliveredUpdates() -> [String] {
                lines.lines.withLock { $0 }.filter { $0.contains("status update") }
            }
            do {
                try await onThread {
                    let c = try node.client()
                    let id = try c.ingest(["title": "Cache misses", "dedup_key": "update-1", "severity": "SEV-3"])
                    _ = try c.ok("incident.update", ["id": .string(id), "message": "first update", "channels": ["log"]])
                    #expect(deliveredUpdates().count == 1, "a recorded update is delivered to the log channel")
                    let missing = try c.fails("incident.update", ["id": "INC-2026-9999-ZZZ", "message": "to nobody", "channels": ["log", "slack"]])
                    #expect(missing.code == .notFound)
                    _ = try c.ok("incident.resolve", ["id": .string(id), "resolution": "flushed the cache"])
                    _ = try c.ok("incident.close", ["id": .string(id)])
                    let closed = try c.fails("incident.update", ["id": .string(id), "message": "after close", "channels": ["log"]])
                    #expect(closed.code == .conflict)
                    let empty = try c.fails("incident.update", ["id": .string(id), "message": "   ", "channels": ["log"]])
                    #expect(empty.code == .conflict || empty.code == .badRequest)
                }
            } catch {
                await node.stop()
                throw error
            }
            await node.stop()
            let delivered = deliveredUpdates()
            #expect(delivered.count == 1, "refused updates were delivered anyway: \(delivered)")
        }
    }
}
