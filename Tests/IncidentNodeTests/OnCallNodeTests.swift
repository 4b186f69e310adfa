import AdminProtocol
import AetherJSON
import Foundation
import IncidentCore
import PosixIO
import Testing

@testable import IncidentNode

extension NodeTests {
    /// The catalog (people, schedules, policies, services), on-call queries and escalation through
    /// the admin protocol of one node.
    @Suite struct OnCall {
        static func set(_ c: AdminClient, _ kind: String, _ document: JSONValue) throws {
            _ = try c.ok("catalog.set", ["kind": .string(kind), "document": document])
        }

        static func setError(_ c: AdminClient, _ kind: String, _ document: JSONValue) throws -> AdminError {
            try c.fails("catalog.set", ["kind": .string(kind), "document": document])
        }

        static let schedule: JSONValue = [
            "name": "primary", "time_zone": "America/New_York",
            "layers": [["name": "daily", "start": "2026-03-01", "handoff": "02:30", "rotation": "daily", "participants": ["alice", "bob"]]],
        ]

        /// People alice, bob, carol; schedule `primary`; policy `payments` (levels of `delay` s:
        /// the schedule, then carol); service `payment-service`.
        static func setUp(_ c: AdminClient, delay: Int64 = 600, ackTimeout: Int64? = nil) throws {
            for p in ["alice", "bob", "carol"] { try set(c, "person", ["name": .string(p)]) }
            try set(c, "schedule", schedule)
            var policy: JSONObject = [
                "name": "payments",
                "levels": [
                    ["delay_s": .int(delay), "targets": [["schedule": "primary"]]], ["delay_s": .int(delay), "targets": [["person": "carol"]]],
                ],
                "managers": ["carol"],
            ]
            if let t = ackTimeout { policy["ack_timeout_s"] = .int(t) }
            try set(c, "policy", .object(policy))
            try set(c, "service", ["name": "payment-service", "policy": "payments", "specialist_team": "payments-db", "criticality": "critical"])
        }

        @Test func badDocumentsAreRefusedWithTheirReason() async throws {
            try await withNodeClient { node in
                let c = try node.client()
                try Self.set(c, "person", ["name": "alice"])
                var e = try Self.setError(c, "schedule", ["name": "s", "time_zone": "Mars/Olympus", "layers": [["name": "l", "start": "2026-03-01", "handoff": "09:00", "rotation": "daily", "participants": ["alice"]]]])
                #expect(e.code == .badRequest && e.message.contains("Mars/Olympus"), "\(e.message)")
                e = try Self.setError(c, "schedule", ["name": "s", "time_zone": "UTC", "layers": [["name": "l", "start": "2026-03-01", "handoff": "09:00", "rotation": "daily", "participants": ["zed"]]]])
                #expect(e.code == .badRequest && e.message.contains("zed"), "\(e.message)")
                e = try Self.setError(c, "schedule", ["name": "s", "time_zone": "UTC", "layers": [["name": "l", "start": "2026-03-01", "handoff": "25:00", "rotation": "daily", "participants": ["alice"]]]])
                #expect(e.code == .badRequest && e.message.contains("25:00"), "\(e)")
                e = try Self.setError(c, "schedule", [
                    "name": "s", "time_zone": "UTC", "layers": [["name": "l", "start": "2026-03-01", "handoff": "09:00", "rotation": "daily", "participants": ["alice"]]],
                    "overrides": [
                        ["person": "alice", "start": "2026-03-02T00:00:00Z", "end": "2026-03-03T00:00:00Z"],
                        ["person": "alice", "start": "2026-03-02T12:00:00Z", "end": "2026-03-04T00:00:00Z"],
                    ],
                ])
                #expect(e.code == .badRequest && e.message.contains("overlap"), "\(e.message)")
                e = try Self.setError(c, "policy", ["name": "p", "levels": [["delay_s": 60, "targets": []]]])
                #expect(e.code == .badRequest && e.message.contains("level 1"), "\(e)")
                e = try Self.setError(c, "policy", ["name": "p", "levels": [["delay_s": 60, "targets": [["schedule": "nope"]]]]])
                #expect(e.code == .badRequest && e.message.contains("nope"), "\(e)")
                e = try Self.setError(c, "service", ["name": "svc", "policy": "missing"])
                #expect(e.code == .badRequest && e.message.contains("missing"), "\(e)")
                e = try c.fails("catalog.set", ["kind": "team", "document": ["name": "x"]])
                #expect(e.code == .badRequest && e.message.contains("team"), "\(e)")
                e = try c.fails("catalog.get", ["kind": "person", "name": "nobody"])
                #expect(e.code == .notFound)
                // Nothing refused changed anything.
                #expect(try c.ok("catalog.list", ["kind": "schedule"])["items"]?.arrayValue?.isEmpty == true)
                #expect(try c.ok("catalog.list", ["kind": "policy"])["items"]?.arrayValue?.isEmpty == true)
            }
        }

        @Test func deletingWhatIsStillUsedIsAConflict() async throws {
            try await withNodeClient { node in
                let c = try node.client()
                try Self.setUp(c)
                var e = try c.fails("catalog.delete", ["kind": "person", "name": "carol"])
                #expect(e.code == .conflict && e.message.contains("policy payments"), "\(e)")
                e = try c.fails("catalog.delete", ["kind": "policy", "name": "payments"])
                #expect(e.code == .conflict && e.message.contains("service payment-service"), "\(e)")
                _ = try c.ok("catalog.delete", ["kind": "service", "name": "payment-service"])
                _ = try c.ok("catalog.delete", ["kind": "policy", "name": "payments"])
                _ = try c.ok("catalog.delete", ["kind": "person", "name": "carol"])
                let people = try c.ok("catalog.list", ["kind": "person"])["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
                #expect(people == ["alice", "bob"])
            }
        }

        @Test func theCatalogSurvivesACrashAndARestart() async throws {
            let dir = try makeTempDir()
            let image = try makeTempDir("image")
            defer {
                removeDir(dir)
                removeDir(image)
            }
            let node = try await TestNode.start(testConfiguration(dataDir: dir))
            let before = try await onThread { () throws -> JSONValue in
                let c = try node.client()
                try Self.setUp(c)
                _ = try c.ok("admin.snapshot")
                try Self.set(c, "person", ["name": "dave", "full_name": "Dave after the snapshot"])  // in the log tail only
                return .object(try c.ok("catalog.list", ["kind": "person"]))
            }
            try copyDir(dir, image)  // what kill -9 would leave
            await node.stop()
            for d in [image, dir] {
                let restarted = try await TestNode.start(testConfiguration(dataDir: d))
                let after = try await onThread { () throws -> (JSONValue, JSONValue?) in
                    let c = try restarted.client()
                    return (.object(try c.ok("catalog.list", ["kind": "person"])), try c.ok("oncall.who", ["service": "payment-service"])["policy"])
                }
                await restarted.stop()
                #expect(after.0 == before)
                #expect(after.1 == "payments")
            }
        }

        @Test func whoIsOnCallAcrossTheSpringForwardHandoff() async throws {
            try await withNodeClient { node in
                let c = try node.client()
                try Self.setUp(c)
                // 2026-03-08 in New York: 02:00 EST jumps to 03:00 EDT; the 02:30 handoff happens at 03:30 EDT (07:30Z).
                func who(_ at: String) throws -> String? {
                    try c.ok("oncall.who", ["schedule": "primary", "at": .string(at)])["on_call"]?.stringValue
                }
                let before = try who("2026-03-08T07:29:00Z")
                let after = try who("2026-03-08T07:31:00Z")
                #expect(before != nil && after != nil && before != after)
                #expect(try who("2026-03-09T06:29:00Z") == after, "the next handoff is 02:30 EDT = 06:30Z")
                #expect(try who("2026-03-09T06:31:00Z") == before)
                let shifts = try c.ok("oncall.shifts", ["schedule": "primary", "from": "2026-03-07T00:00:00Z", "to": "2026-03-10T00:00:00Z"])
                let starts = (shifts["shifts"]?.arrayValue ?? []).compactMap { $0["start"]?.stringValue }
                #expect(starts.contains("2026-03-08T07:30:00Z") && starts.contains("2026-03-09T06:30:00Z"), "\(starts)")
                let ics = try #require(try c.ok("oncall.ics", ["schedule": "primary", "from": "2026-03-07T00:00:00Z", "to": "2026-03-10T00:00:00Z"])["ics"]?.stringValue)
                #expect(ics.hasPrefix("BEGIN:VCALENDAR\r\n") && ics.contains("DTSTART:20260308T073000Z"))
                let levels = try c.ok("oncall.who", ["service": "payment-service", "at": "2026-03-08T07:31:00Z"])["levels"]?.arrayValue ?? []
                #expect(levels.map { $0["on_call"] } == [[.string(after!)], ["carol"]])
            }
        }

        @Test func gapsShowWhereNobodyIsOnCall() async throws {
            try await withNodeClient { node in
                let c = try node.client()
                try Self.set(c, "person", ["name": "alice"])
                try Self.set(c, "schedule", [
                    "name": "office", "time_zone": "Europe/Berlin",
                    "layers": [[
                        "name": "office-hours", "start": "2026-01-05", "handoff": "09:00", "rotation": "weekly", "participants": ["alice"],
                        "restrictions": [["days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"]],
                    ]],
                ])
                let r = try c.ok("oncall.gaps", ["schedule": "office", "days": 8, "from": "2026-03-02T00:00:00Z"])
                let gaps = r["subjects"]?[0]?["gaps"]?.arrayValue ?? []
                #expect(gaps.count >= 5, "nights and the weekend: \(gaps.count)")
                let longest = gaps.compactMap { $0["duration_s"]?.intValue }.max() ?? 0
                #expect(longest >= 64 * 3600, "Friday 17:00 to Monday 09:00 is 64 h")
            }
        }

        @Test func escalationPagesLevelsAcknowledgementStopsItAndItsTimeoutPagesAgain() async throws {
            try await withNodeClient({ $0.escalationWarmup = .zero }) { node in
                let c = try node.client()
                try Self.setUp(c, delay: 1, ackTimeout: 2)
                let id = try c.ingest(["title": "HighErrorRate", "service": "payment-service", "source": "prometheus"])
                func pages() throws -> [JSONValue] {
                    (try c.incident(id)["timeline"]?.arrayValue ?? []).filter { $0["kind"] == "paged" }
                }
                func wait(for count: Int, within seconds: Double) throws {
                    let deadline = Date().addingTimeInterval(seconds)
                    while try pages().count < count {
                        guard Date() < deadline else { throw NodeTestFailure("\(count) pages not reached: \(try pages())") }
                        usleep(20_000)
                    }
                }
                try wait(for: 1, within: 1)
                try wait(for: 2, within: 2)
                #expect(try pages().map { $0["details"]?["level"] } == [1, 2])
                #expect(try pages()[1]["details"]?["who"] == "carol")
                _ = try c.ok("incident.ack", ["id": .string(id)])
                usleep(1_500_000)
                #expect(try pages().count == 2, "acknowledged: no more pages")
                try wait(for: 3, within: 2)
                let third = try pages()[2]
                #expect(third["details"]?["ack_timeout"] == true)
                #expect(try c.incident(id)["status"] == "triggered", "the acknowledgement timed out")
                _ = try c.ok("incident.resolve", ["id": .string(id), "resolution": "rolled back"])
                let count = try pages().count
                usleep(1_500_000)
                #expect(try pages().count == count, "resolved: no more pages")
                let status = try c.ok("escalation.status")
                #expect(status["fired"]?.intValue == Int64(count))
                #expect(status["overdue_raised"] == 0)
            }
        }

        @Test func aPolicyAddedLaterReachesIncidentsAlreadyOpen() async throws {
            try await withNodeClient({ $0.escalationWarmup = .zero }) { node in
                let c = try node.client()
                // Acknowledged before its service had a policy: nothing pending, not tracked.
                let id = try c.ingest(["title": "Disk full", "service": "payment-service"])
                _ = try c.ok("incident.ack", ["id": .string(id)])
                try Self.setUp(c, delay: 600, ackTimeout: 1)
                let deadline = Date().addingTimeInterval(5)
                var pages: [JSONValue] = []
                while pages.isEmpty && Date() < deadline {
                    usleep(50_000)
                    pages = (try c.incident(id)["timeline"]?.arrayValue ?? []).filter { $0["kind"] == "paged" }
                }
                #expect(pages.first?["details"]?["ack_timeout"] == true, "\(pages)")
            }
        }

        @Test func complexityEscalationAndAutoAssignUseTheCatalog() async throws {
            try await withNodeClient({ $0.escalationWarmup = .zero }) { node in
                let c = try node.client()
                try Self.setUp(c)
                let id = try c.ingest(["title": "Replication lag", "service": "payment-service"])
                for _ in 0..<20 { #expect(try c.ingest(["title": "Replication lag", "service": "payment-service"]) == id) }
                let assigned = try c.ok("incident.assign", ["id": .string(id), "auto": true])
                let onCall = try c.ok("oncall.who", ["schedule": "primary"])["on_call"]
                #expect(assigned["assignee"] == onCall)
                let escalated = try c.ok("incident.escalate", ["id": .string(id), "reason": "complexity"])
                #expect(escalated["assignee"] == "payments-db")
                func pages() throws -> Int { (try c.incident(id)["timeline"]?.arrayValue ?? []).filter { $0["kind"] == "paged" }.count }
                let deadline = Date().addingTimeInterval(2)
                while try pages() == 0 && Date() < deadline { usleep(10_000) }
                usleep(100_000)
                #expect(try pages() == 1, "one page per step, not one per alert")
                let none = try c.ingest(["title": "x", "service": "unknown-service"])
                let e = try c.fails("incident.assign", ["id": .string(none), "auto": true])
                #expect(e.code == .unavailable && e.message.contains("unknown-service"))
            }
        }
    }
}
