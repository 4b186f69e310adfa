import AetherJSON
import IncidentCore

/// Reads one PagerDuty event object field by field, collecting every problem instead of stopping at the
/// first (PagerDuty answers all of them at once). Messages follow PagerDuty's wording:
/// `'<field>' is missing or blank`, `'<field>' is invalid (…)`, `'<field>' is too long (maximum is …)`,
/// and, for a wrong JSON type, `'<field>' is an integer; expected a string`.
struct PagerDutyReader {
    /// Aether's limits, applied on top of PagerDuty's.
    let limits: AlertLimits
    /// The problems found so far, in field order.
    private(set) var errors: [String] = []

    init(limits: AlertLimits) { self.limits = limits }

    /// The fields of a trigger's `payload`.
    private struct Payload {
        var summary = ""
        var source = ""
        var severity: MonitoringLevel?
        var timestamp: Timestamp?
        var component = ""
        var labels: [String: String] = [:]
        var details = ""
    }

    /// Reads the event; `alert` is nil when a problem was found (see `errors`). The alert's dedup key is nil
    /// when the trigger has none and one must be generated.
    mutating func read(_ event: JSONObject) -> (alert: Alert?, routingKey: String) {
        let routingKey = required(event, "routing_key", path: "routing_key") ?? ""
        var action: Alert.Action?
        if let a = required(event, "event_action", path: "event_action") {
            action = Alert.Action(rawValue: a)
            if action == nil {
                errors.append(
                    "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')")
            }
        }
        let dedupKey = readDedupKey(event, action: action)
        var payload: Payload?
        if action == .trigger || (action == nil && !(event["payload"]?.isNull ?? true)) {
            payload = readPayload(event["payload"])
        }
        var links = readLinks(event)
        readImages(event)
        readClient(event, into: &links)
        guard errors.isEmpty else { return (nil, routingKey) }

        var alert = Alert(title: "", dedupKey: dedupKey, source: "", action: action ?? .trigger)
        if let p = payload {
            let (title, overflow) = IntakeText.titleAndOverflow(p.summary, limits: limits)
            alert.title = title
            alert.description = IntakeText.description([overflow ?? "", p.details], limits: limits)
            alert.source = p.source
            alert.component = p.component
            alert.severity = p.severity.map { .level($0) }
            alert.timestamp = p.timestamp
            alert.labels = p.labels
            alert.links = links
        }
        return (alert, routingKey)
    }

    // MARK: - Fields

    private mutating func readDedupKey(_ event: JSONObject, action: Alert.Action?) -> String? {
        let before = errors.count
        let key = optional(event, "dedup_key", path: "dedup_key")
        if let key {
            if key.unicodeScalars.count > PagerDutyEvents.dedupKeyMaxCharacters {
                errors.append("'dedup_key' is too long (maximum is \(PagerDutyEvents.dedupKeyMaxCharacters) characters)")
            } else {
                checkBytes(key, path: "dedup_key", max: limits.dedupKeyBytesMax)
            }
        } else if errors.count == before, action == .acknowledge || action == .resolve {
            errors.append("'dedup_key' is missing or blank")
        }
        return key
    }

    private mutating func readPayload(_ value: JSONValue?) -> Payload? {
        guard let value, !value.isNull else {
            errors.append("'payload' is missing or blank")
            return nil
        }
        guard case .object(let o) = value else {
            errors.append("'payload' is \(value.typeWithArticle); expected an object")
            return nil
        }
        var p = Payload()
        if let s = required(o, "summary", path: "payload.summary") {
            if s.unicodeScalars.count > PagerDutyEvents.summaryMaxCharacters {
                errors.append(
                    "'payload.summary' is too long (maximum is \(PagerDutyEvents.summaryMaxCharacters) characters)")
            }
            p.summary = s
        }
        if let s = required(o, "source", path: "payload.source") {
            checkBytes(s, path: "payload.source", max: limits.nameBytesMax)
            p.source = s
        }
        if let s = required(o, "severity", path: "payload.severity") {
            p.severity = PagerDutyEvents.severities.contains(s) ? MonitoringLevel(rawValue: s) : nil
            if p.severity == nil {
                errors.append(
                    "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')")
            }
        }
        if let s = optional(o, "timestamp", path: "payload.timestamp") {
            p.timestamp = IntakeText.timestamp(s)
            if p.timestamp == nil {
                errors.append(
                    "'payload.timestamp' is invalid (expected an ISO 8601 date-time such as 2015-07-17T08:42:58.315+0000)")
            }
        }
        if let s = optional(o, "component", path: "payload.component") {
            checkBytes(s, path: "payload.component", max: limits.nameBytesMax)
            p.component = s
        }
        for key in ["group", "class"] {
            if let s = optional(o, key, path: "payload.\(key)") {
                checkBytes(s, path: "payload.\(key)", max: limits.labelValueBytesMax)
                p.labels[key] = s
            }
        }
        if let v = o["custom_details"], !v.isNull {
            switch v {
            case .object(let details):
                p.details = v.jsonString
                flatten(details, prefix: "", into: &p.labels)
            case .string(let s): p.details = s
            default: errors.append("'payload.custom_details' is \(v.typeWithArticle); expected an object")
            }
        }
        return p
    }

    /// Adds one label per string leaf of `details` that fits the label limits; explicit labels win.
    private func flatten(_ details: JSONObject, prefix: String, into labels: inout [String: String]) {
        for (key, value) in details {
            let name = prefix + key
            switch value {
            case .string(let s):
                guard labels.count < limits.labelsMax, labels[name] == nil, !name.isEmpty,
                    name.utf8.count <= limits.nameBytesMax, s.utf8.count <= limits.labelValueBytesMax
                else { continue }
                labels[name] = s
            case .object(let nested):
                guard name.utf8.count < limits.nameBytesMax else { continue }
                flatten(nested, prefix: name + ".", into: &labels)
            default: continue
            }
        }
    }

    private mutating func readLinks(_ event: JSONObject) -> [Alert.Link] {
        guard let items = array(event, "links") else { return [] }
        if items.count > limits.linksMax {
            errors.append("'links' has \(items.count) entries (maximum is \(limits.linksMax))")
        }
        var links: [Alert.Link] = []
        for (i, item) in items.prefix(limits.linksMax).enumerated() {
            guard case .object(let l) = item else {
                errors.append("'links[\(i)]' is \(item.typeWithArticle); expected an object")
                continue
            }
            let href = required(l, "href", path: "links[\(i)].href")
            if let href { checkBytes(href, path: "links[\(i)].href", max: limits.labelValueBytesMax) }
            let text = optional(l, "text", path: "links[\(i)].text") ?? ""
            if let href { links.append(Alert.Link(href: href, text: IntakeText.shortened(text, maxBytes: limits.nameBytesMax))) }
        }
        return links
    }

    /// Checks `images` (each needs a `src`); reports only the first bad entry. Images are not kept.
    private mutating func readImages(_ event: JSONObject) {
        guard let items = array(event, "images") else { return }
        for (i, item) in items.enumerated() {
            let before = errors.count
            if case .object(let image) = item {
                _ = required(image, "src", path: "images[\(i)].src")
                _ = optional(image, "href", path: "images[\(i)].href")
                _ = optional(image, "alt", path: "images[\(i)].alt")
            } else {
                errors.append("'images[\(i)]' is \(item.typeWithArticle); expected an object")
            }
            if errors.count > before { return }
        }
    }

    /// `client_url` becomes one more link (text: `client`) when there is room for it.
    private mutating func readClient(_ event: JSONObject, into links: inout [Alert.Link]) {
        let client = optional(event, "client", path: "client") ?? ""
        guard let url = optional(event, "client_url", path: "client_url") else { return }
        checkBytes(url, path: "client_url", max: limits.labelValueBytesMax)
        if links.count < limits.linksMax {
            links.append(Alert.Link(href: url, text: IntakeText.shortened(client, maxBytes: limits.nameBytesMax)))
        }
    }

    // MARK: - Primitives

    /// A required string: absent, null or blank is `'<path>' is missing or blank`.
    private mutating func required(_ o: JSONObject, _ key: String, path: String) -> String? {
        let before = errors.count
        if let s = optional(o, key, path: path) { return s }
        if errors.count == before { errors.append("'\(path)' is missing or blank") }
        return nil
    }

    /// An optional string: nil when absent, null or blank; a non-string is recorded as a type error.
    private mutating func optional(_ o: JSONObject, _ key: String, path: String) -> String? {
        guard let v = o[key], !v.isNull else { return nil }
        guard case .string(let s) = v else {
            errors.append("'\(path)' is \(v.typeWithArticle); expected a string")
            return nil
        }
        return s.isBlank ? nil : s
    }

    /// An optional array; a non-array is recorded as a type error.
    private mutating func array(_ o: JSONObject, _ key: String) -> [JSONValue]? {
        guard let v = o[key], !v.isNull else { return nil }
        guard case .array(let items) = v else {
            errors.append("'\(key)' is \(v.typeWithArticle); expected an array")
            return nil
        }
        return items
    }

    private mutating func checkBytes(_ s: String, path: String, max: Int) {
        if s.utf8.count > max { errors.append("'\(path)' is too long (maximum is \(max) bytes)") }
    }
}
