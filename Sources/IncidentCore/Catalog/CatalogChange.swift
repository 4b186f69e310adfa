/// The kinds of catalog objects, replicated like incidents.
public enum CatalogKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// A person who can be paged.
    case person = 1
    /// An on-call schedule.
    case schedule = 2
    /// An escalation policy.
    case policy = 3
    /// A service in the catalog.
    case service = 4
    /// An integration key (PagerDuty `routing_key`) mapped to a service.
    case integration = 5

    /// `person`, `schedule`, `policy`, `service`.
    public var description: String {
        switch self {
        case .person: "person"
        case .schedule: "schedule"
        case .policy: "policy"
        case .service: "service"
        case .integration: "integration"
        }
    }

    /// Parses a kind name.
    public init?(name: String) {
        guard let k = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = k
    }
}

/// One change to the catalog: an object set to a JSON document, or deleted (`document` nil).
///
/// The document is the object's canonical JSON text, validated before the change was logged. Each
/// object is a last-writer-wins register: of all changes to (kind, name), the one latest in event
/// order (`EventOrderKey`) holds, so every node that holds the same changes shows the same catalog.
public struct CatalogChange: Sendable, Equatable {
    /// The object's kind.
    public var kind: CatalogKind
    /// The object's name.
    public var name: String
    /// Its canonical JSON, or nil when deleted.
    public var document: String?

    /// Creates a change.
    public init(kind: CatalogKind, name: String, document: String?) {
        self.kind = kind
        self.name = name
        self.document = document
    }
}

extension IncidentID {
    /// The reserved record that holds catalog changes (it never names an incident: incident ids
    /// start with `INC-`).
    public static let catalog = IncidentID("CATALOG")
}
