/// Where an incident is in its lifecycle.
///
///     triggered → acknowledged → investigating → mitigated → resolved → closed
///                                      ↑                         │
///                                  reopened ←────────────────────┘
public enum IncidentStatus: String, CaseIterable, Hashable, Sendable {
    case triggered, acknowledged, investigating, mitigated, resolved, closed, reopened

    /// Open incidents take alerts for their dedup key; resolved and closed ones do not.
    public var isOpen: Bool { self != .resolved && self != .closed }

    /// Parses a status name.
    public init?(parsing text: String) { self.init(rawValue: text.lowercased()) }

    /// The message for an unparseable status.
    public static func invalidMessage(_ text: String) -> String {
        "status '\(text)' is not valid; expected one of " + allCases.map(\.rawValue).joined(separator: ", ")
    }
}

/// The lifecycle's legal transitions.
public enum Lifecycle {
    /// Statuses reachable from each status in one step.
    public static let transitions: [IncidentStatus: [IncidentStatus]] = [
        .triggered: [.acknowledged, .investigating, .mitigated, .resolved],
        .acknowledged: [.investigating, .mitigated, .resolved],
        .investigating: [.mitigated, .resolved],
        .mitigated: [.investigating, .resolved],
        .resolved: [.reopened, .closed],
        .reopened: [.acknowledged, .investigating, .mitigated, .resolved],
        .closed: [],
    ]

    /// Whether `from → to` is legal.
    public static func allows(from: IncidentStatus, to: IncidentStatus) -> Bool {
        transitions[from]!.contains(to)
    }

    /// Checks `from → to`.
    /// - Throws: `DomainError.conflict` saying what state the incident is in and what is allowed.
    public static func check(_ id: IncidentID, from: IncidentStatus, to: IncidentStatus) throws(DomainError) {
        guard !allows(from: from, to: to) else { return }
        let allowed = transitions[from]!
        let next = allowed.isEmpty ? "nothing (closed incidents are final; a new alert opens a new incident)"
            : allowed.map(\.rawValue).joined(separator: ", ")
        throw .conflict("incident \(id) is \(from.rawValue); cannot move to \(to.rawValue); allowed from \(from.rawValue): \(next)")
    }
}

/// The incident response roles.
public enum IncidentRole: String, CaseIterable, Hashable, Sendable {
    case incidentCommander = "incident_commander"
    case communicationsLead = "communications_lead"
    case technicalLead = "technical_lead"
    case operationsLead = "operations_lead"
    case businessLead = "business_lead"

    /// Parses a role name (`incident_commander`, also `incident-commander`).
    public init?(parsing text: String) {
        self.init(rawValue: text.lowercased().replacing("-", with: "_"))
    }

    /// The message for an unparseable role.
    public static func invalidMessage(_ text: String) -> String {
        "role '\(text)' is not valid; expected one of " + allCases.map(\.rawValue).joined(separator: ", ")
    }
}

/// Why an incident was escalated.
public enum EscalationReason: String, CaseIterable, Sendable {
    /// Nobody acknowledged in time: severity goes up one step and escalation managers are told.
    case timeout
    /// The responders need specialists: the incident is reassigned to the service's specialist team.
    case complexity
    /// An operator escalated by hand.
    case manual

    /// The message for an unparseable reason.
    public static func invalidMessage(_ text: String) -> String {
        "escalation reason '\(text)' is not valid; expected one of " + allCases.map(\.rawValue).joined(separator: ", ")
    }
}

/// How a resolution was applied.
public enum ResolutionType: String, CaseIterable, Sendable {
    /// Service restored, cause remains: the incident becomes mitigated.
    case workaround
    /// The cause is fixed: the incident becomes resolved.
    case permanent

    /// The message for an unparseable type.
    public static func invalidMessage(_ text: String) -> String {
        "resolution type '\(text)' is not valid; expected workaround or permanent"
    }
}
