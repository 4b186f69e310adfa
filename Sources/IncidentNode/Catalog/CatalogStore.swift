import AdminProtocol
import AetherJSON
import IncidentCore
import IncidentStorage
import Synchronization

/// The node's catalog — people, schedules, escalation policies, services — replicated like
/// incidents: every change is a `catalogChanged` event of the reserved record `IncidentID.catalog`,
/// logged, pushed to peers and repaired by anti-entropy (the whole record is sent when its digest
/// differs; it is small). Each object is a last-writer-wins register over event order.
///
/// Readers take `current`, an immutable `OnCallCatalog` value rebuilt on each change.
final class CatalogStore: Sendable {
    private struct Key: Hashable {
        var kind: CatalogKind
        var name: String
    }

    private struct State {
        var held: Set<EventID> = []
        var events: [IncidentEvent] = []
        var latest: [Key: IncidentEvent] = [:]
        var catalog = OnCallCatalog()
        var version: UInt64 = 0
        var digest: UInt64 = 0
    }

    private let state = Mutex(State())
    private let sequencer: EventSequencer
    private let digest: StateDigest
    let zones: ZoneDatabase
    private let logger: Logger
    private let bucket = StateDigest.bucket(of: .catalog)

    init(sequencer: EventSequencer, digest: StateDigest, zones: ZoneDatabase, logger: Logger) {
        self.sequencer = sequencer
        self.digest = digest
        self.zones = zones
        self.logger = logger
    }

    /// The catalog now.
    var current: OnCallCatalog { state.withLock { $0.catalog } }
    /// One integration key's mapping (without copying the whole catalog: read per PagerDuty event).
    func integration(_ key: String) -> Integration? { state.withLock { $0.catalog.integrations[key] } }

    /// Bumped on every change (the escalation supervisor replans when it moves).
    var version: UInt64 { state.withLock { $0.version } }
    /// Every change held, in event order (anti-entropy and snapshots).
    var events: [IncidentEvent] { state.withLock { $0.events } }

    /// The canonical document of an object, if it exists.
    func document(_ kind: CatalogKind, _ name: String) -> String? {
        state.withLock { s in
            guard case .catalogChanged(let c)? = s.latest[Key(kind: kind, name: name)]?.body else { return nil }
            return c.document
        }
    }

    /// Loads recovered changes (no logging).
    func load(_ events: [IncidentEvent]) {
        digest.changing { state.withLock { s in for e in events { apply(e, to: &s) } } }
    }

    /// Sets an object from its JSON document, after checking it and its references.
    /// - Returns: the object's name and the LSN to wait for.
    /// - Throws: `AdminError` naming the bad value.
    func set(_ kind: CatalogKind, json: JSONValue, actor: String) throws(AdminError) -> (String, UInt64) {
        let (name, canonical) = try parse(kind, json)
        return try state.withLock { (s) throws(AdminError) -> (String, UInt64) in
            try validate(kind, json: json, against: s.catalog)
            let change = CatalogChange(kind: kind, name: name, document: canonical)
            return (name, try log(change, actor: actor, into: &s))
        }
    }

    /// Deletes an object nothing refers to.
    /// - Throws: `AdminError` `not_found`, or `conflict` naming the objects that still refer to it.
    func delete(_ kind: CatalogKind, name: String, actor: String) throws(AdminError) -> UInt64 {
        try state.withLock { (s) throws(AdminError) -> UInt64 in
            guard s.catalog.contains(kind, name) else { throw AdminError(.notFound, "\(kind) '\(name)' not found") }
            let refs = s.catalog.referrers(of: kind, name)
            guard refs.isEmpty else {
                throw AdminError(.conflict, "\(kind) '\(name)' is still used by \(refs.joined(separator: ", ")); change those first")
            }
            return try log(CatalogChange(kind: kind, name: name, document: nil), actor: actor, into: &s)
        }
    }

    /// Applies changes from another node; logs the new ones. Returns the LSN to wait for.
    func applyRemote(_ events: [IncidentEvent]) throws(LogError) -> UInt64 {
        try digest.changing { () throws(LogError) -> UInt64 in
            try state.withLock { (s) throws(LogError) -> UInt64 in
                var lsn: UInt64 = 0
                for e in events where e.incident == .catalog && !s.held.contains(e.id) {
                    lsn = try sequencer.appendReplicated(e)
                    apply(e, to: &s)
                }
                return lsn
            }
        }
    }

    private func log(_ change: CatalogChange, actor: String, into s: inout State) throws(AdminError) -> UInt64 {
        do {
            return try digest.changing { () throws(LogError) -> UInt64 in
                let (event, lsn) = try sequencer.append(incident: .catalog, actor: actor, body: .catalogChanged(change))
                apply(event, to: &s)
                return lsn
            }
        } catch {
            throw AdminError(.unavailable, "the node's log cannot take writes: \(error)")
        }
    }

    private func apply(_ e: IncidentEvent, to s: inout State) {
        guard case .catalogChanged(let c) = e.body, s.held.insert(e.id).inserted else { return }
        let at = s.events.partitioningIndex { !($0.orderKey < e.orderKey) }
        s.events.insert(e, at: at)
        let old = s.digest
        s.digest &+= EventDigest.of(e)
        digest.set(.catalog, bucket: bucket, units: 1, from: old, to: s.digest)
        let key = Key(kind: c.kind, name: c.name)
        if let held = s.latest[key], !(held.orderKey < e.orderKey) { return }  // an older write: it loses
        s.latest[key] = e
        s.version += 1
        guard let doc = c.document else {
            s.catalog.remove(c.kind, c.name)
            return
        }
        do { try install(c.kind, document: doc, into: &s.catalog) } catch {
            logger.warn("catalog object does not load; it is ignored", metadata: ["kind": "\(c.kind)", "name": c.name, "error": "\(error)"])
            s.catalog.remove(c.kind, c.name)
        }
    }

    /// Parses a document into its canonical text (and name).
    private func parse(_ kind: CatalogKind, _ json: JSONValue) throws(AdminError) -> (String, String) {
        switch kind {
        case .person:
            let p = try Person(json: json)
            return (p.name, p.json.jsonString)
        case .schedule:
            let s = try Schedule(document: json)
            return (s.name, s.json.jsonString)
        case .policy:
            let p = try EscalationPolicy(json: json)
            return (p.name, p.json.jsonString)
        case .service:
            let s = try ServiceDefinition(json: json)
            return (s.name, s.json.jsonString)
        case .integration:
            let i = try Integration(json: json)
            return (i.key, i.json.jsonString)
        }
    }

    private func validate(_ kind: CatalogKind, json: JSONValue, against catalog: OnCallCatalog) throws(AdminError) {
        func check(_ body: () throws(DomainError) -> Void) throws(AdminError) {
            do { try body() } catch { throw AdminError(error) }
        }
        switch kind {
        case .person:
            let p = try Person(json: json)
            try check { () throws(DomainError) in try catalog.validateReferences(of: kind, person: p) }
        case .schedule:
            let s = try Schedule(document: json)
            try check { () throws(DomainError) in
                _ = try zones.rules(for: s.timeZone)
                try catalog.validateReferences(of: kind, schedule: s)
            }
        case .policy:
            let p = try EscalationPolicy(json: json)
            try check { () throws(DomainError) in try catalog.validateReferences(of: kind, policy: p) }
        case .service:
            let s = try ServiceDefinition(json: json)
            try check { () throws(DomainError) in try catalog.validateReferences(of: kind, service: s) }
        case .integration:
            let i = try Integration(json: json)
            try check { () throws(DomainError) in try catalog.validateReferences(of: kind, integration: i) }
        }
    }

    private func install(_ kind: CatalogKind, document: String, into catalog: inout OnCallCatalog) throws {
        let json = try JSONParser.parse(Array(document.utf8))
        switch kind {
        case .person: catalog.set(try Person(json: json))
        case .schedule:
            let s = try Schedule(document: json)
            catalog.set(s, zone: try zones.rules(for: s.timeZone))
        case .policy: catalog.set(try EscalationPolicy(json: json))
        case .service: catalog.set(try ServiceDefinition(json: json))
        case .integration: catalog.set(try Integration(json: json))
        }
    }
}

extension Array {
    /// The first index whose element satisfies `belongs` (which must be false then true along the array).
    func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if belongs(self[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
