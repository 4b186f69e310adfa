import AetherJSON
import IncidentCore

/// The values message templates see (`incident.*`, `update.*`), built from an incident's record.
enum MessageContext {
    /// `{incident: {id, title, severity, priority, status, service, detected_at, assignee,
    /// war_room_link, timeline: [{at, kind, actor}]}, update: {message}}`.
    static func of(_ record: IncidentRecord, update: String? = nil) -> JSONValue {
        let i = record.incident
        let timeline: [JSONValue] = record.timeline.suffix(20).map { e in
            ["at": .string(e.at.rfc3339), "kind": .string(e.kind), "actor": .string(e.actor)]
        }
        var incident: JSONObject = [
            "id": .string(i.id.text), "title": .string(i.title), "severity": .string(i.severity.description),
            "priority": .string(i.priority.description), "status": .string(i.status.rawValue), "service": .string(i.service),
            "detected_at": .string(i.opening.detectedAt.rfc3339), "timeline": .array(timeline),
        ]
        incident["assignee"] = i.assignee.map { .string($0) } ?? .null
        incident["war_room_link"] = i.warRoom.map { .string($0) } ?? .null
        var o: JSONObject = ["incident": .object(incident)]
        if let (_, description) = i.resolution {
            o["resolution"] = ["summary": .string(description), "root_cause": i.rootCause.map { .string($0) } ?? .null]
        }
        if let update { o["update"] = ["message": .string(update)] }
        return .object(o)
    }

    /// Splits a rendered template into its `Subject:` line and the body after the blank line.
    static func split(_ rendered: String) -> (subject: String, body: String) {
        // On bytes: a template saved with CRLF line ends has "\r\n" as one Character.
        let bytes = Array(rendered.utf8)
        guard bytes.starts(with: Array("Subject:".utf8)), let nl = bytes.firstIndex(of: 10) else { return ("", rendered) }
        let subject = String(decoding: bytes[8..<nl].filter { $0 != 13 }, as: UTF8.self).trimmingSpaces()
        var start = nl + 1
        while start < bytes.count, bytes[start] == 10 || bytes[start] == 13 { start += 1 }
        return (subject, String(decoding: bytes[start...], as: UTF8.self))
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " || s.last == "\r" { s = s.dropLast() }
        return String(s)
    }
}
