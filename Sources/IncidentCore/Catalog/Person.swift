/// A person who can be paged: a name and the channels that reach them.
public struct Person: Sendable, Equatable {
    /// One way to reach the person.
    public struct Contact: Sendable, Equatable {
        /// A channel name from the node's configuration (`log`, `email`, `webhook`, …).
        public var channel: String
        /// Where on that channel (an address, a URL, a handle).
        public var address: String

        /// Creates a contact.
        public init(channel: String, address: String) {
            self.channel = channel
            self.address = address
        }
    }

    /// Unique name (what schedules and policies refer to).
    public var name: String
    /// Display name.
    public var fullName: String
    /// Contacts in order of preference.
    public var contacts: [Contact]

    /// Creates a person.
    public init(name: String, fullName: String = "", contacts: [Contact] = []) {
        self.name = name
        self.fullName = fullName
        self.contacts = contacts
    }

    /// Checks the fields.
    /// - Throws: `DomainError.badRequest` naming the bad value.
    public func validate() throws(DomainError) {
        try CatalogName.check(name, kind: "person")
        guard fullName.utf8.count <= 256 else {
            throw .badRequest("person '\(name)' full name is \(fullName.utf8.count) bytes; expected at most 256")
        }
        guard contacts.count <= 16 else {
            throw .badRequest("person '\(name)' has \(contacts.count) contacts; expected at most 16")
        }
        for (n, c) in contacts.enumerated() {
            try CatalogName.check(c.channel, kind: "person '\(name)' contacts[\(n)] channel")
            guard (1...512).contains(c.address.utf8.count) else {
                throw .badRequest("person '\(name)' contacts[\(n)] address is empty or longer than 512 bytes")
            }
            guard c.address.utf8.allSatisfy({ $0 >= 32 && $0 != 127 }) else {
                throw .badRequest("person '\(name)' contacts[\(n)] address contains control characters; expected an address such as alice@example.com")
            }
        }
    }

    /// The channel pages go to: the first contact's, else `log`.
    public var pageChannel: String { contacts.first?.channel ?? "log" }
}

/// A service in the catalog (SPEC §3): its escalation policy, criticality and teams.
public struct ServiceDefinition: Sendable, Equatable {
    /// Service name as alerts carry it.
    public var name: String
    /// The escalation policy paging for it (nil: none; only severity deadlines apply).
    public var policy: String?
    /// How much it matters (feeds impact).
    public var criticality: ServiceCriticality
    /// The team that owns it.
    public var owningTeam: String
    /// The team that takes complexity escalations.
    public var specialistTeam: String
    /// The business owner (a person or team), informed on major incidents.
    public var businessOwner: String
    /// Whether `resolve` from the source resolves the incident.
    public var autoResolve: Bool
    /// Channels that get the initial notification of each of its incidents (once per incident).
    public var announceChannels: [String]

    /// Creates a service.
    public init(
        name: String, policy: String? = nil, criticality: ServiceCriticality = .medium, owningTeam: String = "",
        specialistTeam: String = "", businessOwner: String = "", autoResolve: Bool = true, announceChannels: [String] = []
    ) {
        self.announceChannels = announceChannels
        self.name = name
        self.policy = policy
        self.criticality = criticality
        self.owningTeam = owningTeam
        self.specialistTeam = specialistTeam
        self.businessOwner = businessOwner
        self.autoResolve = autoResolve
    }

    /// Checks the fields against the policies that exist.
    /// - Throws: `DomainError.badRequest` naming the bad value.
    public func validate(policies: Set<String>) throws(DomainError) {
        try CatalogName.check(name, kind: "service")
        if let p = policy, !policies.contains(p) {
            throw .badRequest("service '\(name)' names unknown policy '\(p)'; add it with `aether policy set` first")
        }
        guard announceChannels.count <= 8 else {
            throw .badRequest("service '\(name)' has \(announceChannels.count) announce channels; expected at most 8")
        }
        for c in announceChannels {
            try CatalogName.check(c, kind: "service '\(name)' announce channel")
        }
        for (field, value) in [("owning_team", owningTeam), ("specialist_team", specialistTeam), ("business_owner", businessOwner)]
        where value.utf8.count > 128 {
            throw .badRequest("service '\(name)' \(field) is \(value.utf8.count) bytes; expected at most 128")
        }
    }

    /// The catalog entry the rest of the node uses.
    public var catalogEntry: ServiceCatalog.Entry {
        ServiceCatalog.Entry(criticality: criticality, owningTeam: owningTeam, specialistTeam: specialistTeam, autoResolve: autoResolve)
    }
}
