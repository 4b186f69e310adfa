/// Renders on-call shifts as an iCalendar file (RFC 5545) that calendar apps can subscribe to.
///
/// One `VEVENT` per shift, times in UTC (`20260302T140000Z`), so no `VTIMEZONE` is needed. Output is
/// deterministic for the same input: each event's `UID` is a hash of the calendar name, the person
/// and the start, so re-exports update events instead of duplicating them. Lines end in CRLF and are
/// folded at 75 octets without splitting a UTF-8 sequence; text values are escaped (`\\ \; \, \n`).
public enum ICalendar {
    /// The `PRODID` of exported calendars.
    public static let productID = "-//Aether//On-call schedule//EN"

    /// The `.ics` text for `shifts`.
    /// - Parameters:
    ///   - calendarName: shown by calendar apps (`X-WR-CALNAME`), and part of each event's UID.
    ///   - shifts: the shifts to export, one event each.
    ///   - generatedAt: the `DTSTAMP` of every event (the export time; passed in, never read).
    public static func export(calendarName: String, shifts: [Shift], generatedAt: Timestamp) -> String {
        var out = ""
        func line(_ content: String) { out += fold(content) }
        line("BEGIN:VCALENDAR")
        line("VERSION:2.0")
        line("PRODID:" + productID)
        line("CALSCALE:GREGORIAN")
        line("METHOD:PUBLISH")
        line("X-WR-CALNAME:" + escapeText(calendarName))
        let stamp = utcDateTime(generatedAt)
        for shift in shifts {
            line("BEGIN:VEVENT")
            line("UID:" + uid(calendarName: calendarName, shift: shift))
            line("DTSTAMP:" + stamp)
            line("DTSTART:" + utcDateTime(shift.start))
            line("DTEND:" + utcDateTime(shift.end))
            line("SUMMARY:" + escapeText("On call: \(shift.person)"))
            line("DESCRIPTION:" + escapeText("\(calendarName): \(shift.person) (\(shift.source))"))
            line("TRANSP:TRANSPARENT")
            line("END:VEVENT")
        }
        line("END:VCALENDAR")
        return out
    }

    // MARK: - Pieces

    /// A deterministic UID: FNV-1a (64-bit) of name, person and start, twice with different seeds.
    static func uid(calendarName: String, shift: Shift) -> String {
        var bytes = Array(calendarName.utf8)
        bytes.append(0)
        bytes += shift.person.utf8
        bytes.append(0)
        bytes += String(shift.start.unixMillis).utf8
        return hex(fnv1a(bytes, basis: 0xcbf2_9ce4_8422_2325)) + hex(fnv1a(bytes, basis: 0x8422_2325_cbf2_9ce4))
            + "@aether.oncall"
    }

    /// RFC 5545 TEXT escaping: backslash, semicolon, comma and line breaks (`\n`).
    static func escapeText(_ text: String) -> String {
        var out = ""
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            defer { previousWasCR = scalar == "\r" }
            switch scalar {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\r": out += "\\n"
            case "\n": if !previousWasCR { out += "\\n" }
            default:
                // Other control characters are not allowed in TEXT; drop them.
                if (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A content line folded at 75 octets (RFC 5545 §3.1), ending in CRLF. Breaks fall between
    /// Unicode scalars, never inside a UTF-8 sequence; continuation lines start with one space.
    static func fold(_ content: String) -> String {
        var out = ""
        var octets = 0
        for scalar in content.unicodeScalars {
            let size = UTF8.width(scalar)
            if octets + size > 75 {
                out += "\r\n "
                octets = 1
            }
            out.unicodeScalars.append(scalar)
            octets += size
        }
        return out + "\r\n"
    }

    /// `YYYYMMDDTHHMMSSZ`.
    static func utcDateTime(_ t: Timestamp) -> String {
        let c = t.civil
        return zeroPadded(c.year, 4) + zeroPadded(c.month, 2) + zeroPadded(c.day, 2) + "T" + zeroPadded(c.hour, 2)
            + zeroPadded(c.minute, 2) + zeroPadded(c.second, 2) + "Z"
    }

    private static func fnv1a(_ bytes: [UInt8], basis: UInt64) -> UInt64 {
        var h = basis
        for b in bytes {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01B3
        }
        return h
    }

    private static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
