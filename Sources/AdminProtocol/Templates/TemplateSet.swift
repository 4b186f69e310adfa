import AetherJSON
import IncidentCore

/// The four communication templates, each the built-in default unless overridden (e.g. from a file).
/// Every template is parsed when the set is created, so a bad override fails at load, not at send.
public struct TemplateSet: Sendable {
    /// The template names, in the order an incident uses them.
    public static let names = ["initial_notification", "status_update", "resolution_notification", "post_incident_summary"]

    private let templates: [String: Template]

    /// Parses the defaults with `overrides` (name → source) applied. Throws ``DomainError/badRequest(_:)``
    /// for a name not in ``names`` (listing the valid ones) or a template that does not parse.
    public init(overrides: [String: String] = [:]) throws(DomainError) {
        for name in overrides.keys.sorted() where !Self.names.contains(name) {
            throw .badRequest("unknown template '\(name)'; expected one of \(Self.names.joined(separator: ", "))")
        }
        let defaults = DefaultTemplates.all()
        var templates: [String: Template] = [:]
        for name in Self.names {
            templates[name] = try Template(name: name, source: overrides[name] ?? defaults[name] ?? "")
        }
        self.templates = templates
    }

    /// Renders the template called `name` against `context`. Throws ``DomainError/notFound(_:)`` for an
    /// unknown name, or the template's own render error.
    public func render(_ name: String, _ context: JSONValue) throws(DomainError) -> String {
        guard let template = templates[name] else {
            throw .notFound("no template named '\(name)'; expected one of \(Self.names.joined(separator: ", "))")
        }
        return try template.render(context)
    }
}
