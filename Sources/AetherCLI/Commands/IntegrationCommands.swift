import AetherJSON

/// `aether integration create|list|revoke`: integration keys (PagerDuty Events v2 `routing_key`)
/// and the service each one's events are for.
enum IntegrationCommands {
    static let all: [CommandSpec] = [create, list, revoke]

    static let create = CommandSpec(
        ["integration", "create"], "make an integration key for a service (PagerDuty routing_key)", values: ["service", "description"]
    ) { (inv) throws(CLIError) in
        let key = newKey()
        var document: JSONObject = ["name": .string(key), "service": .string(try inv.required("service"))]
        if let d = inv.value("description") { document["description"] = .string(d) }
        let r = try inv.client().call("catalog.set", ["kind": "integration", "document": .object(document)])
        inv.show(r) { _ in "integration key \(key) for service \(inv.value("service")!)\nsend PagerDuty Events v2 to POST /v2/enqueue with \"routing_key\": \"\(key)\"" }
    }

    static let list = CommandSpec(["integration", "list"], "integration keys and their services") { (inv) throws(CLIError) in
        let r = try inv.client().call("catalog.list", ["kind": "integration"])
        inv.show(r) { r in
            var t = Table(["KEY", "SERVICE", "DESCRIPTION"])
            for i in r["items"]?.arrayValue ?? [] {
                t.add([IncidentRendering.text(i["name"]), IncidentRendering.text(i["service"]), IncidentRendering.text(i["description"])])
            }
            return t.rows.isEmpty ? "no integration keys" : t.text
        }
    }

    static let revoke = CommandSpec(["integration", "revoke"], "revoke an integration key (its events are refused from then on)", positionals: 1) { (inv) throws(CLIError) in
        guard let key = inv.positionals.first else { throw CLIError.usage("missing KEY", inv.spec.usage) }
        let r = try inv.client().call("catalog.delete", ["kind": "integration", "name": .string(key)])
        inv.show(r) { _ in "integration key \(key) revoked" }
    }

    /// 32 random lowercase hex digits.
    static func newKey() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let s = String(g.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }.joined()
    }
}
