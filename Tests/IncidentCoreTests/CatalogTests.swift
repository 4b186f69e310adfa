import Testing

@testable import IncidentCore

private let people: Set<String> = ["alice", "bob", "carol", "dave", "mgr"]
private let schedules: Set<String> = ["primary"]

/// The `badRequest` message of a throwing check (a failure if it does not throw one).
private func message(_ sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> String {
    guard case .badRequest(let m) = domainError(body) else {
        Issue.record("expected badRequest", sourceLocation: sourceLocation)
        return ""
    }
    return m
}

private func policy(
    _ name: String = "payments", levels: [EscalationPolicy.Level] = [level(5, .person("alice"))], repeats: Int = 0,
    ackTimeout: Duration? = nil, managers: [String] = []
) -> EscalationPolicy {
    EscalationPolicy(name: name, levels: levels, repeats: repeats, ackTimeout: ackTimeout, managers: managers)
}

/// `primary`: bob then carol, daily at 09:00 UTC from 2026-03-02; dave overrides on 2026-03-04.
private let primary = Schedule(
    name: "primary", timeZone: "UTC",
    layers: [
        ScheduleLayer(name: "daily", start: day("2026-03-02"), handoff: clock("09:00"), rotation: .daily, participants: ["bob", "carol"])
    ],
    overrides: [ScheduleOverride(person: "dave", start: ts("2026-03-04T00:00:00Z"), end: ts("2026-03-05T00:00:00Z"))])

/// A catalog with people, `primary`, policies `payments` (alice, then primary; manager mgr) and
/// `db` (bob), and services using them.
private func catalog() -> OnCallCatalog {
    var c = OnCallCatalog()
    for p in people.sorted() { c.set(Person(name: p)) }
    c.set(primary, zone: .utc)
    c.set(policy(levels: [level(5, .person("alice")), level(10, .schedule("primary"))], managers: ["mgr"]))
    c.set(policy("db", levels: [level(5, .person("bob"))]))
    c.set(ServiceDefinition(name: "payment-service", policy: "payments"))
    c.set(ServiceDefinition(name: "ledger", policy: "payments"))
    c.set(ServiceDefinition(name: "orphan"))
    return c
}

/// Catalog objects: validation messages that name the bad value, reference checks against the rest
/// of the catalog, `referrers`, `firstResponders` and `policy(forService:)`.
@Suite("Catalog: validation, references, referrers, first responders")
struct CatalogTests {
    // MARK: - Names

    @Test("valid names", arguments: ["a", "alice", "a.b_c-d@e+f", "Z9", String(repeating: "x", count: 128)])
    func validNames(name: String) throws {
        try CatalogName.check(name, kind: "person")
    }

    @Test("invalid names are named in the message", arguments: ["", "a b", "ünï", "a/b", "a:b", String(repeating: "x", count: 129)])
    func invalidNames(name: String) {
        let m = message { try CatalogName.check(name, kind: "policy") }
        #expect(m.hasPrefix("policy name '\(name)' is not valid"), "\(m)")
        #expect(m.contains("1-128"))
    }

    // MARK: - Policies

    @Test("a valid policy passes, at the range limits")
    func validPolicy() throws {
        try policy(
            levels: [level(1, .person("alice")), level(7 * 24 * 60, .schedule("primary"), .person("bob"))], repeats: 9,
            ackTimeout: .seconds(1), managers: ["mgr"]
        ).validate(people: people, schedules: schedules)
        try EscalationPolicy(name: "one-second", levels: [.init(delay: .seconds(1), targets: [.person("bob")])])
            .validate(people: people, schedules: schedules)
    }

    @Test("policy errors name the bad value", arguments: [
        (policy(levels: [level(5, .person("alice")), level(5, .person("zed"))]), ["level 2", "unknown person 'zed'"]),
        (policy(levels: [level(5, .schedule("nights"))]), ["level 1", "unknown schedule 'nights'"]),
        (policy(levels: [level(5, .person("alice")), level(5)]), ["level 2 is empty"]),
        (policy(levels: []), ["policy 'payments' has no levels"]),
        (policy(levels: Array(repeating: level(5, .person("alice")), count: 21)), ["has 21 levels", "at most 20"]),
        (policy(levels: [EscalationPolicy.Level(delay: .milliseconds(999), targets: [.person("alice")])]), ["level 1 delay 0 s is out of range"]),
        (policy(levels: [level(5, .person("alice")), level(7 * 24 * 60 + 1, .person("bob"))]), ["level 2 delay 604860 s is out of range"]),
        (policy(repeats: 10), ["repeats 10 times", "0-9"]),
        (policy(repeats: -1), ["repeats -1 times"]),
        (policy(ackTimeout: .milliseconds(500)), ["ack_timeout_s 0 is too short"]),
        (policy(managers: ["mgr", "boss"]), ["unknown escalation manager 'boss'"]),
        (policy("pay ments"), ["policy name 'pay ments' is not valid"]),
    ] as [(EscalationPolicy, [String])])
    func policyErrors(p: EscalationPolicy, fragments: [String]) {
        let m = message { try p.validate(people: people, schedules: schedules) }
        for f in fragments { #expect(m.contains(f), "'\(f)' not in: \(m)") }
    }

    // MARK: - People and services

    @Test("a person with contacts passes; page channel is the first contact's, else log")
    func validPerson() throws {
        let p = Person(name: "alice", fullName: "Alice Ng", contacts: [.init(channel: "email", address: "a@example.com"),
                                                                         .init(channel: "webhook", address: "https://x")])
        try p.validate()
        #expect(p.pageChannel == "email")
        #expect(Person(name: "bob").pageChannel == "log")
    }

    @Test("person errors name the bad value", arguments: [
        (Person(name: "al ice"), ["person name 'al ice' is not valid"]),
        (Person(name: "alice", fullName: String(repeating: "x", count: 257)), ["'alice' full name is 257 bytes"]),
        (Person(name: "alice", contacts: Array(repeating: .init(channel: "log", address: "x"), count: 17)), ["17 contacts", "at most 16"]),
        (Person(name: "alice", contacts: [.init(channel: "log", address: "x"), .init(channel: "e mail", address: "x")]),
         ["contacts[1] channel name 'e mail' is not valid"]),
        (Person(name: "alice", contacts: [.init(channel: "email", address: "")]), ["contacts[0] address is empty"]),
        (Person(name: "alice", contacts: [.init(channel: "email", address: String(repeating: "a", count: 513))]), ["contacts[0] address"]),
    ] as [(Person, [String])])
    func personErrors(p: Person, fragments: [String]) {
        let m = message { try p.validate() }
        for f in fragments { #expect(m.contains(f), "'\(f)' not in: \(m)") }
    }

    @Test("service errors name the bad value", arguments: [
        (ServiceDefinition(name: "pay/ment"), ["service name 'pay/ment' is not valid"]),
        (ServiceDefinition(name: "payment-service", policy: "nope"), ["service 'payment-service' names unknown policy 'nope'"]),
        (ServiceDefinition(name: "s", specialistTeam: String(repeating: "t", count: 129)), ["specialist_team is 129 bytes"]),
        (ServiceDefinition(name: "s", businessOwner: String(repeating: "t", count: 200)), ["business_owner is 200 bytes"]),
    ] as [(ServiceDefinition, [String])])
    func serviceErrors(s: ServiceDefinition, fragments: [String]) {
        let m = message { try s.validate(policies: ["payments"]) }
        for f in fragments { #expect(m.contains(f), "'\(f)' not in: \(m)") }
    }

    @Test("a service without a policy is valid; its catalog entry carries its fields")
    func validService() throws {
        let s = ServiceDefinition(name: "ledger", criticality: .critical, owningTeam: "fin", specialistTeam: "fin-db", autoResolve: false)
        try s.validate(policies: [])
        #expect(s.catalogEntry.criticality == .critical && s.catalogEntry.specialistTeam == "fin-db" && !s.catalogEntry.autoResolve)
    }

    // MARK: - The catalog

    @Test("validateReferences checks each kind against the objects present")
    func validateReferences() throws {
        let c = catalog()
        try c.validateReferences(of: .policy, policy: policy(levels: [level(5, .schedule("primary"))], managers: ["mgr"]))
        let m1 = message { try c.validateReferences(of: .policy, policy: policy(levels: [level(5, .schedule("secondary"))])) }
        #expect(m1.contains("unknown schedule 'secondary'"))
        let m2 = message { try c.validateReferences(of: .service, service: ServiceDefinition(name: "x", policy: "gone")) }
        #expect(m2.contains("unknown policy 'gone'"))
        var s = primary
        s.layers[0].participants.append("erin")
        let m3 = message { try c.validateReferences(of: .schedule, schedule: s) }
        #expect(m3.contains("erin"), "\(m3)")
        let m4 = message { try c.validateReferences(of: .person, person: Person(name: "")) }
        #expect(m4.contains("person name '' is not valid"))
    }

    @Test("referrers lists what would dangle, sorted", arguments: [
        (CatalogKind.person, "bob", ["policy db", "schedule primary"]),
        (.person, "dave", ["schedule primary"]),  // an override
        (.person, "mgr", ["policy payments"]),  // a manager
        (.person, "alice", ["policy payments"]),
        (.person, "nobody", []),
        (.schedule, "primary", ["policy payments"]),
        (.policy, "payments", ["service ledger", "service payment-service"]),
        (.policy, "db", []),
        (.service, "ledger", []),
    ] as [(CatalogKind, String, [String])])
    func referrers(kind: CatalogKind, name: String, expected: [String]) {
        #expect(catalog().referrers(of: kind, name) == expected)
    }

    @Test("firstResponders resolves level 1's schedules at the instant, without duplicates")
    func firstResponders() {
        let c = catalog()
        let p = policy(levels: [level(5, .schedule("primary"), .person("bob"), .person("alice"), .schedule("primary")),
                                level(5, .person("carol"))])
        #expect(c.firstResponders(policy: p, at: ts("2026-03-02T09:00:00Z")) == ["bob", "alice"])
        #expect(c.firstResponders(policy: p, at: ts("2026-03-03T09:00:00Z")) == ["carol", "bob", "alice"])
        #expect(c.firstResponders(policy: p, at: ts("2026-03-04T12:00:00Z")) == ["dave", "bob", "alice"])
        #expect(c.firstResponders(policy: p, at: ts("2026-03-01T12:00:00Z")) == ["bob", "alice"])  // before the first handoff
        let unknown = policy(levels: [level(5, .schedule("gone"))])
        #expect(c.firstResponders(policy: unknown, at: ts("2026-03-03T09:00:00Z")).isEmpty)
    }

    @Test("policy(forService:) follows the service to its policy")
    func policyForService() {
        var c = catalog()
        #expect(c.policy(forService: "payment-service")?.name == "payments")
        #expect(c.policy(forService: "orphan") == nil)
        #expect(c.policy(forService: "unknown") == nil)
        c.remove(.policy, "payments")
        #expect(c.policy(forService: "ledger") == nil)
    }

    @Test("set, remove, contains and sorted names")
    func setRemove() {
        var c = catalog()
        #expect(c.names(.person) == ["alice", "bob", "carol", "dave", "mgr"])
        #expect(c.names(.service) == ["ledger", "orphan", "payment-service"])
        #expect(c.contains(.schedule, "primary") && c.onCall(schedule: "primary", at: ts("2026-03-02T10:00:00Z")) == "bob")
        c.remove(.schedule, "primary")
        #expect(!c.contains(.schedule, "primary"))
        #expect(c.onCall(schedule: "primary", at: ts("2026-03-02T10:00:00Z")) == nil)
        #expect(c.calculator(schedule: "primary") == nil)
        c.remove(.person, "bob")
        #expect(!c.contains(.person, "bob") && c.names(.person).count == 4)
    }

    @Test("catalog kinds round-trip through their names")
    func kindNames() {
        for k in CatalogKind.allCases { #expect(CatalogKind(name: k.description) == k) }
        #expect(CatalogKind(name: "Person") == nil)
        #expect(IncidentID.catalog.text == "CATALOG")
    }
}
