/// A compact JSON writer appending UTF-8 to a byte buffer.
///
/// Output has no insignificant whitespace; object members keep their order.
/// Strings escape `"`, `\` and control characters (short forms where they
/// exist, `\u00XX` otherwise) and leave other Unicode as raw UTF-8.
/// Non-finite doubles are written as `null`.
public enum JSONSerializer {
    /// Appends the compact JSON text of `value` to `out`.
    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        JSONWriter.with(&out) { $0.value(value) }
    }

    /// Appends the compact JSON text of `value`, writing every object member named `key` whose
    /// value is `null` (at any depth) with `fill` instead — a placeholder filled in without
    /// rebuilding the value.
    public static func write(_ value: JSONValue, into out: inout [UInt8], fillingNull key: String, with fill: JSONValue) {
        JSONWriter.with(&out) { w in
            w.nullFill = (key, fill)
            w.value(value)
        }
    }

    /// Appends `s` as a quoted, escaped JSON string.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        JSONWriter.with(&out) { $0.string(s) }
    }

    /// Appends the decimal text of `value`.
    public static func writeInt(_ value: Int64, into out: inout [UInt8]) {
        JSONWriter.with(&out) { $0.int(value) }
    }

    /// Appends a JSON number for `value`: `null` if not finite, `5.0` style for
    /// integral values within ±2^53, otherwise Swift's shortest round-trip form
    /// (e.g. `0.1`, `1e-05`, `1.5e+300`).
    public static func writeDouble(_ value: Double, into out: inout [UInt8]) {
        JSONWriter.with(&out) { $0.double(value) }
    }
}

extension JSONValue {
    /// The compact JSON encoding as UTF-8 bytes.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        JSONSerializer.write(self, into: &out)
        return out
    }

    /// The compact JSON encoding as a `String`.
    public var jsonString: String { String(decoding: serialized(), as: UTF8.self) }
}
