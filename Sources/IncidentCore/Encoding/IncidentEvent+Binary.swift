// MARK: - Binary encoding of events (log records and gossip). See Docs/wal-format.md.
//
// Layout, version 1:
//   u8 version (=1) · string origin · varint seq · u64 hlc · string incident · string actor · u8 tag · body
// Code tables below are append-only: a code, once written to a log, keeps its meaning forever.

/// Stable one-byte codes for enums in the binary format.
public enum WireCodes {
    /// Event format version.
    public static let eventVersion: UInt8 = 1
    /// Severity codes = raw values.
    public static let severities: [Severity] = [.sev0, .sev1, .sev2, .sev3, .sev4]
    /// Priority codes.
    public static let priorities: [Priority] = [.p1, .p2, .p3, .p4, .p5]
    /// Category codes.
    public static let categories: [Category] = [
        .infrastructure, .database, .application, .security, .deployment, .thirdParty, .data, .unknown,
    ]
    /// Category source codes.
    public static let categorySources: [CategorySource] = [.keywords, .learned, .explicit, .none]
    /// Status codes.
    public static let statuses: [IncidentStatus] = [
        .triggered, .acknowledged, .investigating, .mitigated, .resolved, .closed, .reopened,
    ]
    /// Role codes.
    public static let roles: [IncidentRole] = [
        .incidentCommander, .communicationsLead, .technicalLead, .operationsLead, .businessLead,
    ]
    /// Escalation reason codes.
    public static let escalationReasons: [EscalationReason] = [.timeout, .complexity, .manual]

    static func code<T: Equatable>(_ value: T, in table: [T]) -> UInt8 {
        UInt8(table.firstIndex(of: value)!)
    }
}

extension IncidentEvent {
    /// Appends the binary encoding of this event. `omittingIncident` leaves the incident id out
    /// (an empty string in its place), for in-memory logs where every event has the same incident.
    public func encode(into w: inout ByteWriter, omittingIncident: Bool = false) {
        w.write(WireCodes.eventVersion)
        w.writeString(id.origin.name)
        w.writeVarint(id.seq)
        w.write(hlc.raw)
        w.writeString(omittingIncident ? "" : incident.text)
        w.writeString(actor)
        body.encode(into: &w)
    }

    /// The binary encoding of this event.
    public var encoded: [UInt8] {
        var w = ByteWriter(capacity: 96)
        encode(into: &w)
        return w.bytes
    }

    /// Decodes one event.
    /// - Throws: `BinaryDecodingError` naming the offset and the problem.
    public init(from r: inout ByteReader, incident known: IncidentID? = nil) throws(BinaryDecodingError) {
        let at = r.offset
        let version = try r.readUInt8()
        guard version == WireCodes.eventVersion else {
            throw BinaryDecodingError(offset: at, message: "unsupported event version \(version); expected 1")
        }
        let origin = try r.readString()
        let seq = try r.readVarint()
        let hlc = HLCTimestamp(raw: try r.readUInt64())
        let text = try r.readString()
        let incident = known ?? IncidentID(text)
        let actor = try r.readString()
        self.init(
            id: EventID(origin: NodeID(origin), seq: seq), hlc: hlc, incident: incident, actor: actor,
            body: try IncidentEventBody(from: &r))
    }

    /// Decodes one event from a whole buffer, which it must fill exactly.
    public init(decoding bytes: UnsafeRawBufferPointer) throws(BinaryDecodingError) {
        var r = ByteReader(bytes)
        try self.init(from: &r)
        guard r.remaining == 0 else {
            throw BinaryDecodingError(offset: r.offset, message: "\(r.remaining) unexpected bytes after event")
        }
    }
}

extension IncidentEventBody {
    func encode(into w: inout ByteWriter) {
        switch self {
        case .opened(let o):
            w.write(UInt8(1))
            o.encode(into: &w)
        case .alertRepeated(let count, let firstAt, let lastAt):
            w.write(UInt8(2))
            w.writeVarint(UInt64(count))
            w.writeTimestamp(firstAt)
            w.writeTimestamp(lastAt)
        case .sourceAcknowledged: w.write(UInt8(3))
        case .alertResolved: w.write(UInt8(4))
        case .acknowledged: w.write(UInt8(5))
        case .statusChanged(let s, let note):
            w.write(UInt8(6))
            w.write(WireCodes.code(s, in: WireCodes.statuses))
            w.writeString(note)
        case .assigned(let who):
            w.write(UInt8(7))
            w.writeString(who)
        case .roleAssigned(let role, let person):
            w.write(UInt8(8))
            w.write(WireCodes.code(role, in: WireCodes.roles))
            w.writeString(person)
        case .warRoomOpened(let link):
            w.write(UInt8(9))
            w.writeString(link)
        case .severityChanged(let s, let reason):
            w.write(UInt8(10))
            w.write(WireCodes.code(s, in: WireCodes.severities))
            w.writeString(reason)
        case .priorityChanged(let p, let reason):
            w.write(UInt8(11))
            w.write(WireCodes.code(p, in: WireCodes.priorities))
            w.writeString(reason)
        case .categoryChanged(let c, let reason):
            w.write(UInt8(12))
            w.write(WireCodes.code(c, in: WireCodes.categories))
            w.writeString(reason)
        case .note(let text):
            w.write(UInt8(13))
            w.writeString(text)
        case .statusUpdate(let message, let channels):
            w.write(UInt8(14))
            w.writeString(message)
            w.writeStrings(channels)
        case .notified(let channel, let ok, let detail, let key):
            w.write(UInt8(key.isEmpty ? 15 : 31))  // 15: written before messages had keys
            w.writeString(channel)
            w.writeBool(ok)
            w.writeString(detail)
            if !key.isEmpty { w.writeString(key) }
        case .deliveriesSettled(let step):
            w.write(UInt8(32))
            w.write(step)
        case .escalated(let reason, let detail, let team):
            w.write(UInt8(16))
            w.write(WireCodes.code(reason, in: WireCodes.escalationReasons))
            w.writeString(detail)
            w.writeString(team)
        case .workaroundApplied(let d):
            w.write(UInt8(17))
            w.writeString(d)
        case .resolutionVerified(let method, let detail):
            w.write(UInt8(18))
            w.writeString(method)
            w.writeString(detail)
        case .resolutionFailed(let method, let reason):
            w.write(UInt8(19))
            w.writeString(method)
            w.writeString(reason)
        case .resolved(let d):
            w.write(UInt8(20))
            w.writeString(d)
        case .reopened(let reason):
            w.write(UInt8(21))
            w.writeString(reason)
        case .closed(let reason):
            w.write(UInt8(22))
            w.writeString(reason)
        case .reviewScheduled(let at):
            w.write(UInt8(23))
            w.writeTimestamp(at)
        case .reviewCompleted(let cause, let summary):
            w.write(UInt8(24))
            w.writeString(cause)
            w.writeString(summary)
        case .actionItemAdded(let item):
            w.write(UInt8(25))
            w.writeString(item.description)
            w.writeString(item.owner)
            w.writeTimestamp(item.dueAt)
        case .kbArticlePublished(let title, let markdown):
            w.write(UInt8(26))
            w.writeString(title)
            w.writeString(markdown)
        case .mergedInto(let winner):
            w.write(UInt8(27))
            w.writeString(winner.text)
        case .mergedFrom(let loser, let alerts):
            w.write(UInt8(28))
            w.writeString(loser.text)
            w.writeVarint(UInt64(alerts))
        case .escalationStep(let step):
            w.write(UInt8(29))
            step.encode(into: &w)
        case .catalogChanged(let c):
            w.write(UInt8(30))
            w.write(c.kind.rawValue)
            w.writeString(c.name)
            w.writeBool(c.document != nil)
            if let d = c.document { w.writeString(d) }
        }
    }

    init(from r: inout ByteReader) throws(BinaryDecodingError) {
        let at = r.offset
        let tag = try r.readUInt8()
        switch tag {
        case 1: self = .opened(try IncidentOpening(from: &r))
        case 2:
            let count = UInt32(clamping: try r.readVarint())
            self = .alertRepeated(count: count, firstAt: try r.readTimestamp(), lastAt: try r.readTimestamp())
        case 3: self = .sourceAcknowledged
        case 4: self = .alertResolved
        case 5: self = .acknowledged
        case 6: self = .statusChanged(try r.readCode(WireCodes.statuses, "status"), note: try r.readString())
        case 7: self = .assigned(assignee: try r.readString())
        case 8: self = .roleAssigned(try r.readCode(WireCodes.roles, "role"), person: try r.readString())
        case 9: self = .warRoomOpened(link: try r.readString())
        case 10: self = .severityChanged(try r.readCode(WireCodes.severities, "severity"), reason: try r.readString())
        case 11: self = .priorityChanged(try r.readCode(WireCodes.priorities, "priority"), reason: try r.readString())
        case 12: self = .categoryChanged(try r.readCode(WireCodes.categories, "category"), reason: try r.readString())
        case 13: self = .note(try r.readString())
        case 14: self = .statusUpdate(message: try r.readString(), channels: try r.readStrings())
        case 15: self = .notified(channel: try r.readString(), ok: try r.readBool(), detail: try r.readString())
        case 16:
            self = .escalated(
                try r.readCode(WireCodes.escalationReasons, "escalation reason"), detail: try r.readString(),
                team: try r.readString())
        case 17: self = .workaroundApplied(description: try r.readString())
        case 18: self = .resolutionVerified(method: try r.readString(), detail: try r.readString())
        case 19: self = .resolutionFailed(method: try r.readString(), reason: try r.readString())
        case 20: self = .resolved(description: try r.readString())
        case 21: self = .reopened(reason: try r.readString())
        case 22: self = .closed(reason: try r.readString())
        case 23: self = .reviewScheduled(at: try r.readTimestamp())
        case 24: self = .reviewCompleted(rootCause: try r.readString(), summary: try r.readString())
        case 25:
            self = .actionItemAdded(
                ActionItem(description: try r.readString(), owner: try r.readString(), dueAt: try r.readTimestamp()))
        case 26: self = .kbArticlePublished(title: try r.readString(), markdown: try r.readString())
        case 27: self = .mergedInto(winner: IncidentID(try r.readString()))
        case 28: self = .mergedFrom(loser: IncidentID(try r.readString()), alerts: try r.readCount(max: Int(Int32.max), "merged alerts"))
        case 29: self = .escalationStep(try EscalationStep(from: &r))
        case 30:
            let kindAt = r.offset
            let code = try r.readUInt8()
            guard let kind = CatalogKind(rawValue: code) else {
                throw BinaryDecodingError(offset: kindAt, message: "unknown catalog kind \(code)")
            }
            let name = try r.readString()
            let document = try r.readBool() ? try r.readString() : nil
            self = .catalogChanged(CatalogChange(kind: kind, name: name, document: document))
        case 31: self = .notified(channel: try r.readString(), ok: try r.readBool(), detail: try r.readString(), key: try r.readString())
        case 32: self = .deliveriesSettled(step: try r.readUInt32())
        default:
            throw BinaryDecodingError(offset: at, message: "unknown event body tag \(tag)")
        }
    }
}

extension IncidentOpening {
    func encode(into w: inout ByteWriter) {
        w.writeString(title)
        w.writeString(description)
        w.writeString(source)
        w.writeString(service)
        w.writeString(component)
        w.writeString(dedupKey)
        w.writeVarint(UInt64(labels.count))
        for l in labels {
            w.writeString(l.name)
            w.writeString(l.value)
        }
        w.writeVarint(UInt64(links.count))
        for l in links {
            w.writeString(l.href)
            w.writeString(l.text)
        }
        w.writeStrings(affectedServices)
        if let pct = affectedUsersPct {
            w.write(UInt8(1))
            w.writeDouble(pct)
        } else {
            w.write(UInt8(0))
        }
        w.writeTimestamp(detectedAt)
        let t = triage
        w.write(WireCodes.code(t.category, in: WireCodes.categories))
        w.write(WireCodes.code(t.categorySource, in: WireCodes.categorySources))
        w.write(UInt8(t.impact))
        w.write(UInt8(t.urgency))
        w.write(WireCodes.code(t.severity, in: WireCodes.severities))
        w.writeBool(t.severityExplicit)
        w.write(WireCodes.code(t.priority, in: WireCodes.priorities))
    }

    convenience init(from r: inout ByteReader) throws(BinaryDecodingError) {
        let title = try r.readString()
        let description = try r.readString()
        let source = try r.readString()
        let service = try r.readString()
        let component = try r.readString()
        let dedupKey = try r.readString()
        let labelCount = try r.readCount(max: min(4096, r.remaining), "label count")
        var labels: [LabelPair] = []
        labels.reserveCapacity(labelCount)
        for _ in 0..<labelCount { labels.append(LabelPair(name: try r.readString(), value: try r.readString())) }
        let linkCount = try r.readCount(max: min(4096, r.remaining), "link count")
        var links: [Alert.Link] = []
        for _ in 0..<linkCount { links.append(Alert.Link(href: try r.readString(), text: try r.readString())) }
        let affected = try r.readStrings()
        let pct: Double? = try r.readBool() ? try r.readDouble() : nil
        let detectedAt = try r.readTimestamp()
        let category = try r.readCode(WireCodes.categories, "category")
        let categorySource = try r.readCode(WireCodes.categorySources, "category source")
        let impact = Int(try r.readUInt8())
        let urgency = Int(try r.readUInt8())
        let severity = try r.readCode(WireCodes.severities, "severity")
        let explicit = try r.readBool()
        let priority = try r.readCode(WireCodes.priorities, "priority")
        self.init(
            title: title, description: description, source: source, service: service, component: component,
            dedupKey: dedupKey, labels: labels, links: links, affectedServices: affected, affectedUsersPct: pct,
            detectedAt: detectedAt,
            triage: Triage(
                category: category, categorySource: categorySource, impact: impact, urgency: urgency,
                severity: severity, severityExplicit: explicit, priority: priority))
    }
}

extension EscalationStep {
    func encode(into w: inout ByteWriter) {
        w.writeVarint(UInt64(number))
        w.write(kind.rawValue)
        w.writeVarint(UInt64(level))
        w.writeVarint(UInt64(pass))
        w.writeString(policy)
        w.writeStrings(targets)
        w.writeString(channel)
        w.write(severity.map { UInt8($0.rawValue) } ?? 0xFF)
        w.writeOptionalTimestamp(nextDueAt)
        w.writeString(reason)
    }

    init(from r: inout ByteReader) throws(BinaryDecodingError) {
        let number = try r.readVarint()
        guard number >= 1, number <= UInt64(UInt32.max) else {
            throw BinaryDecodingError(offset: r.offset, message: "escalation step number \(number) out of range")
        }
        let kindAt = r.offset
        let code = try r.readUInt8()
        guard let kind = Kind(rawValue: code) else {
            throw BinaryDecodingError(offset: kindAt, message: "unknown escalation step kind \(code)")
        }
        let level = try r.readVarint()
        let pass = try r.readVarint()
        guard level <= UInt64(UInt16.max), pass <= UInt64(UInt16.max) else {
            throw BinaryDecodingError(offset: r.offset, message: "escalation level \(level) or pass \(pass) out of range")
        }
        let policy = try r.readString()
        let targets = try r.readStrings()
        let channel = try r.readString()
        let sevAt = r.offset
        let sev = try r.readUInt8()
        let severity: Severity?
        if sev == 0xFF {
            severity = nil
        } else {
            guard let s = Severity(rawValue: Int(sev)) else {
                throw BinaryDecodingError(offset: sevAt, message: "unknown severity code \(sev)")
            }
            severity = s
        }
        self.init(
            number: UInt32(number), kind: kind, level: UInt16(level), pass: UInt16(pass), policy: policy, targets: targets,
            channel: channel, severity: severity, nextDueAt: try r.readOptionalTimestamp(), reason: try r.readString())
    }
}
