import Testing

@testable import IncidentCore

@Suite("Timestamps, the hybrid logical clock, incident and node ids")
struct TimeAndIdentityTests {
    // MARK: - RFC 3339

    @Test(
        "formatting in UTC, millis only when non-zero",
        arguments: [
            (Int64(0), "1970-01-01T00:00:00Z"), (1, "1970-01-01T00:00:00.001Z"), (-1, "1969-12-31T23:59:59.999Z"),
            (1_772_442_000_000, "2026-03-02T09:00:00Z"), (1_772_442_000_120, "2026-03-02T09:00:00.120Z"),
            (1_709_251_199_000, "2024-02-29T23:59:59Z"), (-14_182_940_000, "1969-07-20T20:17:40Z"),
            (-2_208_988_800_000, "1900-01-01T00:00:00Z"), (-62_135_596_800_000, "0001-01-01T00:00:00Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
        ] as [(Int64, String)])
    func format(millis: Int64, text: String) {
        let t = Timestamp(unixMillis: millis)
        #expect(t.rfc3339 == text)
        #expect(t.description == text)
        #expect(Timestamp(rfc3339: text) == t)  // and back
    }

    @Test(
        "parsing accepted forms",
        arguments: [
            ("2026-03-02T09:00:00Z", Int64(1_772_442_000_000)),
            ("2026-03-02t09:00:00z", 1_772_442_000_000),
            ("2026-03-02 09:00:00Z", 1_772_442_000_000),
            ("2026-03-02T09:00:00.5Z", 1_772_442_000_500),
            ("2026-03-02T09:00:00.05Z", 1_772_442_000_050),
            ("2026-03-02T09:00:00.123456789Z", 1_772_442_000_123),  // truncated to millis
            ("2026-03-02T14:30:00+05:30", 1_772_442_000_000),
            ("2026-03-02T01:00:00-08:00", 1_772_442_000_000),
            ("2026-03-02T09:00:00+00:00", 1_772_442_000_000),
            ("2026-03-02T09:00:00-00:00", 1_772_442_000_000),
            ("2026-03-02T00:30:00.250+05:30", 1_772_391_600_250),  // 2026-03-01T19:00:00.250Z
            ("2024-02-29T23:59:59Z", 1_709_251_199_000),  // leap day
            ("2000-02-29T00:00:00Z", 951_782_400_000),  // divisible by 400: leap
            ("1600-02-29T12:00:00Z", -11_670_955_200_000),
            ("2016-12-31T23:59:60Z", 1_483_228_799_000),  // leap second folds onto :59
        ] as [(String, Int64)])
    func parseAccepted(text: String, millis: Int64) {
        #expect(Timestamp(rfc3339: text)?.unixMillis == millis)
    }

    @Test(
        "parsing rejects invalid strings",
        arguments: [
            "2026-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
            "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z",
            "2026-01-01T23:60:00Z", "2026-01-01T23:59:61Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+0530", "2026-01-01T00:00:00+05", "2026-01-01T00:00:00+05:3", "2026-01-01T00:00:00+24:00",
            "2026-01-01T00:00:00+05:60", "2026-01-01T00:00:00ZZ", "2026-01-01T00:00:00Z ", " 2026-01-01T00:00:00Z",
            "2026-01-01X00:00:00Z", "2026/01/01T00:00:00Z", "26-01-01T00:00:00Z", "2026-1-01T00:00:00Z",
            "2026-01-01", "", "garbage", "not a timestamp at all!", "yyyy-mm-ddThh:mm:ssZ", "2026-01-01T00:00:00UTC",
        ])
    func parseRejected(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test("format → parse round trips across centuries, before and after 1970")
    func roundTrips() {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<2000 {
            // 0001-01-01 … 9999-12-31
            let ms = Int64.random(in: -62_135_596_800_000...253_402_300_799_999, using: &rng)
            let t = Timestamp(unixMillis: ms)
            #expect(Timestamp(rfc3339: t.rfc3339) == t, "\(ms)")
            #expect(Timestamp(civil: t.civil) == t, "\(ms)")
        }
    }

    @Test("civil conversions before 1970")
    func civilBefore1970() {
        let moon = Timestamp(unixSeconds: -14_182_940)
        #expect(moon.civil == CivilDateTime(year: 1969, month: 7, day: 20, hour: 20, minute: 17, second: 40, millisecond: 0))
        let justBefore = Timestamp(unixMillis: -1)
        #expect(justBefore.civil == CivilDateTime(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59, millisecond: 999))
        #expect(Timestamp(civil: CivilDateTime(year: 1900, month: 3, day: 1, hour: 0, minute: 0, second: 0, millisecond: 0)).unixMillis
                == -2_203_891_200_000)
        #expect(Timestamp.daysFromCivil(year: 1969, month: 12, day: 31) == -1)
        #expect(Timestamp.civilFromDays(-1) == (1969, 12, 31))
        #expect(Timestamp.civilFromDays(-719_468) == (0, 3, 1))
        #expect(Timestamp(unixSeconds: -1).year == 1969)
        // every day from 1600 to 2400 converts both ways
        for days in stride(from: -135_140, through: 157_000, by: 1) {
            let c = Timestamp.civilFromDays(days)
            if Timestamp.daysFromCivil(year: c.year, month: c.month, day: c.day) != days {
                Issue.record("day \(days) → \(c) does not convert back")
                break
            }
        }
    }

    @Test("duration arithmetic on timestamps")
    func durations() {
        let t = Timestamp(unixSeconds: 100)
        #expect(t + .milliseconds(1500) == Timestamp(unixMillis: 101_500))
        #expect(t - .seconds(200) == Timestamp(unixSeconds: -100))
        #expect(Timestamp(unixSeconds: 5) - t == .seconds(-95))
        #expect(Duration.milliseconds(1234).wholeMilliseconds == 1234)
        #expect(Duration.seconds(90).seconds == 90)
    }

    // MARK: - HLC

    @Test("tick is strictly monotonic even when the wall clock goes backwards")
    func hlcTickMonotonic() {
        var clock = HybridLogicalClock()
        let a = clock.tick(now: Timestamp(unixMillis: 1000))
        #expect((a.wallMillis, a.logical) == (1000, 0))
        let b = clock.tick(now: Timestamp(unixMillis: 1000))
        #expect((b.wallMillis, b.logical) == (1000, 1))
        let c = clock.tick(now: Timestamp(unixMillis: 400))  // clock stepped back
        #expect((c.wallMillis, c.logical) == (1000, 2))
        let d = clock.tick(now: Timestamp(unixMillis: 1001))
        #expect((d.wallMillis, d.logical) == (1001, 0))
        #expect(a < b && b < c && c < d)
        #expect(clock.last == d)
    }

    @Test("observing a remote reading ahead of local orders later local readings after it")
    func hlcObserveRemoteAhead() {
        var clock = HybridLogicalClock()
        _ = clock.tick(now: Timestamp(unixMillis: 1000))
        let remote = HLCTimestamp(wallMillis: 5000, logical: 3)
        clock.observe(remote, now: Timestamp(unixMillis: 1001))
        #expect(clock.last > remote)
        #expect((clock.last.wallMillis, clock.last.logical) == (5000, 4))
        let next = clock.tick(now: Timestamp(unixMillis: 1002))
        #expect((next.wallMillis, next.logical) == (5000, 5))
        // a remote reading behind local changes nothing but still ticks
        clock.observe(HLCTimestamp(wallMillis: 10, logical: 0), now: Timestamp(unixMillis: 1003))
        #expect((clock.last.wallMillis, clock.last.logical) == (5000, 6))
        // once the wall clock passes, physical time takes over again
        #expect(clock.tick(now: Timestamp(unixMillis: 6000)) == HLCTimestamp(wallMillis: 6000, logical: 0))
    }

    @Test("HLC parts pack and unpack; logical overflow carries into the millisecond")
    func hlcPacking() {
        let h = HLCTimestamp(wallMillis: 1_772_442_000_000, logical: 65_535)
        #expect(h.wallMillis == 1_772_442_000_000)
        #expect(h.logical == 65_535)
        #expect(h.timestamp == Timestamp(unixMillis: 1_772_442_000_000))
        var clock = HybridLogicalClock(last: h)
        #expect(clock.tick(now: .epoch) == HLCTimestamp(wallMillis: 1_772_442_000_001, logical: 0))
        var negative = HybridLogicalClock()
        #expect(negative.tick(now: Timestamp(unixMillis: -5)) == HLCTimestamp(raw: 1))
    }

    // MARK: - Incident ids

    @Test(
        "incident ids are formatted with a zero-padded counter",
        arguments: [
            (UInt64(42), "INC-2026-0042-K7Q"), (1, "INC-2026-0001-K7Q"), (9999, "INC-2026-9999-K7Q"),
            (12_345, "INC-2026-12345-K7Q"),
        ])
    func incidentIDFormat(counter: UInt64, text: String) {
        #expect(IncidentID(year: 2026, counter: counter, tag: "K7Q").text == text)
        #expect(IncidentID(year: 2026, counter: counter, tag: "K7Q").description == text)
    }

    @Test("incident ids parse case-insensitively to the canonical text", arguments: ["INC-2026-0042-K7Q", "inc-2026-0042-k7q", "Inc-2026-0042-k7Q"])
    func incidentIDParse(text: String) throws {
        let id = try IncidentID(parsing: text)
        #expect(id == Fixture.id)
        #expect(id.text == "INC-2026-0042-K7Q")
        let parts = try #require(IncidentID.parts(id.text))
        #expect((parts.year, parts.counter, parts.tag) == (2026, 42, "K7Q"))
    }

    @Test(
        "malformed incident ids are rejected with a message naming the value",
        arguments: [
            "", "INC", "INC-2026-0042", "INC-2026-0042-K7", "INC-2026-0042-K7QQ", "INC-26-0042-K7Q", "INC-2026--K7Q",
            "INC-2026-00a2-K7Q", "INC-2026-+042-K7Q", "INC-+202-0042-K7Q", "INC-2026-0042-KIQ", "INC-2026-0042-KLQ",
            "INC-2026-0042-KOQ", "INC-2026-0042-KUQ", "INC-2026-0042-K7Q-X", "ABC-2026-0042-K7Q", "INC_2026_0042_K7Q",
            "INC-2026-12345678901234567890-K7Q", " INC-2026-0042-K7Q",
        ])
    func incidentIDRejected(text: String) {
        let error = domainError { _ = try IncidentID(parsing: text) }
        guard case .badRequest(let m) = error else {
            Issue.record("expected bad_request for '\(text)', got \(String(describing: error))")
            return
        }
        #expect(m.contains("'\(text)'"))
    }

    @Test("incident ids order by year, then counter numerically, then tag")
    func incidentIDOrder() {
        let ids = [
            IncidentID(year: 2027, counter: 1, tag: "AAA"), IncidentID(year: 2026, counter: 10_000, tag: "AAA"),
            IncidentID(year: 2026, counter: 42, tag: "ZZZ"), IncidentID(year: 2026, counter: 42, tag: "K7Q"),
        ]
        #expect(ids.sorted().map(\.text) == ["INC-2026-0042-K7Q", "INC-2026-0042-ZZZ", "INC-2026-10000-AAA", "INC-2027-0001-AAA"])
    }

    @Test("a node tag is three Crockford characters, deterministic per node", arguments: ["node1", "node2", "eu-west-2a", "a", String(repeating: "z", count: 64)])
    func nodeTag(name: String) throws {
        let node = try NodeID(validating: name)
        let tag = IncidentID.tag(for: node)
        #expect(tag.count == 3)
        #expect(tag.allSatisfy { "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains($0) })
        #expect(IncidentID.tag(for: NodeID(name)) == tag)
        let id = IncidentID(year: 2026, counter: 7, tag: tag)
        #expect(try IncidentID(parsing: id.text) == id)
    }

    @Test("different nodes mostly get different tags")
    func nodeTagsSpread() {
        let tags = Set((1...200).map { IncidentID.tag(for: NodeID("node\($0)")) })
        #expect(tags.count >= 195)
    }

    @Test("FNV-1a matches the reference vectors")
    func fnv() {
        #expect(FNV1a.hash64("".utf8) == 0xcbf2_9ce4_8422_2325)
        #expect(FNV1a.hash64("a".utf8) == 0xaf63_dc4c_8601_ec8c)
        #expect(FNV1a.hash64("foobar".utf8) == 0x8594_4171_f739_67e8)
    }

    // MARK: - Node ids

    @Test("valid node ids", arguments: ["node1", "eu-west-2a", "a.b_c-D", "N", String(repeating: "x", count: 64)])
    func nodeIDValid(name: String) throws {
        #expect(NodeID.isValid(name))
        #expect(try NodeID(validating: name).name == name)
    }

    @Test func eventAuthorsNameTheNodeAndItsDataDirectory() {
        let author = NodeID.author(node: NodeID("eu-west-2a"), directoryTag: "K7Q")
        #expect(author.name == "eu-west-2a/K7Q")
        #expect(!NodeID.isValid(author.name), "an author can never be mistaken for a node id")
        #expect(author.authorNode == NodeID("eu-west-2a"))
        #expect(NodeID("node1").authorNode == NodeID("node1"))
        #expect(author != NodeID.author(node: NodeID("eu-west-2a"), directoryTag: "K7R"))
    }

    @Test(
        "invalid node ids are rejected naming the value",
        arguments: ["", String(repeating: "x", count: 65), "node 1", "node/1", "nöde", "node:1", "node\n", "émile"])
    func nodeIDInvalid(name: String) {
        #expect(!NodeID.isValid(name))
        let error = domainError { _ = try NodeID(validating: name) }
        guard case .badRequest(let m) = error else {
            Issue.record("expected bad_request, got \(String(describing: error))")
            return
        }
        #expect(m.contains("'\(name)'"))
    }

    @Test("node ids order by bytes; event ids by origin then sequence")
    func nodeAndEventOrder() {
        #expect(NodeID("Node") < NodeID("node"))
        #expect(NodeID("a") < NodeID("ab"))
        #expect(NodeID("node10") < NodeID("node2"))
        #expect(EventID(origin: NodeID("a"), seq: 9) < EventID(origin: NodeID("b"), seq: 1))
        #expect(EventID(origin: NodeID("a"), seq: 2) < EventID(origin: NodeID("a"), seq: 10))
        #expect(EventID(origin: NodeID("n1"), seq: 3).description == "n1:3")
    }
}
