/// The rules a node applies when it decides what a command does: response and resolve targets per
/// severity, the reopen window, the war-room link template, the service catalog.
///
/// Part of the node's configuration (SPEC §3: "all configurable"). Decisions depend on it, the fold
/// does not: once an event is in the log, it means the same thing everywhere.
public struct IncidentPolicy: Sendable, Equatable {
    /// Acknowledge-within and resolve-within targets for one severity.
    public struct Targets: Sendable, Equatable {
        /// Time to acknowledge.
        public var acknowledge: Duration
        /// Time to resolve; nil when there is none (SEV-4).
        public var resolve: Duration?

        /// Creates targets.
        public init(acknowledge: Duration, resolve: Duration?) {
            self.acknowledge = acknowledge
            self.resolve = resolve
        }
    }

    /// Targets per severity (SPEC §3 table; SEV-4's "next business day" is 24 h).
    public var targets: [Severity: Targets] = [
        .sev0: Targets(acknowledge: .seconds(15 * 60), resolve: .seconds(3600)),
        .sev1: Targets(acknowledge: .seconds(30 * 60), resolve: .seconds(4 * 3600)),
        .sev2: Targets(acknowledge: .seconds(2 * 3600), resolve: .seconds(24 * 3600)),
        .sev3: Targets(acknowledge: .seconds(8 * 3600), resolve: .seconds(5 * 86400)),
        .sev4: Targets(acknowledge: .seconds(24 * 3600), resolve: nil),
    ]
    /// A trigger this soon after resolution reopens the incident; later ones open a new incident.
    public var reopenWindow: Duration = .seconds(30 * 60)
    /// War-room link; `{{incident.id}}` and `{{incident.id_lower}}` are replaced.
    public var warRoomLinkTemplate = "https://chat.example.com/incident/{{incident.id_lower}}"
    /// How long after resolution a major incident's review is scheduled.
    public var reviewDelay: Duration = .seconds(2 * 86400)
    /// How long action items from a review have.
    public var actionItemDueIn: Duration = .seconds(14 * 86400)
    /// The service catalog.
    public var services = ServiceCatalog()

    /// The defaults of SPEC §3.
    public init() {}

    /// The targets of a severity.
    public func targets(for severity: Severity) -> Targets { targets[severity]! }

    /// The war-room link for an incident.
    public func warRoomLink(for id: IncidentID) -> String {
        warRoomLinkTemplate
            .replacing("{{incident.id}}", with: id.text)
            .replacing("{{incident.id_lower}}", with: id.text.lowercased())
    }

    /// Checks the policy once at start-up.
    /// - Throws: `DomainError.badRequest` naming the bad field.
    public func validate() throws(DomainError) {
        guard reopenWindow >= .zero else {
            throw .badRequest("reopen window \(reopenWindow) is negative; expected zero or more")
        }
        for s in Severity.allCases {
            guard let t = targets[s], t.acknowledge > .zero else {
                throw .badRequest("acknowledge target for \(s) is missing or not positive")
            }
        }
        guard warRoomLinkTemplate.contains("{{incident.id") else {
            throw .badRequest(
                "war room link template '\(warRoomLinkTemplate)' does not mention {{incident.id}} or {{incident.id_lower}}")
        }
    }
}

/// Services known to the node: criticality (feeds impact), teams (complexity escalation) and
/// whether a source's resolve closes out the incident.
public struct ServiceCatalog: Sendable, Equatable {
    /// One service.
    public struct Entry: Sendable, Equatable {
        /// How much it matters.
        public var criticality: ServiceCriticality = .medium
        /// The team that owns it.
        public var owningTeam = ""
        /// The team that takes complexity escalations.
        public var specialistTeam = ""
        /// Whether `resolve` from the source resolves the incident.
        public var autoResolve = true

        /// Creates an entry.
        public init(criticality: ServiceCriticality = .medium, owningTeam: String = "", specialistTeam: String = "",
                    autoResolve: Bool = true) {
            self.criticality = criticality
            self.owningTeam = owningTeam
            self.specialistTeam = specialistTeam
            self.autoResolve = autoResolve
        }
    }

    /// Entries by service name.
    public var entries: [String: Entry] = [:]

    /// An empty catalog.
    public init(entries: [String: Entry] = [:]) {
        self.entries = entries
    }

    /// The entry for a service, or the defaults for one not in the catalog.
    public func entry(for service: String) -> Entry { entries[service] ?? Entry() }
}
