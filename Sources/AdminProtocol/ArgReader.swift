import AetherJSON
import IncidentCore

/// Typed access to a request's `args`, with errors that name the argument, what it was and what
/// was expected: `args.severity is a number; expected a string such as "SEV-2"`.
public struct ArgReader: Sendable {
    /// The arguments.
    public let args: JSONObject
    /// The operation, for messages.
    public let op: String

    /// Wraps an args object.
    public init(_ args: JSONObject, op: String) {
        self.args = args
        self.op = op
    }

    /// Fails on any key not in `allowed` (catches typos such as `sevrity`).
    public func only(_ allowed: [String]) throws(AdminError) {
        for key in args.keys where !allowed.contains(key) {
            throw AdminError(
                .badRequest,
                "unknown argument '\(key)' for \(op); expected " + (allowed.isEmpty ? "none" : allowed.joined(separator: ", ")))
        }
    }

    /// A required string.
    public func string(_ key: String, hint: String = "") throws(AdminError) -> String {
        guard let s = try optionalString(key, hint: hint) else {
            throw AdminError(.badRequest, "missing args.\(key) for \(op)" + (hint.isEmpty ? "" : "; expected \(hint)"))
        }
        return s
    }

    /// An optional string (null counts as absent).
    public func optionalString(_ key: String, hint: String = "") throws(AdminError) -> String? {
        guard let v = args[key], !v.isNull else { return nil }
        guard case .string(let s) = v else {
            throw AdminError(.badRequest, "args.\(key) is \(v.typeWithArticle); expected a string" + (hint.isEmpty ? "" : " such as \(hint)"))
        }
        return s
    }

    /// An optional boolean.
    public func optionalBool(_ key: String) throws(AdminError) -> Bool? {
        guard let v = args[key], !v.isNull else { return nil }
        guard case .bool(let b) = v else {
            throw AdminError(.badRequest, "args.\(key) is \(v.typeWithArticle); expected true or false")
        }
        return b
    }

    /// An optional integer within a range.
    public func optionalInt(_ key: String, range: ClosedRange<Int>) throws(AdminError) -> Int? {
        guard let v = args[key], !v.isNull else { return nil }
        guard let i = v.intValue, let n = Int(exactly: i) else {
            throw AdminError(.badRequest, "args.\(key) is \(v.typeWithArticle); expected an integer")
        }
        guard range.contains(n) else {
            throw AdminError(.badRequest, "args.\(key) \(n) is out of range; expected \(range.lowerBound)…\(range.upperBound)")
        }
        return n
    }

    /// An optional list of strings.
    public func optionalStrings(_ key: String) throws(AdminError) -> [String]? {
        guard let v = args[key], !v.isNull else { return nil }
        guard case .array(let items) = v else {
            throw AdminError(.badRequest, "args.\(key) is \(v.typeWithArticle); expected a list of strings")
        }
        var out: [String] = []
        for (n, item) in items.enumerated() {
            guard case .string(let s) = item else {
                throw AdminError(.badRequest, "args.\(key)[\(n)] is \(item.typeWithArticle); expected a string")
            }
            out.append(s)
        }
        return out
    }

    /// An optional RFC 3339 timestamp.
    public func optionalTimestamp(_ key: String) throws(AdminError) -> Timestamp? {
        guard let s = try optionalString(key, hint: "\"2026-11-27T18:00:00Z\"") else { return nil }
        guard let t = Timestamp(rfc3339: s) else {
            throw AdminError(.badRequest, "args.\(key) '\(s)' is not an RFC 3339 time; expected e.g. 2026-11-27T18:00:00Z")
        }
        return t
    }

    /// The required incident id.
    public func incidentID(_ key: String = "id") throws(AdminError) -> IncidentID {
        let raw = try string(key, hint: "an incident id such as INC-2026-0042-K7Q")
        do { return try IncidentID(parsing: raw) } catch { throw AdminError(error) }
    }

    /// An optional value parsed by `parse`, whose failure message comes from `invalid`.
    public func optionalParsed<T>(_ key: String, _ parse: (String) -> T?, invalid: (String) -> String) throws(AdminError)
        -> T?
    {
        guard let s = try optionalString(key) else { return nil }
        guard let v = parse(s) else { throw AdminError(.badRequest, invalid(s)) }
        return v
    }

    /// A required value parsed by `parse`.
    public func parsed<T>(_ key: String, _ parse: (String) -> T?, invalid: (String) -> String, hint: String)
        throws(AdminError) -> T
    {
        let s = try string(key, hint: hint)
        guard let v = parse(s) else { throw AdminError(.badRequest, invalid(s)) }
        return v
    }
}
