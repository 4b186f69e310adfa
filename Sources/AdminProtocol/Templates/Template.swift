import AetherJSON
import IncidentCore

/// A parsed text template: `{{ a.b }}` variables, `{% for x in a.b %}…{% endfor %}` loops and
/// `{% if a.b %}…{% else %}…{% endif %}` conditionals. Output is plain text or Markdown; nothing is escaped.
///
/// - Variables: a path of segments (ASCII letters, digits, `_`) joined by `.`, with optional
///   whitespace inside the braces. The first segment names a loop variable (innermost wins) or a
///   member of the context object. A missing member, or a `null` part-way along the path, renders
///   as the empty string (and is falsy; a loop over it runs zero times) — templates stay usable when
///   optional fields such as an assignee are absent. Going *through* a string, number, boolean or
///   array is an error naming the path.
/// - Values render as: strings as is, numbers in shortest form (`3`, `2.5`), `true`/`false`,
///   `null` as empty, arrays as their items joined by `, `, objects as compact JSON.
/// - Truthy: `true`, a non-zero number, a non-empty string, array or object.
/// - A block tag (`{% … %}`) alone on its line drops that whole line, newline included.
/// - Blocks nest up to 32 deep; rendering stops with an error past ``outputLimit`` bytes or
///   two million steps, so no template can run away.
///
/// Parse errors name the template, the line and column (1-based, columns in Unicode scalars) and
/// the problem: `template 'status_update' line 3, column 1: {% endfor %} without {% for %}`.
public struct Template: Sendable {
    /// Rendered output may be at most this many UTF-8 bytes (1 MiB).
    public static let outputLimit = 1 << 20

    /// The name used in error messages.
    public let name: String
    private let nodes: [TemplateNode]

    /// Parses `source` once; throws ``DomainError/badRequest(_:)`` naming the template, line and column
    /// for an unclosed `{{` or `{%`, an unknown or malformed tag, `endfor`/`endif`/`else` without its
    /// opening tag, a block left open, or a bad variable path.
    public init(name: String, source: String) throws(DomainError) {
        var parser = TemplateParser(name: name, source: source)
        self.name = name
        self.nodes = try parser.parse()
    }

    /// Renders against `context` (normally an object). Throws ``DomainError/badRequest(_:)`` for a path
    /// through a non-object, a `for` over a non-array, or output beyond ``outputLimit``.
    public func render(_ context: JSONValue) throws(DomainError) -> String {
        var renderer = TemplateRenderer(name: name, context: context, outputLimit: Self.outputLimit)
        try renderer.render(nodes)
        return renderer.output
    }
}
