import AetherJSON
import IncidentCore

/// Small pure helpers shared by the third-party intake decoders (PagerDuty, Alertmanager).
///
/// Policy shared by both decoders: display text (title, description, link text) that is longer than
/// Aether's `AlertLimits` is shortened at a character boundary with a trailing `…`; identifying values
/// (dedup keys, source, service, component, labels, URLs the sender chose) are never altered, they are
/// rejected with a message naming the field.
enum IntakeText {
    /// `s` for an error message: at most 40 characters, then `…`.
    static func clip(_ s: String) -> String { s.count <= 40 ? s : String(s.prefix(40)) + "…" }

    /// `s` cut at a character boundary so that it is at most `maxBytes` UTF-8 bytes, ending in `…` when cut.
    static func shortened(_ s: String, maxBytes: Int) -> String {
        guard s.utf8.count > maxBytes else { return s }
        let ellipsis = "…"
        let budget = maxBytes - ellipsis.utf8.count
        guard budget > 0 else { return "" }
        var out = ""
        var used = 0
        for c in s {
            let n = c.utf8.count
            if used + n > budget { break }
            out.append(c)
            used += n
        }
        return out + ellipsis
    }

    /// The title and the text to put first in the description: when `summary` is over the title limit
    /// the title is its shortened form and the full summary starts the description, so nothing is lost.
    static func titleAndOverflow(_ summary: String, limits: AlertLimits) -> (title: String, overflow: String?) {
        guard summary.utf8.count > limits.titleBytesMax else { return (summary, nil) }
        return (shortened(summary, maxBytes: limits.titleBytesMax), summary)
    }

    /// Joins the non-empty parts with a blank line and shortens the result to the description limit.
    static func description(_ parts: [String], limits: AlertLimits) -> String {
        shortened(parts.filter { !$0.isEmpty }.joined(separator: "\n\n"), maxBytes: limits.descriptionBytesMax)
    }

    /// Parses an RFC 3339 time, also accepting the ISO 8601 numeric offset without a colon
    /// (`2015-07-17T08:42:58.315+0000`, the form in PagerDuty's own example).
    static func timestamp(_ text: String) -> Timestamp? {
        if let t = Timestamp(rfc3339: text) { return t }
        let b = Array(text.utf8)
        guard b.count >= 24 else { return nil }
        let sign = b[b.count - 5]
        guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
        guard b[(b.count - 4)...].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        var fixed = Array(b[..<(b.count - 2)])
        fixed.append(UInt8(ascii: ":"))
        fixed.append(contentsOf: b[(b.count - 2)...])
        return Timestamp(rfc3339: String(decoding: fixed, as: UTF8.self))
    }

    /// The Prometheus label-set fingerprint: FNV-1a 64 over the label names sorted by UTF-8 bytes, each
    /// name and value followed by the byte 0xFF, printed as 16 lowercase hex digits. This is the
    /// construction Alertmanager uses for `fingerprint`, so a payload without one gets the same key.
    static func labelFingerprint(_ labels: [String: String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func add(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let names = labels.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for name in names {
            for byte in name.utf8 { add(byte) }
            add(0xFF)
            for byte in labels[name, default: ""].utf8 { add(byte) }
            add(0xFF)
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
