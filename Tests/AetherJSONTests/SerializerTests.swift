import Testing
import IncidentCore
@testable import AetherJSON

/// A value and its exact compact serialization.
struct SerializeCase: Sendable, CustomTestStringConvertible {
    var value: JSONValue
    var json: String
    init(_ value: JSONValue, _ json: String) {
        self.value = value
        self.json = json
    }
    var testDescription: String { json }
}

/// Reference escaper used to cross-check the fast path.
func referenceEscape(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{8}": out += "\\b"
        case "\u{C}": out += "\\f"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

@Suite struct SerializerTests {
    @Test(arguments: [
        SerializeCase(nil, "null"),
        SerializeCase(true, "true"),
        SerializeCase(false, "false"),
        SerializeCase(0, "0"),
        SerializeCase(-7, "-7"),
        SerializeCase(.int(.max), "9223372036854775807"),
        SerializeCase(.int(.min), "-9223372036854775808"),
        SerializeCase(5.0, "5.0"),
        SerializeCase(-3.0, "-3.0"),
        SerializeCase(.double(0), "0.0"),
        SerializeCase(.double(-0.0), "-0.0"),
        SerializeCase(0.1, "0.1"),
        SerializeCase(-2.5, "-2.5"),
        SerializeCase(1e-5, "1e-05"),
        SerializeCase(1e300, "1e+300"),
        SerializeCase(.double(9_007_199_254_740_992), "9007199254740992.0"),
        SerializeCase(.double(18_014_398_509_481_984), "1.8014398509481984e+16"),
        SerializeCase(.double(.leastNonzeroMagnitude), "5e-324"),
        SerializeCase(.double(.greatestFiniteMagnitude), "1.7976931348623157e+308"),
        SerializeCase(.double(.nan), "null"),
        SerializeCase(.double(.infinity), "null"),
        SerializeCase(.double(-.infinity), "null"),
        SerializeCase([.double(.nan), .double(.infinity)], "[null,null]"),
        SerializeCase("", #""""#),
        SerializeCase("\u{0}\u{1}\u{1F}\n\r\t\u{8}\u{C}\"\\/", #""\u0000\u0001\u001f\n\r\t\b\f\"\\/""#),
        SerializeCase("é😀中\u{7F}\u{2028}", "\"é😀中\u{7F}\u{2028}\""),
        SerializeCase("0123456789abcdef\"0123456789\n", #""0123456789abcdef\"0123456789\n""#),
        SerializeCase([], "[]"),
        SerializeCase([:], "{}"),
        SerializeCase([1, "a", nil, [true]], #"[1,"a",null,[true]]"#),
        SerializeCase(["b": 1, "a": ["y": [], "x": "q\""]], #"{"b":1,"a":{"y":[],"x":"q\""}}"#),
        SerializeCase(["k\n": 1], #"{"k\n":1}"#),
    ])
    func serializes(_ c: SerializeCase) throws {
        #expect(c.value.jsonString == c.json)
        #expect(c.value.serialized() == Array(c.json.utf8))
        #expect(c.value.description == c.json)
        // Every output is valid JSON.
        _ = try JSONParser.parse(c.json)
    }

    @Test func everyControlCharacterIsEscaped() throws {
        for b in 0..<0x20 {
            let s = "a" + String(UnicodeScalar(UInt8(b))) + "b"
            var out: [UInt8] = []
            JSONSerializer.writeString(s, into: &out)
            #expect(String(decoding: out, as: UTF8.self) == referenceEscape(s))
            #expect(!out.contains { $0 < 0x20 })
            #expect(try JSONParser.parse(out) == .string(s))
        }
    }

    @Test func appendsToExistingBuffer() {
        var out = Array("prefix:".utf8)
        JSONSerializer.writeString("x\"y", into: &out)
        out.append(UInt8(ascii: ","))
        JSONSerializer.writeInt(-42, into: &out)
        out.append(UInt8(ascii: ","))
        JSONSerializer.writeDouble(.infinity, into: &out)
        out.append(UInt8(ascii: ","))
        JSONSerializer.write(["a": [1, 2.5]], into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"prefix:"x\"y",-42,null,{"a":[1,2.5]}"#)
    }

    @Test func longStringsCrossTheStagingBuffer() throws {
        var generator = SeededRandom(seed: 42)
        let alphabet: [String] = ["a", "b", "\"", "\\", "\n", "\u{1}", "é", "😀", "xyzxyzxyz", "\u{1F}"]
        for length in [1000, 1023, 1024, 1025, 5000, 70_000] {
            var s = ""
            while s.utf8.count < length { s += alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let value: JSONValue = ["s": .string(s), "list": [.string(s), .string(s)]]
            #expect(try JSONParser.parse(value.serialized()) == value)
            var out: [UInt8] = []
            JSONSerializer.writeString(s, into: &out)
            #expect(String(decoding: out, as: UTF8.self) == referenceEscape(s))
        }
    }

    static let roundTripValues: [JSONValue] = [
        nil, true, false, 0, 1, -1, .int(.max), .int(.min),
        0.5, -0.0, 1e-7, 1e21, 123.456, .double(.pi), .double(.leastNormalMagnitude),
        .double(.greatestFiniteMagnitude), .double(1.0 / 3.0), 5.0, 9_007_199_254_740_993.0,
        "", "plain", "quote\" backslash\\ slash/", "\u{0}\u{1F}\u{7F}", "é😀中👩‍👩‍👧", "\u{10FFFF}",
        [], [:], [[[]]], [1, "two", 3.5, nil, false],
        ["a": 1, "b": ["c": [1, 2, ["d": nil]]], "e\n": "f", "": ""],
        ["labels": ["env": "prod", "team": "payments"], "tags": ["cpu", "p1"], "count": 17],
    ]

    @Test(arguments: roundTripValues)
    func roundTrips(_ value: JSONValue) throws {
        let bytes = value.serialized()
        #expect(try JSONParser.parse(bytes) == value)
        #expect(try JSONParser.parse(value.jsonString) == value)
    }
}
