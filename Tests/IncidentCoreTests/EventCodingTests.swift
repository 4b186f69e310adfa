import Testing

@testable import IncidentCore

@Suite("Binary event encoding: round trips and hostile input")
struct EventCodingTests {
    static let fullOpening = IncidentOpening(
        title: "Connection pool exhausted ✓", description: "multi\nline — ünïcode", source: "prometheus",
        service: "payment-service", component: "db-pool", dedupKey: "prometheus|payment-service|pool",
        labels: [LabelPair(name: "env", value: "prod"), LabelPair(name: "team", value: "")],
        links: [Alert.Link(href: "https://runbooks/x", text: "runbook"), Alert.Link(href: "https://d", text: "")],
        affectedServices: ["checkout", "cart"], affectedUsersPct: 12.5, detectedAt: Timestamp(unixMillis: -5),
        triage: Triage(
            category: .thirdParty, categorySource: .learned, impact: 7, urgency: 10, severity: .sev1,
            severityExplicit: true, priority: .p2))

    static let bareOpening = IncidentOpening(
        title: "t", description: "", source: "", service: "", component: "", dedupKey: "||t", labels: [], links: [],
        affectedServices: [], affectedUsersPct: nil, detectedAt: Timestamp(unixMillis: 1_772_442_000_000),
        triage: Triage(
            category: .unknown, categorySource: .none, impact: 0, urgency: 0, severity: .sev4, severityExplicit: false,
            priority: .p5))

    /// At least one body of every case, and every value of every code table.
    static let bodies: [IncidentEventBody] = {
        var b: [IncidentEventBody] = [
            .opened(fullOpening), .opened(bareOpening),
            .alertRepeated(count: 1, firstAt: Fixture.t0, lastAt: Fixture.t0 + .seconds(9)),
            .alertRepeated(count: .max, firstAt: Timestamp(unixMillis: .min), lastAt: Timestamp(unixMillis: .max)),
            .sourceAcknowledged, .alertResolved, .acknowledged,
            .assigned(assignee: "alice"), .assigned(assignee: ""), .warRoomOpened(link: "https://chat/inc"),
            .note("a note with\u{0} a NUL and 🚨"), .statusUpdate(message: "m", channels: []),
            .statusUpdate(message: "update", channels: ["slack", "statuspage", "email"]),
            .notified(channel: "slack", ok: true, detail: "200"), .notified(channel: "smtp", ok: false, detail: "refused"),
            .notified(channel: "pager", ok: false, detail: "503", key: "INC-2026-0001-AAA/step-2/alice"),
            .deliveriesSettled(step: 2), .deliveriesSettled(step: .max),
            .workaroundApplied(description: "failover"), .resolutionVerified(method: "http_probe", detail: "200 in 12ms"),
            .resolutionFailed(method: "alerts_quiet", reason: "fired again"), .resolved(description: "fixed"),
            .reopened(reason: "again"), .closed(reason: "done"), .reviewScheduled(at: Timestamp(unixMillis: -86_400_000)),
            .reviewCompleted(rootCause: "pool too small", summary: "resized"),
            .actionItemAdded(ActionItem(description: "alert on pool", owner: "bob", dueAt: .minutes(20_000))),
            .kbArticlePublished(title: "Pool exhaustion", markdown: "# Pool\n\n" + String(repeating: "Ünïcode text. ", count: 30)),
            .mergedInto(winner: IncidentID("INC-2026-0001-AAA")), .mergedFrom(loser: IncidentID("INC-2026-0002-BBB"), alerts: 41),
        ]
        b += IncidentStatus.allCases.map { .statusChanged($0, note: "n") }
        b += IncidentRole.allCases.map { .roleAssigned($0, person: "carol") }
        b += Severity.allCases.map { .severityChanged($0, reason: "r") }
        b += Priority.allCases.map { .priorityChanged($0, reason: "r") }
        b += Category.allCases.map { .categoryChanged($0, reason: "r") }
        b += EscalationReason.allCases.map { .escalated($0, detail: "d", team: $0 == .complexity ? "dba" : "") }
        b += [
            .escalationStep(
                EscalationStep(
                    number: 1, kind: .page, level: 1, pass: 0, policy: "payments", targets: ["alice", "bob"], channel: "log",
                    severity: nil, nextDueAt: Fixture.t0 + .seconds(300), reason: "level 1 of payments: incident triggered")),
            .escalationStep(
                EscalationStep(
                    number: .max, kind: .timeout, level: 0, pass: 3, policy: "", targets: [], channel: "", severity: .sev0,
                    nextDueAt: nil, reason: "")),
            .escalationStep(
                EscalationStep(
                    number: 7, kind: .ackTimeout, level: 2, pass: 1, policy: "p", targets: ["carol"], channel: "log",
                    severity: nil, nextDueAt: Timestamp(unixMillis: -1), reason: "ack timed out")),
            .catalogChanged(CatalogChange(kind: .schedule, name: "primary", document: "{\"name\":\"primary\"}")),
            .catalogChanged(CatalogChange(kind: .person, name: "alice", document: nil)),
        ]
        b += CatalogKind.allCases.map { .catalogChanged(CatalogChange(kind: $0, name: "n", document: "{}")) }
        return b
    }()

    /// The case name; the exhaustive switch makes a new case a compile error here until it is sampled.
    static func caseName(_ body: IncidentEventBody) -> String {
        switch body {
        case .opened: "opened"
        case .alertRepeated: "alertRepeated"
        case .sourceAcknowledged: "sourceAcknowledged"
        case .alertResolved: "alertResolved"
        case .acknowledged: "acknowledged"
        case .statusChanged: "statusChanged"
        case .assigned: "assigned"
        case .roleAssigned: "roleAssigned"
        case .warRoomOpened: "warRoomOpened"
        case .severityChanged: "severityChanged"
        case .priorityChanged: "priorityChanged"
        case .categoryChanged: "categoryChanged"
        case .note: "note"
        case .statusUpdate: "statusUpdate"
        case .notified: "notified"
        case .escalated: "escalated"
        case .workaroundApplied: "workaroundApplied"
        case .resolutionVerified: "resolutionVerified"
        case .resolutionFailed: "resolutionFailed"
        case .resolved: "resolved"
        case .reopened: "reopened"
        case .closed: "closed"
        case .reviewScheduled: "reviewScheduled"
        case .reviewCompleted: "reviewCompleted"
        case .actionItemAdded: "actionItemAdded"
        case .kbArticlePublished: "kbArticlePublished"
        case .mergedInto: "mergedInto"
        case .mergedFrom: "mergedFrom"
        case .escalationStep: "escalationStep"
        case .deliveriesSettled: "deliveriesSettled"
        case .catalogChanged: "catalogChanged"
        }
    }

    static func event(_ body: IncidentEventBody, seq: UInt64 = 7) -> IncidentEvent {
        IncidentEvent(
            id: EventID(origin: NodeID("eu-west-2a"), seq: seq), hlc: HLCTimestamp(wallMillis: 1_772_442_000_123, logical: 9),
            incident: Fixture.id, actor: "integration:prometheus ✓", body: body)
    }

    static let events: [IncidentEvent] = bodies.map { event($0) }

    static func decode(_ bytes: [UInt8]) -> Result<IncidentEvent, BinaryDecodingError> {
        bytes.withUnsafeBytes { buffer in
            do {
                return .success(try IncidentEvent(decoding: buffer))
            } catch let error as BinaryDecodingError {
                return .failure(error)
            } catch {
                return .failure(BinaryDecodingError(offset: -1, message: "unexpected error \(error)"))
            }
        }
    }

    static func failure(_ bytes: [UInt8]) -> BinaryDecodingError? {
        if case .failure(let e) = decode(bytes) { return e }
        return nil
    }

    /// Offset of the body tag: the header is everything before the last byte of a tag-only body.
    static let tagOffset = event(.acknowledged).encoded.count - 1

    @Test("the samples cover every body case")
    func samplesCoverEveryCase() {
        #expect(Set(Self.bodies.map(Self.caseName)).count == 31)
    }

    @Test("every event round trips", arguments: events)
    func roundTrip(event: IncidentEvent) throws {
        let bytes = event.encoded
        let decoded = try Self.decode(bytes).get()
        #expect(decoded == event)
        #expect(decoded.encoded == bytes)
    }

    @Test("extreme header values round trip")
    func extremeHeader() throws {
        let e = IncidentEvent(
            id: EventID(origin: NodeID(""), seq: .max), hlc: HLCTimestamp(raw: .max), incident: IncidentID(""), actor: "",
            body: .acknowledged)
        #expect(try Self.decode(e.encoded).get() == e)
    }

    @Test("events decode back to back from one buffer")
    func sequentialDecoding() throws {
        var w = ByteWriter()
        for e in Self.events { e.encode(into: &w) }
        let decoded: [IncidentEvent] = try w.bytes.withUnsafeBytes { buffer in
            var r = ByteReader(buffer)
            var out: [IncidentEvent] = []
            while r.remaining > 0 { out.append(try IncidentEvent(from: &r)) }
            return out
        }
        #expect(decoded == Self.events)
    }

    /// Prefixes of every sample that decode, or fail with an offset outside the prefix.
    static func truncationProblems() -> [String] {
        var problems: [String] = []
        for event in events {
            let bytes = event.encoded
            for n in 0..<bytes.count {
                switch decode(Array(bytes[..<n])) {
                case .success: problems.append("\(caseName(event.body)): prefix \(n) decoded")
                case .failure(let e) where e.offset < 0 || e.offset > n:
                    problems.append("\(caseName(event.body)): prefix \(n) error offset \(e.offset)")
                case .failure: break
                }
            }
        }
        return problems
    }

    // The decoding tests below run in a child process (exit tests): a bounds trap in the decoder
    // must fail the test, not kill the whole test run.

    @Test("every truncated prefix of every event throws, never traps")
    func truncatedPrefixes() async {
        await #expect(processExitsWith: .success) {
            let problems = EventCodingTests.truncationProblems()
            precondition(problems.isEmpty, "\(problems.prefix(5))")
        }
    }

    @Test("a string whose last byte is missing is an error, not a trap")
    func stringMissingLastByte() async {
        // version 1, origin length 1, and no origin byte
        await #expect(processExitsWith: .success) {
            precondition(EventCodingTests.failure([1, 1])?.message.contains("truncated") == true)
        }
    }

    @Test("trailing bytes after an event are an error at the event's end")
    func trailingBytes() {
        let bytes = Self.event(.acknowledged).encoded
        let e = Self.failure(bytes + [0])
        #expect(e?.offset == bytes.count)
        #expect(e?.message.contains("unexpected bytes") == true)
    }

    @Test("unknown body tags are errors at the tag", arguments: [0, 33, 99, 255] as [UInt8])
    func unknownTag(tag: UInt8) {
        var bytes = Self.event(.acknowledged).encoded
        bytes[Self.tagOffset] = tag
        let e = Self.failure(bytes)
        #expect(e?.offset == Self.tagOffset)
        #expect(e?.message == "unknown event body tag \(tag)")
        #expect(e?.description == "unknown event body tag \(tag) at byte \(Self.tagOffset)")
    }

    @Test("unsupported versions are errors at byte 0", arguments: [0, 2, 255] as [UInt8])
    func badVersion(version: UInt8) {
        var bytes = Self.event(.acknowledged).encoded
        bytes[0] = version
        let e = Self.failure(bytes)
        #expect(e?.offset == 0)
        #expect(e?.message.contains("unsupported event version \(version)") == true)
    }

    @Test(
        "out-of-table code bytes are errors at the code",
        arguments: [
            (IncidentEventBody.statusChanged(.triggered, note: ""), UInt8(7), "status"),
            (.roleAssigned(.incidentCommander, person: ""), 5, "role"),
            (.severityChanged(.sev0, reason: ""), 5, "severity"),
            (.priorityChanged(.p1, reason: ""), 5, "priority"),
            (.categoryChanged(.data, reason: ""), 8, "category"),
            (.escalated(.timeout, detail: "", team: ""), 3, "escalation reason"),
        ] as [(IncidentEventBody, UInt8, String)])
    func badCode(body: IncidentEventBody, code: UInt8, what: String) {
        var bytes = Self.event(body).encoded
        bytes[Self.tagOffset + 1] = code
        let e = Self.failure(bytes)
        #expect(e?.offset == Self.tagOffset + 1)
        #expect(e?.message == "unknown \(what) code \(code)")
    }

    @Test(
        "bad triage bytes in an opening are errors at the byte",
        arguments: [
            (7, UInt8(8), "unknown category code 8"), (6, 4, "unknown category source code 4"),
            (3, 5, "unknown severity code 5"), (2, 2, "boolean byte 2 is not 0 or 1"), (1, 5, "unknown priority code 5"),
        ] as [(Int, UInt8, String)])
    func badTriageByte(fromEnd: Int, value: UInt8, message: String) {
        var bytes = Self.event(.opened(Self.fullOpening)).encoded
        let at = bytes.count - fromEnd
        bytes[at] = value
        let e = Self.failure(bytes)
        #expect(e?.offset == at)
        #expect(e?.message == message)
    }

    @Test("a bad boolean byte is an error at the byte")
    func badBool() {
        var bytes = Self.event(.notified(channel: "slack", ok: true, detail: "")).encoded
        let at = Self.tagOffset + 1 + 1 + 5  // tag, length, "slack"
        #expect(bytes[at] == 1)
        bytes[at] = 2
        #expect(Self.failure(bytes)?.offset == at)
    }

    @Test("malformed varints and oversized lengths are errors, not traps")
    func varints() {
        // version, empty origin, then an 11-byte varint for seq
        let tooLong = Self.failure([1, 0] + Array(repeating: 0xFF, count: 11))
        #expect(tooLong?.offset == 2)
        #expect(tooLong?.message.contains("varint") == true)
        let overflow = Self.failure([1, 0] + Array(repeating: 0xFF, count: 9) + [0x02])
        #expect(overflow?.message == "varint overflows 64 bits")
        // origin length far beyond the buffer
        let longString = Self.failure([1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 65, 65])
        #expect(longString?.offset == 1)
        #expect(longString?.message.contains("string") == true)
        #expect(Self.failure([])?.offset == 0)
    }

    /// Flips 1–4 random bytes of random samples; whatever decodes must re-encode stably.
    static func flipProblems(iterations: Int) -> [String] {
        var rng = SeededRandom(seed: 0xA37E)
        let encoded = events.map(\.encoded)
        var problems: [String] = []
        for i in 0..<iterations {
            var bytes = encoded.randomElement(using: &rng)!
            for _ in 0...Int.random(in: 0..<4, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            }
            if i % 4 == 0 { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &rng)) }
            if case .success(let e) = decode(bytes) {
                let once = e.encoded
                guard case .success(let again) = decode(once), again.encoded == once else {
                    problems.append("iteration \(i): re-encoded event does not round trip")
                    continue
                }
            }
        }
        return problems
    }

    /// Random buffers, half of them starting with the version byte.
    static func decodeGarbage(iterations: Int) {
        var rng = SeededRandom(seed: 0xBEEF)
        for i in 0..<iterations {
            var bytes = (0..<Int.random(in: 0..<80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if i % 2 == 0, !bytes.isEmpty { bytes[0] = 1 }
            _ = decode(bytes)
        }
    }

    @Test("a few thousand random byte flips (and cuts) never crash, and what decodes re-encodes stably")
    func randomFlips() async {
        await #expect(processExitsWith: .success) {
            let problems = EventCodingTests.flipProblems(iterations: 4000)
            precondition(problems.isEmpty, "\(problems.prefix(5))")
        }
    }

    @Test("random garbage never crashes")
    func randomGarbage() async {
        await #expect(processExitsWith: .success) {
            EventCodingTests.decodeGarbage(iterations: 3000)
        }
    }

    @Test("writer and reader agree on primitives")
    func primitives() throws {
        var w = ByteWriter()
        let signed: [Int64] = [0, 1, -1, 63, -64, 64, .max, .min]
        let unsigned: [UInt64] = [0, 127, 128, 16_383, 16_384, .max]
        for v in signed { w.writeSigned(v) }
        for v in unsigned { w.writeVarint(v) }
        w.write(UInt32(0xDEAD_BEEF))
        w.writeDouble(-0.25)
        w.writeOptionalTimestamp(nil)
        w.writeOptionalTimestamp(Timestamp(unixMillis: -3))
        w.writeStrings(["", "a", "ü"])
        #expect(w.bytes.prefix(3) == [0, 2, 1])  // zigzag: 0 → 0, 1 → 2, −1 → 1
        let read = try w.bytes.withUnsafeBytes { buffer in
            var r = ByteReader(buffer)
            var s: [Int64] = []
            for _ in signed { s.append(try r.readSigned()) }
            var u: [UInt64] = []
            for _ in unsigned { u.append(try r.readVarint()) }
            let u32 = try r.readUInt32()
            let d = try r.readDouble()
            let t1 = try r.readOptionalTimestamp()
            let t2 = try r.readOptionalTimestamp()
            let strings = try r.readStrings()
            return (s, u, u32, d, t1, t2, strings, r.remaining)
        }
        #expect(read.0 == signed)
        #expect(read.1 == unsigned)
        #expect(read.2 == 0xDEAD_BEEF)
        #expect(read.3 == -0.25)
        #expect(read.4 == nil)
        #expect(read.5 == Timestamp(unixMillis: -3))
        #expect(read.6 == ["", "a", "ü"])
        #expect(read.7 == 0)
    }
}
