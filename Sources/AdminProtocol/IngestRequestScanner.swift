import AetherJSON
import IncidentCore

/// The fast path for the requests of an alert storm: reads `alert.ingest` and `alert.ingest_batch`
/// lines straight into `Alert`s, without building a JSON tree first.
///
/// It takes only the plain shape those requests have in practice — members `id` (an integer, a
/// string or null), `op`, `args`, `token` in that order, `op` before `args`; alert fields whose values
/// are printable-ASCII strings without escapes, or null — and the alerts must be valid. Anything
/// else (an escape, a number field, labels, an unknown or repeated member, an invalid alert) returns
/// nil, and the caller parses the line the general way, which gives every error its usual message.
/// The alerts are built by the same code as `Alert(json:)` (`Alert(wire:)`), so an accepted line
/// means what it means on the general path; `IngestRequestScannerTests` compares the two.
enum IngestRequestScanner {
    /// The request, with `alerts` set and `args` empty, or nil when the general parser must decide.
    static func scan(_ line: UnsafeRawBufferPointer) -> AdminRequest? {
        guard let base = line.baseAddress, line.count > 0 else { return nil }
        var s = Cursor(p: base.assumingMemoryBound(to: UInt8.self), end: line.count)
        return s.request()
    }

    /// Reads one request line; every method returns nil (or false) at the first byte it does not take.
    struct Cursor {
        let p: UnsafePointer<UInt8>
        let end: Int
        var pos = 0

        init(p: UnsafePointer<UInt8>, end: Int) {
            self.p = p
            self.end = end
        }

        mutating func request() -> AdminRequest? {
            guard take(0x7B) else { return nil }  // {
            var id = JSONValue.null
            var op: AdminOp?
            var alerts: [Alert]?
            var token: String?
            var member = 0  // members come in the order id, op, args, token; each at most once
            repeat {
                guard let key = plainString() else { return nil }
                guard take(0x3A) else { return nil }  // :
                if key.elementsEqual("id".utf8), member < 1 {
                    member = 1
                    guard let v = idValue() else { return nil }
                    id = v
                } else if key.elementsEqual("op".utf8), member < 2 {
                    member = 2
                    guard let name = plainString() else { return nil }
                    if name.elementsEqual(AdminOp.alertIngestBatch.rawValue.utf8) {
                        op = .alertIngestBatch
                    } else if name.elementsEqual(AdminOp.alertIngest.rawValue.utf8) {
                        op = .alertIngest
                    } else {
                        return nil
                    }
                } else if key.elementsEqual("args".utf8), member == 2, let op {
                    member = 3
                    guard let a = op == .alertIngest ? alert().map({ [$0] }) : batchArgs() else { return nil }
                    alerts = a
                } else if key.elementsEqual("token".utf8), member < 4 {
                    member = 4
                    if takeNull() {
                        token = nil
                    } else {
                        guard let t = plainString() else { return nil }
                        token = String(decoding: t, as: UTF8.self)
                    }
                } else {
                    return nil
                }
            } while take(0x2C)  // ,
            guard take(0x7D), let op, let alerts, pos == end else { return nil }  // } and nothing after it
            var request = AdminRequest(id: id, op: op.rawValue, token: token)
            request.alerts = alerts
            return request
        }

        /// `{"alerts":[alert, …]}` with at least one alert.
        mutating func batchArgs() -> [Alert]? {
            guard take(0x7B), let key = plainString(), key.elementsEqual("alerts".utf8), take(0x3A), take(0x5B) else { return nil }
            var alerts: [Alert] = []
            alerts.reserveCapacity(min((end - pos) / 96 + 1, 10_000))  // a storm's alerts are about 120 bytes
            repeat {
                guard let a = alert() else { return nil }
                alerts.append(a)
            } while take(0x2C)
            guard take(0x5D), take(0x7D) else { return nil }
            return alerts
        }

        /// One alert object whose members are wire fields with string or null values.
        mutating func alert() -> Alert? {
            guard take(0x7B) else { return nil }
            var fields = Alert.WireValues()
            var seen: UInt32 = 0
            repeat {
                guard let key = plainString(), let field = Alert.WireValues.field(key), seen & (1 << field) == 0 else { return nil }
                seen |= 1 << field
                guard take(0x3A) else { return nil }
                if takeNull() {
                    fields.set(field, .null)
                } else {
                    guard let v = plainString() else { return nil }
                    fields.set(field, .string(String(decoding: v, as: UTF8.self)))
                }
            } while take(0x2C)
            guard take(0x7D) else { return nil }
            return try? Alert(wire: fields, path: "", limits: AlertLimits())
        }

        /// An integer without leading zeros (up to 18 digits), a plain string, or null.
        mutating func idValue() -> JSONValue? {
            if takeNull() { return .null }
            if pos < end, p[pos] == 0x22 { return plainString().map { .string(String(decoding: $0, as: UTF8.self)) } }
            var negative = false
            if pos < end, p[pos] == 0x2D {
                negative = true
                pos += 1
            }
            let start = pos
            var n: Int64 = 0
            while pos < end, p[pos] >= 0x30, p[pos] <= 0x39 {
                guard pos - start < 18 else { return nil }  // longer numbers may not fit an Int64
                n = n * 10 + Int64(p[pos] - 0x30)
                pos += 1
            }
            let digits = pos - start
            guard digits >= 1, digits == 1 || p[start] != 0x30, !(negative && n == 0) else { return nil }
            if pos < end, p[pos] == 0x2E || p[pos] == 0x65 || p[pos] == 0x45 { return nil }  // a fraction or exponent
            return .int(negative ? -n : n)
        }

        /// After optional whitespace, a string of printable ASCII without escapes; its bytes (without
        /// the quotes). The whitespace after it is skipped too.
        mutating func plainString() -> UnsafeBufferPointer<UInt8>? {
            skipWhitespace()
            guard pos < end, p[pos] == 0x22 else { return nil }
            let start = pos + 1
            var i = start
            while i < end {
                let c = p[i]
                if c == 0x22 {
                    pos = i + 1
                    skipWhitespace()
                    return UnsafeBufferPointer(start: p + start, count: i - start)
                }
                guard c >= 0x20, c < 0x7F, c != 0x5C else { return nil }
                i += 1
            }
            return nil
        }

        /// `null`, with the whitespace after it.
        mutating func takeNull() -> Bool {
            guard end - pos >= 4, p[pos] == 0x6E, p[pos + 1] == 0x75, p[pos + 2] == 0x6C, p[pos + 3] == 0x6C else { return false }
            pos += 4
            skipWhitespace()
            return true
        }

        /// One structural byte, with the whitespace around it.
        mutating func take(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard pos < end, p[pos] == byte else { return false }
            pos += 1
            skipWhitespace()
            return true
        }

        mutating func skipWhitespace() {
            while pos < end {
                let c = p[pos]
                guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
                pos += 1
            }
        }
    }
}
