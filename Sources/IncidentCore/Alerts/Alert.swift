/// One alert from a monitoring system, as accepted by `alert.ingest`, the HTTP intake and the CLI.
///
/// Values are checked by `validate()`; the protocol layers convert their formats into this type and
/// leave every domain rule to it.
public struct Alert: Sendable, Equatable {
    /// What the source asks for.
    public enum Action: String, Sendable, CaseIterable {
        case trigger, acknowledge, resolve
    }

    /// A link attached to the alert (runbook, dashboard).
    public struct Link: Sendable, Equatable {
        /// The URL.
        public var href: String
        /// Optional link text.
        public var text: String

        /// Creates a link.
        public init(href: String, text: String = "") {
            self.href = href
            self.text = text
        }
    }

    /// Groups repeats of one alert into one incident; derived from source+service+title when nil.
    public var dedupKey: String?
    /// Short summary, required.
    public var title: String
    /// Longer text.
    public var description: String
    /// The integration or tool that sent the alert (`prometheus`).
    public var source: String
    /// The affected service in the catalog (`payment-service`).
    public var service: String
    /// The part of the service (`db-pool`).
    public var component: String
    /// Explicit SEV-n or a monitoring level.
    public var severity: SourceSeverity?
    /// trigger, acknowledge or resolve.
    public var action: Action
    /// Free-form labels.
    public var labels: [String: String]
    /// Share of users affected, 0–100.
    public var affectedUsersPct: Double?
    /// Other services affected.
    public var affectedServices: [String]
    /// Runbooks, dashboards.
    public var links: [Link]
    /// When the source observed the condition.
    public var timestamp: Timestamp?

    /// Creates an alert; only the title is required.
    public init(
        title: String, dedupKey: String? = nil, description: String = "", source: String = "",
        service: String = "", component: String = "", severity: SourceSeverity? = nil, action: Action = .trigger,
        labels: [String: String] = [:], affectedUsersPct: Double? = nil, affectedServices: [String] = [],
        links: [Link] = [], timestamp: Timestamp? = nil
    ) {
        self.title = title
        self.dedupKey = dedupKey
        self.description = description
        self.source = source
        self.service = service
        self.component = component
        self.severity = severity
        self.action = action
        self.labels = labels
        self.affectedUsersPct = affectedUsersPct
        self.affectedServices = affectedServices
        self.links = links
        self.timestamp = timestamp
    }

    /// The timeline actor for alerts from `source`: `integration:<source>`, or `integration:api`.
    public static func integrationActor(source: String) -> String {
        "integration:" + (source.isEmpty ? "api" : source)
    }

    /// The dedup key: the given one, else `source|service|title`.
    public var effectiveDedupKey: String {
        if let dedupKey { return dedupKey }
        return "\(source)|\(service)|\(title)"
    }

    /// Checks every field against `AlertLimits`.
    /// - Throws: `DomainError.badRequest` naming the field, the bad value (shortened) and what was expected.
    public func validate(limits: AlertLimits = AlertLimits()) throws(DomainError) {
        if action == .trigger || dedupKey == nil {
            try check("title", title, min: 1, max: limits.titleBytesMax)
        } else {
            try check("title", title, min: 0, max: limits.titleBytesMax)
        }
        if let dedupKey { try check("dedup_key", dedupKey, min: 1, max: limits.dedupKeyBytesMax) }
        try check("description", description, min: 0, max: limits.descriptionBytesMax)
        try check("source", source, min: 0, max: limits.nameBytesMax)
        try check("service", service, min: 0, max: limits.nameBytesMax)
        try check("component", component, min: 0, max: limits.nameBytesMax)
        if effectiveDedupKey.utf8.count > limits.dedupKeyBytesMax + 2 * limits.nameBytesMax + 2 {
            throw .badRequest("derived dedup key is too long; set dedup_key (at most \(limits.dedupKeyBytesMax) bytes)")
        }
        guard labels.count <= limits.labelsMax else {
            throw .badRequest("labels has \(labels.count) entries; expected at most \(limits.labelsMax)")
        }
        for (k, v) in labels {
            try check("label name", k, min: 1, max: limits.nameBytesMax)
            try check("label '\(shorten(k))'", v, min: 0, max: limits.labelValueBytesMax)
        }
        if let pct = affectedUsersPct, !(pct >= 0 && pct <= 100) {
            throw .badRequest("affected_users_pct \(pct) is out of range; expected a number from 0 to 100")
        }
        guard affectedServices.count <= limits.affectedServicesMax else {
            throw .badRequest(
                "affected_services has \(affectedServices.count) entries; expected at most \(limits.affectedServicesMax)")
        }
        for s in affectedServices { try check("affected_services entry", s, min: 1, max: limits.nameBytesMax) }
        guard links.count <= limits.linksMax else {
            throw .badRequest("links has \(links.count) entries; expected at most \(limits.linksMax)")
        }
        for l in links {
            try check("link href", l.href, min: 1, max: limits.labelValueBytesMax)
            try check("link text", l.text, min: 0, max: limits.nameBytesMax)
        }
    }

    private func check(_ field: String, _ value: String, min: Int, max: Int) throws(DomainError) {
        let n = value.utf8.count
        if n < min {
            throw .badRequest("\(field) is empty; expected 1 to \(max) bytes")
        }
        if n > max {
            throw .badRequest("\(field) '\(shorten(value))' is \(n) bytes; expected at most \(max)")
        }
    }
}

/// Shortens a value for an error message.
func shorten(_ s: String, to limit: Int = 40) -> String {
    s.count <= limit ? s : String(s.prefix(limit)) + "…"
}

/// Size limits on alert fields; each a named, documented bound.
public struct AlertLimits: Sendable, Equatable {
    /// Longest title.
    public var titleBytesMax = 512
    /// Longest description.
    public var descriptionBytesMax = 16_384
    /// Longest dedup key.
    public var dedupKeyBytesMax = 256
    /// Longest source, service, component, label name or link text.
    public var nameBytesMax = 128
    /// Longest label value or link URL.
    public var labelValueBytesMax = 1024
    /// Most labels.
    public var labelsMax = 64
    /// Most affected services.
    public var affectedServicesMax = 64
    /// Most links.
    public var linksMax = 16

    /// The defaults.
    public init() {}
}
