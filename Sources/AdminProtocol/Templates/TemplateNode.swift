import IncidentCore

/// A place in template source: 1-based line and column (the column counts Unicode scalars).
struct TemplatePosition: Sendable, Equatable {
    /// 1-based line number.
    var line: Int
    /// 1-based column, in Unicode scalars.
    var column: Int
}

/// A dotted variable path such as `incident.timeline`, as written in the template.
struct TemplatePath: Sendable {
    /// The segments, each non-empty and made of ASCII letters, digits and `_`.
    let segments: [String]
    /// Where the path's tag starts, for render-time errors.
    let position: TemplatePosition

    /// The path as written, segments joined with `.`.
    var text: String { segments.joined(separator: ".") }
}

/// One parsed piece of a template.
enum TemplateNode: Sendable {
    /// Literal text, copied to the output as is.
    case text(String)
    /// `{{ path }}`.
    case variable(TemplatePath)
    /// `{% for variable in sequence %}body{% endfor %}`.
    case loop(variable: String, sequence: TemplatePath, body: [TemplateNode])
    /// `{% if condition %}then{% else %}otherwise{% endif %}`.
    case conditional(condition: TemplatePath, then: [TemplateNode], otherwise: [TemplateNode])
}

/// Turns byte offsets into line/column positions, walking forward incrementally
/// (restarting from the top only when asked about an earlier offset).
struct TemplateLocator {
    private let bytes: [UInt8]
    private var offset = 0
    private var current = TemplatePosition(line: 1, column: 1)

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The position of the byte at `target`.
    mutating func position(at target: Int) -> TemplatePosition {
        if target < offset {
            offset = 0
            current = TemplatePosition(line: 1, column: 1)
        }
        let end = min(target, bytes.count)
        while offset < end {
            let b = bytes[offset]
            if b == 0x0A {
                current.line += 1
                current.column = 1
            } else if b & 0xC0 != 0x80 {
                current.column += 1
            }
            offset += 1
        }
        return current
    }
}

/// The shared error text: `template 'NAME' line L, column C: PROBLEM`.
func templateError(_ name: String, _ at: TemplatePosition, _ problem: String) -> DomainError {
    .badRequest("template '\(name)' line \(at.line), column \(at.column): \(problem)")
}
