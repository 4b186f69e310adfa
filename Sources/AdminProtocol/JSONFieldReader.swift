import AetherJSON
import IncidentCore

/// Typed reads of one JSON object's fields (catalog and schedule documents), with errors that name
/// the full field path and what was expected: `policy.levels[1].delay_s is a string; expected a
/// whole number of seconds`, `args.schedule.layers[0].handoff is an integer; expected "HH:MM"`.
struct JSONFieldReader {
    /// The object being read.
    let object: JSONObject
    /// Its path (`args.schedule.layers[0]`); empty for the top level.
    let path: String

    /// A reader of `object` at `path`.
    init(object: JSONObject, path: String) {
        self.object = object
        self.path = path
    }

    /// A reader of `value`, which must be an object with no field outside `allowed`.
    /// - Throws: `AdminError(.badRequest)` when it is not an object or has an unknown field.
    init(_ value: JSONValue, path: String, allowed: [String]) throws(AdminError) {
        guard case .object(let o) = value else { throw Self.mistyped(path, value, expected: "an object") }
        self.init(object: o, path: path)
        try only(allowed, what: path)
    }

    /// The path of `key` inside this object.
    func path(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// A bad_request error about this object or one of its fields.
    func error(_ message: String) -> AdminError { AdminError(.badRequest, message) }

    /// A bad_request error about field `key`: its path, then `message`.
    func error(at key: String, _ message: String) -> AdminError { error("\(path(key)) \(message)") }

    /// Fails on a key outside `allowed`, naming it and listing the allowed ones.
    func only(_ allowed: [String], what: String) throws(AdminError) {
        for key in object.keys where !allowed.contains(key) {
            throw error(
                "\(path.isEmpty ? what : path) has unknown field '\(key)'; expected \(allowed.joined(separator: ", "))")
        }
    }

    /// The value of `key` unless absent or null.
    func value(_ key: String) -> JSONValue? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    /// A required field (null counts as missing).
    func required(_ key: String, expected: String) throws(AdminError) -> JSONValue {
        guard let v = value(key) else { throw error("\(path(key)) is missing; expected \(expected)") }
        return v
    }

    /// A required string.
    func string(_ key: String, expected: String = "a string") throws(AdminError) -> String {
        let v = try required(key, expected: expected)
        guard case .string(let s) = v else { throw Self.mistyped(path(key), v, expected: expected) }
        return s
    }

    /// An optional string (absent or null: nil).
    func optionalString(_ key: String) throws(AdminError) -> String? {
        guard value(key) != nil else { return nil }
        return try string(key)
    }

    /// An optional whole number within `range`, counted in `unit`.
    func optionalInt(_ key: String, in range: ClosedRange<Int64>, unit: String) throws(AdminError) -> Int64? {
        guard let v = value(key) else { return nil }
        guard case .int(let n) = v else { throw Self.mistyped(path(key), v, expected: "a whole number of \(unit)") }
        guard range.contains(n) else { throw error(at: key, "is \(n); expected \(range.lowerBound)-\(range.upperBound) \(unit)") }
        return n
    }

    /// An optional boolean.
    func optionalBool(_ key: String) throws(AdminError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw Self.mistyped(path(key), v, expected: "true or false") }
        return b
    }

    /// A required string turned into a domain value; the domain message is kept, prefixed by the path.
    func parsed<T>(_ key: String, expected: String, _ parse: (String) throws(DomainError) -> T) throws(AdminError) -> T {
        let s = try string(key, expected: expected)
        do { return try parse(s) } catch { throw self.error("\(path(key)): \(error.message)") }
    }

    /// An array field; nil when absent or null and `optional`.
    func array(_ key: String, expected: String, optional: Bool = false) throws(AdminError) -> [JSONValue]? {
        if optional, value(key) == nil { return nil }
        let v = try required(key, expected: expected)
        guard case .array(let items) = v else { throw Self.mistyped(path(key), v, expected: expected) }
        return items
    }

    /// An optional list (absent or null: empty).
    func list(_ key: String) throws(AdminError) -> [JSONValue] {
        try array(key, expected: "a list", optional: true) ?? []
    }

    /// The elements of an array of objects, each with its reader.
    func objects(_ key: String, expected: String, optional: Bool = false) throws(AdminError) -> [JSONFieldReader] {
        guard let items = try array(key, expected: expected, optional: optional) else { return [] }
        var readers: [JSONFieldReader] = []
        for (i, item) in items.enumerated() {
            let itemPath = "\(path(key))[\(i)]"
            guard case .object(let o) = item else { throw Self.mistyped(itemPath, item, expected: "an object") }
            readers.append(JSONFieldReader(object: o, path: itemPath))
        }
        return readers
    }

    /// The elements of an array of strings (absent or null, when `optional`: empty).
    func strings(_ key: String, expected: String = "a list", optional: Bool = false) throws(AdminError) -> [String] {
        var out: [String] = []
        for (i, item) in (try array(key, expected: expected, optional: optional) ?? []).enumerated() {
            guard case .string(let s) = item else { throw Self.mistyped("\(path(key))[\(i)]", item, expected: "a string") }
            out.append(s)
        }
        return out
    }

    /// `<path> is a number; expected …`.
    func mistyped(_ fieldPath: String, _ value: JSONValue, expected: String) -> AdminError {
        Self.mistyped(fieldPath, value, expected: expected)
    }

    /// `<path> is an integer; expected …` (null: `<path> is null; …`).
    static func mistyped(_ fieldPath: String, _ value: JSONValue, expected: String) -> AdminError {
        AdminError(.badRequest, "\(fieldPath) is \(value.typeWithArticle); expected \(expected)")
    }
}
