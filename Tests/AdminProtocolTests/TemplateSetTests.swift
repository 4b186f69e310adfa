import AetherJSON
import IncidentCore
import Testing

@testable import AdminProtocol

/// A realistic context with every field the defaults use.
private let context: JSONValue = [
    "incident": [
        "id": "INC-20240611-0042", "title": "Checkout API returning 502s", "severity": "SEV-1", "priority": "P1",
        "status": "investigating", "service": "checkout-api", "detected_at": "2024-06-11T09:14:03Z",
        "assignee": "ada", "war_room_link": "https://meet.example.com/inc-42",
        "timeline": [
            ["at": "2024-06-11T09:14:03Z", "kind": "opened", "actor": "alertmanager"],
            ["at": "2024-06-11T09:16:40Z", "kind": "acknowledged", "actor": "ada"],
        ],
    ],
    "update": ["message": "Rolled back deploy 1234", "next_steps": ["watch error rate", "page DB team"], "eta": "30m"],
    "resolution": ["summary": "Rollback restored service", "root_cause": "Connection pool exhausted"],
    "review": [
        "action_items": [
            ["description": "Alert on pool saturation", "owner": "ada", "due": "2024-06-18"],
            ["description": "Load-test checkout", "owner": "lin", "due": "2024-06-25"],
        ]
    ],
]

private func renderAll(_ set: TemplateSet, _ ctx: JSONValue) throws(DomainError) -> [String: String] {
    var out: [String: String] = [:]
    for name in TemplateSet.names { out[name] = try set.render(name, ctx) }
    return out
}

@Suite struct TemplateSetTests {
    @Test func defaultsRenderWithKeyFields() throws {
        let out = try renderAll(TemplateSet(overrides: [:]), context)
        for (name, text) in out {
            #expect(!text.contains("{{") && !text.contains("{%"), "\(name)")
            #expect(text.contains("INC-20240611-0042"), "\(name)")
            #expect(!text.contains("\n\n\n"), "\(name) has stray blank lines")
        }
        let initial = try #require(out["initial_notification"])
        #expect(initial.hasPrefix("Subject: Incident INC-20240611-0042: Checkout API returning 502s\n\n"))
        for s in ["*Severity*: SEV-1 (P1)", "*Service*: checkout-api", "*Detected*: 2024-06-11T09:14:03Z",
                  "*Assignee*: ada", "War room: https://meet.example.com/inc-42", "Next update in 15 minutes."] {
            #expect(initial.contains(s), "\(s)")
        }
        let update = try #require(out["status_update"])
        #expect(update.hasPrefix("Subject: Incident INC-20240611-0042 Update\n"))
        for s in ["*Update*: Rolled back deploy 1234", "*Next steps*: watch error rate, page DB team", "*ETA*: 30m",
                  "*Status*: investigating", "- 2024-06-11T09:16:40Z acknowledged (ada)"] {
            #expect(update.contains(s), "\(s)")
        }
        let resolved = try #require(out["resolution_notification"])
        #expect(resolved.hasPrefix("Subject: RESOLVED: Incident INC-20240611-0042\n"))
        #expect(resolved.contains("*Resolution*: Rollback restored service"))
        #expect(resolved.contains("*Root cause*: Connection pool exhausted"))
        let summary = try #require(out["post_incident_summary"])
        #expect(summary.contains("# Post-Incident Review: INC-20240611-0042\n\n## Incident Summary\n- **Title**: Checkout API returning 502s"))
        #expect(summary.contains("- **Root Cause**: Connection pool exhausted"))
        #expect(summary.contains("## Timeline\n- 2024-06-11T09:14:03Z: opened (alertmanager)\n- 2024-06-11T09:16:40Z: acknowledged (ada)\n\n"))
        #expect(summary.contains(
            "## Action Items\n- [ ] Alert on pool saturation (Owner: ada, Due: 2024-06-18)\n- [ ] Load-test checkout (Owner: lin, Due: 2024-06-25)\n"))
    }

    @Test func defaultsCopeWithSparseContext() throws {
        let out = try renderAll(TemplateSet(overrides: [:]), ["incident": ["id": "INC-1", "title": "T"]])
        let initial = try #require(out["initial_notification"])
        #expect(initial.contains("*Assignee*: unassigned"))
        #expect(initial.contains("*Status*: Investigating"))
        #expect(!initial.contains("War room"))
        #expect(try #require(out["status_update"]).contains("*ETA*: unknown"))
        #expect(try #require(out["post_incident_summary"]).contains("## Action Items\nNone recorded.\n"))
    }

    @Test func defaultsAllParseAndAreNamed() throws {
        #expect(Set(DefaultTemplates.all().keys) == Set(TemplateSet.names))
        for (name, source) in DefaultTemplates.all() { _ = try Template(name: name, source: source) }
    }

    @Test func overridesReplaceDefaults() throws {
        let set = try TemplateSet(overrides: ["status_update": "UPDATE {{incident.id}}: {{update.message}}"])
        #expect(try set.render("status_update", context) == "UPDATE INC-20240611-0042: Rolled back deploy 1234")
        #expect(try set.render("initial_notification", context).hasPrefix("Subject: Incident INC-20240611-0042:"))
    }

    @Test func unknownOverrideNameListsValidOnes() {
        #expect(throws: DomainError.badRequest(
            "unknown template 'status-update'; expected one of initial_notification, status_update, resolution_notification, post_incident_summary"
        )) {
            try TemplateSet(overrides: ["status-update": "x"])
        }
    }

    @Test func badOverrideFailsAtLoad() {
        #expect(throws: DomainError.badRequest("template 'post_incident_summary' line 2, column 1: unclosed {%; expected %}")) {
            try TemplateSet(overrides: ["post_incident_summary": "ok\n{% for"])
        }
    }

    @Test func unknownNameAtRender() throws {
        let set = try TemplateSet(overrides: [:])
        #expect(throws: DomainError.self) { try set.render("nope", context) }
        do {
            _ = try set.render("nope", context)
        } catch {
            #expect(error.code == "not_found")
        }
    }
}
