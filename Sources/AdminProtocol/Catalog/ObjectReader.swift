import AetherJSON
import IncidentCore

/// Typed reads from one JSON object of a catalog document, with errors naming the field's path
/// (`levels[1].delay_s is a string; expected a number of seconds`) and refusing unknown fields.
public struct ObjectReader: Sendable {
    /// The object.
    public let object: JSONObject
    /// Where it is (`policy`, `policy.levels[1]`), for messages.
    public let path: String

    /// Reads `value`, which must be an object.
    /// - Throws: `AdminError(.badRequest)` when it is not.
    public init(_ value: JSONValue, path: String, allowed: [String]) throws(AdminError) {
        guard case .object(let o) = value else {
            throw AdminError(.badRequest, "\(path) is a \(value.typeName); expected an object")
        }
        object = o
        self.path = path
        for key in o.keys where !allowed.contains(key) {
            throw AdminError(.badRequest, "\(path): unknown field '\(key)'; expected one of \(allowed.joined(separator: ", "))")
        }
    }

    /// A `badRequest` about `key`.
    public func bad(_ key: String, _ message: String) -> AdminError {
        AdminError(.badRequest, "\(path).\(key) \(message)")
    }

    /// The value of `key` unless absent or null.
    public func value(_ key: String) -> JSONValue? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    /// A required string.
    public func string(_ key: String) throws(AdminError) -> String {
        guard let s = try optionalString(key) else { throw AdminError(.badRequest, "\(path): missing field '\(key)'") }
        return s
    }

    /// An optional string.
    public func optionalString(_ key: String) throws(AdminError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw bad(key, "is a \(v.typeName); expected a string") }
        return s
    }

    /// An optional whole number within `range`.
    public func optionalInt(_ key: String, in range: ClosedRange<Int64>, unit: String) throws(AdminError) -> Int64? {
        guard let v = value(key) else { return nil }
        guard case .int(let n) = v else { throw bad(key, "is a \(v.typeName); expected a whole number of \(unit)") }
        guard range.contains(n) else { throw bad(key, "is \(n); expected \(range.lowerBound)-\(range.upperBound) \(unit)") }
        return n
    }

    /// An optional boolean.
    public func optionalBool(_ key: String) throws(AdminError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw bad(key, "is a \(v.typeName); expected true or false") }
        return b
    }

    /// An optional list (absent: empty).
    public func list(_ key: String) throws(AdminError) -> [JSONValue] {
        guard let v = value(key) else { return [] }
        guard case .array(let items) = v else { throw bad(key, "is a \(v.typeName); expected a list") }
        return items
    }

    /// An optional list of strings (absent: empty).
    public func strings(_ key: String) throws(AdminError) -> [String] {
        var out: [String] = []
        for (n, item) in try list(key).enumerated() {
            guard case .string(let s) = item else { throw bad("\(key)[\(n)]", "is a \(item.typeName); expected a string") }
            out.append(s)
        }
        return out
    }
}
