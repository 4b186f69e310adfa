import AetherJSON
import IncidentCore

/// Typed reads of one JSON object's fields with errors that name the full field path and what was
/// expected: `args.schedule.layers[0].handoff is an integer; expected "HH:MM"`.
struct JSONFieldReader {
    /// The object being read.
    let object: JSONObject
    /// Its path (`args.schedule.layers[0]`); empty for the top level.
    let path: String

    /// The path of `key` inside this object.
    func path(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// A bad_request error about this object or one of its fields.
    func error(_ message: String) -> AdminError { AdminError(.badRequest, message) }

    /// Fails on a key outside `allowed`, naming it and listing the allowed ones.
    func only(_ allowed: [String], what: String) throws(AdminError) {
        for key in object.keys where !allowed.contains(key) {
            throw error(
                "\(path.isEmpty ? what : path) has unknown field '\(key)'; expected \(allowed.joined(separator: ", "))")
        }
    }

    /// A required field (null counts as missing).
    func required(_ key: String, expected: String) throws(AdminError) -> JSONValue {
        guard let v = object[key], !v.isNull else { throw error("\(path(key)) is missing; expected \(expected)") }
        return v
    }

    /// A required string.
    func string(_ key: String, expected: String) throws(AdminError) -> String {
        let v = try required(key, expected: expected)
        guard case .string(let s) = v else { throw mistyped(path(key), v, expected: expected) }
        return s
    }

    /// A required string turned into a domain value; the domain message is kept, prefixed by the path.
    func parsed<T>(_ key: String, expected: String, _ parse: (String) throws(DomainError) -> T) throws(AdminError) -> T {
        let s = try string(key, expected: expected)
        do { return try parse(s) } catch { throw self.error("\(path(key)): \(error.message)") }
    }

    /// An array field; nil when absent or null and `optional`.
    func array(_ key: String, expected: String, optional: Bool = false) throws(AdminError) -> [JSONValue]? {
        if optional, object[key]?.isNull ?? true { return nil }
        let v = try required(key, expected: expected)
        guard case .array(let items) = v else { throw mistyped(path(key), v, expected: expected) }
        return items
    }

    /// The elements of an array of objects, each with its reader.
    func objects(_ key: String, expected: String, optional: Bool = false) throws(AdminError) -> [JSONFieldReader] {
        guard let items = try array(key, expected: expected, optional: optional) else { return [] }
        var readers: [JSONFieldReader] = []
        for (i, item) in items.enumerated() {
            let itemPath = "\(path(key))[\(i)]"
            guard case .object(let o) = item else { throw mistyped(itemPath, item, expected: "an object") }
            readers.append(JSONFieldReader(object: o, path: itemPath))
        }
        return readers
    }

    /// The elements of an array of strings.
    func strings(_ key: String, expected: String) throws(AdminError) -> [String] {
        var out: [String] = []
        for (i, item) in (try array(key, expected: expected) ?? []).enumerated() {
            guard case .string(let s) = item else { throw mistyped("\(path(key))[\(i)]", item, expected: "a string") }
            out.append(s)
        }
        return out
    }

    /// `<path> is a number; expected …`.
    func mistyped(_ fieldPath: String, _ value: JSONValue, expected: String) -> AdminError {
        let name = value.typeName
        let article = ["integer", "array", "object"].contains(name) ? "an" : "a"
        return error("\(fieldPath) is \(name == "null" ? "null" : "\(article) \(name)"); expected \(expected)")
    }
}
