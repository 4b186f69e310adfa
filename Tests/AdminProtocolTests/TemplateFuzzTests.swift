import AetherJSON
import IncidentCore
import Testing

@testable import AdminProtocol

private let fragments = [
    "{{", "}}", "{%", "%}", "{", "}", "%", " ", "\n", "\r\n", "\t", ".", "a", "xs", "x", "for", "in", "if", "else",
    "endfor", "endif", "{{ a.b }}", "{{x}}", "{% for x in xs %}", "{% endfor %}", "{% if a %}", "{% else %}",
    "{% endif %}", "é", "🚨", "\u{0}", "text ", "{{ a..b }}", "{% while %}",
]

private let fuzzContext: JSONValue = ["a": ["b": "B"], "xs": [1, ["b": 2], "s"], "x": "X", "s": "str"]

@Suite struct TemplateFuzzTests {
    @Test func randomTemplatesNeverTrap() {
        var rng = SeededRandom(seed: 0xA37E)
        var parsed = 0
        for _ in 0..<5_000 {
            var source = ""
            for _ in 0..<Int.random(in: 0...24, using: &rng) {
                if Int.random(in: 0..<8, using: &rng) == 0 {
                    source.unicodeScalars.append(Unicode.Scalar(UInt8.random(in: 0...127, using: &rng)))
                } else {
                    source += fragments.randomElement(using: &rng)!
                }
            }
            do {
                let template = try Template(name: "fuzz", source: source)
                parsed += 1
                _ = try? template.render(fuzzContext)
                _ = try? template.render(.array([]))
            } catch {
                #expect(error.code == "bad_request")
                #expect(error.message.hasPrefix("template 'fuzz' line "), "\(error.message)")
            }
        }
        #expect(parsed > 100)  // the generator reaches the renderer, not only the error paths
    }
}

@Suite struct TemplateLimitTests {
    @Test func outputIsLimitedToOneMiB() throws {
        let chunk = String(repeating: "x", count: 1024)
        let items = JSONValue.array(Array(repeating: .string(chunk), count: 1024))
        let exact = try Template(name: "big", source: "{% for i in items %}{{i}}{% endfor %}").render(["items": items])
        #expect(exact.utf8.count == Template.outputLimit)
        #expect(throws: DomainError.badRequest("template 'big': output would exceed 1048576 bytes")) {
            try Template(name: "big", source: "{% for i in items %}{{i}}{% endfor %}!").render(["items": items])
        }
    }

    @Test func nestedLoopsCannotRunAway() throws {
        let xs = JSONValue.array(Array(repeating: 0, count: 200))
        let t = try Template(name: "busy", source: "{% for a in xs %}{% for b in xs %}{% for c in xs %}{% endfor %}{% endfor %}{% endfor %}")
        #expect(throws: DomainError.self) { try t.render(["xs": xs]) }
    }

    @Test func longSourceParsesInLinearTime() throws {
        let source = String(repeating: "{% if a %}{{ a.b }} text {% else %}-{% endif %}\n", count: 20_000)
        let t = try Template(name: "long", source: source)
        #expect(try t.render(["a": ["b": 1]]).utf8.count == 20_000 * "1 text \n".utf8.count)
        #expect(parseError(String(repeating: "{", count: 100_000))?.contains("unclosed {{") == true)
    }
}

private func parseError(_ source: String) -> String? {
    do {
        _ = try Template(name: "t", source: source)
        return nil
    } catch {
        return error.message
    }
}
