import AetherJSON
import IncidentCore

// JSON forms of people, escalation policies and services (Docs/admin-protocol.md "Catalog").
// Parsing checks shapes and ranges; cross-references (a policy naming a person) are checked by the
// catalog against the objects that exist.

extension Person {
    /// Fields of a person document.
    public static let jsonFields = ["name", "full_name", "contacts"]

    /// Parses `{"name": "alice", "full_name": "Alice Ng", "contacts": [{"channel": "email", "address": "alice@example.com"}]}`.
    /// - Throws: `AdminError(.badRequest)` naming the field.
    public init(json: JSONValue, path: String = "person") throws(AdminError) {
        let r = try JSONFieldReader(json, path: path, allowed: Self.jsonFields)
        var contacts: [Contact] = []
        for (n, item) in try r.list("contacts").enumerated() {
            let c = try JSONFieldReader(item, path: "\(path).contacts[\(n)]", allowed: ["channel", "address"])
            contacts.append(Contact(channel: try c.string("channel"), address: try c.string("address")))
        }
        self.init(name: try r.string("name"), fullName: try r.optionalString("full_name") ?? "", contacts: contacts)
        do { try validate() } catch { throw AdminError(error) }
    }

    /// The canonical JSON.
    public var json: JSONValue {
        .object([
            "name": .string(name), "full_name": .string(fullName),
            "contacts": .array(contacts.map { .object(["channel": .string($0.channel), "address": .string($0.address)]) }),
        ])
    }
}

extension EscalationPolicy {
    /// Fields of a policy document.
    public static let jsonFields = ["name", "levels", "repeats", "ack_timeout_s", "managers"]

    /// Parses `{"name": "payments", "levels": [{"delay_s": 300, "targets": [{"person": "alice"},
    /// {"schedule": "payments-primary"}]}], "repeats": 1, "ack_timeout_s": 1800, "managers": ["carol"]}`.
    /// - Throws: `AdminError(.badRequest)` naming the field.
    public init(json: JSONValue, path: String = "policy") throws(AdminError) {
        let r = try JSONFieldReader(json, path: path, allowed: Self.jsonFields)
        var levels: [Level] = []
        for (n, item) in try r.list("levels").enumerated() {
            let where_ = "\(path).levels[\(n)]"
            let l = try JSONFieldReader(item, path: where_, allowed: ["delay_s", "targets"])
            guard let delay = try l.optionalInt("delay_s", in: 1...(7 * 86400), unit: "seconds") else {
                throw l.error("\(l.path("delay_s")) is missing; expected seconds before the next level")
            }
            var targets: [EscalationTarget] = []
            for (k, t) in try l.list("targets").enumerated() {
                let tr = try JSONFieldReader(t, path: "\(where_).targets[\(k)]", allowed: ["person", "schedule"])
                switch (try tr.optionalString("person"), try tr.optionalString("schedule")) {
                case (let p?, nil): targets.append(.person(p))
                case (nil, let s?): targets.append(.schedule(s))
                default:
                    throw AdminError(.badRequest, "\(where_).targets[\(k)]: expected exactly one of {\"person\": NAME} or {\"schedule\": NAME}")
                }
            }
            levels.append(Level(delay: .seconds(delay), targets: targets))
        }
        self.init(
            name: try r.string("name"), levels: levels,
            repeats: Int(try r.optionalInt("repeats", in: 0...Int64(Self.repeatsMax), unit: "repeats") ?? 0),
            ackTimeout: try r.optionalInt("ack_timeout_s", in: 1...(7 * 86400), unit: "seconds").map { .seconds($0) },
            managers: try r.strings("managers", optional: true))
    }

    /// The canonical JSON.
    public var json: JSONValue {
        var o: JSONObject = [
            "name": .string(name),
            "levels": .array(
                levels.map { l in
                    .object([
                        "delay_s": .int(l.delay.wholeMilliseconds / 1000),
                        "targets": .array(
                            l.targets.map { t in
                                switch t {
                                case .person(let p): .object(["person": .string(p)])
                                case .schedule(let s): .object(["schedule": .string(s)])
                                }
                            }),
                    ])
                }),
            "repeats": .int(Int64(repeats)),
            "managers": .array(managers.map { .string($0) }),
        ]
        if let t = ackTimeout { o["ack_timeout_s"] = .int(t.wholeMilliseconds / 1000) }
        return .object(o)
    }
}

extension ServiceDefinition {
    /// Fields of a service document.
    public static let jsonFields = [
        "name", "policy", "criticality", "owning_team", "specialist_team", "business_owner", "auto_resolve", "announce_channels",
    ]

    /// Parses `{"name": "payment-service", "policy": "payments", "criticality": "critical",
    /// "owning_team": "payments", "specialist_team": "payments-db", "business_owner": "dana", "auto_resolve": true}`.
    /// - Throws: `AdminError(.badRequest)` naming the field.
    public init(json: JSONValue, path: String = "service") throws(AdminError) {
        let r = try JSONFieldReader(json, path: path, allowed: Self.jsonFields)
        var criticality = ServiceCriticality.medium
        if let c = try r.optionalString("criticality") {
            guard let parsed = ServiceCriticality(rawValue: c) else {
                throw r.error(
                    at: "criticality", "'\(c)' is not valid; expected one of \(ServiceCriticality.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            criticality = parsed
        }
        self.init(
            name: try r.string("name"), policy: try r.optionalString("policy"), criticality: criticality,
            owningTeam: try r.optionalString("owning_team") ?? "", specialistTeam: try r.optionalString("specialist_team") ?? "",
            businessOwner: try r.optionalString("business_owner") ?? "", autoResolve: try r.optionalBool("auto_resolve") ?? true,
            announceChannels: try r.strings("announce_channels", optional: true))
    }

    /// The canonical JSON.
    public var json: JSONValue {
        var o: JSONObject = ["name": .string(name)]
        if let p = policy { o["policy"] = .string(p) }
        o["criticality"] = .string(criticality.rawValue)
        o["owning_team"] = .string(owningTeam)
        o["specialist_team"] = .string(specialistTeam)
        o["business_owner"] = .string(businessOwner)
        o["auto_resolve"] = .bool(autoResolve)
        if !announceChannels.isEmpty { o["announce_channels"] = .array(announceChannels.map { .string($0) }) }
        return .object(o)
    }
}

extension Schedule {
    /// Parses a schedule document, which must be an object (see `init(json:path:)`).
    /// - Throws: `AdminError(.badRequest)` naming the field.
    public init(document: JSONValue, path: String = "schedule") throws(AdminError) {
        guard case .object(let o) = document else { throw JSONFieldReader.mistyped(path, document, expected: "an object") }
        try self.init(json: o, path: path)
    }
}

extension Integration {
    /// Fields of an integration document.
    public static let jsonFields = ["name", "service", "description"]

    /// Parses `{"name": "<routing key>", "service": "payment-service", "description": "Datadog"}`
    /// (the key is the object's name, as for every catalog object).
    /// - Throws: `AdminError(.badRequest)` naming the field.
    public init(json: JSONValue, path: String = "integration") throws(AdminError) {
        let r = try JSONFieldReader(json, path: path, allowed: Self.jsonFields)
        self.init(key: try r.string("name"), service: try r.string("service"), description: try r.optionalString("description") ?? "")
        do { try validate() } catch { throw AdminError(error) }
    }

    /// The canonical JSON.
    public var json: JSONValue {
        ["name": .string(key), "service": .string(service), "description": .string(description)]
    }
}
