/// A strict RFC 8259 JSON parser.
///
/// Rejects trailing commas, comments, `NaN`/`Infinity`, single quotes, leading
/// zeros, invalid UTF-8, unescaped control characters, lone surrogates,
/// duplicate keys and trailing data. Nesting is limited by `maxDepth` (arrays
/// and objects together); parsing is iterative, so no input can overflow the
/// stack. Errors carry the byte offset of the problem.
public enum JSONParser {
    /// The default nesting limit.
    public static let defaultMaxDepth = 64

    /// Parses one JSON document from raw bytes; offsets are relative to `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) throws(JSONError) -> JSONValue {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw JSONError.unexpectedEnd(at: 0, expected: "a value")
        }
        var parser = Parser(base: base, count: bytes.count, maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    /// Parses one JSON document from a byte array.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws(JSONError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw in parseResult(raw, maxDepth: maxDepth) }
        return try result.get()
    }

    /// Parses one JSON document from a byte slice; offsets are relative to the slice start.
    public static func parse(_ bytes: ArraySlice<UInt8>, maxDepth: Int = 64) throws(JSONError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw in parseResult(raw, maxDepth: maxDepth) }
        return try result.get()
    }

    /// Parses one JSON document from the UTF-8 of `text`; offsets are UTF-8 byte offsets.
    public static func parse(_ text: String, maxDepth: Int = 64) throws(JSONError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { buffer in parseResult(UnsafeRawBufferPointer(buffer), maxDepth: maxDepth) }
        return try result.get()
    }

    private static func parseResult(_ raw: UnsafeRawBufferPointer, maxDepth: Int) -> Result<JSONValue, JSONError> {
        do {
            return .success(try parse(raw, maxDepth: maxDepth))
        } catch {
            return .failure(error)
        }
    }
}
