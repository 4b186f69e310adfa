/// Incident severity, SEV-0 (service down for everyone) to SEV-4 (informational).
///
/// Lower raw values are more severe; `Comparable` orders SEV-0 first.
public enum Severity: Int, CaseIterable, Comparable, Hashable, Sendable, CustomStringConvertible {
    case sev0 = 0
    case sev1 = 1
    case sev2 = 2
    case sev3 = 3
    case sev4 = 4

    /// `SEV-0` … `SEV-4`.
    public var description: String { "SEV-\(rawValue)" }

    /// The severity one step more severe (SEV-0 stays SEV-0).
    public var raised: Severity { Severity(rawValue: max(0, rawValue - 1))! }

    /// Whether the severity opens a war room and requires a post-incident review.
    public var isMajor: Bool { self <= .sev1 }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Parses an explicit `SEV-n` (case-insensitive, `SEV1` accepted too).
    public static func parseExplicit(_ text: String) -> Severity? {
        if let w = ASCIIWord(text) { return parseExplicit(w) }
        let t = text.uppercased()
        guard t.hasPrefix("SEV") else { return nil }
        var digits = t.dropFirst(3)
        if digits.first == "-" { digits = digits.dropFirst() }
        guard digits.count == 1, let n = Int(digits) else { return nil }
        return Severity(rawValue: n)
    }

    /// `sev3`, `SEV-3`: the common case, read without Unicode case mapping.
    static func parseExplicit(_ w: ASCIIWord) -> Severity? {
        guard w.count == 4 || w.count == 5, w[0] == 0x73, w[1] == 0x65, w[2] == 0x76, w.count == 4 || w[3] == 0x2D else { return nil }
        let digit = w[w.count - 1]
        guard digit >= 0x30, digit <= 0x39 else { return nil }
        return Severity(rawValue: Int(digit - 0x30))
    }

    /// The message for an unparseable severity.
    public static func invalidMessage(_ text: String, allowMonitoringLevels: Bool) -> String {
        allowMonitoringLevels
            ? "severity '\(text)' is not valid; expected one of SEV-0, SEV-1, SEV-2, SEV-3, SEV-4, critical, error, warning, info"
            : "severity '\(text)' is not valid; expected one of SEV-0, SEV-1, SEV-2, SEV-3, SEV-4"
    }
}

/// The severity an alert source reports: either an explicit SEV-n, which wins over scoring, or a
/// monitoring level (`critical|error|warning|info`), which feeds the urgency score.
public enum SourceSeverity: Equatable, Sendable {
    case explicit(Severity)
    case level(MonitoringLevel)

    /// Parses `SEV-n` or a monitoring level; nil when neither.
    public init?(parsing text: String) {
        if let w = ASCIIWord(text) {
            if let s = Severity.parseExplicit(w) {
                self = .explicit(s)
            } else if let n = MonitoringLevel.words.firstIndex(of: w) {
                self = .level(MonitoringLevel.allCases[n])
            } else {
                return nil
            }
        } else if let s = Severity.parseExplicit(text) {
            self = .explicit(s)
        } else if let l = MonitoringLevel(rawValue: text.lowercased()) {
            self = .level(l)
        } else {
            return nil
        }
    }
}

/// Alert levels used by Prometheus, PagerDuty and friends.
public enum MonitoringLevel: String, Sendable, CaseIterable {
    case critical, error, warning, info

    /// `allCases`' names, for `SourceSeverity(parsing:)`.
    static let words = allCases.map { ASCIIWord($0.rawValue)! }
}
