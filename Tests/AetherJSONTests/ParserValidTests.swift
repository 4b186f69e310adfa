import Testing
@testable import AetherJSON

/// A valid document and the value it must parse to.
struct ValidCase: Sendable, CustomTestStringConvertible {
    var text: String
    var expected: JSONValue
    init(_ text: String, _ expected: JSONValue) {
        self.text = text
        self.expected = expected
    }
    var testDescription: String { text.debugDescription }
}

@Suite struct ParserValidTests {
    @Test(arguments: [
        ValidCase("{}", [:]),
        ValidCase("[]", []),
        ValidCase(" \t\r\n[ ] \n", []),
        ValidCase("{ }", [:]),
        ValidCase("null", nil),
        ValidCase("true", true),
        ValidCase(" false ", false),
        ValidCase(#""""#, ""),
        ValidCase("[[],{},[[]],{\"a\":{}}]", [[], [:], [[]], ["a": [:]]]),
        ValidCase(#"{"a":{"b":[1,{"c":null}]},"d":[true,false]}"#, ["a": ["b": [1, ["c": nil]]], "d": [true, false]]),
        ValidCase(#"[ 1 , "two" , { "three" : 3 } ]"#, [1, "two", ["three": 3]]),
        ValidCase(#""\u00e9\u00E9""#, "éé"),
        ValidCase(#""\uD83D\uDE00""#, "😀"),
        ValidCase(#""\ud83d\ude00!""#, "😀!"),
        ValidCase("\"😀é中\"", "😀é中"),
        ValidCase(#""\uDBFF\uDFFF""#, "\u{10FFFF}"),
        ValidCase(#""\u0000""#, "\u{0}"),
        ValidCase(#""\u007f\u0080\u07FF\u0800\uFFFF""#, "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}"),
        ValidCase(#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
        ValidCase(#""abc\ndef 0123456789 é \u0041""#, "abc\ndef 0123456789 é A"),
        ValidCase("\"\u{7F}\"", "\u{7F}"),
        ValidCase(#"{"\u00e9":1,"e\u0301":2}"#, ["é": 1, "e\u{301}": 2]),
        ValidCase("0", 0),
        ValidCase("-0", 0),
        ValidCase("[-1, 42, 1000000]", [-1, 42, 1_000_000]),
        ValidCase("9223372036854775807", .int(.max)),
        ValidCase("-9223372036854775808", .int(.min)),
        ValidCase("999999999999999999", .int(999_999_999_999_999_999)),
        ValidCase("-1000000000000000000", .int(-1_000_000_000_000_000_000)),
        ValidCase("9223372036854775808", .double(9_223_372_036_854_775_808.0)),
        ValidCase("-9223372036854775809", .double(-9_223_372_036_854_775_809.0)),
        ValidCase("18446744073709551616", .double(18_446_744_073_709_551_616.0)),
        ValidCase("123456789012345678901234567890", .double(1.2345678901234568e29)),
        ValidCase("1.0", .double(1)),
        ValidCase("1E5", .double(100_000)),
        ValidCase("1e-5", .double(1e-5)),
        ValidCase("1.5e+3", .double(1500)),
        ValidCase("-2.5E-3", .double(-0.0025)),
        ValidCase("0.1", .double(0.1)),
        ValidCase("0.30000000000000004", .double(0.30000000000000004)),
        ValidCase("3.141592653589793", .double(3.141592653589793)),
        ValidCase("123456789.123456789", .double(123456789.123456789)),
        ValidCase("0.000001234", .double(0.000001234)),
        ValidCase("1e22", .double(1e22)),
        ValidCase("1e23", .double(1e23)),
        ValidCase("9007199254740993.0", .double(9007199254740992)),
        ValidCase("1.7976931348623157e308", .double(.greatestFiniteMagnitude)),
        ValidCase("4.9406564584124654e-324", .double(.leastNonzeroMagnitude)),
        ValidCase("2.2250738585072014E-308", .double(.leastNormalMagnitude)),
        ValidCase("1e-400", .double(0)),
        ValidCase("0e99999", .double(0)),
        ValidCase("10000000000000000000000000000000e-10", .double(1e21)),
    ])
    func parses(_ c: ValidCase) throws {
        let value = try JSONParser.parse(c.text)
        #expect(value == c.expected)
        #expect(try JSONParser.parse(Array(c.text.utf8)) == c.expected)
    }

    @Test func negativeZero() throws {
        #expect(try JSONParser.parse("-0") == .int(0))
        let d = try #require(try JSONParser.parse("-0.0").doubleValue)
        #expect(d == 0 && d.sign == .minus)
    }

    @Test func megabyteStrings() throws {
        let plain = String(repeating: "abcdefgh", count: 1 << 17)
        #expect(try JSONParser.parse("\"" + plain + "\"").stringValue == plain)

        let unit = "ab\\n\\u00e9😀\\\"é|"
        let mixed = String(repeating: unit, count: (1 << 20) / unit.utf8.count)
        let decoded = String(repeating: "ab\né😀\"é|", count: (1 << 20) / unit.utf8.count)
        #expect(try JSONParser.parse("[\"" + mixed + "\"]") == [.string(decoded)])
    }

    @Test func keyOrderIsPreserved() throws {
        let value = try JSONParser.parse(#"{"z":1,"a":2,"m":{"y":1,"b":2},"c":3}"#)
        #expect(value.objectValue?.keys == ["z", "a", "m", "c"])
        #expect(value["m"]?.objectValue?.keys == ["y", "b"])
        #expect(value.jsonString == #"{"z":1,"a":2,"m":{"y":1,"b":2},"c":3}"#)
    }

    @Test func largeObjectLookup() throws {
        var text = "{"
        for i in 0..<200 { text += (i == 0 ? "" : ",") + "\"k\(i)\":\(i)" }
        text += "}"
        let object = try #require(try JSONParser.parse(text).objectValue)
        #expect(object.count == 200)
        for i in 0..<200 { #expect(object["k\(i)"] == .int(Int64(i))) }
        #expect(object["k200"] == nil)
        #expect(object.keys.first == "k0" && object.keys.last == "k199")
    }

    @Test func deepButAllowedNesting() throws {
        let depth = 1000
        let text = String(repeating: "[", count: depth) + "7" + String(repeating: "]", count: depth)
        var value = try JSONParser.parse(text, maxDepth: depth)
        for _ in 0..<depth { value = try #require(value[0]) }
        #expect(value == 7)
        let exactlyDefault = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try JSONParser.parse(exactlyDefault)
    }

    @Test func trailingWhitespaceAndNDJSONLines() throws {
        let lines = "{\"op\":\"ping\"}\n{\"op\":\"ack\",\"id\":7}\r\n"
        let bytes = Array(lines.utf8)
        var values: [JSONValue] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            values.append(try JSONParser.parse(bytes[start...i]))
            start = i + 1
        }
        #expect(values == [["op": "ping"], ["op": "ack", "id": 7]])
    }
}
