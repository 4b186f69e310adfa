/// The catalog as typed objects: people, schedules (with their zones' rules), escalation
/// policies and services — what escalation and `oncall` queries read.
///
/// A value: the catalog store builds a new one on every change and hands it out whole, so readers
/// never see half a change.
public struct OnCallCatalog: Sendable {
    /// People by name.
    public private(set) var people: [String: Person] = [:]
    /// Schedules by name.
    public private(set) var schedules: [String: Schedule] = [:]
    /// Policies by name.
    public private(set) var policies: [String: EscalationPolicy] = [:]
    /// Services by name.
    public private(set) var services: [String: ServiceDefinition] = [:]
    /// Integrations by key.
    public private(set) var integrations: [String: Integration] = [:]
    private var calculators: [String: OnCallCalculator] = [:]

    /// An empty catalog.
    public init() {}

    /// Adds or replaces a person.
    public mutating func set(_ p: Person) { people[p.name] = p }
    /// Adds or replaces a schedule, with the rules of its time zone.
    public mutating func set(_ s: Schedule, zone: ZoneRules) {
        schedules[s.name] = s
        calculators[s.name] = OnCallCalculator(schedule: s, zone: zone)
    }
    /// Adds or replaces a policy.
    public mutating func set(_ p: EscalationPolicy) { policies[p.name] = p }
    /// Adds or replaces a service.
    public mutating func set(_ s: ServiceDefinition) { services[s.name] = s }
    /// Adds or replaces an integration.
    public mutating func set(_ i: Integration) { integrations[i.key] = i }

    /// Removes an object.
    public mutating func remove(_ kind: CatalogKind, _ name: String) {
        switch kind {
        case .person: people[name] = nil
        case .schedule:
            schedules[name] = nil
            calculators[name] = nil
        case .policy: policies[name] = nil
        case .service: services[name] = nil
        case .integration: integrations[name] = nil
        }
    }

    /// Whether an object exists.
    public func contains(_ kind: CatalogKind, _ name: String) -> Bool {
        switch kind {
        case .person: people[name] != nil
        case .schedule: schedules[name] != nil
        case .policy: policies[name] != nil
        case .service: services[name] != nil
        case .integration: integrations[name] != nil
        }
    }

    /// Names of one kind, sorted.
    public func names(_ kind: CatalogKind) -> [String] {
        switch kind {
        case .person: people.keys.sorted()
        case .schedule: schedules.keys.sorted()
        case .policy: policies.keys.sorted()
        case .service: services.keys.sorted()
        case .integration: integrations.keys.sorted()
        }
    }

    /// The policy paging for a service (nil: the service is unknown or has none).
    public func policy(forService service: String) -> EscalationPolicy? {
        guard let name = services[service]?.policy else { return nil }
        return policies[name]
    }

    /// Who a schedule has on call at an instant (nil: nobody, or no such schedule).
    public func onCall(schedule: String, at t: Timestamp) -> String? {
        calculators[schedule]?.who(at: t)
    }

    /// The calculator of a schedule.
    public func calculator(schedule: String) -> OnCallCalculator? { calculators[schedule] }

    /// Who a policy pages first at an instant: its first level's targets, schedules resolved.
    public func firstResponders(policy: EscalationPolicy, at t: Timestamp) -> [String] {
        var out: [String] = []
        for target in policy.levels.first?.targets ?? [] {
            switch target {
            case .person(let p): if !out.contains(p) { out.append(p) }
            case .schedule(let s): if let p = onCall(schedule: s, at: t), !out.contains(p) { out.append(p) }
            }
        }
        return out
    }

    /// Checks a new or changed object against the rest of the catalog.
    /// - Throws: `DomainError.badRequest` naming the reference that does not resolve.
    public func validateReferences(of kind: CatalogKind, person: Person? = nil, schedule: Schedule? = nil,
                                   policy: EscalationPolicy? = nil, service: ServiceDefinition? = nil,
                                   integration: Integration? = nil) throws(DomainError) {
        switch kind {
        case .person: try person?.validate()
        case .schedule: try schedule?.validate(knownPeople: Set(people.keys))
        case .policy: try policy?.validate(people: Set(people.keys), schedules: Set(schedules.keys))
        case .service: try service?.validate(policies: Set(policies.keys))
        case .integration: try integration?.validate()
        }
    }

    /// The objects that refer to (kind, name): deleting it would leave them dangling.
    public func referrers(of kind: CatalogKind, _ name: String) -> [String] {
        var out: [String] = []
        switch kind {
        case .person:
            for s in schedules.values
            where s.layers.contains(where: { $0.participants.contains(name) }) || s.overrides.contains(where: { $0.person == name }) {
                out.append("schedule \(s.name)")
            }
            for p in policies.values
            where p.managers.contains(name) || p.levels.contains(where: { $0.targets.contains(.person(name)) }) {
                out.append("policy \(p.name)")
            }
        case .schedule:
            for p in policies.values where p.levels.contains(where: { $0.targets.contains(.schedule(name)) }) {
                out.append("policy \(p.name)")
            }
        case .policy:
            for s in services.values where s.policy == name { out.append("service \(s.name)") }
        case .service, .integration:
            break
        }
        return out.sorted()
    }
}
