import AetherJSON
import IncidentCore
import Testing

@testable import AdminProtocol

/// Parses and renders, recording any error as a test issue.
private func render(_ source: String, _ context: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    do {
        return try Template(name: "t", source: source).render(context)
    } catch {
        Issue.record("unexpected error: \(error)", sourceLocation: sourceLocation)
        return ""
    }
}

/// The message of the error `body` throws, or `nil` when it does not throw.
private func failure(_ body: () throws(DomainError) -> Void) -> DomainError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

/// The parse error message for `source` (template name `t`).
private func parseError(_ source: String) -> String? {
    failure { () throws(DomainError) in _ = try Template(name: "t", source: source) }?.message
}

/// The render error message for `source` against `context`.
private func renderError(_ source: String, _ context: JSONValue) -> String? {
    failure { () throws(DomainError) in _ = try Template(name: "t", source: source).render(context) }?.message
}

@Suite struct TemplateVariableTests {
    @Test func plainTextAndVariables() {
        #expect(render("hello", [:]) == "hello")
        #expect(render("", [:]) == "")
        #expect(render("Hi {{name}}!", ["name": "Ada"]) == "Hi Ada!")
        #expect(render("{{  name\t}}|{{name}}", ["name": "x"]) == "x|x")
        #expect(render("{ not a tag } {x} %} }}", [:]) == "{ not a tag } {x} %} }}")
    }

    @Test func nestedPaths() {
        let ctx: JSONValue = ["incident": ["id": "INC-1", "owner": ["name": "Ada", "team": ["id": 7]]]]
        #expect(render("{{incident.id}} {{incident.owner.name}} {{ incident.owner.team.id }}", ctx) == "INC-1 Ada 7")
    }

    @Test func missingValuesRenderEmpty() {
        let ctx: JSONValue = ["incident": ["id": "INC-1", "assignee": nil]]
        #expect(render("[{{nope}}][{{incident.title}}][{{incident.assignee}}][{{incident.assignee.name}}]", ctx) == "[][][][]")
    }

    @Test func pathThroughNonObjectIsAnError() {
        let ctx: JSONValue = ["incident": ["title": "Down", "tags": ["a"]]]
        #expect(
            renderError("x\n  {{incident.title.text}}", ctx)
                == "template 't' line 2, column 3: path 'incident.title.text' goes through 'incident.title', which is a string, not an object")
        #expect(renderError("{{incident.tags.first}}", ctx)?.contains("which is an array, not an object") == true)
        #expect(
            renderError("{{a}}", [1, 2])
                == "template 't' line 1, column 1: path 'a' goes through the context, which is an array, not an object")
    }

    @Test func valueForms() {
        let ctx: JSONValue = [
            "s": "text", "i": 42, "neg": -3, "d": 2.5, "whole": 3.0, "small": 0.1, "big": 1e20,
            "t": true, "f": false, "n": nil, "list": ["a", 1, true, nil, [2, 3]], "obj": ["k": "v", "n": 1],
            "uni": "Zürich 🚨",
        ]
        #expect(render("{{s}}|{{i}}|{{neg}}|{{d}}|{{whole}}|{{small}}|{{big}}", ctx) == "text|42|-3|2.5|3|0.1|1e+20")
        #expect(render("{{t}}|{{f}}|{{n}}|{{uni}}", ctx) == "true|false||Zürich 🚨")
        #expect(render("{{list}}", ctx) == "a, 1, true, , 2, 3")
        #expect(render("{{obj}}", ctx) == #"{"k":"v","n":1}"#)
    }

    @Test func noEscaping() {
        #expect(render("{{x}}", ["x": "<b>&\"*md*\"</b>"]) == "<b>&\"*md*\"</b>")
    }
}

@Suite struct TemplateLoopTests {
    @Test func loopsOverArrays() {
        #expect(render("{% for x in xs %}[{{x}}]{% endfor %}", ["xs": [1, "two", 3.5]]) == "[1][two][3.5]")
    }

    @Test func nestedLoopsSeeOuterVariables() {
        let ctx: JSONValue = ["teams": [["name": "a", "people": ["p", "q"]], ["name": "b", "people": ["r"]]]]
        let out = render("{% for t in teams %}{% for p in t.people %}{{t.name}}:{{p}} {% endfor %}{% endfor %}", ctx)
        #expect(out == "a:p a:q b:r ")
    }

    @Test func emptyMissingAndNullListsRunZeroTimes() {
        #expect(render("<{% for x in xs %}{{x}}{% endfor %}>", ["xs": []]) == "<>")
        #expect(render("<{% for x in nope %}{{x}}{% endfor %}>", [:]) == "<>")
        #expect(render("<{% for x in xs %}{{x}}{% endfor %}>", ["xs": nil]) == "<>")
    }

    @Test func loopVariableShadowsAndIsRestored() {
        let ctx: JSONValue = ["x": "outer", "xs": ["i1", "i2"], "ys": [["x": "deep"]]]
        #expect(render("{{x}} {% for x in xs %}{{x}} {% endfor %}{{x}}", ctx) == "outer i1 i2 outer")
        // Nested loops reusing the same name: the innermost wins, the outer comes back after.
        let nested = "{% for x in xs %}{{x}}({% for x in ys %}{{x.x}}{% endfor %}){{x}} {% endfor %}"
        #expect(render(nested, ctx) == "i1(deep)i1 i2(deep)i2 ")
    }

    @Test func loopOverNonArrayIsAnError() {
        #expect(
            renderError("ok\n{% for x in s %}{% endfor %}", ["s": "abc"])
                == "template 't' line 2, column 1: {% for %} over 's', which is a string, not an array")
        #expect(renderError("{% for x in o %}{% endfor %}", ["o": ["a": 1]])?.contains("an object, not an array") == true)
    }

    @Test func standaloneBlockLinesLeaveNoBlankLines() {
        let source = "Items:\n  {% for x in xs %}\n- {{x}}\n  {% endfor %}\nEnd"
        #expect(render(source, ["xs": ["a", "b"]]) == "Items:\n- a\n- b\nEnd")
        #expect(render(source, ["xs": []]) == "Items:\nEnd")
        // Tags sharing a line with text keep the line.
        #expect(render("a {% for x in xs %}{{x}}{% endfor %}\nb", ["xs": [1]]) == "a 1\nb")
        // Windows line ends and a last line without a newline.
        #expect(render("{% if t %}\r\nyes\r\n{% endif %}", ["t": true]) == "yes\r\n")
    }
}

@Suite struct TemplateConditionalTests {
    @Test func ifElse() {
        let source = "{% if v %}yes{% else %}no{% endif %}"
        let truthy: [JSONValue] = [true, 1, -1, 0.5, "x", [0], ["k": nil]]
        let falsy: [JSONValue] = [false, 0, 0.0, "", [], [:], nil]
        for v in truthy { #expect(render(source, ["v": v]) == "yes", "\(v)") }
        for v in falsy { #expect(render(source, ["v": v]) == "no", "\(v)") }
        #expect(render(source, [:]) == "no")
        #expect(render("{% if v %}yes{% endif %}", ["v": false]) == "")
    }

    @Test func ifInsideForAndNested() {
        let ctx: JSONValue = ["items": [["name": "a", "done": true], ["name": "b", "done": false]]]
        let source = "{% for i in items %}{% if i.done %}[x]{% else %}[ ]{% endif %} {{i.name}};{% endfor %}"
        #expect(render(source, ctx) == "[x] a;[ ] b;")
        #expect(render("{% if a %}{% if b %}ab{% else %}a{% endif %}{% endif %}", ["a": 1, "b": 0]) == "a")
    }
}

@Suite struct TemplateParseErrorTests {
    @Test func unclosedVariable() {
        #expect(parseError("ab\ncd {{ x") == "template 't' line 2, column 4: unclosed {{; expected }}")
    }

    @Test func unclosedTag() {
        #expect(parseError("é{% if x") == "template 't' line 1, column 2: unclosed {%; expected %}")
    }

    @Test func unknownTag() {
        #expect(
            parseError("\n\n   {% while x %}")
                == "template 't' line 3, column 4: unknown tag 'while'; expected one of for, endfor, if, else, endif")
        #expect(parseError("{%  %}") == "template 't' line 1, column 1: empty tag {% %}")
    }

    @Test func closersWithoutOpeners() {
        #expect(parseError("a\n{% endfor %}") == "template 't' line 2, column 1: {% endfor %} without {% for %}")
        #expect(parseError("{% endif %}") == "template 't' line 1, column 1: {% endif %} without {% if %}")
        #expect(parseError("x {% else %}") == "template 't' line 1, column 3: {% else %} without {% if %}")
        #expect(
            parseError("{% if a %}\n{% endfor %}")
                == "template 't' line 2, column 1: {% endfor %} without {% for %}; the {% if %} opened at line 1, column 1 is still open")
        #expect(
            parseError("{% if a %}1{% else %}2{% else %}3{% endif %}")
                == "template 't' line 1, column 23: second {% else %} in the {% if %} opened at line 1, column 1 (first {% else %} at line 1, column 12)")
    }

    @Test func unclosedBlocks() {
        #expect(
            parseError("x\n  {% for a in b %}\n{{a}}")
                == "template 't' line 3, column 6: unclosed {% for %} opened at line 2, column 3")
        #expect(
            parseError("{% for a in b %}{% if a %}{% endfor %}")
                == "template 't' line 1, column 27: {% endfor %} without {% for %}; the {% if %} opened at line 1, column 17 is still open")
    }

    @Test func malformedTags() {
        #expect(
            parseError("{% for a of b %}{% endfor %}")
                == "template 't' line 1, column 1: malformed tag {% for a of b %}; expected {% for NAME in PATH %}")
        #expect(parseError("{% for a.b in c %}{% endfor %}")?.contains("expected {% for NAME in PATH %}") == true)
        #expect(
            parseError("{% if a b %}{% endif %}")
                == "template 't' line 1, column 1: malformed tag {% if a b %}; expected {% if PATH %}")
        #expect(parseError("{% endif now %}") == "template 't' line 1, column 1: unexpected text after {% endif %}: 'now'")
    }

    @Test func badVariablePaths() {
        #expect(parseError("{{ }}") == "template 't' line 1, column 1: empty variable {{ }}")
        #expect(
            parseError("ok {{ a..b }}")
                == "template 't' line 1, column 4: bad variable path 'a..b' in {{ }}; expected names of letters, digits and _ joined by dots")
        for bad in ["{{.a}}", "{{a.}}", "{{a-b}}", "{{a b}}", "{{ é }}", "{% if a[0] %}{% endif %}", "{% for x in a. %}{% endfor %}"] {
            #expect(parseError(bad)?.contains("bad variable path") == true, "\(bad)")
        }
    }

    @Test func nestingDepthIsBounded() {
        let ok = String(repeating: "{% if a %}", count: 32) + String(repeating: "{% endif %}", count: 32)
        #expect(parseError(ok) == nil)
        let deep = String(repeating: "{% if a %}", count: 33)
        #expect(parseError(deep) == "template 't' line 1, column 321: blocks nested deeper than 32")
    }

    @Test func errorsAreBadRequest() {
        let error = failure { () throws(DomainError) in _ = try Template(name: "t", source: "{{") }
        #expect(error?.code == "bad_request")
    }
}
