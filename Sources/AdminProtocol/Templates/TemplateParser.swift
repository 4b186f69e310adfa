import IncidentCore

/// A one-pass, linear parser from template source to ``TemplateNode``s.
///
/// Tags: `{{ path }}`, `{% for x in path %}`, `{% endfor %}`, `{% if path %}`, `{% else %}`,
/// `{% endif %}`. A block tag (`{% … %}`) alone on its line (only spaces or tabs around it)
/// is "standalone": the whole line, newline included, is dropped from the output, so
/// block tags on their own lines leave no blank lines behind.
struct TemplateParser {
    /// Blocks may nest at most this deep (keeps rendering and teardown recursion bounded).
    static let maxDepth = 32

    /// An open block: the root, a `for` or an `if`.
    private struct Frame {
        enum Kind {
            case root
            case loop(variable: String, sequence: TemplatePath)
            case conditional(TemplatePath)
        }
        var kind: Kind
        var opened: TemplatePosition
        var nodes: [TemplateNode] = []
        var elseNodes: [TemplateNode]?
        var elseSeen: TemplatePosition?

        mutating func append(_ node: TemplateNode) {
            if elseNodes != nil { elseNodes!.append(node) } else { nodes.append(node) }
        }

        var tagName: String {
            switch kind {
            case .root: "template"
            case .loop: "{% for %}"
            case .conditional: "{% if %}"
            }
        }
    }

    private let name: String
    private let bytes: [UInt8]
    private var locator: TemplateLocator
    private var stack: [Frame]

    init(name: String, source: String) {
        self.name = name
        self.bytes = Array(source.utf8)
        self.locator = TemplateLocator(bytes)
        self.stack = [Frame(kind: .root, opened: TemplatePosition(line: 1, column: 1))]
    }

    /// Parses the whole source.
    mutating func parse() throws(DomainError) -> [TemplateNode] {
        let n = bytes.count
        var i = 0
        var textStart = 0
        var lineStart = 0
        while i < n {
            let b = bytes[i]
            if b == 0x0A {
                i += 1
                lineStart = i
                continue
            }
            guard b == UInt8(ascii: "{"), i + 1 < n else {
                i += 1
                continue
            }
            let next = bytes[i + 1]
            if next == UInt8(ascii: "{") {
                let at = locator.position(at: i)
                guard let close = find(UInt8(ascii: "}"), from: i + 2) else {
                    throw templateError(name, at, "unclosed {{; expected }}")
                }
                flushText(textStart, i)
                let path = try parsePath(i + 2, close, at: at, tag: "{{ }}")
                stack[stack.count - 1].append(.variable(path))
                lineStart = lastLineStart(i + 2, close, else: lineStart)
                i = close + 2
                textStart = i
            } else if next == UInt8(ascii: "%") {
                let at = locator.position(at: i)
                guard let close = find(UInt8(ascii: "%"), from: i + 2) else {
                    throw templateError(name, at, "unclosed {%; expected %}")
                }
                let after = standaloneEnd(tagStart: i, tagEnd: close + 2, lineStart: lineStart, textStart: textStart)
                flushText(textStart, after == nil ? i : lineStart)
                try handleTag(i + 2, close, at: at)
                if let after {
                    i = after
                    lineStart = after
                } else {
                    lineStart = lastLineStart(i + 2, close, else: lineStart)
                    i = close + 2
                }
                textStart = i
            } else {
                i += 1
            }
        }
        flushText(textStart, n)
        if stack.count > 1 {
            let open = stack[stack.count - 1]
            let end = locator.position(at: n)
            throw templateError(
                name, end,
                "unclosed \(open.tagName) opened at line \(open.opened.line), column \(open.opened.column)")
        }
        return stack[0].nodes
    }

    // MARK: - Scanning

    /// The offset of the first `marker` immediately followed by `}` at or after `start`.
    private func find(_ marker: UInt8, from start: Int) -> Int? {
        var j = start
        while j + 1 < bytes.count {
            if bytes[j] == marker && bytes[j + 1] == UInt8(ascii: "}") { return j }
            j += 1
        }
        return nil
    }

    /// The line start after the last newline in `start..<end`, or `current` when there is none.
    private func lastLineStart(_ start: Int, _ end: Int, else current: Int) -> Int {
        var result = current
        for j in start..<end where bytes[j] == 0x0A { result = j + 1 }
        return result
    }

    /// When the block tag spanning `tagStart..<tagEnd` is alone on its line, the offset just past
    /// that line's newline (or the end of the source); otherwise `nil`.
    private func standaloneEnd(tagStart: Int, tagEnd: Int, lineStart: Int, textStart: Int) -> Int? {
        guard lineStart >= textStart else { return nil }  // another tag ends on this line
        for j in lineStart..<tagStart where !isBlank(bytes[j]) { return nil }
        var k = tagEnd
        while k < bytes.count && isBlank(bytes[k]) { k += 1 }
        if k == bytes.count { return k }
        if bytes[k] == 0x0A { return k + 1 }
        if bytes[k] == 0x0D && k + 1 < bytes.count && bytes[k + 1] == 0x0A { return k + 2 }
        return nil
    }

    private func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    private mutating func flushText(_ start: Int, _ end: Int) {
        guard start < end else { return }
        stack[stack.count - 1].append(.text(String(decoding: bytes[start..<end], as: UTF8.self)))
    }

    // MARK: - Tags

    /// Splits a tag's inside into whitespace-separated words.
    private func words(_ start: Int, _ end: Int) -> [String] {
        bytes[start..<end]
            .split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D })
            .map { String(decoding: $0, as: UTF8.self) }
    }

    private mutating func handleTag(_ start: Int, _ end: Int, at: TemplatePosition) throws(DomainError) {
        let w = words(start, end)
        guard let keyword = w.first else { throw templateError(name, at, "empty tag {% %}") }
        switch keyword {
        case "for":
            guard w.count == 4, w[2] == "in", Self.isIdentifier(w[1]) else {
                throw templateError(
                    name, at, "malformed tag {% \(Self.clip(w.joined(separator: " "))) %}; expected {% for NAME in PATH %}")
            }
            let path = try parsePath(w[3], at: at, tag: "{% for %}")
            try open(Frame(kind: .loop(variable: w[1], sequence: path), opened: at), at: at)
        case "if":
            guard w.count == 2 else {
                throw templateError(
                    name, at, "malformed tag {% \(Self.clip(w.joined(separator: " "))) %}; expected {% if PATH %}")
            }
            let path = try parsePath(w[1], at: at, tag: "{% if %}")
            try open(Frame(kind: .conditional(path), opened: at), at: at)
        case "else":
            try expectAlone(w, at: at)
            var top = stack[stack.count - 1]
            guard case .conditional = top.kind else {
                throw templateError(name, at, "{% else %} without {% if %}\(openNote(top))")
            }
            if let first = top.elseSeen {
                throw templateError(
                    name, at,
                    "second {% else %} in the {% if %} opened at line \(top.opened.line), column \(top.opened.column)"
                        + " (first {% else %} at line \(first.line), column \(first.column))")
            }
            top.elseNodes = []
            top.elseSeen = at
            stack[stack.count - 1] = top
        case "endfor":
            try expectAlone(w, at: at)
            let top = stack[stack.count - 1]
            guard case .loop(let variable, let sequence) = top.kind else {
                throw templateError(name, at, "{% endfor %} without {% for %}\(openNote(top))")
            }
            stack.removeLast()
            stack[stack.count - 1].append(.loop(variable: variable, sequence: sequence, body: top.nodes))
        case "endif":
            try expectAlone(w, at: at)
            let top = stack[stack.count - 1]
            guard case .conditional(let condition) = top.kind else {
                throw templateError(name, at, "{% endif %} without {% if %}\(openNote(top))")
            }
            stack.removeLast()
            stack[stack.count - 1].append(
                .conditional(condition: condition, then: top.nodes, otherwise: top.elseNodes ?? []))
        default:
            throw templateError(
                name, at, "unknown tag '\(Self.clip(keyword))'; expected one of for, endfor, if, else, endif")
        }
    }

    /// `; the {% for %} opened at line L, column C is still open` when a block other than the root is open.
    private func openNote(_ top: Frame) -> String {
        if case .root = top.kind { return "" }
        return "; the \(top.tagName) opened at line \(top.opened.line), column \(top.opened.column) is still open"
    }

    private func expectAlone(_ w: [String], at: TemplatePosition) throws(DomainError) {
        guard w.count == 1 else {
            throw templateError(
                name, at, "unexpected text after {% \(w[0]) %}: '\(Self.clip(w.dropFirst().joined(separator: " ")))'")
        }
    }

    private mutating func open(_ frame: Frame, at: TemplatePosition) throws(DomainError) {
        guard stack.count <= Self.maxDepth else {
            throw templateError(name, at, "blocks nested deeper than \(Self.maxDepth)")
        }
        stack.append(frame)
    }

    // MARK: - Paths

    private func parsePath(_ start: Int, _ end: Int, at: TemplatePosition, tag: String) throws(DomainError) -> TemplatePath {
        let text = String(decoding: bytes[start..<end], as: UTF8.self)
        let trimmed = words(start, end)
        guard trimmed.count == 1 else {
            if trimmed.isEmpty { throw templateError(name, at, "empty variable {{ }}") }
            throw templateError(name, at, "bad variable path '\(Self.clip(text))' in \(tag); expected names like a.b.c")
        }
        return try parsePath(trimmed[0], at: at, tag: tag)
    }

    private func parsePath(_ text: String, at: TemplatePosition, tag: String) throws(DomainError) -> TemplatePath {
        let segments = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard segments.allSatisfy(Self.isSegment) else {
            throw templateError(
                name, at,
                "bad variable path '\(Self.clip(text))' in \(tag); expected names of letters, digits and _ joined by dots")
        }
        return TemplatePath(segments: segments, position: at)
    }

    /// A path segment: non-empty ASCII letters, digits and `_`.
    static func isSegment(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
        }
    }

    /// A loop variable: a segment (a bare name).
    static func isIdentifier(_ s: String) -> Bool { isSegment(s) }

    /// At most 40 characters of `s` for an error message.
    static func clip(_ s: String) -> String { s.count <= 40 ? s : String(s.prefix(40)) + "…" }
}
