import AetherJSON
import IncidentCore

/// One parsed request line: `{"id": 7, "op": "incident.get", "args": {…}, "token": "…"}`.
public struct AdminRequest: Sendable {
    /// Echoed in the response; a number, a string or null.
    public var id: JSONValue
    /// The operation name (checked against `AdminOp` by the server, so unknown ops get `unknown_op`).
    public var op: String
    /// Arguments (empty when absent).
    public var args: JSONObject
    /// Bearer token, when the node requires one.
    public var token: String?
    /// The alerts of an `alert.ingest` (one) or `alert.ingest_batch` line read by the storm fast
    /// path (`IngestRequestScanner`), already valid; `args` is then empty. Nil for every other line.
    public var alerts: [Alert]?

    /// Creates a request.
    public init(id: JSONValue, op: String, args: JSONObject = JSONObject(), token: String? = nil) {
        self.id = id
        self.op = op
        self.args = args
        self.token = token
    }

    /// Parses a line. On failure returns the error plus whatever id could be recovered, so the
    /// error response still carries the caller's id.
    public static func parse(_ line: UnsafeRawBufferPointer) -> Result<AdminRequest, RequestParseError> {
        if let request = IngestRequestScanner.scan(line) { return .success(request) }
        return parseGeneral(line)
    }

    /// `parse` without the ingest fast path: every line through the JSON parser.
    static func parseGeneral(_ line: UnsafeRawBufferPointer) -> Result<AdminRequest, RequestParseError> {
        let value: JSONValue
        do {
            value = try JSONParser.parse(line)
        } catch {
            return .failure(RequestParseError(id: .null, error: AdminError(.badRequest, "malformed JSON: \(error.message)")))
        }
        guard case .object(let o) = value else {
            return .failure(
                RequestParseError(
                    id: .null, error: AdminError(.badRequest, "request is a JSON \(value.typeName); expected an object")))
        }
        var id = JSONValue.null
        if let raw = o["id"] {
            switch raw {
            case .int, .string, .null: id = raw
            case .double(let d): id = .double(d)
            default:
                return .failure(
                    RequestParseError(
                        id: .null,
                        error: AdminError(.badRequest, "id is \(raw.typeWithArticle); expected a number, a string or null")))
            }
        }
        func fail(_ m: String) -> Result<AdminRequest, RequestParseError> {
            .failure(RequestParseError(id: id, error: AdminError(.badRequest, m)))
        }
        for key in o.keys where !["id", "op", "args", "token"].contains(key) {
            return fail("unknown request field '\(key)'; expected id, op, args, token")
        }
        guard let opValue = o["op"] else { return fail("missing 'op'; expected e.g. \"op\": \"incident.get\"") }
        guard case .string(let op) = opValue else { return fail("op is \(opValue.typeWithArticle); expected a string") }
        var args = JSONObject()
        if let a = o["args"] {
            switch a {
            case .object(let obj): args = obj
            case .null: break
            default: return fail("args is \(a.typeWithArticle); expected an object")
            }
        }
        var token: String?
        if let t = o["token"] {
            switch t {
            case .string(let s): token = s
            case .null: break
            default: return fail("token is \(t.typeWithArticle); expected a string")
            }
        }
        return .success(AdminRequest(id: id, op: op, args: args, token: token))
    }

    /// The request as one JSON line (without the newline).
    public var encoded: [UInt8] {
        var o = JSONObject()
        o["id"] = id
        o["op"] = .string(op)
        switch alerts {
        case .some(let alerts) where op == AdminOp.alertIngest.rawValue && alerts.count == 1: o["args"] = .object(alerts[0].json)
        case .some(let alerts): o["args"] = ["alerts": .array(alerts.map { .object($0.json) })]
        case nil: o["args"] = .object(args)
        }
        if let token { o["token"] = .string(token) }
        return JSONValue.object(o).serialized()
    }
}

/// A request line that could not be parsed, with the id recovered from it (or null).
public struct RequestParseError: Error, Sendable {
    /// The request id, if one was readable.
    public var id: JSONValue
    /// The error to answer.
    public var error: AdminError
}

/// Encodes response lines.
public enum AdminResponse {
    /// Appends `{"id":…,"ok":true,"result":…}\n`.
    /// With `replicas`, every `"replicas": null` placeholder in the result is written as that count.
    public static func writeSuccess(id: JSONValue, result: JSONValue, replicas: Int? = nil, into out: inout [UInt8]) {
        writeSuccess(id: id, into: &out) { out in
            if let replicas {
                JSONSerializer.write(result, into: &out, fillingNull: "replicas", with: .int(Int64(replicas)))
            } else {
                JSONSerializer.write(result, into: &out)
            }
        }
    }

    /// Appends `{"id":…,"ok":true,"result":…}\n` with the result's JSON written by `writeResult`
    /// (for results written straight from their values rather than from a `JSONValue`).
    public static func writeSuccess(id: JSONValue, into out: inout [UInt8], result writeResult: (inout [UInt8]) -> Void) {
        out.append(contentsOf: #"{"id":"#.utf8)
        JSONSerializer.write(id, into: &out)
        out.append(contentsOf: #","ok":true,"result":"#.utf8)
        writeResult(&out)
        out.append(contentsOf: "}\n".utf8)
    }

    /// Appends `{"id":…,"ok":false,"error":{"code":…,"message":…}}\n`.
    public static func writeFailure(id: JSONValue, error: AdminError, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"id":"#.utf8)
        JSONSerializer.write(id, into: &out)
        out.append(contentsOf: #","ok":false,"error":{"code":"#.utf8)
        JSONSerializer.writeString(error.code.wire, into: &out)
        out.append(contentsOf: #","message":"#.utf8)
        JSONSerializer.writeString(error.message, into: &out)
        out.append(contentsOf: "}}\n".utf8)
    }

    /// A parsed response line.
    public struct Parsed: Sendable {
        /// The echoed id.
        public var id: JSONValue
        /// The result, or the error.
        public var outcome: Result<JSONValue, AdminError>
    }

    /// Parses a response line (the client side).
    public static func parse(_ line: [UInt8]) -> Parsed? {
        guard let v = try? JSONParser.parse(line), case .object(let o) = v, let ok = o["ok"]?.boolValue else {
            return nil
        }
        let id = o["id"] ?? .null
        if ok { return Parsed(id: id, outcome: .success(o["result"] ?? .null)) }
        let code = o["error"]?["code"]?.stringValue.flatMap(AdminError.Code.init(wire:)) ?? .internal
        let message = o["error"]?["message"]?.stringValue ?? "error response without a message"
        return Parsed(id: id, outcome: .failure(AdminError(code, message)))
    }
}
