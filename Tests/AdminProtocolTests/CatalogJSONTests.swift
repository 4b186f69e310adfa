import AetherJSON
import IncidentCore
import Testing

@testable import AdminProtocol

private enum Kind: Sendable { case person, policy, service }

/// Parses `text` as the document of `kind`, returning the object's JSON re-rendered (to compare).
private func parse(_ kind: Kind, _ text: String) throws -> JSONValue {
    let v = try JSONParser.parse(text)
    switch kind {
    case .person: return try Person(json: v).json
    case .policy: return try EscalationPolicy(json: v).json
    case .service: return try ServiceDefinition(json: v).json
    }
}

/// The bad_request message for a document (a test failure if it parses).
private func rejection(_ kind: Kind, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    do {
        let v = try parse(kind, text)
        Issue.record("expected a rejection, got \(v)", sourceLocation: sourceLocation)
    } catch let error as AdminError {
        #expect(error.code == .badRequest, sourceLocation: sourceLocation)
        return error.message
    } catch {
        Issue.record("test JSON does not parse: \(error)", sourceLocation: sourceLocation)
    }
    return ""
}

/// JSON forms of people, escalation policies and services: documented examples, render → parse
/// round trips (as values and through text), and error messages that name the field's path.
@Suite("Catalog JSON: people, policies, services")
struct CatalogJSONTests {
    @Test("a person parses, renders canonically and round-trips")
    func person() throws {
        let p = try Person(json: JSONParser.parse(
            #"{"name": "alice", "full_name": "Alice Ng", "contacts": [{"channel": "email", "address": "alice@example.com"}, {"channel": "log", "address": "-"}]}"#))
        #expect(p == Person(name: "alice", fullName: "Alice Ng", contacts: [.init(channel: "email", address: "alice@example.com"),
                                                                             .init(channel: "log", address: "-")]))
        #expect(try Person(json: p.json) == p)
        #expect(try Person(json: JSONParser.parse(p.json.jsonString)) == p)
        let bare = try Person(json: JSONParser.parse(#"{"name": "bob", "full_name": null}"#))
        #expect(bare == Person(name: "bob"))
        #expect(bare.json.jsonString == #"{"name":"bob","full_name":"","contacts":[]}"#)
    }

    @Test("a policy parses, renders canonically and round-trips")
    func policy() throws {
        let text = #"""
            {"name": "payments", "levels": [{"delay_s": 300, "targets": [{"person": "alice"}, {"schedule": "payments-primary"}]},
                                             {"delay_s": 604800, "targets": [{"person": "bob", "schedule": null}]}],
             "repeats": 2, "ack_timeout_s": 1800, "managers": ["carol"]}
            """#
        let p = try EscalationPolicy(json: JSONParser.parse(text))
        #expect(p == EscalationPolicy(
            name: "payments",
            levels: [.init(delay: .seconds(300), targets: [.person("alice"), .schedule("payments-primary")]),
                     .init(delay: .seconds(604_800), targets: [.person("bob")])],
            repeats: 2, ackTimeout: .seconds(1800), managers: ["carol"]))
        #expect(try EscalationPolicy(json: p.json) == p)
        #expect(try EscalationPolicy(json: JSONParser.parse(p.json.jsonString)) == p)
        let minimal = try EscalationPolicy(json: JSONParser.parse(#"{"name": "m", "levels": [{"delay_s": 1, "targets": []}]}"#))
        #expect(minimal.repeats == 0 && minimal.ackTimeout == nil && minimal.managers.isEmpty)
        #expect(minimal.json.jsonString == #"{"name":"m","levels":[{"delay_s":1,"targets":[]}],"repeats":0,"managers":[]}"#)
        #expect(try EscalationPolicy(json: minimal.json) == minimal)
    }

    @Test("a service parses, renders canonically and round-trips; defaults apply")
    func service() throws {
        let s = try ServiceDefinition(json: JSONParser.parse(#"""
            {"name": "payment-service", "policy": "payments", "criticality": "critical", "owning_team": "payments",
             "specialist_team": "payments-db", "business_owner": "dana", "auto_resolve": false}
            """#))
        #expect(s == ServiceDefinition(name: "payment-service", policy: "payments", criticality: .critical, owningTeam: "payments",
                                       specialistTeam: "payments-db", businessOwner: "dana", autoResolve: false))
        #expect(try ServiceDefinition(json: s.json) == s)
        #expect(try ServiceDefinition(json: JSONParser.parse(s.json.jsonString)) == s)
        let bare = try ServiceDefinition(json: JSONParser.parse(#"{"name": "ledger"}"#))
        #expect(bare == ServiceDefinition(name: "ledger"))
        #expect(bare.policy == nil && bare.criticality == .medium && bare.autoResolve)
        #expect(bare.json.objectValue?["policy"] == nil)
        #expect(try ServiceDefinition(json: bare.json) == bare)
        for c in ServiceCriticality.allCases {
            let parsed = try ServiceDefinition(json: JSONParser.parse(#"{"name": "x", "criticality": "\#(c.rawValue)"}"#))
            #expect(parsed.criticality == c)
        }
    }

    @Test("person errors name the field path", arguments: [
        (#"["alice"]"#, "person is an array; expected an object"),
        (#"{"name": "alice", "email": "a@x"}"#, "person has unknown field 'email'; expected name, full_name, contacts"),
        (#"{"full_name": "Alice"}"#, "person.name is missing; expected a string"),
        (#"{"name": 7}"#, "person.name is an integer; expected a string"),
        (#"{"name": "alice", "full_name": true}"#, "person.full_name is a boolean; expected a string"),
        (#"{"name": "alice", "contacts": {}}"#, "person.contacts is an object; expected a list"),
        (#"{"name": "alice", "contacts": ["email"]}"#, "person.contacts[0] is a string; expected an object"),
        (#"{"name": "alice", "contacts": [{"channel": "email", "address": "a"}, {"channel": "sms"}]}"#,
         "person.contacts[1].address is missing; expected a string"),
        (#"{"name": "alice", "contacts": [{"channel": "email", "address": "a", "priority": 1}]}"#,
         "person.contacts[0] has unknown field 'priority'; expected channel, address"),
        (#"{"name": "alice", "contacts": [{"channel": 1, "address": "a"}]}"#, "person.contacts[0].channel is an integer; expected a string"),
        (#"{"name": "al ice"}"#, "person name 'al ice' is not valid"),
        (#"{"name": "alice", "contacts": [{"channel": "email", "address": ""}]}"#, "person 'alice' contacts[0] address is empty"),
    ] as [(String, String)])
    func personErrors(json: String, expected: String) {
        let m = rejection(.person, json)
        #expect(m.hasPrefix(expected), "\(m)")
    }

    @Test("policy errors name the field path", arguments: [
        (#"{"name": "p", "levels": [], "owner": "x"}"#,
         "policy has unknown field 'owner'; expected name, levels, repeats, ack_timeout_s, managers"),
        (#"{"levels": [{"delay_s": 60, "targets": [{"person": "a"}]}]}"#, "policy.name is missing; expected a string"),
        (#"{"name": "p", "levels": "fast"}"#, "policy.levels is a string; expected a list"),
        (#"{"name": "p", "levels": [7]}"#, "policy.levels[0] is an integer; expected an object"),
        (#"{"name": "p", "levels": [{"targets": [{"person": "a"}]}]}"#, "policy.levels[0].delay_s is missing; expected seconds before the next level"),
        (#"{"name": "p", "levels": [{"delay_s": 60, "targets": []}, {"delay_s": "60", "targets": []}]}"#,
         "policy.levels[1].delay_s is a string; expected a whole number of seconds"),
        (#"{"name": "p", "levels": [{"delay_s": 60.5, "targets": []}]}"#, "policy.levels[0].delay_s is a number; expected a whole number of seconds"),
        (#"{"name": "p", "levels": [{"delay_s": 0, "targets": []}]}"#, "policy.levels[0].delay_s is 0; expected 1-604800 seconds"),
        (#"{"name": "p", "levels": [{"delay_s": 604801, "targets": []}]}"#, "policy.levels[0].delay_s is 604801; expected 1-604800 seconds"),
        (#"{"name": "p", "levels": [{"delay_s": 60, "targets": [], "repeat": 1}]}"#,
         "policy.levels[0] has unknown field 'repeat'; expected delay_s, targets"),
        (#"{"name": "p", "levels": [{"delay_s": 60, "targets": {"person": "a"}}]}"#, "policy.levels[0].targets is an object; expected a list"),
        (#"{"name": "p", "levels": [{"delay_s": 60, "targets": [{"person": "a"}, {"person": "a", "schedule": "s"}]}]}"#,
         #"policy.levels[0].targets[1]: expected exactly one of {"person": NAME} or {"schedule": NAME}"#),
        (#"{"name": "p", "levels": [{"delay_s": 60, "targets": [{}]}]}"#,
         #"policy.levels[0].targets[0]: expected exactly one of {"person": NAME} or {"schedule": NAME}"#),
        (#"{"name": "p", "levels": [{"delay_s": 60, "targets": [{"team": "x"}]}]}"#,
         "policy.levels[0].targets[0] has unknown field 'team'; expected person, schedule"),
        (#"{"name": "p", "levels": [{"delay_s": 60, "targets": [{"schedule": 3}]}]}"#,
         "policy.levels[0].targets[0].schedule is an integer; expected a string"),
        (#"{"name": "p", "levels": [{"delay_s": 60, "targets": ["alice"]}]}"#, "policy.levels[0].targets[0] is a string; expected an object"),
        (#"{"name": "p", "levels": [], "repeats": 10}"#, "policy.repeats is 10; expected 0-9 repeats"),
        (#"{"name": "p", "levels": [], "repeats": "1"}"#, "policy.repeats is a string; expected a whole number of repeats"),
        (#"{"name": "p", "levels": [], "ack_timeout_s": 0}"#, "policy.ack_timeout_s is 0; expected 1-604800 seconds"),
        (#"{"name": "p", "levels": [], "managers": "carol"}"#, "policy.managers is a string; expected a list"),
        (#"{"name": "p", "levels": [], "managers": ["carol", 2]}"#, "policy.managers[1] is an integer; expected a string"),
    ] as [(String, String)])
    func policyErrors(json: String, expected: String) {
        #expect(rejection(.policy, json) == expected)
    }

    @Test("service errors name the field path", arguments: [
        (#"{"name": "s", "tier": 1}"#,
         "service has unknown field 'tier'; expected name, policy, criticality, owning_team, specialist_team, business_owner, auto_resolve, announce_channels"),
        (#"{"policy": "p"}"#, "service.name is missing; expected a string"),
        (#"{"name": "s", "criticality": "urgent"}"#, "service.criticality 'urgent' is not valid; expected one of critical, high, medium, low"),
        (#"{"name": "s", "criticality": "Critical"}"#, "service.criticality 'Critical' is not valid; expected one of critical, high, medium, low"),
        (#"{"name": "s", "criticality": 1}"#, "service.criticality is an integer; expected a string"),
        (#"{"name": "s", "policy": ["p"]}"#, "service.policy is an array; expected a string"),
        (#"{"name": "s", "auto_resolve": "yes"}"#, "service.auto_resolve is a string; expected true or false"),
        (#"{"name": "s", "owning_team": 5}"#, "service.owning_team is an integer; expected a string"),
        (#""s""#, "service is a string; expected an object"),
    ] as [(String, String)])
    func serviceErrors(json: String, expected: String) {
        #expect(rejection(.service, json) == expected)
    }

    @Test("a custom path prefixes every message")
    func customPath() {
        do {
            _ = try EscalationPolicy(json: JSONParser.parse(#"{"name": "p", "levels": [{"delay_s": 60, "targets": [{}]}]}"#), path: "args.policy")
            Issue.record("expected a rejection")
        } catch let e as AdminError {
            #expect(e.message.hasPrefix("args.policy.levels[0].targets[0]: "), "\(e.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
