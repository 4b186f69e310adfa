import Testing
@testable import AetherJSON

/// One malformed input with the expected error offset and message fragment.
struct ErrorCase: Sendable, CustomTestStringConvertible {
    var bytes: [UInt8]
    var offset: Int
    var fragment: String
    var maxDepth = 64

    init(_ text: String, _ offset: Int, _ fragment: String, maxDepth: Int = 64) {
        self.bytes = Array(text.utf8)
        self.offset = offset
        self.fragment = fragment
        self.maxDepth = maxDepth
    }

    init(bytes: [UInt8], _ offset: Int, _ fragment: String) {
        self.bytes = bytes
        self.offset = offset
        self.fragment = fragment
    }

    var testDescription: String { String(decoding: bytes, as: UTF8.self).debugDescription }
}

/// Expects `parse` to fail with `offset` and a message containing `fragment` (and the offset).
func expectError(_ c: ErrorCase, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let value = try JSONParser.parse(c.bytes, maxDepth: c.maxDepth)
        Issue.record("expected an error, parsed \(value)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.offset == c.offset, "message: \(error.message)", sourceLocation: sourceLocation)
        #expect(error.message.contains(c.fragment), "message: \(error.message)", sourceLocation: sourceLocation)
        #expect(error.message.contains("offset \(error.offset)"), "message: \(error.message)", sourceLocation: sourceLocation)
        #expect(error.description == error.message, sourceLocation: sourceLocation)
    }
}

let q = "\""

@Suite struct ParserErrorTests {
    @Test(arguments: [
        ErrorCase("", 0, "unexpected end of input at offset 0; expected a value"),
        ErrorCase(" \t\r\n", 4, "unexpected end of input at offset 4; expected a value"),
        ErrorCase("[", 1, "unexpected end of input at offset 1; expected a value or ']'"),
        ErrorCase("[1,2", 4, "unexpected end of input at offset 4; expected ',' or ']'"),
        ErrorCase("{", 1, "unexpected end of input at offset 1; expected a string key or '}'"),
        ErrorCase(#"{"a""#, 4, "unexpected end of input at offset 4; expected ':'"),
        ErrorCase(#"{"a":"#, 5, "unexpected end of input at offset 5; expected a value"),
        ErrorCase(#"{"a":1"#, 6, "unexpected end of input at offset 6; expected ',' or '}'"),
        ErrorCase(#"{"a":1,"#, 7, "unexpected end of input at offset 7; expected a string key"),
    ])
    func unexpectedEnd(_ c: ErrorCase) { expectError(c) }

    @Test(arguments: [
        ErrorCase(#"{"a":1,}"#, 7, "unexpected character '}' at offset 7; expected a string key"),
        ErrorCase("[1,]", 3, "unexpected character ']' at offset 3; expected a value"),
        ErrorCase("[,1]", 1, "unexpected character ',' at offset 1; expected a value or ']'"),
        ErrorCase("[1 2]", 3, "unexpected character '2' at offset 3; expected ',' or ']'"),
        ErrorCase(#"{"a" 1}"#, 5, "unexpected character '1' at offset 5; expected ':'"),
        ErrorCase(#"{"a":1 "b":2}"#, 7, "unexpected character '\"' at offset 7; expected ',' or '}'"),
        ErrorCase("{1:2}", 1, "unexpected character '1' at offset 1; expected a string key or '}'"),
        ErrorCase("{'a':1}", 1, "unexpected character ''' at offset 1; expected a string key or '}'"),
        ErrorCase("['a']", 1, "unexpected character ''' at offset 1; expected a value"),
        ErrorCase("// c\n1", 0, "unexpected character '/' at offset 0; expected a value"),
        ErrorCase("[1]/*c*/", 3, "trailing data after JSON value at offset 3"),
        ErrorCase("+1", 0, "unexpected character '+' at offset 0; expected a value"),
        ErrorCase(".5", 0, "unexpected character '.' at offset 0; expected a value"),
        ErrorCase("[\u{0B}1]", 1, "unexpected byte 0x0B at offset 1; expected a value"),
        ErrorCase("\u{FEFF}1", 0, "unexpected byte 0xEF at offset 0; expected a value"),
        ErrorCase("[\u{A0}]", 1, "unexpected byte 0xC2 at offset 1"),
        ErrorCase(#"{"a":1}}"#, 7, "trailing data after JSON value at offset 7"),
        ErrorCase(#"{"a":1} x"#, 8, "trailing data after JSON value at offset 8"),
        ErrorCase("1 2", 2, "trailing data after JSON value at offset 2"),
        ErrorCase("\"a\"\"b\"", 3, "trailing data after JSON value at offset 3"),
    ])
    func unexpectedCharacter(_ c: ErrorCase) { expectError(c) }

    @Test(arguments: [
        ErrorCase("NaN", 0, "invalid literal 'NaN' at offset 0; expected a value"),
        ErrorCase("[Infinity]", 1, "invalid literal 'Infinity' at offset 1; expected a value"),
        ErrorCase("-Infinity", 0, "invalid number '-' at offset 0; expected a digit after '-'"),
        ErrorCase("tru", 3, "unexpected end of input at offset 3; expected 'true'"),
        ErrorCase("trux", 0, "invalid literal 'trux' at offset 0; expected 'true'"),
        ErrorCase("[True]", 1, "invalid literal 'True' at offset 1; expected a value"),
        ErrorCase("[nulx]", 1, "invalid literal 'nulx' at offset 1; expected 'null'"),
        ErrorCase("fals", 4, "unexpected end of input at offset 4; expected 'false'"),
        ErrorCase("falsey", 5, "trailing data after JSON value at offset 5"),
        ErrorCase("nul", 3, "expected 'null'"),
        ErrorCase("undefined", 0, "invalid literal 'undefined'"),
    ])
    func literals(_ c: ErrorCase) { expectError(c) }

    @Test(arguments: [
        ErrorCase("01", 0, "number '01' at offset 0 has a leading zero"),
        ErrorCase("[-012]", 1, "number '-012' at offset 1 has a leading zero"),
        ErrorCase(#"{"n":00}"#, 5, "number '00' at offset 5 has a leading zero"),
        ErrorCase("-", 0, "invalid number '-' at offset 0; expected a digit after '-'"),
        ErrorCase("[-]", 1, "invalid number '-' at offset 1; expected a digit after '-'"),
        ErrorCase("1.", 0, "invalid number '1.' at offset 0; expected a digit after '.'"),
        ErrorCase("1.e5", 0, "invalid number '1.' at offset 0; expected a digit after '.'"),
        ErrorCase("[1e]", 1, "invalid number '1e' at offset 1; expected a digit in the exponent"),
        ErrorCase("1e+", 0, "invalid number '1e+' at offset 0; expected a digit in the exponent"),
        ErrorCase("1E-x", 0, "invalid number '1E-' at offset 0; expected a digit in the exponent"),
        ErrorCase("- 1", 0, "invalid number '-' at offset 0"),
        ErrorCase("1e400", 0, "number '1e400' at offset 0 is out of range"),
        ErrorCase("[-1.5e999999999999]", 1, "number '-1.5e999999999999' at offset 1 is out of range"),
        ErrorCase("0x10", 1, "trailing data after JSON value at offset 1"),
        ErrorCase("1.5.2", 3, "trailing data after JSON value at offset 3"),
    ])
    func numbers(_ c: ErrorCase) { expectError(c) }

    @Test(arguments: [
        ErrorCase(#""abc"#, 4, "unexpected end of input at offset 4; expected '\"' to close the string starting at offset 0"),
        ErrorCase(#"["a\"#, 4, "string starting at offset 1"),
        ErrorCase(#""a\qb""#, 2, "invalid escape '\\q' at offset 2"),
        ErrorCase(#""\x41""#, 1, "invalid escape '\\x' at offset 1"),
        ErrorCase(#""\'""#, 1, "invalid escape '\\'' at offset 1"),
        ErrorCase("\"\\\u{1}\"", 1, "invalid escape: byte 0x01 after '\\' at offset 1"),
        ErrorCase(#""\u12G4""#, 1, "invalid escape '\\u12G4' at offset 1; expected 4 hex digits after '\\u'"),
        ErrorCase(#""\u""#, 1, "invalid escape '\\u' at offset 1"),
        ErrorCase(#""\u00"#, 5, "unexpected end of input at offset 5"),
        ErrorCase(#""\uD800""#, 1, "lone surrogate \\uD800 at offset 1"),
        ErrorCase(#"["x\udbff"]"#, 3, "lone surrogate \\uDBFF at offset 3"),
        ErrorCase(#""\uDC00""#, 1, "lone surrogate \\uDC00 at offset 1"),
        ErrorCase(#""\uD800x""#, 1, "lone surrogate \\uD800 at offset 1"),
        ErrorCase(#""\uD800\n""#, 1, "lone surrogate \\uD800 at offset 1"),
        ErrorCase(#""\uD800\u0041""#, 1, "lone surrogate \\uD800 at offset 1; expected a low surrogate"),
        ErrorCase(#""\uD800\uD800""#, 1, "lone surrogate \\uD800 at offset 1; expected a low surrogate \\uDC00-\\uDFFF at offset 7"),
        ErrorCase(#""\uD800\uZZZZ""#, 7, "invalid escape '\\uZZZZ' at offset 7"),
        ErrorCase(#""\uD800"#, 7, "unexpected end of input at offset 7"),
        ErrorCase("\"a\nb\"", 2, "control character 0x0A in string at offset 2"),
        ErrorCase("[\"\t\"]", 2, "control character 0x09 in string at offset 2"),
        ErrorCase("\"\u{0}\"", 1, "control character 0x00 in string at offset 1"),
        ErrorCase("\"\\n\u{1F}\"", 3, "control character 0x1F in string at offset 3"),
        ErrorCase("\"0123456789abcdef\u{7}\"", 17, "control character 0x07 in string at offset 17"),
    ])
    func strings(_ c: ErrorCase) { expectError(c) }

    @Test(arguments: [
        ErrorCase(bytes: [0x22, 0x61, 0xFF, 0x22], 2, "invalid UTF-8 byte 0xFF at offset 2"),
        ErrorCase(bytes: Array(#"{"title":"#.utf8) + [0x22] + Array("0123456789".utf8) + [0xFE, 0x22, 0x7D], 20, "invalid UTF-8 byte 0xFE at offset 20"),
        ErrorCase(bytes: [0x22, 0x80, 0x22], 1, "invalid UTF-8 byte 0x80 at offset 1 (unexpected continuation byte)"),
        ErrorCase(bytes: [0x22, 0xC0, 0x80, 0x22], 1, "invalid UTF-8 byte 0xC0 at offset 1 (overlong encoding)"),
        ErrorCase(bytes: [0x22, 0xC1, 0xBF, 0x22], 1, "invalid UTF-8 byte 0xC1 at offset 1 (overlong encoding)"),
        ErrorCase(bytes: [0x22, 0xE0, 0x9F, 0xBF, 0x22], 1, "invalid UTF-8 byte 0xE0 at offset 1 (overlong encoding)"),
        ErrorCase(bytes: [0x22, 0xF0, 0x8F, 0xBF, 0xBF, 0x22], 1, "invalid UTF-8 byte 0xF0 at offset 1 (overlong encoding)"),
        ErrorCase(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], 1, "invalid UTF-8 byte 0xED at offset 1 (UTF-8 encoded surrogate)"),
        ErrorCase(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1, "invalid UTF-8 byte 0xF4 at offset 1 (code point above U+10FFFF)"),
        ErrorCase(bytes: [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], 1, "invalid UTF-8 byte 0xF5 at offset 1 (code point above U+10FFFF)"),
        ErrorCase(bytes: [0x22, 0x61, 0xE2, 0x82, 0x22], 2, "invalid UTF-8 byte 0xE2 at offset 2 (truncated sequence)"),
        ErrorCase(bytes: [0x22, 0xE2, 0x82], 1, "invalid UTF-8 byte 0xE2 at offset 1 (truncated sequence)"),
        ErrorCase(bytes: [0x22, 0xF0, 0x9F, 0x98, 0x41, 0x22], 1, "invalid UTF-8 byte 0xF0 at offset 1 (truncated sequence)"),
        ErrorCase(bytes: [0x22, 0xC3, 0x22], 1, "invalid UTF-8 byte 0xC3 at offset 1 (truncated sequence)"),
        ErrorCase(bytes: [0x22, 0x5C, 0x6E, 0xC3, 0x28, 0x22], 3, "invalid UTF-8 byte 0xC3 at offset 3"),
    ])
    func invalidUTF8(_ c: ErrorCase) { expectError(c) }

    @Test(arguments: [
        ErrorCase(#"{"title":1,"title":2}"#, 11, "duplicate key 'title' at offset 11"),
        ErrorCase(#"{"a":1,"\u0061":2}"#, 7, "duplicate key 'a' at offset 7"),
        ErrorCase(#"{"\n":1,"\u000a":2}"#, 8, "duplicate key"),
        ErrorCase(#"{"é":1,"é":2}"#, 8, "duplicate key 'é' at offset 8"),
        ErrorCase(#"[{"a":{"a":1,"b":2},"b":3,"a":4}]"#, 26, "duplicate key 'a' at offset 26"),
        ErrorCase("[" + String(repeating: "[", count: 64) + "]]", 64, "nesting deeper than 64 levels at offset 64"),
        ErrorCase(#"{"a":{"b":{}}}"#, 10, "nesting deeper than 2 levels at offset 10", maxDepth: 2),
        ErrorCase("[[[1]]]", 2, "nesting deeper than 2 levels", maxDepth: 2),
        ErrorCase("[]", 0, "nesting deeper than 0 levels", maxDepth: 0),
    ])
    func semantic(_ c: ErrorCase) { expectError(c) }

    @Test func duplicateKeyInLargeObject() {
        var text = "{"
        for i in 0..<100 { text += "\(q)key\(i)\(q):\(i)," }
        let offset = text.utf8.count
        text += "\(q)key57\(q):0}"
        expectError(ErrorCase(text, offset, "duplicate key 'key57' at offset \(offset)"))
        // Escaped spelling of an existing key is found by the hash index too.
        var escaped = text
        escaped.removeLast("\(q)key57\(q):0}".utf8.count)
        escaped += "\(q)\\u006bey3\(q):0}"
        expectError(ErrorCase(escaped, offset, "duplicate key 'key3'"))
    }

    @Test func deepNestingDoesNotCrash() {
        let megabyte = 1 << 20
        expectError(ErrorCase(String(repeating: "[", count: megabyte), 64, "nesting deeper than 64 levels at offset 64"))
        expectError(ErrorCase(String(repeating: "{\"a\":", count: 1000), 320, "nesting deeper than 64 levels at offset 320"))
        // Even with no practical limit the parser is iterative: it reaches the end of input.
        let unlimited = ErrorCase(String(repeating: "[", count: megabyte), megabyte, "unexpected end of input at offset \(megabyte); expected a value or ']'", maxDepth: .max)
        expectError(unlimited)
        let objects = ErrorCase(String(repeating: "{\"a\":", count: 100_000), 500_000, "unexpected end of input", maxDepth: .max)
        expectError(objects)
    }

    @Test func stringAndSliceEntryPointsReportSameError() throws {
        let text = #"{"é":1,"é":2}"#
        #expect(throws: JSONError(offset: 8, message: "duplicate key 'é' at offset 8")) { try JSONParser.parse(text) }
        let bytes = Array("xx".utf8) + Array(text.utf8)
        #expect(throws: JSONError(offset: 8, message: "duplicate key 'é' at offset 8")) { try JSONParser.parse(bytes[2...]) }
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        #expect(throws: JSONError(offset: 0, message: "unexpected end of input at offset 0; expected a value")) {
            try JSONParser.parse(empty)
        }
    }
}
