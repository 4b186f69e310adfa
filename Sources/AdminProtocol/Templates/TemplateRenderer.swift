import AetherJSON
import IncidentCore

/// Walks parsed nodes against a JSON context, with bounded output and bounded work.
struct TemplateRenderer {
    /// Most node visits (loop iterations included) one render may make.
    static let stepLimit = 2_000_000

    private let name: String
    private let root: JSONValue
    private let outputLimit: Int
    private var scopes: [(name: String, value: JSONValue)] = []
    private var steps = 0
    private(set) var output = ""

    init(name: String, context: JSONValue, outputLimit: Int) {
        self.name = name
        self.root = context
        self.outputLimit = outputLimit
    }

    mutating func render(_ nodes: [TemplateNode]) throws(DomainError) {
        for node in nodes {
            try step(node)
            switch node {
            case .text(let s):
                try emit(s, node)
            case .variable(let path):
                if let value = try resolve(path) { try emit(Self.text(of: value), node) }
            case .loop(let variable, let sequence, let body):
                switch try resolve(sequence) {
                case nil, .null?:
                    break
                case .array(let items)?:
                    for item in items {
                        try step(node)
                        scopes.append((variable, item))
                        try render(body)
                        scopes.removeLast()
                    }
                case let other?:
                    throw templateError(
                        name, sequence.position,
                        "{% for %} over '\(sequence.text)', which is \(other.typeWithArticle), not an array")
                }
            case .conditional(let condition, let then, let otherwise):
                try render(Self.isTruthy(try resolve(condition)) ? then : otherwise)
            }
        }
    }

    private mutating func step(_ node: TemplateNode) throws(DomainError) {
        steps += 1
        guard steps <= Self.stepLimit else {
            throw .badRequest("template '\(name)': rendering took more than \(Self.stepLimit) steps; simplify the loops")
        }
    }

    private mutating func emit(_ s: String, _ node: TemplateNode) throws(DomainError) {
        guard output.utf8.count + s.utf8.count <= outputLimit else {
            throw .badRequest("template '\(name)': output would exceed \(outputLimit) bytes")
        }
        output += s
    }

    /// The value at `path`: loop variables (innermost first) shadow the context's top-level members.
    /// A missing member, or `null` part-way, gives `nil`; going through any other non-object is an error.
    private func resolve(_ path: TemplatePath) throws(DomainError) -> JSONValue? {
        let first = path.segments[0]
        var current: JSONValue
        var index: Int
        if let bound = scopes.last(where: { $0.name == first }) {
            current = bound.value
            index = 1
        } else {
            current = root
            index = 0
        }
        while index < path.segments.count {
            switch current {
            case .object(let object):
                guard let member = object[path.segments[index]] else { return nil }
                current = member
            case .null:
                return nil
            default:
                let through = index == 0 ? "the context" : "'\(path.segments[..<index].joined(separator: "."))'"
                throw templateError(
                    name, path.position,
                    "path '\(path.text)' goes through \(through), which is \(current.typeWithArticle), not an object")
            }
            index += 1
        }
        return current
    }

    /// Truthy: `true`, a non-zero number, a non-empty string, array or object. Missing and `null` are falsy.
    static func isTruthy(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: false
        case .bool(let b)?: b
        case .int(let i)?: i != 0
        case .double(let d)?: d != 0
        case .string(let s)?: !s.isEmpty
        case .array(let a)?: !a.isEmpty
        case .object(let o)?: !o.isEmpty
        }
    }

    /// Plain-text form: strings as is, numbers in shortest form (`3`, `2.5`, `1e+20`), booleans
    /// `true`/`false`, `null` empty, arrays as their items joined by `, `, objects as compact JSON.
    static func text(of value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .double(let d): number(d)
        case .string(let s): s
        case .array(let items): items.map(text(of:)).joined(separator: ", ")
        case .object: value.jsonString
        }
    }

    /// Integral doubles below 2^53 print without a fraction; others use Swift's shortest round-trip form.
    static func number(_ d: Double) -> String {
        if d.isFinite && d == d.rounded() && abs(d) < 9_007_199_254_740_992 { return String(Int64(d)) }
        return d.isFinite ? "\(d)" : ""
    }
}
