import AetherJSON
import IncidentCore

extension Alert {
    /// The alert fields accepted on the wire (SPEC §3).
    public static let wireFields = [
        "dedup_key", "title", "description", "source", "service", "component", "severity", "action", "labels",
        "affected_users_pct", "affected_services", "links", "timestamp",
    ]

    /// Decodes and validates an alert from its JSON object.
    /// - Parameter path: where the object is, for messages (`args`, `args.alerts[3]`).
    /// - Throws: `AdminError(.badRequest)` naming the field, its value and what was expected.
    public init(json o: JSONObject, path: @autoclosure () -> String, limits: AlertLimits = AlertLimits()) throws(AdminError) {
        // One pass over the members (an alert storm decodes hundreds of thousands a second); the
        // checks then run in the fixed order their errors have always had.
        var fields = WireValues()
        for (key, value) in o {
            guard fields.take(key, value) else {
                throw AdminError(.badRequest, "\(path()): unknown alert field '\(key)'; expected one of \(Self.wireFields.joined(separator: ", "))")
            }
        }
        try self.init(wire: fields, path: path(), limits: limits)
    }

    /// Checks and converts the wire fields' values; shared by `init(json:)` and the ingest fast path
    /// (`IngestRequestScanner`), so both accept and build exactly the same alerts.
    init(wire fields: WireValues, path: @autoclosure () -> String, limits: AlertLimits) throws(AdminError) {
        func bad(_ m: String) -> AdminError { AdminError(.badRequest, "\(path()): \(m)") }
        func str(_ key: String, _ value: JSONValue?) throws(AdminError) -> String? {
            guard let value, !value.isNull else { return nil }
            guard case .string(let s) = value else { throw bad("\(key) is \(value.typeWithArticle); expected a string") }
            return s
        }
        let title = try str("title", fields.title) ?? ""
        var alert = Alert(title: title)
        alert.dedupKey = try str("dedup_key", fields.dedupKey)
        alert.description = try str("description", fields.description) ?? ""
        alert.source = try str("source", fields.source) ?? ""
        alert.service = try str("service", fields.service) ?? ""
        alert.component = try str("component", fields.component) ?? ""
        if let s = try str("severity", fields.severity) {
            guard let sev = SourceSeverity(parsing: s) else {
                throw bad(Severity.invalidMessage(s, allowMonitoringLevels: true))
            }
            alert.severity = sev
        }
        if let a = try str("action", fields.action) {
            guard let action = Alert.Action(rawValue: a) else {
                throw bad("action '\(a)' is not valid; expected trigger, acknowledge or resolve")
            }
            alert.action = action
        }
        if let v = fields.labels, !v.isNull {
            guard case .object(let labels) = v else { throw bad("labels is \(v.typeWithArticle); expected an object of strings") }
            for (k, lv) in labels {
                guard case .string(let s) = lv else {
                    throw bad("labels.\(k) is \(lv.typeWithArticle); expected a string")
                }
                alert.labels[k] = s
            }
        }
        if let v = fields.affectedUsersPct, !v.isNull {
            guard let d = v.doubleValue else { throw bad("affected_users_pct is \(v.typeWithArticle); expected a number 0-100") }
            alert.affectedUsersPct = d
        }
        if let v = fields.affectedServices, !v.isNull {
            guard case .array(let items) = v else { throw bad("affected_services is \(v.typeWithArticle); expected a list of strings") }
            for (n, item) in items.enumerated() {
                guard case .string(let s) = item else {
                    throw bad("affected_services[\(n)] is \(item.typeWithArticle); expected a string")
                }
                alert.affectedServices.append(s)
            }
        }
        if let v = fields.links, !v.isNull {
            guard case .array(let items) = v else { throw bad("links is \(v.typeWithArticle); expected a list") }
            for (n, item) in items.enumerated() {
                switch item {
                case .string(let href): alert.links.append(Link(href: href))
                case .object(let l):
                    for key in l.keys where key != "href" && key != "text" {
                        throw bad("links[\(n)] has unknown field '\(key)'; expected href and text")
                    }
                    guard let hv = l["href"] else { throw bad("links[\(n)].href is missing; expected a URL string") }
                    guard case .string(let href) = hv else { throw bad("links[\(n)].href is \(hv.typeWithArticle); expected a URL string") }
                    var text = ""
                    if let tv = l["text"], !tv.isNull {
                        guard case .string(let t) = tv else { throw bad("links[\(n)].text is \(tv.typeWithArticle); expected a string") }
                        text = t
                    }
                    alert.links.append(Link(href: href, text: text))
                default: throw bad("links[\(n)] is \(item.typeWithArticle); expected a URL string or {href, text}")
                }
            }
        }
        if let t = try str("timestamp", fields.timestamp) {
            guard let ts = Timestamp(rfc3339: t) else {
                throw bad("timestamp '\(t)' is not an RFC 3339 time; expected e.g. 2026-11-27T18:00:00Z")
            }
            alert.timestamp = ts
        }
        do { try alert.validate(limits: limits) } catch { throw bad(error.message) }
        self = alert
    }

    /// The alert as a JSON object (the CLI and load generator send this).
    public var json: JSONObject {
        var o = JSONObject()
        if let dedupKey { o["dedup_key"] = .string(dedupKey) }
        o["title"] = .string(title)
        if !description.isEmpty { o["description"] = .string(description) }
        if !source.isEmpty { o["source"] = .string(source) }
        if !service.isEmpty { o["service"] = .string(service) }
        if !component.isEmpty { o["component"] = .string(component) }
        switch severity {
        case .explicit(let s): o["severity"] = .string(s.description)
        case .level(let l): o["severity"] = .string(l.rawValue)
        case nil: break
        }
        if action != .trigger { o["action"] = .string(action.rawValue) }
        if !labels.isEmpty {
            var l = JSONObject()
            for (k, v) in labels.sorted(by: { $0.key < $1.key }) { l[k] = .string(v) }
            o["labels"] = .object(l)
        }
        if let affectedUsersPct { o["affected_users_pct"] = .double(affectedUsersPct) }
        if !affectedServices.isEmpty { o["affected_services"] = .array(affectedServices.map { .string($0) }) }
        if !links.isEmpty {
            o["links"] = .array(links.map { .object(["href": .string($0.href), "text": .string($0.text)]) })
        }
        if let timestamp { o["timestamp"] = .string(timestamp.rfc3339) }
        return o
    }
}

extension Alert {
    /// The wire fields' values, gathered in one pass over an object's members.
    struct WireValues {
        var dedupKey, title, description, source, service, component, severity, action: JSONValue?
        var labels, affectedUsersPct, affectedServices, links, timestamp: JSONValue?

        /// The wire field names as bytes, in `Alert.wireFields`' order.
        static let fieldNames: [[UInt8]] = Alert.wireFields.map { Array($0.utf8) }

        /// The index in `Alert.wireFields` of the field named by `key`'s bytes, or nil.
        static func field(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
            for (i, name) in fieldNames.enumerated() where name.count == key.count && name.elementsEqual(key) { return i }
            return nil
        }

        /// Sets the field at `index` in `Alert.wireFields`.
        mutating func set(_ index: Int, _ value: JSONValue) {
            switch index {
            case 0: dedupKey = value
            case 1: title = value
            case 2: description = value
            case 3: source = value
            case 4: service = value
            case 5: component = value
            case 6: severity = value
            case 7: action = value
            case 8: labels = value
            case 9: affectedUsersPct = value
            case 10: affectedServices = value
            case 11: links = value
            default: timestamp = value
            }
        }

        /// Takes one member; false when `key` is not a wire field. Keys match by exact bytes: for
        /// ASCII, which every wire field name is, that is what `==` compares.
        mutating func take(_ key: String, _ value: JSONValue) -> Bool {
            var key = key
            guard let field = key.withUTF8({ Self.field($0) }) else { return false }
            set(field, value)
            return true
        }
    }
}
